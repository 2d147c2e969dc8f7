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


def _paper1_one_window(mapping: str) -> tuple[float, float, float, float, float, float]:
    """GPT-2 on chiplet 0 (nvd) and ResNet-50 on chiplet 1 in one window, on mcm-2x2 with every
    class's ``mapping`` set: (latency, energy, bound latency, bound energy, GPT-2's chain on
    nvd minus its chain on each layer's best class, the physical-only bound latency)."""
    sc, pkg = get_scenario("paper1"), get_preset("mcm-2x2", mapping=mapping)
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
    # independent route: GPT-2's compute on its best class plus its DRAM traffic: weights, input,
    # output and the KV cache its attention layers write (prefill), each one DRAM access
    mc = costs.model_costs(0, 1)
    best = mc.compute_s.min(axis=1).sum()
    layers = sc.entries[0].model.layers
    kv = sum(ly.kv_read_bytes + ly.kv_write_bytes for ly in layers)
    assert kv == met.model_kv_bytes[0] > 0
    dram = (
        sum(ly.weight_bytes() for ly in layers)
        + layers[0].input_bytes()
        + layers[-1].output_bytes()
        + kv
    ) / (pkg.dram.bw_gbps * 1e9) + 4 * pkg.dram.latency_ns * 1e-9
    assert lb.latency_s == pytest.approx(best + dram, rel=1e-11)
    assert met.latency_s >= lb.latency_s
    assert met.energy_j >= lb.energy_j
    # without the table only the physical terms remain: valid, looser
    phys = lower_bound(sc, pkg)
    assert phys.latency_s < lb.latency_s
    on_nvd = float(mc.compute_s[:, pkg.class_names.index("nvd")].sum())
    return met.latency_s, met.energy_j, lb.latency_s, lb.energy_j, on_nvd - best, phys.latency_s


def test_paper1_one_window_schedule_meets_the_bound() -> None:
    """With the dataflows as written (``mapping: fixed``) every GPT-2 layer is fastest on nvd,
    so GPT-2's chain on chiplet 0 (weights, I/O and KV cache over DRAM once) is the whole
    latency: the schedule is optimal and the bound is tight."""
    lat, _, lb, _, extra, phys = _paper1_one_window("fixed")
    assert extra == 0.0
    assert lat == pytest.approx(lb, rel=1e-9)
    assert phys < lb / 10  # the fixed dataflows are far from peak rate on GPT-2


def test_paper1_searched_mapping_gap_is_the_best_class_difference() -> None:
    """With searched mappings the 12 attention ``A V`` MATMULs run faster on shi than on nvd;
    the bound takes each layer's best class, so the all-nvd chain is above it by exactly
    that difference (moving those layers to shi would add NoP transfers instead)."""
    lat, _, lb, _, extra, phys = _paper1_one_window("searched")
    assert extra > 0.0
    assert lat - lb == pytest.approx(extra, rel=1e-6)
    assert phys > 0.9 * lb  # searched mappings run GPT-2 near peak rate


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


def test_run_with_partitioning_reports_a_bound_valid_for_split_layers() -> None:
    """`run` partitions layers by default: the bound it prints must allow split layers (the
    whole-layer bound of paper1 on mcm-2x2, 7.17 ms, is above the split schedule's 3.4 ms)."""
    from mcmsched.runner.run import run

    res = run(
        {
            "models": [{"zoo": "gpt2-small"}, {"zoo": "resnet50"}],
            "package": "mcm-2x2",
            "objective": "latency",
            "baselines": False,
        }
    )
    assert res.config.options.partition
    assert any(s.is_split for w in res.schedule.windows for p in w.plans for s in p.segments)
    lb = res.lower_bound
    assert lb.allow_split
    assert lb.latency_s <= res.metrics.latency_s
    assert lb.energy_j <= res.metrics.energy_j
    whole = lower_bound(res.scenario, res.package, res.costs)
    assert whole.latency_s > res.metrics.latency_s  # the whole-layer bound would be violated
