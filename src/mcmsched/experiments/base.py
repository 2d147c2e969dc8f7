"""Shared machinery of the papers' experiments: result records, jobs with a progress bar, and a
cache of cost tables (one :class:`~mcmsched.cost.table.CostTable` per (scenario, package), reused
across strategies and objectives).

An experiment is a function ``run(ctx: RunContext) -> ExperimentResult``. It builds a list of
:class:`Job` s (one search each), runs them through :meth:`RunContext.run_jobs` (which shows a
rich progress bar when asked) and turns the rows into findings with
:mod:`mcmsched.experiments.findings`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from mcmsched.cost.table import CostTable
from mcmsched.hardware.package import Package
from mcmsched.schedule.validate import validate
from mcmsched.search.options import SearchOptions, SearchResult
from mcmsched.search.registry import get_strategy
from mcmsched.workload.scenario import Scenario

Row = dict[str, Any]


@dataclass(frozen=True)
class Finding:
    """One statement of the paper checked against our numbers.

    ``claim`` is the paper's statement, ``paper`` its number as text (or ``"-"`` for qualitative
    claims), ``ours`` our number as text, ``criterion`` how ``held`` is decided. ``held`` is
    ``None`` when the rows the finding needs were not run (e.g. in ``--quick`` mode). ``close``
    (numeric claims only) says whether our number is within ``tolerance`` (relative) of the
    paper's; ``None`` for qualitative claims."""

    key: str
    claim: str
    paper: str
    ours: str
    held: bool | None
    criterion: str
    close: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "claim": self.claim,
            "paper": self.paper,
            "ours": self.ours,
            "held": self.held,
            "close": self.close,
            "criterion": self.criterion,
        }


@dataclass
class ExperimentResult:
    """What an experiment returns: a table (``columns`` in order, ``rows`` of plain values), the
    findings, free-text notes, the configuration it ran with and its wall time (s)."""

    name: str
    title: str
    columns: list[str]
    rows: list[Row]
    findings: list[Finding]
    notes: list[str] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    wall_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "experiment": self.name,
            "title": self.title,
            "config": self.config,
            "columns": self.columns,
            "rows": self.rows,
            "summary": self.summary,
            "findings": [f.to_dict() for f in self.findings],
            "notes": self.notes,
            "wall_s": self.wall_s,
        }


@dataclass(frozen=True)
class Job:
    """One unit of work shown as one step of the progress bar; ``fn`` returns anything."""

    label: str
    fn: Callable[[], Any]


class CostTables:
    """One :class:`CostTable` per (scenario, package) pair, built on first use and reused."""

    def __init__(self) -> None:
        self._tables: dict[tuple[int, int], CostTable] = {}
        self._keep: list[object] = []

    def get(self, scenario: Scenario, package: Package) -> CostTable:
        key = (id(scenario), id(package))
        hit = self._tables.get(key)
        if hit is None:
            hit = CostTable(scenario, package)
            self._tables[key] = hit
            self._keep.extend((scenario, package))  # ids stay valid while cached
        return hit

    def __len__(self) -> int:
        return len(self._tables)


@dataclass
class RunContext:
    """How an experiment runs: ``quick`` (the reduced configuration each experiment documents),
    ``xrbench`` (directory of XRBench usage-scenario files, for ``scar-arvr``), ``progress``
    (show a rich progress bar over jobs), ``scenarios`` (optional subset of scenario names for
    the grid experiments), and the shared cost tables."""

    quick: bool = False
    xrbench: Path | None = None
    progress: bool = False
    scenarios: tuple[str, ...] | None = None
    validate: bool = True
    tables: CostTables = field(default_factory=CostTables)

    def run_jobs(self, title: str, jobs: Sequence[Job]) -> list[Any]:
        """Run ``jobs`` in order and return their results; with ``progress`` a rich bar counts
        them (labelled with the current job)."""
        if not self.progress:
            return [j.fn() for j in jobs]
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        out: list[Any] = []
        with Progress(
            TextColumn("[bold]{task.fields[title]}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            transient=False,
        ) as bar:
            task = bar.add_task("", total=len(jobs), title=title)
            for j in jobs:
                bar.update(task, description=j.label)
                out.append(j.fn())
                bar.advance(task)
            bar.update(task, description="done")
        return out


@dataclass(frozen=True)
class SearchRun:
    """A finished search with the wall time of the search alone (s)."""

    strategy: str
    scenario: Scenario
    package: Package
    objective: str
    result: SearchResult
    search_s: float


def run_search(
    ctx: RunContext,
    scenario: Scenario,
    package: Package,
    strategy: str,
    objective: str,
    options: SearchOptions,
) -> SearchRun:
    """Run ``strategy`` with the cached cost table of (scenario, package) and check the schedule
    with :func:`mcmsched.schedule.validate` (on the package the result names)."""
    costs = ctx.tables.get(scenario, package)
    t0 = time.perf_counter()
    res = get_strategy(strategy)(scenario, package, costs, objective, options)
    dt = time.perf_counter() - t0
    if ctx.validate:
        validate(res.schedule, scenario, res.package, options=options.eval_options)
    return SearchRun(strategy, scenario, package, objective, res, dt)


def search_job(
    ctx: RunContext,
    label: str,
    scenario: Scenario,
    package: Package,
    strategy: str,
    objective: str,
    options: SearchOptions,
) -> Job:
    """A :class:`Job` running :func:`run_search` with these arguments."""
    return Job(label, partial(run_search, ctx, scenario, package, strategy, objective, options))


def metric_row(run: SearchRun) -> Row:
    """The usual columns of one search: latency (s), energy (J), EDP (J·s), windows, time (s)."""
    m = run.result.metrics
    return {
        "latency_s": m.latency_s,
        "energy_j": m.energy_j,
        "edp_js": m.edp,
        "windows": len(run.result.schedule.windows),
        "search_s": round(run.search_s, 3),
    }


def out_path(out: Path, name: str, ext: str) -> Path:
    """``out / f"{name}.{ext}"``."""
    return out / f"{name}.{ext}"
