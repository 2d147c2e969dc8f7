"""``mcmsched run SCENARIO --out DIR`` and ``mcmsched compare SCENARIO --packages A B C``.

Both check the whole scenario file (and every package) before searching, and search before
creating ``--out``: a mistake exits with code 2 and writes nothing. ``--json`` prints one JSON
document on stdout and nothing else (no tables, no progress bar).
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from types import TracebackType
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from mcmsched.cli.app import app, console, err_console, fail, nonempty_path
from mcmsched.errors import MCMSchedError

#: Seconds a run must take before the progress bar appears.
PROGRESS_DELAY_S = 1.0


class LazyProgress:
    """A rich progress bar on stderr that appears only once the work has lasted
    ``delay_s`` seconds; ``__call__(stage, done, total)`` is a run progress callback."""

    def __init__(self, out: Console, *, enabled: bool = True, delay_s: float = PROGRESS_DELAY_S):
        self.out = out
        self.enabled = enabled and out.is_terminal
        self.delay_s = delay_s
        self._lock = threading.Lock()
        self._progress: Progress | None = None
        self._task: Any = None
        self._state: tuple[str, int, int] = ("starting", 0, 1)
        self._timer: threading.Timer | None = None
        self._done = False

    def __enter__(self) -> LazyProgress:
        if self.enabled:
            self._timer = threading.Timer(self.delay_s, self._show)
            self._timer.daemon = True
            self._timer.start()
        return self

    def _show(self) -> None:
        with self._lock:
            if self._done:
                return
            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=self.out,
                transient=True,
            )
            stage, done, total = self._state
            self._task = self._progress.add_task(stage, total=total, completed=done)
            self._progress.start()

    def __call__(self, stage: str, done: int, total: int) -> None:
        with self._lock:
            self._state = (stage, done, total)
            if self._progress is not None:
                self._progress.update(self._task, description=stage, completed=done, total=total)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            self._done = True
            if self._progress is not None:
                self._progress.stop()


def _check_out(out: Path | None) -> None:
    if out is not None and out.exists() and not out.is_dir():
        raise MCMSchedError("exists and is not a directory", file=str(out), field="--out")


def _f(v: float | None, unit: str = "") -> str:
    if v is None:
        return "-"
    if v == 0:
        return "0" + unit
    a = abs(v)
    text = f"{v:.3e}" if (a >= 1e5 or a < 1e-3) else f"{v:.4g}"
    return text + unit


def _r(v: float | None) -> str:
    return "-" if v is None else f"{v:.3g}"


def _print_run(res: Any, paths: dict[str, Path] | None) -> None:
    m = res.metrics
    cfg = res.config
    title = (
        f"{escape(res.name)} on {escape(res.package.name)} "
        f"({res.package.n_chiplets} chiplets, strategy {escape(cfg.strategy)}, "
        f"objective {escape(cfg.objective)})"
    )
    t = Table(title=title, box=box.SIMPLE_HEAVY, title_justify="left")
    t.add_column("metric")
    t.add_column("value", justify="right")
    t.add_row("latency", _f(m.latency_s, " s"))
    t.add_row("throughput", _f(m.throughput_ips, " inferences/s"))
    t.add_row("energy", _f(m.energy_j, " J"))
    t.add_row(
        "  compute / NoP / DRAM",
        f"{_f(m.energy.compute_j)} / {_f(m.energy.nop_j)} / {_f(m.energy.dram_j)} J",
    )
    t.add_row("EDP", _f(m.edp, " J·s"))
    t.add_row("windows", str(len(m.window_latency_s)))
    util = "  ".join(
        f"C{c.id} {escape(res.package.chiplet_class(c.id).name)} {m.chiplet_utilisation[c.id]:.0%}"
        for c in res.package.chiplets
    )
    t.add_row("utilisation", util)
    console.print(t)

    mt = Table(title="per model", box=box.SIMPLE_HEAVY, title_justify="left")
    for col, just in (
        ("model", "left"),
        ("batch", "right"),
        ("layers", "right"),
        ("completion (s)", "right"),
        ("energy (J)", "right"),
        ("target (s)", "right"),
    ):
        mt.add_column(col, justify=just)  # type: ignore[arg-type]
    for i, e in enumerate(res.scenario.entries):
        target = e.latency_target_s
        ok = ""
        if target is not None:
            ok = " ok" if m.model_completion_s[i] <= target else " MISSED"
        mt.add_row(
            escape(e.model.name),
            str(e.batch),
            str(len(e.model.layers)),
            _f(m.model_completion_s[i]),
            _f(m.model_energy[i].total_j),
            (_f(target) + ok) if target is not None else "-",
        )
    console.print(mt)

    if res.baselines:
        bt = Table(
            title="vs baselines (× = baseline / this; > 1: this is better)",
            box=box.SIMPLE_HEAVY,
            title_justify="left",
            pad_edge=False,
        )
        for col, just in (
            ("design", "left"),
            ("lat. (s)", "right"),
            ("energy (J)", "right"),
            ("EDP (J·s)", "right"),
            ("lat ×", "right"),
            ("energy ×", "right"),
            ("EDP ×", "right"),
        ):
            bt.add_column(col, justify=just, no_wrap=True)  # type: ignore[arg-type]
        bt.add_row(
            f"this ({escape(cfg.strategy)})",
            _f(m.latency_s),
            _f(m.energy_j),
            _f(m.edp),
            "1",
            "1",
            "1",
        )
        for b in res.baselines.values():
            r = b.ratios(m)
            bt.add_row(
                escape(b.label),
                _f(b.metrics.latency_s),
                _f(b.metrics.energy_j),
                _f(b.metrics.edp),
                _r(r["latency"]),
                _r(r["energy"]),
                _r(r["edp"]),
            )
        console.print(bt)
    if paths:
        folder = next(iter(paths.values())).parent
        names = ", ".join(paths)
        console.print(f"wrote {escape(names)} to {escape(str(folder))}", highlight=False)


def _emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=1, allow_nan=False) + "\n")
    sys.stdout.flush()


@app.command("run")
def run_cmd(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (YAML).")],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            parser=nonempty_path,
            help="Folder for schedule.json, metrics.json, layers.csv, timeline.png, energy.png "
            "and report.html (created; nothing is written if the scenario has a mistake).",
        ),
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print machine-readable JSON only (metrics.json).")
    ] = False,
    no_baselines: Annotated[
        bool, typer.Option("--no-baselines", help="Skip the monolithic and homogeneous baselines.")
    ] = False,
) -> None:
    """Search a schedule for a scenario file, compare it with the baselines, write the results."""
    from mcmsched.runner.config import load_scenario_file
    from mcmsched.runner.run import run

    try:
        _check_out(out)
        cfg = load_scenario_file(scenario)
        with LazyProgress(err_console, enabled=not json_out) as progress:
            res = run(cfg, baselines=False if no_baselines else None, progress=progress)
        paths = res.write(out) if out is not None else None
    except MCMSchedError as err:
        fail(err)
    if json_out:
        data = res.to_dict()
        data.pop("metrics")  # the full metrics (with the timeline) are in metrics.json
        data["files"] = {k: str(v) for k, v in (paths or {}).items()}
        _emit_json(data)
        return
    _print_run(res, paths)


@app.command("compare")
def compare_cmd(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (YAML).")],
    more: Annotated[
        list[str] | None,
        typer.Argument(help="More packages (so that --packages A B C works).", hidden=True),
    ] = None,
    packages: Annotated[
        list[str] | None,
        typer.Option(
            "--packages",
            "-p",
            help="Packages to compare: preset names or hardware YAML files "
            "(--packages A B C, or repeat the option; default: the file's compare.packages).",
        ),
    ] = None,
    baseline: Annotated[
        str | None,
        typer.Option(
            "--baseline", "-b", help="Package the bars are normalised to (default: first)."
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            parser=nonempty_path,
            help="Folder for compare.md/.csv/.json, normalised.png, pareto.png, compare.html.",
        ),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON only.")] = False,
) -> None:
    """Run a scenario on several packages: comparison table, normalised bars, Pareto plot."""
    from mcmsched.runner.config import load_scenario_file
    from mcmsched.runner.run import compare

    specs: list[str] = []
    for p in [*(packages or []), *(more or [])]:
        specs.extend(x for x in p.split(",") if x.strip())
    try:
        if more and not packages:
            raise MCMSchedError(
                f"unexpected arguments {' '.join(more)} (packages go after --packages)"
            )
        _check_out(out)
        cfg = load_scenario_file(scenario)
        with LazyProgress(err_console, enabled=not json_out) as progress:
            cmp = compare(
                cfg, [s.strip() for s in specs] or None, baseline=baseline, progress=progress
            )
        paths = cmp.write(out) if out is not None else None
    except MCMSchedError as err:
        fail(err)
    if json_out:
        data = cmp.to_dict()
        for pk in data["packages"]:
            pk.pop("candidates")
        data["files"] = {k: str(v) for k, v in (paths or {}).items()}
        _emit_json(data)
        return
    base = cmp[cmp.baseline].metrics
    t = Table(
        title=f"{escape(cmp.config.name)}: normalised to {escape(cmp.baseline)} (< 1 is better)",
        box=box.SIMPLE_HEAVY,
        title_justify="left",
        pad_edge=False,
    )
    for i, h in enumerate(
        ("package", "chiplets", "lat. (s)", "energy (J)", "EDP (J·s)", "lat", "energy", "EDP")
    ):
        t.add_column(h, justify="left" if i == 0 else "right", no_wrap=i == 0)
    for label, r in zip(cmp.labels, cmp.results, strict=True):
        m = r.metrics
        t.add_row(
            escape(label),
            str(r.package.n_chiplets),
            _f(m.latency_s),
            _f(m.energy_j),
            _f(m.edp),
            _r(m.latency_s / base.latency_s if base.latency_s > 0 else None),
            _r(m.energy_j / base.energy_j if base.energy_j > 0 else None),
            _r(m.edp / base.edp if base.edp > 0 else None),
        )
    console.print(t)
    if paths:
        folder = next(iter(paths.values())).parent
        console.print(f"wrote {escape(', '.join(paths))} to {escape(str(folder))}", highlight=False)
