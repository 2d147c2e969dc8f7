"""What :func:`mcmsched.runner.run.run` and :func:`~mcmsched.runner.run.compare` return.

:class:`Result`: the chosen schedule, its metrics, the package and scenario, the baselines, and
everything to look at it (tables, Gantt and energy figures, an HTML report, files on disk).
:class:`ComparisonResult`: one :class:`Result` per package plus the comparison table, normalised
bars and the Pareto plot of every explored schedule.
"""

from __future__ import annotations

import csv
import html
import json
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from mcmsched.cost.table import CostTable
from mcmsched.errors import MCMSchedError
from mcmsched.hardware.package import Package
from mcmsched.report import html as H
from mcmsched.report.compare import comparison_table, normalised_figure
from mcmsched.report.energy import energy_figure
from mcmsched.report.gantt import timeline_figure
from mcmsched.report.pareto import ParetoSeries, pareto_figure, pareto_front
from mcmsched.report.roofline import roofline_figure
from mcmsched.report.tables import (
    LAYER_COLUMNS,
    BaselineEntry,
    Cell,
    Table,
    baseline_table,
    chiplet_table,
    jsonable,
    layer_rows,
    layer_table,
    model_table,
    summary_table,
    window_table,
)
from mcmsched.runner.config import RunConfig
from mcmsched.safe_io import atomic_dir, csv_cell
from mcmsched.schedule.bounds import LowerBound, lower_bound
from mcmsched.schedule.metrics import Metrics, ServingMetrics, serving_metrics
from mcmsched.schedule.model import Schedule
from mcmsched.search.objective import Target, make_objective, scenario_targets
from mcmsched.search.options import SearchResult
from mcmsched.workload.scenario import Scenario

#: Files :meth:`Result.write` creates.
RUN_FILES = (
    "schedule.json",
    "metrics.json",
    "layers.csv",
    "timeline.png",
    "energy.png",
    "report.html",
)

#: Files :meth:`ComparisonResult.write` creates.
COMPARE_FILES = (
    "compare.md",
    "compare.csv",
    "compare.json",
    "normalised.png",
    "pareto.png",
    "compare.html",
)

PNG_DPI = 110


def _esc(text: str) -> str:
    import html

    return html.escape(text)


@dataclass(frozen=True)
class BaselineResult:
    """A baseline design: ``key`` (``monolithic``, ``homogeneous-<class>`` for each class of the
    package, built from that class as defined), a human label naming the class, the strategy
    used, the package it ran on and its metrics."""

    key: str
    label: str
    strategy: str
    package: Package
    metrics: Metrics

    def ratios(self, ours: Metrics) -> dict[str, float | None]:
        """Ours / baseline for latency, energy and EDP: the one ratio convention of every
        table (design / baseline; below 1: ours is better)."""

        def r(a: float, b: float) -> float | None:
            return a / b if b > 0 else None

        return {
            "latency": r(ours.latency_s, self.metrics.latency_s),
            "energy": r(ours.energy_j, self.metrics.energy_j),
            "edp": r(ours.edp, self.metrics.edp),
        }


def _save_png(fig: Figure, path: Path) -> None:
    fig.savefig(path, format="png", dpi=PNG_DPI)


def _model_summary(metrics: Metrics, scenario: Scenario) -> list[dict[str, Any]]:
    out = []
    for i, e in enumerate(scenario.entries):
        me = metrics.model_energy[i]
        out.append(
            {
                "name": e.model.name,
                "batch": e.batch,
                "layers": len(e.model.layers),
                "macs": e.model.macs * e.batch,
                "completion_s": metrics.model_completion_s[i],
                "energy_j": me.total_j,
                "compute_j": me.compute_j,
                "nop_j": me.nop_j,
                "dram_j": me.dram_j,
                "latency_target_s": e.latency_target_s,
                "target_met": (
                    None
                    if e.latency_target_s is None
                    else metrics.model_completion_s[i] <= e.latency_target_s
                ),
            }
        )
    return out


def _target_label(row: dict[str, Any]) -> str:
    if row["kind"] == "fps":
        return f"{row['fps']:g} fps (frame deadline)"
    if row["kind"] == "tpot":
        return "time per output token"
    return "latency"


