"""A grid of (scenario, strategy, objective) searches normalised to a reference strategy — the
shape shared by ``scar-datacenter`` and ``scar-arvr`` (SCAR Fig. 7 / Tables IV-V).

A :class:`StrategySpec` is a paper label (``"Het-Sides"``), a registry strategy (``"scar"``) and a
package; packages are built once per grid so that each (scenario, package) cost table is built
once and reused by every strategy and objective on that package (Standalone(Shi) and Simba(Shi)
share ``simba-3x3-shi``'s table).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from mcmsched.experiments.base import (
    Finding,
    Job,
    Row,
    RunContext,
    SearchRun,
    metric_row,
    search_job,
)
from mcmsched.experiments.findings import percent, reduction_pct
from mcmsched.hardware.package import Package
from mcmsched.hardware.presets import get_preset
from mcmsched.search.options import SearchOptions
from mcmsched.workload.scenario import Scenario


@dataclass(frozen=True)
class StrategySpec:
    """A paper strategy: its label, the registry strategy and the preset it runs on."""

    label: str
    strategy: str
    preset: str


#: SCAR's six 3x3 strategies (docs/REFERENCES.md#scar-evaluation-setup), Standalone(NVD) is the
#: normalisation reference.
SIX: tuple[StrategySpec, ...] = (
    StrategySpec("Standalone(Shi)", "standalone", "simba-3x3-shi"),
    StrategySpec("Standalone(NVD)", "standalone", "simba-3x3-nvd"),
    StrategySpec("Simba(Shi)", "simba", "simba-3x3-shi"),
    StrategySpec("Simba(NVD)", "simba", "simba-3x3-nvd"),
    StrategySpec("Het-CB", "scar", "het-cb"),
    StrategySpec("Het-Sides", "scar", "het-sides"),
)
REFERENCE = "Standalone(NVD)"
HEADLINE_BASELINES = ("Simba(Shi)", "Simba(NVD)")

GRID_COLUMNS = [
    "scenario",
    "objective",
    "strategy",
    "package",
    "latency_s",
    "energy_j",
    "edp_js",
    "norm_latency",
    "norm_energy",
    "norm_edp",
    "shi_busy_frac",
    "windows",
    "search_s",
]


def shi_busy_fraction(run: SearchRun) -> float:
    """Share of the schedule's chiplet busy time spent on ShiDianNao-like chiplets (0..1)."""
    m = run.result.metrics
    pkg = run.result.package
    total = sum(m.chiplet_busy_s)
    shi = sum(b for c, b in zip(pkg.chiplets, m.chiplet_busy_s, strict=True) if c.cls == "shi")
    return shi / total if total > 0 else 0.0


@dataclass
class Grid:
    """Results of a grid: ``runs[(scenario label, objective, strategy label)]``."""

    runs: dict[tuple[str, str, str], SearchRun]
    scenarios: list[str]
    objectives: list[str]
    strategies: list[str]

    def metric(self, sc: str, obj: str, strat: str, what: str) -> float | None:
        """``latency_s`` / ``energy_j`` / ``edp`` of a cell, or None if not run."""
        r = self.runs.get((sc, obj, strat))
        if r is None:
            return None
        value: float = getattr(r.result.metrics, what)
        return value

    def best(self, sc: str, obj: str, what: str = "edp") -> str | None:
        """The strategy label with the lowest ``what`` in a (scenario, objective) column (on a tie,
        the one listed first in ``strategies``)."""
        vals = [
            (v, i, s)
            for i, s in enumerate(self.strategies)
            if (v := self.metric(sc, obj, s, what)) is not None
        ]
        if not vals:
            return None
        return min(vals)[2]  # ties go to the strategy listed first

    def rows(self, reference: str = REFERENCE) -> list[Row]:
        out: list[Row] = []
        for sc in self.scenarios:
            for obj in self.objectives:
                ref = self.runs.get((sc, obj, reference))
                for st in self.strategies:
                    r = self.runs.get((sc, obj, st))
                    if r is None:
                        continue
                    m = r.result.metrics
                    row: Row = {
                        "scenario": sc,
                        "objective": obj,
                        "strategy": st,
                        "package": r.package.name,
                        **metric_row(r),
                        "shi_busy_frac": shi_busy_fraction(r),
                    }
                    if ref is not None:
                        rm = ref.result.metrics
                        row["norm_latency"] = m.latency_s / rm.latency_s
                        row["norm_energy"] = m.energy_j / rm.energy_j
                        row["norm_edp"] = m.edp / rm.edp
                    out.append(row)
        return out


def build_packages(specs: Sequence[StrategySpec], **overrides: Any) -> dict[str, Package]:
    """One package object per preset used by ``specs``."""
    out: dict[str, Package] = {}
    for s in specs:
        if s.preset not in out:
            out[s.preset] = get_preset(s.preset, **overrides)
    return out


def run_grid(
    ctx: RunContext,
    title: str,
    scenarios: Sequence[tuple[str, Scenario]],
    specs: Sequence[StrategySpec],
    objectives: Sequence[str],
    options: SearchOptions,
    packages: dict[str, Package],
    options_for: Callable[[StrategySpec, str], SearchOptions] | None = None,
) -> Grid:
    """Run every (scenario, strategy, objective) search as one job each."""
    jobs: list[Job] = []
    keys: list[tuple[str, str, str]] = []
    for label, sc in scenarios:
        for spec in specs:
            for obj in objectives:
                opts = options_for(spec, obj) if options_for is not None else options
                pkg = packages[spec.preset]
                keys.append((label, obj, spec.label))
                jobs.append(
                    search_job(
                        ctx, f"{label} {spec.label} {obj}", sc, pkg, spec.strategy, obj, opts
                    )
                )
    results = ctx.run_jobs(title, jobs)
    return Grid(
        dict(zip(keys, results, strict=True)),
        [lbl for lbl, _ in scenarios],
        list(objectives),
        [s.label for s in specs],
    )


def headline(
    grid: Grid,
    scenarios: Sequence[str],
    target: str = "Het-Sides",
    baselines: Sequence[str] = HEADLINE_BASELINES,
    objective: str = "edp",
) -> tuple[float | None, list[float]]:
    """Mean over ``scenarios`` and ``baselines`` of ``100 (1 - EDP(target)/EDP(B))`` (EDP search),
    and the individual terms; None if any term is missing."""
    terms: list[float] = []
    for sc in scenarios:
        for b in baselines:
            v = reduction_pct(
                grid.metric(sc, objective, target, "edp"), grid.metric(sc, objective, b, "edp")
            )
            if v is not None:
                terms.append(v)
    if not terms or len(terms) != len(scenarios) * len(baselines):
        return None, terms
    return sum(terms) / len(terms), terms


def headline_finding(
    grid: Grid, scenarios: Sequence[str], key: str, claim: str, paper_pct: float
) -> Finding:
    """The headline mean as a :func:`percent` finding."""
    mean, _ = headline(grid, scenarios)
    return percent(key, claim, paper_pct, mean)
