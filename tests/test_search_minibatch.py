"""Mini-batch as a decision (``minibatch_rule="search"``): b' is chosen per model and window among
the rule's choice and every ceil(b/k) whose activations fit, not only divisors of b."""

from __future__ import annotations

import pytest

from mcmsched.cost.table import CostTable
from mcmsched.schedule import ModelPlan, Schedule, Segment, Window, evaluate, validate
from mcmsched.schedule.costing import CostModels
from mcmsched.schedule.options import EvalOptions
from mcmsched.search import SearchOptions, get_strategy
from mcmsched.workload import Scenario
from sched_helpers import gemm_chain, grid_package

KIB = 1024


@pytest.mark.parametrize(("l2_kib", "expect"), [(192 + 72, {1, 2, 3, 4, 7}), (80, {1, 2, 3, 4})])
def test_searched_minibatch_beats_the_divisor_rule_on_a_prime_batch(
    l2_kib: int, expect: set[int]
) -> None:
    # 3 GEMMs of 64 KiB weights, 16 KiB of live activations per sample. L2 = 264 KiB holds the
    # weights and 4.5 samples; 80 KiB holds 5 samples' activations and not the weights. Either
    # way the divisor rule on b = 7 (divisors 1, 7) must take b' = 1
    pkg = grid_package([["nvd"]], name="one", l2_bytes=l2_kib * KIB)
    sc = Scenario.of("prime", (gemm_chain("a", 3, (256, 256, 256)), 7))
    costs = CostTable(sc, pkg)
    rule = EvalOptions(minibatch_rule="search")
    mcm = CostModels(costs, rule)[0]
    cands = mcm.minibatch_candidates([(0, 3)], mcm.l2[[0]])
    assert cands[0] == 1  # the divisor-fit choice comes first
    assert set(cands) == expect  # ceil(7/k) whose activations fit

    def score(mb: int) -> float:
        plan = ModelPlan(0, (Segment((0, 3), 0),), mb)
        sched = Schedule((Window((plan,)),), sc.name, pkg.name)
        validate(sched, sc, pkg, costs, rule)  # any 1 <= b' <= b is valid under this rule
        return evaluate(sched, costs, rule).latency_s

    by_hand = {mb: score(mb) for mb in cands}
    opts = SearchOptions(n_splits=0, effort="fixed", eval_options=rule)
    res = get_strategy("scar")(sc, pkg, costs, "latency", opts)
    validate(res.schedule, sc, pkg, costs, rule)
    assert res.metrics.latency_s == pytest.approx(min(by_hand.values()), rel=1e-12)
    chosen = res.schedule.windows[0].plans[0].minibatch
    assert by_hand[chosen] == min(by_hand.values())
    fixed = get_strategy("scar")(
        sc, pkg, costs, "latency", SearchOptions(n_splits=0, effort="fixed")
    )
    assert fixed.schedule.windows[0].plans[0].minibatch == 1
    assert res.metrics.latency_s <= fixed.metrics.latency_s
    assert chosen != 1  # computed by hand above: another b' than the rule's is faster here
    assert res.metrics.latency_s < fixed.metrics.latency_s
