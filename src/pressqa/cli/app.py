"""The `pressqa` app and what its commands share: failing with a message, the Ray checks, printing a report."""

import sys
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from pressqa.config import get_settings

app = typer.Typer(
    help="Ask questions of press releases; get extractive answers with cited passages.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
SHARED = Path("../shared/data")
DOJ_RELEASES = SHARED / "releases" / "doj_releases.jsonl"
RAY_HELP = "Use the Ray cluster at ADDRESS ('auto': start one here); needs pressqa[cluster]."
Ray = Annotated[str | None, typer.Option("--ray", metavar="ADDRESS", help=RAY_HELP)]
Out = Annotated[Path, typer.Option(help="Folder for the JSON result.")]


def readable(exc: ValidationError) -> str:
    """One line per problem: 'answers: answers must be between 1 and 20 …', without pydantic's links."""
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg'].removeprefix('Value error, ')}" for e in exc.errors())


@app.callback()
def _settings_first() -> None:
    """Settings that cannot be used stop every command with a message, before anything is loaded."""
    get_settings.cache_clear()  # read anew: a test (or a shell) may have changed the environment since
    try:
        get_settings()
    except ValidationError as exc:
        fail(f"invalid settings (PRESSQA_* variables or .env): {readable(exc)}", 2)


def fail(message: str, code: int = 1) -> None:
    typer.secho(message, err=True, fg=typer.colors.RED)
    raise typer.Exit(code)


def say(message: str) -> None:
    typer.echo(message, err=True)


def echo_now(message: str) -> None:
    """A line on stdout at once, also when it goes to a log file (where output is otherwise held in blocks)."""
    typer.echo(message)
    sys.stdout.flush()


def require_file(path: Path, what: str) -> None:
    if not path.is_file():
        fail(f"no {what} at {path}")


def require_ray(option: str) -> None:
    try:
        import ray.data  # noqa: F401
        import ray.serve  # noqa: F401
    except ImportError:
        fail(f"{option} needs Ray: pip install 'pressqa[cluster]'")


def ray_connect(address: str, stack: ExitStack) -> None:
    """Join the Ray cluster at `address` for the rest of `stack`, or fail with a message."""
    require_ray("--ray")
    from pressqa.cluster.session import connected

    try:
        stack.enter_context(connected(address))
    except (ConnectionError, ValueError, RuntimeError) as exc:
        fail(f"cannot reach the Ray cluster at {address}: {exc}")


def ray_preparer(address: str | None, settings, workers: int | None, stack: ExitStack):
    """None without `address`; else the preparer that sends releases to the cluster's workers."""
    if not address:
        return None
    ray_connect(address, stack)
    from pressqa.cluster.ingest import RayPreparer

    return RayPreparer(settings, workers, progress=sys.stderr.isatty())  # its own lines either way


def print_report(report, settings) -> None:
    from pressqa.ingest.watch import report_lines

    skipped, summary = report_lines(report, settings.index_dir)
    for line in skipped:
        typer.secho(line, err=True, fg=typer.colors.YELLOW)
    typer.echo(summary)


def engine_for(settings=None):
    from pressqa.service.qa import PressQA

    return PressQA(settings or get_settings())


def show(
    as_json: bool,
    as_csv: bool,
    json_text: Callable[[], str],
    csv_text: Callable[[], str],
    lines: Callable[[], Iterable[tuple[str, bool]]],
) -> None:
    """A result as the API's JSON body, as its CSV, or as lines for a person (bold where marked)."""
    if as_csv:
        typer.echo(csv_text(), nl=False)
    elif as_json:
        typer.echo(json_text())
    else:
        for line, bold in lines():
            typer.secho(line, bold=True) if bold else typer.echo(line)
