"""Schedule data: JSON round trip, malformed input, space size."""

from __future__ import annotations

import math

import pytest

from mcmsched.errors import MCMSchedError
from mcmsched.schedule import ModelPlan, Schedule, Segment, Window, space_size, space_size_log10
from mcmsched.schedule.space import space_size_counts, space_size_log10_counts
from mcmsched.workload import Scenario
from sched_helpers import gemm_chain, grid_package


def _sched() -> Schedule:
    return Schedule(
        (
            Window((ModelPlan(0, (Segment((0, 2), 0), Segment((2, 3), 3)), 2),)),
            Window(
                (ModelPlan(1, (Segment((0, 1), 1),), 1), ModelPlan(0, (Segment((3, 4), 2),), 4))
            ),
        ),
        "sc",
        "pkg",
        {"strategy": "scar"},
    )


def test_json_round_trip() -> None:
    s = _sched()
    back = Schedule.from_json(s.to_json())
    assert back == s
    assert back.meta == {"strategy": "scar"}
    assert back.windows[1].plans[1].layers == (3, 4)
    assert back.windows[0].plans[0].chiplets == (0, 3)
    assert s.plans_of(0) == [(0, s.windows[0].plans[0]), (1, s.windows[1].plans[1])]


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        '{"scenario": "s", "package": "p"}',
        '{"scenario": "s", "package": "p", "windows": [[{"model": "x", "minibatch": 1, '
        '"segments": []}]]}',
    ],
)
def test_malformed_json_is_a_user_error(text: str) -> None:
    with pytest.raises(MCMSchedError):
        Schedule.from_json(text)


def test_space_size_formula_and_paper_examples() -> None:
    # motivational example: C = 4, L = 4; 1536 needs a 2 + 2 split, the described 3 + 1 gives 1024
    assert space_size_counts([2, 2], 4) == 4**4 * math.factorial(4) // (2 * 2) == 1536
    assert space_size_counts([3, 1], 4) == 1024
    # ResNet-50 (50) + UNet (23) on 36 chiplets: ~10^132.4, not the paper's 10^56
    lg = space_size_log10_counts([50, 23], 36)
    assert lg == pytest.approx(73 * math.log10(36) + math.log10(math.comb(73, 23)), rel=1e-12)
    assert 132.3 < lg < 132.5
    assert math.log10(space_size_counts([50, 23], 36)) == pytest.approx(lg, rel=1e-9)


def test_space_size_of_scenario() -> None:
    sc = Scenario.of("s", (gemm_chain("a", 3), 1), (gemm_chain("b", 2), 1))
    pkg = grid_package([["nvd", "shi"], ["shi", "nvd"]])
    assert space_size(sc, pkg) == 4**5 * 10
    assert space_size_log10(sc, pkg) == pytest.approx(math.log10(4**5 * 10))
