"""The typer application and the error handling every command shares."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from mcmsched.errors import MCMSchedError, excerpt, one_line

app = typer.Typer(
    name="mcmsched",
    help="Schedule multi-model AI inference on heterogeneous chiplet MCM accelerators.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True)


@app.callback()
def _root() -> None:
    """mcmsched: find and score schedules for several models on a chiplet MCM accelerator."""


def nonempty_path(value: str) -> Path:
    """Typer parser of path options: an empty string is refused (it would mean the working
    directory), and so are NUL characters and over-long path components."""
    from mcmsched.safe_io import check_path

    if isinstance(value, Path):
        value = str(value)
    if not value.strip():
        raise typer.BadParameter("must not be empty")
    try:
        return check_path(value)
    except MCMSchedError as err:
        raise typer.BadParameter(err.reason) from None


def fail(err: MCMSchedError) -> None:
    """Print a user error without a traceback and exit with code 2."""
    err_console.print(f"[bold red]error:[/] {escape(str(err))}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


def run_app(argv: list[str] | None = None) -> None:
    """Run the CLI; user errors exit 2 with one line, no traceback; Ctrl-C / SIGTERM exit 130 /
    143 with one line (see :mod:`mcmsched.interrupt`)."""
    from mcmsched import interrupt as _interrupt

    _interrupt.install()
    try:
        _run_app(argv)
    except BaseException:
        code = _interrupt.received()
        if code is None:
            raise
        # a signal came: whatever ended the command (the SystemExit of the handler, or another
        # exception where library code converted it), exit quietly with the signal's code
        sys.exit(code)


def _run_app(argv: list[str] | None) -> None:
    try:
        app(args=argv, standalone_mode=True)
    except MCMSchedError as err:  # raised outside a command body (e.g. callbacks)
        err_console.print(f"error: {err}", highlight=False, markup=False, soft_wrap=True)
        sys.exit(2)
    except OSError as err:  # a file-system problem no loader turned into an MCMSchedError
        name = getattr(err, "filename", None)
        where = f" ({excerpt(str(name), 80)})" if name else ""
        msg = one_line(f"{err.strerror or type(err).__name__}{where}")
        err_console.print(f"error: {msg}", highlight=False, markup=False, soft_wrap=True)
        sys.exit(2)


@app.command("version")
def version_cmd() -> None:
    """Print the mcmsched version."""
    from mcmsched import __version__

    console.print(__version__)
