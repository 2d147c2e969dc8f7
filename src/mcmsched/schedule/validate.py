"""Check that a schedule is a valid schedule of a scenario on a package.

Rules (each violation raises :class:`ScheduleError` naming the rule):

- ``names``: the schedule names this scenario and package;
- ``window``: every window has at least one plan and at most one plan per model;
- ``model``: plan model indices are valid;
- ``segments``: a plan has at least one segment; each segment is non-empty; consecutive segments
  are contiguous (``stop_k == start_{k+1}``);
- ``coverage``: each model's layers appear exactly once, in increasing order across windows (the
  window ranges of a model concatenate to ``[0, n_layers)``). Because the layer order is a
  topological order of the model's DAG and windows are barriers, every dependency is then produced
  before it is consumed;
- ``chiplet``: chiplet ids are valid and a chiplet runs at most one segment per window (every
  chiplet of a split segment counts);
- ``split``: a split segment's chiplets are distinct and start with its ``chiplet``; its ``dim``
  is ``K``, ``Y`` or ``C`` (``""`` for a one-chiplet segment); ``k`` is at most the largest
  extent of that dimension over the segment's layers (uneven splits use the ceil rule, so no
  divisibility is required; a layer with a smaller extent runs on fewer chiplets);
- ``minibatch``: ``1 <= b' <= b``, and ``b'`` divides ``b`` under ``minibatch_rule="divisor-fit"``;
- ``phase``: a model with ``steps`` > 1 (decode phase) or an ``after`` model runs in exactly one
  window, later than every window of the model it runs after;
- ``memory``: under ``memory="strict"``, each segment's weights plus the live activations of b'
  samples fit in its chiplet's L2.
"""

from __future__ import annotations

from collections.abc import Sequence

from mcmsched.cost.split import SPLIT_DIMS, split_extent
from mcmsched.cost.table import CostTable
from mcmsched.errors import MCMSchedError
from mcmsched.hardware.package import Package
from mcmsched.schedule.costing import ModelCostModel
from mcmsched.schedule.model import Schedule, Segment
from mcmsched.schedule.options import EvalOptions
from mcmsched.workload.layer import Layer
from mcmsched.workload.scenario import Scenario


class ScheduleError(MCMSchedError):
    """A schedule breaks a validity rule (``rule`` names it)."""

    def __init__(self, rule: str, reason: str) -> None:
        self.rule = rule
        super().__init__(f"invalid schedule ({rule}): {reason}", field=rule)


def _check_split(seg: Segment, w: int, name: str, k: int, layers: Sequence[Layer]) -> None:
    where = f"window {w}: model '{name}' segment {k}"
    if seg.chiplets[0] != seg.chiplet:
        raise ScheduleError(
            "split", f"{where}: chiplets {list(seg.chiplets)} must start with chiplet {seg.chiplet}"
        )
    if len(set(seg.chiplets)) != seg.k:
        raise ScheduleError("split", f"{where}: chiplets {list(seg.chiplets)} repeat a chiplet")
    if not seg.is_split:
        if seg.dim:
            raise ScheduleError("split", f"{where}: dim {seg.dim!r} on a one-chiplet segment")
        return
    if seg.dim not in SPLIT_DIMS:
        raise ScheduleError(
            "split", f"{where}: split dim {seg.dim!r} not one of {', '.join(SPLIT_DIMS)}"
        )
    if seg.stop > len(layers):
        return  # reported by the coverage rule
    extent = max(split_extent(ly, seg.dim) for ly in layers[seg.start : seg.stop])
    if seg.k > extent:
        raise ScheduleError(
            "split",
            f"{where}: split {seg.k} ways along {seg.dim} but its layers have at most "
            f"{extent} along {seg.dim}",
        )


