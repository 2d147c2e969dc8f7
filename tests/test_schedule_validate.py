"""validate(): a valid schedule passes; each rule is violated once."""

from __future__ import annotations

import pytest

from mcmsched.cost.table import CostTable
from mcmsched.schedule import (
    EvalOptions,
    ModelPlan,
    Schedule,
    ScheduleError,
    Segment,
    Window,
    validate,
)
from mcmsched.workload import Scenario
from sched_helpers import MIB, gemm_chain, grid_package

PKG = grid_package([["nvd", "shi"], ["shi", "nvd"]], name="p")
SC = Scenario.of("s", (gemm_chain("a", 4), 4), (gemm_chain("b", 2), 3))


def P(model: int, segs: list[tuple[int, int, int]], mb: int = 1) -> ModelPlan:
    return ModelPlan(model, tuple(Segment((a, b), c) for a, b, c in segs), mb)


def S(*windows: tuple[ModelPlan, ...], scenario: str = "s", package: str = "p") -> Schedule:
    return Schedule(tuple(Window(w) for w in windows), scenario, package)


GOOD = S(
    (P(0, [(0, 2, 0), (2, 3, 1)], 2), P(1, [(0, 1, 2)], 3)),
    (P(0, [(3, 4, 3)], 4), P(1, [(1, 2, 0)], 1)),
)


def test_valid_schedule_passes() -> None:
    validate(GOOD, SC, PKG)


@pytest.mark.parametrize(
    ("rule", "sched"),
    [
        ("names", S((P(0, [(0, 4, 0)]), P(1, [(0, 2, 1)])), package="other")),
        ("window", S((P(0, [(0, 4, 0)]), P(1, [(0, 2, 1)])), ())),
        ("window", S((P(0, [(0, 2, 0)]), P(0, [(2, 4, 1)]), P(1, [(0, 2, 2)])))),
        ("model", S((P(0, [(0, 4, 0)]), P(1, [(0, 2, 1)]), P(2, [(0, 1, 2)])))),
        ("segments", S((P(0, [(0, 4, 0)]), ModelPlan(1, (), 1)))),
        ("segments", S((P(0, [(0, 2, 0), (2, 2, 1), (2, 4, 3)]), P(1, [(0, 2, 2)])))),
        ("segments", S((P(0, [(0, 2, 0), (3, 4, 1)]), P(1, [(0, 2, 2)])))),
        ("coverage", S((P(0, [(0, 3, 0)]), P(1, [(0, 2, 1)])))),  # layer 3 never scheduled
        ("coverage", S((P(0, [(1, 4, 0)]), P(1, [(0, 2, 1)])), (P(0, [(0, 1, 0)]),))),  # order
        ("coverage", S((P(0, [(0, 4, 0)]), P(1, [(0, 2, 1)])), (P(1, [(0, 2, 1)]),))),  # twice
        ("chiplet", S((P(0, [(0, 4, 0)]), P(1, [(0, 2, 0)])))),  # one chiplet, two segments
        ("chiplet", S((P(0, [(0, 4, 7)]), P(1, [(0, 2, 1)])))),  # no chiplet 7
        ("minibatch", S((P(0, [(0, 4, 0)], 5), P(1, [(0, 2, 1)])))),  # b' > b
        ("minibatch", S((P(0, [(0, 4, 0)], 3), P(1, [(0, 2, 1)])))),  # 3 does not divide 4
    ],
)
def test_each_rule_violated(rule: str, sched: Schedule) -> None:
    with pytest.raises(ScheduleError) as info:
        validate(sched, SC, PKG)
    assert info.value.rule == rule


def test_non_divisor_minibatch_allowed_by_fit_rule() -> None:
    sched = S((P(0, [(0, 4, 0)], 3), P(1, [(0, 2, 1)])))
    validate(sched, SC, PKG, options=EvalOptions(minibatch_rule="fit"))


def test_memory_rule_in_strict_mode() -> None:
    tiny = grid_package([["nvd", "shi"], ["shi", "nvd"]], name="p", l2_bytes=MIB // 64)
    costs = CostTable(SC, tiny, use_disk_cache=False)
    mc = costs.model_costs(0, 1)
    sched = S((P(0, [(0, 4, 0)], 4), P(1, [(0, 2, 1)])))
    need = mc.weight_bytes.sum() + 4 * max(mc.input_bytes + mc.output_bytes)
    assert need > MIB // 64  # the single segment of model a does not fit
    validate(sched, SC, tiny, costs)  # spill mode: valid
    with pytest.raises(ScheduleError) as info:
        validate(sched, SC, tiny, costs, EvalOptions(memory="strict"))
    assert info.value.rule == "memory"
