"""``mcmsched reproduce NAME``: run one of the papers' experiments and write its tables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from mcmsched.cli.app import app, console, fail, nonempty_path
from mcmsched.errors import MCMSchedError


def _names() -> str:
    from mcmsched.experiments.registry import list_experiments

    return ", ".join(n for n, _ in list_experiments())


@app.command("reproduce")
def reproduce_cmd(
    name: Annotated[
        str,
        typer.Argument(
            help="experiment: paper1, scar-motivation, scar-datacenter, scar-arvr, scar-6x6, "
            "scar-ablations, or 'list'"
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", parser=nonempty_path, help="directory for <name>.md/.csv/.json"
        ),
    ] = Path("results"),
    quick: Annotated[
        bool, typer.Option("--quick", help="reduced configuration (CI); see docs/EXPERIMENTS.md")
    ] = False,
    xrbench: Annotated[
        Path | None,
        typer.Option(
            "--xrbench",
            help="directory of XRBench usage-scenario .m files (scar-arvr), e.g. "
            "tests/data/reference/xrbench/usage_scenarios",
        ),
    ] = None,
    scenarios: Annotated[
        str | None,
        typer.Option(
            "--scenarios",
            help="comma-separated subset of scenarios for the grid experiments "
            "(e.g. scar-sc1,scar-sc4 or sc6,sc9)",
        ),
    ] = None,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="show a progress bar over jobs")
    ] = True,
) -> None:
    """Run a paper experiment, print its table and findings (held / not held), and write
    Markdown, CSV and JSON to --out."""
    from mcmsched.experiments.base import RunContext
    from mcmsched.experiments.registry import get_experiment, list_experiments
    from mcmsched.experiments.writer import print_result, write_result

    try:
        if name.strip().lower() == "list":
            for n, d in list_experiments():
                console.print(f"{escape(n):18} {escape(d)}")
            return
        runner = get_experiment(name)
        if scenarios and name.strip().lower() not in ("scar-datacenter", "scar-arvr"):
            raise MCMSchedError(
                "--scenarios applies to scar-datacenter and scar-arvr only", field="scenarios"
            )
        subset = (
            tuple(s.strip().lower() for s in scenarios.split(",") if s.strip())
            if scenarios
            else None
        )
        ctx = RunContext(quick=quick, xrbench=xrbench, progress=progress, scenarios=subset)
        res = runner(ctx)
        print_result(res, console)
        paths = write_result(res, out)
        console.print("wrote " + ", ".join(escape(str(p)) for p in paths))
    except MCMSchedError as err:
        fail(err)
