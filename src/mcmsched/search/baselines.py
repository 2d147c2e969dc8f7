"""Baseline strategies (docs/REFERENCES.md#scar-baselines).

- ``standalone``: SCAR's engines with N_m = 1 for every model in every window (each model on one
  chiplet per window). Runs on any package; the papers use homogeneous ones.
- ``simba``: Simba-like pipelining = SCAR's normal PROV/SEG/SCHED on a *homogeneous* package; a
  heterogeneous package is an error (use ``scar`` there). With ``simba_scheme="split-k"``:
  Simba's own scheme, every layer split along K across all chiplets of the package (ring
  order, at most the layers' largest K extent), the models one after another (one window each).
- ``scar`` and ``simba`` (pipeline) then run the partition step
  (:mod:`mcmsched.search.partition`) when ``options.partition`` is on.
- ``monolithic``: one big accelerator with the package's total PEs and L2 (output-stationary by
  default, :func:`mcmsched.hardware.presets.monolithic_like`); the models run one after another
  (one window per model, the whole model as one segment), b' by the evaluation rule.
- ``nn-baton``: NN-Baton-like single-model scheduling: one model at a time, in scenario order,
  starting on chiplet ``options.start_chiplet`` (default 0); a model is split across chiplets only
  when its weights exceed one chiplet's L2 (greedy: a segment grows while its weights fit), the
  segments following the first DFS path from that chiplet; the package's dataflows as they are.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from mcmsched.cost.split import split_extent
from mcmsched.cost.table import CostTable
from mcmsched.errors import MCMSchedError
from mcmsched.hardware.package import Package
from mcmsched.schedule.costing import CostModels
from mcmsched.schedule.evaluate import evaluate
from mcmsched.schedule.model import ModelPlan, Schedule, Segment, Window
from mcmsched.schedule.shared import ring_order
from mcmsched.search.objective import Objective, ObjectiveLike, make_objective
from mcmsched.search.options import SearchOptions, SearchResult, SearchStats
from mcmsched.search.partition import partition_search
from mcmsched.search.place import dfs_paths
from mcmsched.search.scar import run_scar
from mcmsched.search.segment import l2_fill_bounds
from mcmsched.workload.scenario import Scenario


def scar(
    scenario: Scenario,
    package: Package,
    costs: CostTable,
    objective: ObjectiveLike | Objective,
    options: SearchOptions | None = None,
) -> SearchResult:
    """SCAR's full search with its portfolio of simple schedules (see
    :mod:`mcmsched.search.scar`), then the partition step when ``options.partition`` is on."""
    t0 = time.perf_counter()
    res = run_scar(scenario, package, costs, objective, options, strategy="scar", portfolio=True)
    return _with_partition(res, costs, objective, options, t0)


def _with_partition(
    res: SearchResult,
    costs: CostTable,
    objective: ObjectiveLike | Objective,
    options: SearchOptions | None,
    t0: float,
) -> SearchResult:
    """``res`` improved by :func:`partition_search` when ``options.partition`` is on."""
    opts = options or SearchOptions()
    if not opts.partition:
        return res
    obj = make_objective(objective)
    part = partition_search(
        res.schedule,
        costs,
        obj,
        opts.eval_options,
        rounds=opts.partition_rounds,
        node_cap=opts.node_cap,
    )
    meta = {**res.schedule.meta, "partition": "on"}
    sched = dataclasses.replace(part.schedule, meta=meta)
    stats = SearchStats(
        res.stats.evaluations + part.evaluations,
        time.perf_counter() - t0,
        res.stats.windows_solved,
    )
    return dataclasses.replace(
        res,
        schedule=sched,
        metrics=part.metrics,
        candidates=[*res.candidates, *part.candidates],
        stats=stats,
    )


def standalone(
    scenario: Scenario,
    package: Package,
    costs: CostTable,
    objective: ObjectiveLike | Objective,
    options: SearchOptions | None = None,
) -> SearchResult:
    """SCAR's engines with one chiplet per model per window."""
    return run_scar(
        scenario, package, costs, objective, options, strategy="standalone", force_single=True
    )


def simba(
    scenario: Scenario,
    package: Package,
    costs: CostTable,
    objective: ObjectiveLike | Objective,
    options: SearchOptions | None = None,
) -> SearchResult:
    """Simba-like homogeneous pipelining (SCAR's engines on a homogeneous package)."""
    if not package.is_homogeneous:
        raise MCMSchedError(
            f"strategy 'simba' needs a homogeneous package; '{package.name}' mixes dataflows "
            "(use strategy 'scar')",
            field="strategy",
        )
    opts = options or SearchOptions()
    t0 = time.perf_counter()
    if opts.simba_scheme == "split-k":
        return _simba_split_k(scenario, package, costs, make_objective(objective), opts, t0)
    res = run_scar(scenario, package, costs, objective, options, strategy="simba")
    return _with_partition(res, costs, objective, options, t0)