def validate(
    schedule: Schedule,
    scenario: Scenario,
    package: Package,
    costs: CostTable | None = None,
    options: EvalOptions | None = None,
) -> None:
    """Raise :class:`ScheduleError` if ``schedule`` breaks a rule (see module docstring)."""
    opts = options or EvalOptions()
    if schedule.scenario != scenario.name or schedule.package != package.name:
        raise ScheduleError(
            "names",
            f"schedule is for scenario '{schedule.scenario}' on '{schedule.package}', "
            f"not '{scenario.name}' on '{package.name}'",
        )
    n_models = len(scenario.entries)
    n_chip = package.n_chiplets
    next_layer = [0] * n_models
    for w, win in enumerate(schedule.windows):
        if not win.plans:
            raise ScheduleError("window", f"window {w} has no plans")
        seen_models: set[int] = set()
        used: dict[int, str] = {}
        for plan in win.plans:
            m = plan.model
            if not 0 <= m < n_models:
                raise ScheduleError(
                    "model", f"window {w}: model index {m} not in 0..{n_models - 1}"
                )
            if m in seen_models:
                raise ScheduleError("window", f"window {w}: model {m} has two plans")
            seen_models.add(m)
            name = scenario.entries[m].model.name
            if not plan.segments:
                raise ScheduleError("segments", f"window {w}: model '{name}' has no segments")
            for k, seg in enumerate(plan.segments):
                if seg.start >= seg.stop:
                    raise ScheduleError(
                        "segments", f"window {w}: model '{name}' segment {k} is empty"
                    )
                if k > 0 and plan.segments[k - 1].stop != seg.start:
                    raise ScheduleError(
                        "segments",
                        f"window {w}: model '{name}' segments {k - 1} and {k} are not contiguous",
                    )
                _check_split(seg, w, name, k, scenario.entries[m].model.layers)
                for c in seg.chiplets:
                    if not 0 <= c < n_chip:
                        raise ScheduleError(
                            "chiplet", f"window {w}: chiplet {c} not in 0..{n_chip - 1}"
                        )
                    if c in used:
                        raise ScheduleError(
                            "chiplet",
                            f"window {w}: chiplet {c} runs two segments "
                            f"({used[c]} and '{name}' segment {k})",
                        )
                    used[c] = f"'{name}' segment {k}"
            start, stop = plan.layers
            n_layers = len(scenario.entries[m].model.layers)
            if start != next_layer[m] or stop > n_layers:
                raise ScheduleError(
                    "coverage",
                    f"window {w}: model '{name}' runs layers [{start}, {stop}) but its next "
                    f"unscheduled layer is {next_layer[m]} (of {n_layers})",
                )
            next_layer[m] = stop
            batch = scenario.entries[m].batch
            if not 1 <= plan.minibatch <= batch:
                raise ScheduleError(
                    "minibatch", f"window {w}: model '{name}' b'={plan.minibatch} not in 1..{batch}"
                )
            if opts.requires_divisor and batch % plan.minibatch:
                raise ScheduleError(
                    "minibatch",
                    f"window {w}: model '{name}' b'={plan.minibatch} does not divide b={batch}",
                )
    for m, entry in enumerate(scenario.entries):
        if next_layer[m] != len(entry.model.layers):
            raise ScheduleError(
                "coverage",
                f"model '{entry.model.name}': layers {next_layer[m]}..{len(entry.model.layers) - 1}"
                " are never scheduled",
            )
    _check_phases(schedule, scenario)
    if opts.memory == "strict":
        table = costs if costs is not None else CostTable(scenario, package)
        models: dict[int, ModelCostModel] = {}
        for w, win in enumerate(schedule.windows):
            for plan in win.plans:
                mcm = models.setdefault(plan.model, ModelCostModel(table, plan.model, opts))
                segs = [(s.start, s.stop) for s in plan.segments]
                wk, ak = mcm.segment_memory(segs, plan.minibatch)
                for k, seg in enumerate(plan.segments):
                    l2 = min(package.chiplet_class(c).l2_bytes for c in seg.chiplets)
                    # a K or C split holds about 1/k of the weights on each chiplet
                    wk_k = wk[k] / seg.k if seg.is_split and seg.dim != "Y" else wk[k]
                    if wk_k + ak[k] > l2:
                        raise ScheduleError(
                            "memory",
                            f"window {w}: model {plan.model} segment {k} needs "
                            f"{wk_k + ak[k]:.0f} B (weights + activations of b'={plan.minibatch})"
                            f" > L2 {l2} B of chiplet {seg.chiplet}",
                        )


def _check_phases(schedule: Schedule, scenario: Scenario) -> None:
    """The ``phase`` rule (see module docstring)."""
    for m, entry in enumerate(scenario.entries):
        if entry.steps == 1 and entry.after is None:
            continue
        wins = [w for w, _ in schedule.plans_of(m)]
        name = entry.model.name
        if len(wins) != 1:
            raise ScheduleError(
                "phase", f"model '{name}' (decode phase) runs in {len(wins)} windows, not one"
            )
        if entry.after is not None:
            before = [w for w, _ in schedule.plans_of(scenario.index_of(entry.after))]
            if before and max(before) >= wins[0]:
                raise ScheduleError(
                    "phase",
                    f"model '{name}' runs in window {wins[0]}, not after the last window "
                    f"({max(before)}) of '{entry.after}'",
                )
