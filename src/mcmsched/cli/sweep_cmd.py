"""``mcmsched sweep plan|run|report``: design-space sweeps (see docs/SWEEPS.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from mcmsched.cli.app import app, console, fail, nonempty_path
from mcmsched.errors import MCMSchedError

sweep_app = typer.Typer(
    help="Design-space sweeps: many scheduler runs over packages, scenarios, strategies.",
    no_args_is_help=True,
)
app.add_typer(sweep_app, name="sweep")


def _duration(s: float) -> str:
    if s < 60:
        return f"{s:.1f} s"
    if s < 3600:
        return f"{s / 60:.1f} min"
    return f"{s / 3600:.2f} h"


@sweep_app.command("plan")
def plan_cmd(
    file: Annotated[Path, typer.Argument(help="Sweep YAML file.")],
    sample: Annotated[
        int,
        typer.Option(
            min=0, max=1000, help="Jobs to time in this process for the estimate (0: heuristic)."
        ),
    ] = 3,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1, max=100_000, help="Workers to estimate the wall time for (default: CPUs)."
        ),
    ] = None,
) -> None:
    """Print the number of jobs of a sweep and an estimate of its run time."""
    import os

    from mcmsched.explore.plan import estimate
    from mcmsched.explore.sweep_file import load_sweep

    try:
        sweep = load_sweep(file)
        est = estimate(sweep, sample=sample)
    except MCMSchedError as err:
        fail(err)
        return
    n_workers = workers or os.cpu_count() or 1
    console.print(
        f"sweep [bold]{escape(sweep.name)}[/]: [bold]{est.n_jobs}[/] jobs, {est.n_designs} designs"
    )
    t = Table("scenario", "jobs")
    for k, v in est.by_scenario.items():
        t.add_row(escape(k), str(v))
    console.print(t)
    console.print("strategies: " + ", ".join(f"{k} {v}" for k, v in est.by_strategy.items()))
    for job_id, label, secs in est.samples:
        console.print(f"  sampled {job_id} ({escape(label)}): {secs:.2f} s")
    console.print(
        f"estimate ({escape(est.method)}): {_duration(est.serial_s)} on 1 worker, "
        f"{_duration(est.wall_s(n_workers))} on {n_workers} workers"
    )
    if est.build_errors:
        console.print(f"[yellow]{len(est.build_errors)} job(s) will fail to build (error rows):[/]")
        for job_id, design, msg in est.build_errors[:10]:
            console.print(f"  {job_id} {escape(design)}: {escape(msg)}", soft_wrap=True)


@sweep_app.command("run")
def run_cmd(
    file: Annotated[Path, typer.Argument(help="Sweep YAML file.")],
    store: Annotated[
        Path,
        typer.Option(parser=nonempty_path, help="SQLite result store (created or resumed)."),
    ],
    workers: Annotated[
        int | None,
        typer.Option(
            min=0, max=4096, help="Local worker processes (default: CPUs; 0: run in this process)."
        ),
    ] = None,
    dask: Annotated[
        str | None,
        typer.Option(
            help="Run on Dask: 'local' (a LocalCluster) or tcp://HOST:PORT. Results from the "
            "scheduler are unpickled: use only a trusted cluster (docs/SWEEPS.md)."
        ),
    ] = None,
    batch: Annotated[
        int | None,
        typer.Option(min=1, max=100_000, help="Jobs per task (default: adaptive, ~1 s of work)."),
    ] = None,
    retry_errors: Annotated[
        bool, typer.Option("--retry-errors", help="Run again the jobs stored with an error.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
) -> None:
    """Run a sweep; results are committed to STORE as each job finishes. Running again on the
    same store skips finished jobs (resume)."""
    from mcmsched.explore.executors import check_dask_address, make_executor
    from mcmsched.explore.jobs import JobResult
    from mcmsched.explore.run import pending_jobs, run_sweep
    from mcmsched.explore.store import ResultStore
    from mcmsched.explore.sweep_file import load_sweep

    try:
        if dask:
            check_dask_address(dask)
        sweep = load_sweep(file)
        st = ResultStore(store)
    except MCMSchedError as err:
        fail(err)
        return
    try:
        todo = len(pending_jobs(sweep.jobs, st, retry_errors=retry_errors))
        console.print(
            f"sweep [bold]{escape(sweep.name)}[/]: {len(sweep)} jobs, "
            f"{len(sweep) - todo} already in {escape(str(store))}, {todo} to run"
        )
        if todo == 0:
            console.print("nothing to do")
            return
        with make_executor(workers, dask, batch_size=batch) as ex:
            console.print(f"executor: {escape(ex.describe())}")
            progress = Progress(
                TextColumn("[bold]sweep"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("errors {task.fields[errors]}"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=console,
                disable=quiet,
            )
            errors = 0

            def on_progress(r: JobResult, done: int, total: int) -> None:
                nonlocal errors
                errors += r.status != "ok"
                progress.update(task, completed=done, errors=errors)

            with progress:
                task = progress.add_task("sweep", total=todo, errors=0)
                summary = run_sweep(sweep, st, ex, retry_errors=retry_errors, progress=on_progress)
    except MCMSchedError as err:
        fail(err)
        return
    finally:
        st.close()
    console.print(
        f"ran {summary.ran} jobs in {_duration(summary.wall_s)} "
        f"({summary.jobs_per_s:.2f} jobs/s): {summary.ok} ok, {summary.errors} errors; "
        f"skipped {summary.skipped} finished"
    )
    if summary.error_rows:
        t = Table("job", "design", "error", title="errors")
        for job_id, design, msg in summary.error_rows[:20]:
            t.add_row(job_id, escape(design), escape(msg.splitlines()[0] if msg else ""))
        console.print(t)
        if len(summary.error_rows) > 20:
            console.print(f"... and {len(summary.error_rows) - 20} more (see the report)")


@sweep_app.command("report")
def report_cmd(
    store: Annotated[Path, typer.Argument(help="SQLite result store of a sweep.")],
    out: Annotated[Path, typer.Option(parser=nonempty_path, help="Output folder.")],
    x: Annotated[str | None, typer.Option(help="Heatmap x parameter (e.g. n_shi).")] = None,
    y: Annotated[str | None, typer.Option(help="Heatmap y parameter (e.g. arrangement).")] = None,
    metric: Annotated[
        str | None, typer.Option(help="Heatmap metric (default: the sweep's objective).")
    ] = None,
) -> None:
    """Write results.csv, pareto.png, heatmap.png and report.html for a result store."""
    from mcmsched.explore.report import write_report

    try:
        files = write_report(store, out, x=x, y=y, metric=metric)
    except MCMSchedError as err:
        fail(err)
        return
    console.print(f"{files.n_rows} rows -> {escape(str(files.csv))}")
    if files.corrupt_rows:
        console.print(
            f"[yellow]skipped {files.corrupt_rows} corrupt row(s) of the store "
            "(undecodable JSON or wrong types)[/]"
        )
    for p in (files.pareto_png, files.heatmap_png, files.html):
        if p is not None:
            console.print(f"wrote {escape(str(p))}")
    if files.heatmap_png is not None:
        console.print(f"heatmap: best {files.metric} over {files.x} x {files.y}")
