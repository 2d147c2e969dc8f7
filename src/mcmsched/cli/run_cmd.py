"""``mcmsched run SCENARIO --out DIR`` and ``mcmsched compare SCENARIO --packages A B C``.

Both check the whole scenario file (and every package) before searching, and search before
creating ``--out``: a mistake exits with code 2 and writes nothing. ``--json`` prints one JSON
document on stdout and nothing else (no tables, no progress bar).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable
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
from mcmsched.cli.tables import print_columns
from mcmsched.errors import MCMSchedError

#: Seconds a run must take before the progress bar appears.
PROGRESS_DELAY_S = 1.0
#: Seconds between two progress lines when stderr is not a terminal (a log file, CI, a pipe).
PROGRESS_INTERVAL_S = 5.0


class LazyProgress:
    """Progress on stderr; ``__call__(stage, done, total)`` is a run progress callback.

    On a terminal: a rich progress bar that appears only once the work has lasted ``delay_s``
    seconds. Elsewhere (stderr redirected to a file or a pipe): one plain line every
    ``interval_s`` seconds, ``progress: <stage> <done>/<total> (<elapsed> s)``, so a long run
    in a log or CI shows it is alive. ``clock`` gives seconds (tests pass a fake one)."""

    def __init__(
        self,
        out: Console,
        *,
        enabled: bool = True,
        delay_s: float = PROGRESS_DELAY_S,
        interval_s: float = PROGRESS_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.out = out
        self.enabled = enabled and out.is_terminal
        self.lines = enabled and not out.is_terminal
        self.delay_s = delay_s
        self.interval_s = interval_s
        self.clock = clock
        self._lock = threading.Lock()
        self._progress: Progress | None = None
        self._task: Any = None
        self._state: tuple[str, int, int] = ("starting", 0, 1)
        self._timer: threading.Timer | None = None
        self._done = False
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self._t0 = 0.0

    def __enter__(self) -> LazyProgress:
        self._t0 = self.clock()
        if self.enabled:
            self._timer = threading.Timer(self.delay_s, self._show)
            self._timer.daemon = True
            self._timer.start()
        elif self.lines:
            self._ticker = threading.Thread(target=self._tick, daemon=True)
            self._ticker.start()
        return self

    def line(self) -> str:
        """The progress line for the current state."""
        with self._lock:
            stage, done, total = self._state
        elapsed = self.clock() - self._t0
        return f"progress: {stage} {done}/{total} ({elapsed:.0f} s)"

    def _tick(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.out.print(self.line(), markup=False, highlight=False, soft_wrap=True)

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
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=1.0)
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
    return "-" if v is None else f"{v:.4g}"


def _print_run(res: Any, paths: dict[str, Path] | None) -> None:
    m = res.metrics
    cfg = res.config
    title = (
        f"{escape(res.name)} on {escape(res.package.name)} "
        f"({res.package.n_chiplets} chiplets, strategy {escape(cfg.strategy)}, "
        f"objective {escape(cfg.objective)})"
    )
    t = Table(title=title, box=box.SIMPLE_HEAVY, title_justify="left")
    t.add_column("metric", no_wrap=True)
    t.add_column("value", justify="right", overflow="fold")
    t.add_row("latency", _f(m.latency_s, " s"))
    t.add_row("throughput", _f(m.throughput_ips, " inferences/s"))
    t.add_row("energy", _f(m.energy_j, " J"))
    t.add_row(
        "  compute / NoP / DRAM",
        f"{_f(m.energy.compute_j)} / {_f(m.energy.nop_j)} / {_f(m.energy.dram_j)} J",
    )
    if m.energy.collective_j > 0:
        t.add_row("  of NoP: split collectives", _f(m.energy.collective_j, " J"))
    t.add_row("EDP", _f(m.edp, " J·s"))
    t.add_row("windows", str(len(m.window_latency_s)))
    frac = m.dram_bound_fraction
    if frac >= 0.5:
        t.add_row(
            "DRAM-bound",
            f"busiest DRAM interface busy {_f(sum(m.window_dram_bound_s), ' s')} "
            f"({frac:.0%} of the latency)",
        )
    util = "  ".join(
        f"C{c.id} {escape(res.package.chiplet_class(c.id).name)} {m.chiplet_utilisation[c.id]:.1%}"
        for c in res.package.chiplets
    )
    t.add_row("busy (utilisation)", util)
    console.print(t)
    console.print(escape(res.bound_line()), highlight=False)

    rows: list[list[str]] = []
    for i, e in enumerate(res.scenario.entries):
        target = e.latency_target_s
        ok = ""
        if target is not None:
            ok = " ok" if m.model_completion_s[i] <= target else " MISSED"
        rows.append(
            [
                escape(e.model.name),
                str(e.batch),
                str(len(e.model.layers)),
                _f(m.model_completion_s[i]),
                _f(m.model_energy[i].total_j),
                (_f(target) + ok) if target is not None else "-",
            ]
        )
    print_columns(
        console,
        "per model",
        ("model", "batch", "layers", "completion (s)", "energy (J)", "target (s)"),
        rows,
    )

    msg = res.targets_message()
    if msg is not None:
        tt = Table(title="targets", box=box.SIMPLE_HEAVY, title_justify="left")
        for col in ("model", "target", "limit (s)", "value (s)", "slack (s)", "met"):
            tt.add_column(col, justify="left" if col in ("model", "target") else "right")
        for row in res.targets_table().rows:
            tt.add_row(escape(str(row[0])), escape(str(row[1])), *(_f(x) for x in row[2:5]),
                       str(row[5]))  # fmt: skip
        console.print(tt)
        style = "green" if res.targets_met else "bold red"
        console.print(f"[{style}]targets:[/{style}] {escape(msg)}")
    serving = res.serving()
    if serving:
        st = Table(title="LLM serving", box=box.SIMPLE_HEAVY, title_justify="left")
        for col in ("decode phase", "batch", "steps", "TTFT (s)", "TPOT (s)", "tokens/s"):
            st.add_column(col, justify="left" if col == "decode phase" else "right")
        for sv in serving:
            st.add_row(
                escape(sv.model),
                str(sv.batch),
                str(sv.steps),
                _f(sv.ttft_s),
                _f(sv.tpot_s),
                _f(sv.tokens_per_s),
            )
        console.print(st)

    if res.baselines:
        rows = [[f"this ({escape(cfg.strategy)})", _f(m.latency_s), _f(m.energy_j), _f(m.edp)]]
        rows[0] += ["1", "1", "1"]
        for b in res.baselines.values():
            r = b.ratios(m)
            rows.append(
                [
                    escape(b.label),
                    _f(b.metrics.latency_s),
                    _f(b.metrics.energy_j),
                    _f(b.metrics.edp),
                    _r(r["latency"]),
                    _r(r["energy"]),
                    _r(r["edp"]),
                ]
            )
        print_columns(
            console,
            "vs baselines (ratio = this / baseline; < 1: this is better)",
            (
                "design",
                "lat. (s)",
                "energy (J)",
                "EDP (J·s)",
                "lat ratio",
                "energy ratio",
                "EDP ratio",
            ),
            rows,
        )
    for key, why in getattr(res, "skipped_baselines", {}).items():
        console.print(f"baseline {escape(key)} left out: {escape(why)}", highlight=False)
    _print_warnings(res.warnings())
    if paths:
        folder = next(iter(paths.values())).parent
        names = ", ".join(paths)
        console.print(f"wrote {escape(names)} to {escape(str(folder))}", highlight=False)


def _print_warnings(lines: list[str]) -> None:
    for w in dict.fromkeys(lines):
        console.print(f"[bold yellow]warning:[/] {escape(w)}", highlight=False)


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
    objective: Annotated[
        str | None,
        typer.Option(
            "--objective", help="Override the file's objective (latency, energy, edp...)."
        ),
    ] = None,
    strategy: Annotated[
        str | None,
        typer.Option("--strategy", help="Override the file's strategy (scar, simba, ...)."),
    ] = None,
    package: Annotated[
        str | None,
        typer.Option(
            "--package",
            help="Override the file's package: a preset name or a hardware YAML file "
            "(relative to the working directory).",
        ),
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Override the file's seed (>= 0).")
    ] = None,
    batch: Annotated[
        list[str] | None,
        typer.Option(
            "--batch",
            help="Override one model's batch: MODEL=N (repeatable; MODEL as the run table "
            "names it).",
        ),
    ] = None,
) -> None:
    """Search a schedule for a scenario file, compare it with the baselines, write the results."""
    from mcmsched.runner.config import load_scenario_file
    from mcmsched.runner.overrides import apply_overrides, parse_batches
    from mcmsched.runner.run import run

    try:
        _check_out(out)
        cfg = apply_overrides(
            load_scenario_file(scenario),
            strategy=strategy,
            objective=objective,
            package=package,
            seed=seed,
            batch=parse_batches(batch),
        )
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
    rows: list[list[str]] = []
    for label, r in zip(cmp.labels, cmp.results, strict=True):
        m = r.metrics
        rows.append(
            [
                escape(label),
                str(r.package.n_chiplets),
                _f(m.latency_s),
                _f(m.energy_j),
                _f(m.edp),
                _r(m.latency_s / base.latency_s if base.latency_s > 0 else None),
                _r(m.energy_j / base.energy_j if base.energy_j > 0 else None),
                _r(m.edp / base.edp if base.edp > 0 else None),
            ]
        )
    print_columns(
        console,
        f"{escape(cmp.config.name)}: ratio = package / {escape(cmp.baseline)} "
        "(< 1: the package is better)",
        (
            "package",
            "chiplets",
            "lat. (s)",
            "energy (J)",
            "EDP (J·s)",
            "lat ratio",
            "energy ratio",
            "EDP ratio",
        ),
        rows,
    )
    for label, r in zip(cmp.labels, cmp.results, strict=True):
        console.print(f"{escape(label)}: {escape(r.bound_line())}", highlight=False)
        _print_warnings([f"{label}: {w}" for w in r.warnings()])
    if paths:
        folder = next(iter(paths.values())).parent
        console.print(f"wrote {escape(', '.join(paths))} to {escape(str(folder))}", highlight=False)
