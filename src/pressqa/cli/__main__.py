"""`python -m pressqa.cli`: the same as the `pressqa` command (the load test and crash tests start it so)."""

from pressqa.cli import app

app()