@dataclass
class Result:
    """One run of a scenario file. ``search`` is the strategy's :class:`SearchResult`;
    ``costs`` the cost table it used; ``baselines`` by key (empty when disabled)."""

    config: RunConfig
    search: SearchResult
    costs: CostTable
    baselines: dict[str, BaselineResult] = field(default_factory=dict)
    #: Baselines that could not run, by key: why (e.g. a class that cannot hold a layer).
    skipped_baselines: dict[str, str] = field(default_factory=dict)

    # ---- the data ----------------------------------------------------------------------------
    @property
    def metrics(self) -> Metrics:
        """Latency (s), energy (J), EDP (J·s), throughput, per model / window / chiplet."""
        return self.search.metrics

    @property
    def schedule(self) -> Schedule:
        return self.search.schedule

    @property
    def package(self) -> Package:
        """The package the schedule runs on."""
        return self.search.package

    @property
    def scenario(self) -> Scenario:
        return self.config.scenario

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def candidates(self) -> list[tuple[float, float]]:
        """(latency s, energy J) of every whole schedule the search scored."""
        return list(self.search.candidates)

    @cached_property
    def lower_bound(self) -> LowerBound:
        """The certified lower bound on latency and energy of the scenario on the package
        (:func:`mcmsched.schedule.bounds.lower_bound`); with layers split across chiplets
        (the run's ``partition`` or ``simba_scheme: split-k`` options, or any split segment in
        the schedule) the bound that stays valid for split layers."""
        same = self.costs.package.name == self.package.name
        opts = self.config.options
        split = (
            opts.partition
            or opts.simba_scheme == "split-k"
            or any(s.is_split for w in self.schedule.windows for p in w.plans for s in p.segments)
        )
        return lower_bound(
            self.scenario, self.package, self.costs if same else None, allow_split=split
        )

    def bound_line(self) -> str:
        """``within X of the lower bound`` for this result."""
        return self.lower_bound.describe(self.metrics.latency_s, self.metrics.energy_j)

    def warnings(self) -> list[str]:
        """A line for every portfolio schedule or baseline that beats this result under the
        run's objective, targets included (none is expected: the search keeps the best it
        saw)."""
        obj = make_objective(self.config.objective, self.targets)
        ours = obj.score(self.metrics)
        tol = 1e-9 * abs(ours)
        out = [
            f"portfolio schedule '{e.name}' scores {e.score:.6g} < this result's {ours:.6g} "
            f"({obj.name})"
            for e in self.search.portfolio
            if not e.chosen and e.score < ours - tol
        ]
        for b in self.baselines.values():
            sc = obj.score(b.metrics)
            if sc < ours - tol:
                out.append(
                    f"baseline '{b.label}' on '{b.package.name}' scores {sc:.6g} < this "
                    f"result's {ours:.6g} ({obj.name})"
                )
        return out

    @cached_property
    def layers(self) -> list[dict[str, Cell]]:
        """One row per layer (columns :data:`mcmsched.report.tables.LAYER_COLUMNS`)."""
        return layer_rows(self.schedule, self.scenario, self.package, self.costs)

    # ---- targets and serving -----------------------------------------------------------------
    @cached_property
    def targets(self) -> tuple[Target, ...]:
        """The scenario's targets (latency, fps, tpot), which the search honours."""
        return scenario_targets(self.scenario)

    def target_rows(self) -> list[dict[str, Any]]:
        """Per target: model, kind, limit (s), measured value (s), slack (s, >= 0 when met),
        relative violation and whether it is met."""
        m = self.metrics
        rows = []
        for t in self.targets:
            value = t.value(m)
            slack = t.limit_s - value
            rows.append(
                {
                    "model": t.name,
                    "kind": t.kind,
                    "fps": t.fps,
                    "limit_s": t.limit_s,
                    "value_s": value,
                    "slack_s": slack,
                    "violation": max(0.0, -slack) / t.limit_s,
                    "met": slack >= 0,
                }
            )
        return rows

    @property
    def targets_met(self) -> bool | None:
        """True if every target is met, False if one is missed, None without targets."""
        rows = self.target_rows()
        return None if not rows else all(r["met"] for r in rows)

    def targets_message(self) -> str | None:
        """One sentence on the targets: all met (with the smallest slack), or which are missed
        and by how much (no schedule the search scored met them all)."""
        rows = self.target_rows()
        if not rows:
            return None
        missed = [r for r in rows if not r["met"]]
        if not missed:
            tight = min(rows, key=lambda r: r["slack_s"])
            return (
                f"all {len(rows)} target(s) met; smallest slack {tight['slack_s']:.4g} s "
                f"({tight['model']} {_target_label(tight)})"
            )
        parts = [
            f"{r['model']} {_target_label(r)}: {r['value_s']:.4g} s > {r['limit_s']:.4g} s "
            f"(missed by {-r['slack_s']:.4g} s, {100 * r['violation']:.1f}%)"
            for r in missed
        ]
        if self.config.objective == "real-time":
            frac = make_objective("real-time", self.targets).met_fraction(self.metrics)
            why = (
                f"The schedule shown meets the most frames ({100 * frac:.1f}% of them), then "
                "uses the least energy."
            )
        else:
            why = "The schedule shown has the least total relative violation."
        return (
            f"no schedule found meets every target; {len(missed)} of {len(rows)} missed: "
            + "; ".join(parts)
            + ". "
            + why
        )

    def serving(self) -> list[ServingMetrics]:
        """TTFT, TPOT and tokens/s of every decode phase (see
        :class:`mcmsched.schedule.metrics.ServingMetrics`)."""
        return serving_metrics(self.metrics, self.scenario)

    def targets_table(self) -> Table:
        rows: list[tuple[Cell, ...]] = [
            (
                r["model"],
                _target_label(r),
                r["limit_s"],
                r["value_s"],
                r["slack_s"],
                "yes" if r["met"] else "MISSED",
            )
            for r in self.target_rows()
        ]
        return Table(
            "targets",
            "Targets (the search minimises the objective among schedules meeting them)",
            ("model", "target", "limit (s)", "value (s)", "slack (s)", "met"),
            tuple(rows),
        )

    def serving_table(self) -> Table:
        rows: list[tuple[Cell, ...]] = [
            (
                sv.model,
                sv.prefill,
                sv.batch,
                sv.steps,
                sv.cache_len,
                sv.ttft_s,
                sv.tpot_s,
                sv.e2e_s,
                sv.tokens,
                sv.tokens_per_s,
                sv.decode_tokens_per_s,
            )
            for sv in self.serving()
        ]
        return Table(
            "serving",
            "LLM serving (per decode phase)",
            (
                "decode phase",
                "prefill",
                "batch",
                "steps",
                "cache at step 0",
                "TTFT (s)",
                "TPOT (s)",
                "request latency (s)",
                "output tokens",
                "tokens/s",
                "decode tokens/s",
            ),
            tuple(rows),
        )

    # ---- tables ------------------------------------------------------------------------------
    def summary_table(self) -> Table:
        return summary_table(self.metrics, self.scenario, self.package, self.config.strategy)

    def baseline_table(self) -> Table:
        entries = [
            BaselineEntry(b.key, b.label, b.package.name, b.metrics)
            for b in self.baselines.values()
        ]
        return baseline_table(self.metrics, f"this schedule ({self.config.strategy})", entries)

    def model_table(self) -> Table:
        return model_table(self.metrics, self.scenario)

    def chiplet_table(self) -> Table:
        return chiplet_table(self.metrics, self.package)

    def window_table(self) -> Table:
        return window_table(self.metrics, self.schedule, self.scenario)

    def layer_table(self) -> Table:
        return layer_table(self.layers)

    # ---- figures -----------------------------------------------------------------------------
    def timeline_figure(self) -> Figure:
        """Gantt chart: one row per chiplet, bars coloured by model, windows shaded."""
        return timeline_figure(self.metrics, self.scenario, self.package, schedule=self.schedule)

    def energy_figure(self) -> Figure:
        """Energy by component (compute / NoP / DRAM) and by model."""
        return energy_figure(self.metrics, self.scenario)

    def roofline_figure(self) -> Figure:
        """Per chiplet class: each placed layer's cycles against its roofline bound."""
        return roofline_figure(self.layers, title=f"{self.name}: layers against the roofline")

    def pareto_figure(self) -> Figure:
        """The explored (latency, energy) points with the chosen schedule highlighted."""
        m = self.metrics
        return pareto_figure(
            [ParetoSeries(self.package.name, tuple(self.candidates), (m.latency_s, m.energy_j))],
            title=f"{self.name}: explored schedules",
        )

    # ---- machine-readable --------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Everything of ``metrics.json``: the run's settings, metrics, per-model summary,
        baselines with ratios, and search statistics."""
        m = self.metrics
        out: dict[str, Any] = jsonable(
            {
                "scenario": self.name,
                "source": self.config.source,
                "package": self.package.name,
                "package_spec": self.config.package_label,
                "n_chiplets": self.package.n_chiplets,
                "strategy": self.config.strategy,
                "objective": self.config.objective,
                "seed": self.config.options.seed,
                "latency_s": m.latency_s,
                "throughput_ips": m.throughput_ips,
                "energy_j": m.energy_j,
                "edp": m.edp,
                "energy_breakdown": {
                    "compute_j": m.energy.compute_j,
                    "nop_j": m.energy.nop_j,
                    "dram_j": m.energy.dram_j,
                },
                "models": _model_summary(m, self.scenario),
                "targets": self.target_rows(),
                "targets_met": self.targets_met,
                "targets_message": self.targets_message(),
                "serving": [asdict(sv) for sv in self.serving()],
                "baselines": {
                    k: {
                        "label": b.label,
                        "strategy": b.strategy,
                        "package": b.package.name,
                        "latency_s": b.metrics.latency_s,
                        "energy_j": b.metrics.energy_j,
                        "edp": b.metrics.edp,
                        "throughput_ips": b.metrics.throughput_ips,
                        "ratio": b.ratios(m),
                    }
                    for k, b in self.baselines.items()
                },
                "lower_bound": self.lower_bound.to_dict(m.latency_s, m.energy_j),
                "portfolio": [
                    {
                        "name": e.name,
                        "latency_s": e.latency_s,
                        "energy_j": e.energy_j,
                        "score": e.score,
                        "chosen": e.chosen,
                    }
                    for e in self.search.portfolio
                ],
                "warnings": self.warnings(),
                "skipped_baselines": dict(self.skipped_baselines),
                "search": {
                    "evaluations": self.search.stats.evaluations,
                    "wall_s": self.search.stats.wall_s,
                    "windows_solved": self.search.stats.windows_solved,
                    "candidates": len(self.search.candidates),
                },
                "metrics": m.to_dict(),
            }
        )
        return out

    # ---- HTML --------------------------------------------------------------------------------
    def to_html(self) -> str:
        """A self-contained HTML report (tables + inline SVG figures; no network, no scripts)."""
        m = self.metrics
        src = self.config.source or "(dict)"
        subtitle = (
            f"{src} · package {self.package.name} ({self.package.n_chiplets} chiplets) · "
            f"strategy {self.config.strategy} · objective {self.config.objective} · "
            f"seed {self.config.options.seed}"
        )
        results: list[H.Block] = [self.summary_table()]
        results.append(f'<p class="bound">{_esc(self.bound_line())}.</p>')
        for w in self.warnings():
            results.append(f'<p class="warning"><strong>Warning:</strong> {_esc(w)}</p>')
        msg = self.targets_message()
        if msg is not None:
            cls, color = ("ok", "#276749") if self.targets_met else ("missed", "#c53030")
            results.append(
                f'<p class="targets {cls}" style="color:{color}"><b>Targets:</b> '
                f"{html.escape(msg)}</p>"
            )
            results.append(self.targets_table())
        if self.serving():
            results.append(self.serving_table())
        if self.baselines:
            results.append(self.baseline_table())
        sections: list[tuple[str, list[H.Block]]] = [
            ("Results", results),
            (
                "Timeline",
                [
                    H.FigureBlock(
                        "gantt",
                        "One row per chiplet, labelled with its utilisation; bars coloured by "
                        "model (solid: first mini-batch; steady state: dashed span filled to the "
                        "share of it the chiplet is busy); shaded bands are the windows "
                        "(barriers).",
                        self.timeline_figure(),
                    ),
                    self.window_table(),
                ],
            ),
            (
                "Energy",
                [
                    H.FigureBlock(
                        "energy",
                        f"Total {m.energy_j:.4g} J by component and by model.",
                        self.energy_figure(),
                    ),
                ],
            ),
            ("Models and chiplets", [self.model_table(), self.chiplet_table()]),
            (
                "Roofline",
                [
                    H.FigureBlock(
                        "roofline",
                        "Per chiplet class, each layer's cycles (per mini-batch run) against its "
                        "roofline lower bound max(MACs / PEs, traffic / NoC or memory "
                        "bandwidth); colour: the bound that holds (docs/COST_MODEL.md).",
                        self.roofline_figure(),
                    )
                ],
            ),
        ]
        if len(self.candidates) > 1:
            sections.append(
                (
                    "Explored schedules",
                    [
                        H.FigureBlock(
                            "pareto",
                            f"{len(self.candidates)} whole schedules scored by the search; "
                            "the star is the chosen one.",
                            self.pareto_figure(),
                        )
                    ],
                )
            )
        sections.append(
            (
                "Layers",
                [H.collapsible(f"{len(self.layers)} layers (click to open)", self.layer_table())],
            )
        )
        return H.page(f"mcmsched report: {self.name}", subtitle, sections)

    # ---- files -------------------------------------------------------------------------------
    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write :data:`RUN_FILES` into ``out_dir`` (created if needed); returns name -> path."""
        out = Path(out_dir)
        with atomic_dir(out) as tmp:
            self._write_files(tmp)
        return {name: out / name for name in RUN_FILES}

    def _write_files(self, out: Path) -> None:
        try:
            paths = {name: out / name for name in RUN_FILES}
            paths["schedule.json"].write_text(self.schedule.to_json() + "\n", encoding="utf-8")
            paths["metrics.json"].write_text(
                json.dumps(self.to_dict(), indent=1, allow_nan=False) + "\n", encoding="utf-8"
            )
            with open(paths["layers.csv"], "w", newline="", encoding="utf-8") as f:
                w = csv.DictWriter(f, fieldnames=list(LAYER_COLUMNS), lineterminator="\n")
                w.writeheader()
                for row in self.layers:
                    w.writerow({k: ("" if v is None else csv_cell(v)) for k, v in row.items()})
            _save_png(self.timeline_figure(), paths["timeline.png"])
            _save_png(self.energy_figure(), paths["energy.png"])
            paths["report.html"].write_text(self.to_html(), encoding="utf-8")
        except OSError as err:
            raise MCMSchedError(f"cannot write results: {err}", file=str(out)) from None


