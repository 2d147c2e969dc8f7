"""Command-line interface (typer). Each submodule adds its commands to ``app``."""

from __future__ import annotations

from mcmsched import interrupt as _interrupt

if _interrupt.running_as_cli():  # before the heavy imports (also done by mcmsched/__init__)
    _interrupt.install()

from mcmsched.cli import (  # noqa: F401  (each module registers its commands)
    cost_cmd,
    hw_cmd,
    models_cmd,
    reproduce_cmd,
    run_cmd,
    sweep_cmd,
)
from mcmsched.cli.app import app, run_app


def main() -> None:
    """Entry point of the ``mcmsched`` console script."""
    run_app()


__all__ = ["app", "main"]
