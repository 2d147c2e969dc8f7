"""Command-line interface (typer). Each submodule adds its commands to ``app``."""

from __future__ import annotations

from mcmsched.cli import cost_cmd, hw_cmd, models_cmd  # noqa: F401  (register commands)
from mcmsched.cli.app import app, run_app


def main() -> None:
    """Entry point of the ``mcmsched`` console script."""
    run_app()


__all__ = ["app", "main"]
