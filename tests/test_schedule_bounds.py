"""The certified lower bound (schedule/bounds.py): its assumptions hold on the real cost model,
it is reached by a schedule that is provably optimal, and splitting only loosens it."""

from __future__ import annotations

import numpy as np
import pytest

from mcmsched.cost.table import CostTable
from mcmsched.hardware.presets import get_preset
from mcmsched.schedule import ModelPlan, Schedule, Segment, Window, evaluate
from mcmsched.schedule.bounds import lower_bound
from mcmsched.workload.zoo import get_scenario


@pytest.mark.parametrize("scenario", ["paper1", "scar-sc1", "scar-sc4"])
def test_cost_model_never_beats_the_physical_limits(scenario: str) -> None:
    """The bound's physical terms assume compute(l, b', c) >= b'·MACs / (PEs·clock) and
    energy(l, b', c) >= b'·MACs·mac_pj; check them on the real tables."""
    pkg = get_preset("het-sides")
    sc = get_scenario(scenario)
    costs = CostTable(sc, pkg)
    names = pkg.class_names
    rate = np.array([pkg.classes[n].n_pes * pkg.classes[n].clock_hz for n in names])
    mac = np.array([pkg.classes[n].energy.mac_pj for n in names]) * 1e-12
    for m, e in enumerate(sc.entries):
        for mb in sorted({1, e.batch}):
            mc = costs.model_costs(m, mb)
            macs = np.array([ly.macs * mb for ly in e.model.layers], dtype=float)
            assert (mc.compute_s >= macs[:, None] / rate[None, :] * (1 - 1e-12)).all()
            assert (mc.energy_j >= macs[:, None] * mac[None, :] * (1 - 1e-12)).all()


def test_paper1_one_window_schedule_meets_the_bound() -> None:
    """GPT-2 on C0 and ResNet-50 on C1 in one window: GPT-2's chain (all its layers on its best
    class, weights and I/O over DRAM once) is the whole latency, so the schedule is optimal and
    the bound is tight."""
    sc, pkg = get_scenario("paper1"), get_preset("mcm-2x2")
    costs = CostTable(sc, pkg)
    n0, n1 = (len(e.model.layers) for e in sc.entries)
    sched = Schedule(
        (
            Window(
                (ModelPlan(0, (Segment((0, n0), 0),), 1), ModelPlan(1, (Segment((0, n1), 1),), 1))
            ),
        ),
        sc.name,
        pkg.name,
    )
    met = evaluate(sched, costs)
    lb = lower_bound(sc, pkg, costs)
    assert lb.binding == "chain[0:gpt2-small]"
    # independent route: GPT-2's compute on its best class plus its DRAM traffic
    mc = costs.model_costs(0, 1)
    best = mc.compute_s.min(axis=1).sum()
    layers = sc.entries[0].model.layers
    dram = (
        sum(ly.weight_bytes() for ly in layers)
        + layers[0].input_bytes()
        + layers[-1].output_bytes()
    ) / (pkg.dram.bw_gbps * 1e9) + 3 * pkg.dram.latency_ns * 1e-9
    assert lb.latency_s == pytest.approx(best + dram, rel=1e-11)
    assert met.latency_s >= lb.latency_s
    assert met.latency_s == pytest.approx(lb.latency_s, rel=1e-9)
    assert met.energy_j >= lb.energy_j
    # without the table only the physical terms remain: valid, much looser
    phys = lower_bound(sc, pkg)
    assert phys.latency_s < lb.latency_s / 10


def test_split_bound_is_looser() -> None:
    sc, pkg = get_scenario("scar-sc1"), get_preset("het-sides")
    costs = CostTable(sc, pkg)
    a = lower_bound(sc, pkg, costs)
    b = lower_bound(sc, pkg, costs, allow_split=True)
    assert b.latency_s <= a.latency_s
    assert b.energy_j == pytest.approx(lower_bound(sc, pkg).energy_j)
    assert "layer" not in " ".join(b.terms)
    gl, ge = a.gap(2 * a.latency_s, 3 * a.energy_j)
    assert (gl, ge) == pytest.approx((2.0, 3.0))