def _simba_split_k(
    scenario: Scenario,
    package: Package,
    costs: CostTable,
    objective: Objective,
    options: SearchOptions,
    t0: float,
) -> SearchResult:
    """Simba's scheme: each model in its own window, all its layers as one segment split along
    K across all chiplets (ring order from chiplet 0; at most the layers' largest K extent)."""
    cm = CostModels(costs, options.eval_options)
    windows = []
    for m, entry in enumerate(scenario.entries):
        n_l = len(entry.model.layers)
        k = min(package.n_chiplets, max(split_extent(ly, "K") for ly in entry.model.layers))
        team = ring_order(package, range(package.n_chiplets), 0)
        if k < package.n_chiplets:
            team = ring_order(
                package, sorted(team, key=lambda c: int(package.hop_matrix[0, c]))[:k], 0
            )
        # K-split weights are spread over the team: b' by the team's aggregate L2
        mb = cm[m].choose_minibatch([(0, n_l)], np.array([float(cm[m].l2[list(team)].sum())]))
        seg = Segment((0, n_l), team[0], team, "K" if k > 1 else "")
        windows.append(Window((ModelPlan(m, (seg,), mb),)))
    meta = {
        "strategy": "simba",
        "simba_scheme": "split-k",
        "objective": objective.name,
        **{f"eval.{k}": v for k, v in options.eval_options.to_dict().items()},
    }
    sched = Schedule(tuple(windows), scenario.name, package.name, meta)
    metrics = evaluate(sched, costs, options.eval_options, cost_models=cm)
    stats = SearchStats(1, time.perf_counter() - t0, len(windows))
    return SearchResult(sched, metrics, [(metrics.latency_s, metrics.energy_j)], stats, package)


def _sequential(
    scenario: Scenario,
    package: Package,
    costs: CostTable,
    segments_of: list[list[tuple[tuple[int, int], int]]],
    strategy: str,
    objective: Objective,
    options: SearchOptions,
    t0: float,
) -> SearchResult:
    cm = CostModels(costs, options.eval_options)
    windows = []
    for m, segs in enumerate(segments_of):
        mcm = cm[m]
        ranges = [r for r, _ in segs]
        l2 = mcm.l2[[c for _, c in segs]]
        mb = mcm.choose_minibatch(ranges, l2)
        windows.append(Window((ModelPlan(m, tuple(Segment(r, c) for r, c in segs), mb),)))
    meta = {
        "strategy": strategy,
        "objective": objective.name,
        **{f"eval.{k}": v for k, v in options.eval_options.to_dict().items()},
    }
    sched = Schedule(tuple(windows), scenario.name, package.name, meta)
    metrics = evaluate(sched, costs, options.eval_options, cost_models=cm)
    stats = SearchStats(len(windows) + 1, time.perf_counter() - t0, len(windows))
    return SearchResult(sched, metrics, [(metrics.latency_s, metrics.energy_j)], stats, package)


def monolithic(
    scenario: Scenario,
    package: Package,
    costs: CostTable,
    objective: ObjectiveLike | Objective,
    options: SearchOptions | None = None,
) -> SearchResult:
    """The whole scenario on one chiplet with the package's total PEs and L2, models in
    sequence. A one-chiplet ``package`` is used as is; otherwise ``monolithic_like(package)``
    (output-stationary) and a new cost table for it."""
    t0 = time.perf_counter()
    opts = options or SearchOptions()
    obj = make_objective(objective)
    if package.n_chiplets == 1:
        mono, mcosts = package, costs
    else:
        from mcmsched.hardware.presets import monolithic_like

        mono = monolithic_like(package, name=f"monolithic-like-{package.name}")
        mcosts = CostTable(scenario, mono)
    segs = [[((0, len(e.model.layers)), 0)] for e in scenario.entries]
    return _sequential(scenario, mono, mcosts, segs, "monolithic", obj, opts, t0)


def nn_baton(
    scenario: Scenario,
    package: Package,
    costs: CostTable,
    objective: ObjectiveLike | Objective,
    options: SearchOptions | None = None,
) -> SearchResult:
    """NN-Baton-like: each model alone in its own window from ``options.start_chiplet``, split
    only when its weights exceed one chiplet's L2."""
    t0 = time.perf_counter()
    opts = options or SearchOptions()
    obj = make_objective(objective)
    start = opts.start_chiplet
    if start >= package.n_chiplets:
        raise MCMSchedError(
            f"start_chiplet {start} not in 0..{package.n_chiplets - 1}", field="start_chiplet"
        )
    l2 = float(package.chiplet_class(start).l2_bytes)
    all_segs: list[list[tuple[tuple[int, int], int]]] = []
    for m, entry in enumerate(scenario.entries):
        w = np.asarray(costs.model_costs(m, 1).weight_bytes, dtype=float)
        n_l = len(entry.model.layers)
        bounds = l2_fill_bounds(w, l2)
        n = len(bounds) - 1
        path: tuple[int, ...] | None = None
        while path is None:
            path = next(iter(dfs_paths(package, start, n, 0)), None)
            if path is None:  # too many segments for a path from the start: merge the tail
                bounds = [*bounds[: n - 1], n_l]
                n -= 1
        all_segs.append([((bounds[k], bounds[k + 1]), path[k]) for k in range(n)])
    return _sequential(scenario, package, costs, all_segs, "nn-baton", obj, opts, t0)