@dataclass
class ComparisonResult:
    """One :class:`Result` per compared package (``labels`` in order) and the ``baseline``
    label the normalised figures refer to."""

    config: RunConfig
    labels: tuple[str, ...]
    results: tuple[Result, ...]
    baseline: str

    def __getitem__(self, label: str) -> Result:
        return self.results[self.labels.index(label)]

    def table(self) -> Table:
        return comparison_table(
            self.labels,
            [r.metrics for r in self.results],
            self.baseline,
            [r.package.n_chiplets for r in self.results],
            [len(r.schedule.windows) for r in self.results],
        )

    def normalised_figure(self) -> Figure:
        """Latency, energy and EDP of each package divided by the baseline's."""
        return normalised_figure(self.labels, [r.metrics for r in self.results], self.baseline)

    def pareto_figure(self) -> Figure:
        """Every candidate schedule explored on every package, each package's choice starred."""
        series = [
            ParetoSeries(
                label,
                tuple(r.candidates),
                (r.metrics.latency_s, r.metrics.energy_j),
            )
            for label, r in zip(self.labels, self.results, strict=True)
        ]
        return pareto_figure(series, title=f"{self.config.name}: latency vs energy, all packages")

    def to_dict(self) -> dict[str, Any]:
        b = self[self.baseline].metrics
        out: dict[str, Any] = jsonable(
            {
                "scenario": self.config.name,
                "baseline": self.baseline,
                "strategy": self.config.strategy,
                "objective": self.config.objective,
                "packages": [
                    {
                        "label": label,
                        "package": r.package.name,
                        "n_chiplets": r.package.n_chiplets,
                        "latency_s": r.metrics.latency_s,
                        "throughput_ips": r.metrics.throughput_ips,
                        "energy_j": r.metrics.energy_j,
                        "edp": r.metrics.edp,
                        "normalised": {
                            "latency": r.metrics.latency_s / b.latency_s,
                            "energy": r.metrics.energy_j / b.energy_j,
                            "edp": r.metrics.edp / b.edp,
                        },
                        "lower_bound": r.lower_bound.to_dict(
                            r.metrics.latency_s, r.metrics.energy_j
                        ),
                        "warnings": r.warnings(),
                        "candidates": [list(p) for p in r.candidates],
                        "pareto_front": [list(p) for p in pareto_front(r.candidates)],
                    }
                    for label, r in zip(self.labels, self.results, strict=True)
                ],
            }
        )
        return out

    def to_html(self) -> str:
        subtitle = (
            f"{self.config.source or '(dict)'} · strategy {self.config.strategy} · objective "
            f"{self.config.objective} · baseline {self.baseline}"
        )
        bounds: list[H.Block] = [
            f'<p class="bound">{_esc(label)}: {_esc(r.bound_line())}.</p>'
            for label, r in zip(self.labels, self.results, strict=True)
        ]
        bounds += [
            f'<p class="warning"><strong>Warning:</strong> {_esc(label)}: {_esc(w)}</p>'
            for label, r in zip(self.labels, self.results, strict=True)
            for w in r.warnings()
        ]
        sections: list[tuple[str, list[H.Block]]] = [
            ("Comparison", [self.table(), *bounds]),
            (
                "Normalised",
                [
                    H.FigureBlock(
                        "normalised",
                        f"Latency, energy and EDP divided by {self.baseline}'s (design / "
                        "baseline; lower is better).",
                        self.normalised_figure(),
                    )
                ],
            ),
            (
                "Pareto",
                [
                    H.FigureBlock(
                        "pareto",
                        "Every whole schedule the searches scored (dots), each package's Pareto "
                        "front (line) and chosen schedule (star).",
                        self.pareto_figure(),
                    )
                ],
            ),
        ]
        for label, r in zip(self.labels, self.results, strict=True):
            sections.append(
                (
                    f"Timeline on {label}",
                    [
                        H.FigureBlock(
                            f"gantt-{label}",
                            f"{r.package.name}: one row per chiplet, bars coloured by model.",
                            r.timeline_figure(),
                        )
                    ],
                )
            )
        return H.page(f"mcmsched comparison: {self.config.name}", subtitle, sections)

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write :data:`COMPARE_FILES` into ``out_dir``; returns name -> path."""
        out = Path(out_dir)
        with atomic_dir(out) as tmp:
            self._write_files(tmp)
        return {name: out / name for name in COMPARE_FILES}

    def _write_files(self, out: Path) -> None:
        try:
            paths = {name: out / name for name in COMPARE_FILES}
            t = self.table()
            paths["compare.md"].write_text(t.to_markdown(), encoding="utf-8")
            paths["compare.csv"].write_text(t.to_csv(), encoding="utf-8")
            paths["compare.json"].write_text(
                json.dumps(self.to_dict(), indent=1, allow_nan=False) + "\n", encoding="utf-8"
            )
            _save_png(self.normalised_figure(), paths["normalised.png"])
            _save_png(self.pareto_figure(), paths["pareto.png"])
            paths["compare.html"].write_text(self.to_html(), encoding="utf-8")
        except OSError as err:
            raise MCMSchedError(f"cannot write results: {err}", file=str(out)) from None
