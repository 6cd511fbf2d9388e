"""`python -m pressqa.cli`: the same as the `pressqa` command (the load test and crash tests start it so)."""

from pressqa.cli import app

if __name__ == "__main__":  # not when a spawned worker process imports this module as its parent's main
    app()
