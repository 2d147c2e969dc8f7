"""Intra-layer partitioning as a search step: split segments of a schedule across chiplets.

Given a schedule (e.g. SCAR's result), :func:`partition_search` tries, window by window and plan
by plan, to run segments on k chiplets at once (see docs/SCHEDULER.md, "Partition model"):

- **grow a segment**: the segment's chiplet plus the k - 1 nearest chiplets that no plan of the
  window uses (or that it already holds), those of its own class first, then the other classes
  (a mixed-class team: each member runs its share at its class's cost), k in :data:`SIZES` (and
  the largest possible), split along K, Y or C;
- **collapse a plan** (windows with idle chiplets or a model of several segments): the plan's
  layers as one segment on its lead chiplet and the nearest chiplets that are free or the
  plan's own (the lead's class first), k as above, every split dimension. On a single-model
  window this is "the whole model split over the whole package".

Chiplets are ordered as a ring (:func:`mcmsched.schedule.shared.ring_order`). Every candidate is
scored as a whole schedule by :func:`mcmsched.schedule.evaluate.evaluate` and compared only
through the :class:`~mcmsched.search.objective.Objective`; per plan the best candidate is kept
when it improves the score (best improvement), for up to ``rounds`` passes over the schedule.
The mini-batch b' of a plan is kept.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from mcmsched.cost.split import SPLIT_DIMS, split_extent
from mcmsched.cost.table import CostTable
from mcmsched.errors import MCMSchedError
from mcmsched.schedule.costing import CostModels
from mcmsched.schedule.evaluate import evaluate
from mcmsched.schedule.metrics import Metrics
from mcmsched.schedule.model import ModelPlan, Schedule, Segment, Window
from mcmsched.schedule.options import EvalOptions
from mcmsched.schedule.shared import ring_order
from mcmsched.search.objective import Objective

#: Team sizes tried (besides the largest available).
SIZES = (2, 4, 8, 16, 32)


@dataclasses.dataclass(frozen=True)
class PartitionResult:
    """The improved ``schedule`` and its ``metrics``; ``evaluations`` whole-schedule scores."""

    schedule: Schedule
    metrics: Metrics
    evaluations: int
    candidates: list[tuple[float, float]]


def _sizes(limit: int) -> list[int]:
    return sorted({k for k in SIZES if k <= limit} | ({limit} if limit >= 2 else set()))


def _pool(costs: CostTable, lead: int, allowed: set[int]) -> list[int]:
    """``lead``, then the chiplets of ``allowed`` of ``lead``'s class, then those of the other
    classes, each group nearest to ``lead`` first (a team of k takes the first k: same-class
    teams while there are enough, mixed-class teams beyond)."""
    pkg = costs.package
    cls = pkg.chiplets[lead].cls
    hops = pkg.hop_matrix
    rest = sorted(
        (c for c in allowed if c != lead),
        key=lambda c: (pkg.chiplets[c].cls != cls, int(hops[lead, c]), c),
    )
    return [lead, *rest]


def _split_options(
    costs: CostTable, model: int, start: int, stop: int, lead: int, allowed: set[int]
) -> Iterator[Segment]:
    layers = costs.scenario.entries[model].model.layers[start:stop]
    pool = _pool(costs, lead, allowed)
    for dim in SPLIT_DIMS:
        extent = max(split_extent(ly, dim) for ly in layers)
        for k in _sizes(min(len(pool), extent)):
            team = ring_order(costs.package, pool[:k], lead)
            yield Segment((start, stop), lead, team, dim)


def _candidates(schedule: Schedule, w: int, pi: int, costs: CostTable) -> Iterator[Schedule]:
    win = schedule.windows[w]
    plan = win.plans[pi]
    used_other = {c for j, p in enumerate(win.plans) if j != pi for c in p.all_chiplets}
    free = set(range(costs.package.n_chiplets)) - used_other

    def with_plan(new: ModelPlan) -> Schedule:
        plans = (*win.plans[:pi], new, *win.plans[pi + 1 :])
        windows = (*schedule.windows[:w], Window(plans), *schedule.windows[w + 1 :])
        return dataclasses.replace(schedule, windows=windows)

    for s, seg in enumerate(plan.segments):
        others = {c for j, sg in enumerate(plan.segments) if j != s for c in sg.chiplets}
        allowed = free - others
        for new in _split_options(costs, plan.model, seg.start, seg.stop, seg.chiplet, allowed):
            if new != seg:
                segs = (*plan.segments[:s], new, *plan.segments[s + 1 :])
                yield with_plan(dataclasses.replace(plan, segments=segs))
    if len(plan.segments) > 1:
        start, stop = plan.layers
        lead = plan.segments[0].chiplet
        for new in _split_options(costs, plan.model, start, stop, lead, free):
            yield with_plan(dataclasses.replace(plan, segments=(new,)))


def partition_search(
    schedule: Schedule,
    costs: CostTable,
    objective: Objective,
    options: EvalOptions,
    *,
    rounds: int = 2,
    cost_models: CostModels | None = None,
    node_cap: int | None = None,
) -> PartitionResult:
    """Improve ``schedule`` by splitting segments across chiplets (see the module docstring);
    with ``node_cap`` no plan may use more than ``node_cap`` chiplets (split teams included)."""
    cm = cost_models if cost_models is not None else CostModels(costs, options)
    best = schedule
    best_m = evaluate(best, costs, options, cost_models=cm)
    best_score = objective.score(best_m)
    evaluations = 1
    points: list[tuple[float, float]] = []
    for _ in range(rounds):
        improved = False
        for w in range(len(best.windows)):
            for pi in range(len(best.windows[w].plans)):
                top: tuple[float, Schedule, Metrics] | None = None
                for cand in _candidates(best, w, pi, costs):
                    if node_cap is not None and (
                        len(set(cand.windows[w].plans[pi].all_chiplets)) > node_cap
                    ):
                        continue
                    try:
                        m = evaluate(cand, costs, options, cost_models=cm)
                    except MCMSchedError:
                        continue  # a member's class cannot hold its share (e.g. L1 too small)
                    evaluations += 1
                    points.append((m.latency_s, m.energy_j))
                    score = objective.score(m)
                    if score < best_score - 1e-9 * abs(best_score) and (
                        top is None or score < top[0]
                    ):
                        top = (score, cand, m)
                if top is not None:
                    best_score, best, best_m = top
                    improved = True
        if not improved:
            break
    return PartitionResult(best, best_m, evaluations, points)
