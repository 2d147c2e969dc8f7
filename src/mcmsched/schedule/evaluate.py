"""Score a schedule: SCAR's performance model (docs/REFERENCES.md#scar-performance-model).

Per window, each model's plan is costed by :class:`mcmsched.schedule.costing.ModelCostModel`
(pipelined latency = fill + (n_mb - 1) * slowest steady stage). Window latency is the maximum over
its models, scenario latency the sum over windows; energies add. See docs/SCHEDULER.md.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from mcmsched.cost.table import CostTable
from mcmsched.schedule import shared
from mcmsched.schedule.costing import CostModels, PlanCost
from mcmsched.schedule.metrics import EnergyBreakdown, Metrics, TimelineEvent
from mcmsched.schedule.model import ModelPlan, Schedule, Window
from mcmsched.schedule.options import EvalOptions


def _contention(window: Window, cm: CostModels) -> list[np.ndarray]:
    """δ per plan and stage for ``contention="link-sharing"``: each inter-segment NoP flow pays
    the bytes of the other flows on its most loaded XY link divided by the link bandwidth."""
    pkg = cm.costs.package
    flows: list[tuple[int, int, list[tuple[int, int]], float]] = []
    for pi, plan in enumerate(window.plans):
        mcm = cm[plan.model]
        _, _, _, outb = mcm.tables(plan.minibatch)
        segs = plan.segments
        for k in range(len(segs) - 1):
            src, dst = segs[k].chiplet, segs[k + 1].chiplet
            if src != dst:
                flows.append((pi, k, pkg.route(src, dst), float(outb[segs[k].stop - 1])))
    load: dict[tuple[int, int], float] = defaultdict(float)
    for _, _, links, size in flows:
        for lk in links:
            load[lk] += size
    extra = [np.zeros((1, len(p.segments))) for p in window.plans]
    bw = pkg.nop.bw_gbps * 1e9
    for pi, k, links, size in flows:
        others = max((load[lk] - size for lk in links), default=0.0)
        extra[pi][0, k] += max(others, 0.0) / bw
    return extra


def plan_cost(
    plan: ModelPlan,
    cm: CostModels,
    *,
    in_src: int | None = None,
    out_to_dram: bool = True,
    extra_out_s: np.ndarray | None = None,
) -> PlanCost:
    """Cost of one plan (a single path) through the shared cost model."""
    segs = [(s.start, s.stop) for s in plan.segments]
    ch = np.array([list(plan.chiplets)], dtype=np.int64)
    src = None if in_src is None else np.array([in_src], dtype=np.int64)
    splits = (
        [(s.chiplets, s.dim) for s in plan.segments]
        if any(s.is_split for s in plan.segments)
        else None
    )
    return cm[plan.model].plan_cost(
        segs,
        ch,
        plan.minibatch,
        in_src=src,
        out_to_dram=out_to_dram,
        extra_out_s=extra_out_s,
        splits=splits,
    )


def window_dram_bytes(window: Window, costs: list[PlanCost]) -> dict[int, float]:
    """DRAM bytes per chiplet of a window (a split segment's bytes spread evenly over its
    chiplets), from the plans' costs in the window's order."""
    out: dict[int, float] = defaultdict(float)
    for plan, pc in zip(window.plans, costs, strict=True):
        if pc.dram_bytes is None:
            continue
        for k, seg in enumerate(plan.segments):
            for c in seg.chiplets:
                out[c] += float(pc.dram_bytes[0, k]) / seg.k
    return dict(out)


def evaluate(
    schedule: Schedule,
    costs: CostTable,
    options: EvalOptions | None = None,
    *,
    cost_models: CostModels | None = None,
) -> Metrics:
    """Latency, energy, EDP, throughput, per-window/per-model/per-chiplet figures and a timeline
    of ``schedule`` with the costs of ``costs`` (its scenario and package). ``cost_models`` may be
    passed to reuse precomputed per-model tables (it must use the same ``options``)."""
    opts = options or EvalOptions()
    cm = cost_models if cost_models is not None else CostModels(costs, opts)
    scenario, pkg = costs.scenario, costs.package
    n_models = len(scenario.entries)
    last_window = {m: -1 for m in range(n_models)}
    for w, win in enumerate(schedule.windows):
        for p in win.plans:
            last_window[p.model] = w
    prev_chip: dict[int, int] = {}
    win_lat: list[float] = []
    win_en: list[float] = []
    model_lat = [[0.0] * len(schedule.windows) for _ in range(n_models)]
    model_period = [[0.0] * len(schedule.windows) for _ in range(n_models)]
    m_comp = [0.0] * n_models
    m_nop = [0.0] * n_models
    m_dram = [0.0] * n_models
    m_coll = [0.0] * n_models
    coll_bytes = 0.0
    win_dram_bound: list[float] = []
    sharing = opts.dram_sharing == "interface"
    dram_bw = pkg.dram.bw_gbps * 1e9
    busy = [0.0] * pkg.n_chiplets
    events: list[TimelineEvent] = []
    completion = [0.0] * n_models
    start = [-1.0] * n_models
    done: list[tuple[float, ...]] = [()] * n_models
    kv_bytes = [0.0] * n_models
    t0 = 0.0
    for w, win in enumerate(schedule.windows):
        extra = _contention(win, cm) if opts.contention == "link-sharing" else None
        lat_w = 0.0
        en_w = 0.0
        pcs: list[PlanCost] = []
        for pi, plan in enumerate(win.plans):
            m = plan.model
            nop_mode = opts.window_boundary == "nop"
            in_src = prev_chip.get(m) if nop_mode else None
            out_dram = (not nop_mode) or last_window[m] == w
            pc = plan_cost(
                plan,
                cm,
                in_src=in_src,
                out_to_dram=out_dram,
                extra_out_s=None if extra is None else extra[pi],
            )
            pcs.append(pc)
            lat = float(pc.latency_s[0])
            model_lat[m][w] = lat
            lat_w = max(lat_w, lat)
            en_w += float(pc.energy_j[0])
            m_comp[m] += float(pc.compute_j[0])
            m_nop[m] += float(pc.nop_j[0])
            m_dram[m] += float(pc.dram_j[0])
            if pc.collective_j is not None:
                m_coll[m] += float(pc.collective_j[0])
            if pc.collective_bytes is not None:
                coll_bytes += float(pc.collective_bytes[0])
            prev_chip[m] = plan.segments[-1].chiplet
            if pc.kv_bytes is not None:
                kv_bytes[m] += float(pc.kv_bytes[0])
            if start[m] < 0:
                start[m] = t0
            first = pc.first_s[0]
            steady = pc.steady_s[0]
            period = float(steady.max())
            model_period[m][w] = period
            n_rest = pc.n_minibatches - 1
            if last_window[m] == w:
                completion[m] = t0 + lat
                b_mb = plan.minibatch
                batch = scenario.entries[m].batch
                done[m] = tuple(
                    t0 + lat - (0.0 if pc.steps > 1 else (n_rest - j // b_mb) * period)
                    for j in range(batch)
                )
            if pc.steps > 1 and pc.busy_s is not None:
                # decode steps: one bar per stage over the whole stepped pass
                for k, seg in enumerate(plan.segments):
                    b_k = float(pc.busy_s[0][k])
                    events.append(TimelineEvent(seg.chiplet, m, w, k, t0, t0 + lat, "steps", b_k))
                    busy[seg.chiplet] += b_k
                continue
            # timeline
            f_start = t0
            for k, seg in enumerate(plan.segments):
                f_end = f_start + float(first[k])
                lab = seg.split_label
                b = float(first[k])
                s_busy = n_rest * float(steady[k])
                for c in seg.chiplets:
                    events.append(TimelineEvent(c, m, w, k, f_start, f_end, "fill", b, lab))
                    if n_rest > 0:
                        events.append(
                            TimelineEvent(
                                c, m, w, k, f_end, f_end + n_rest * period, "steady", s_busy, lab
                            )
                        )
                    busy[c] += b + (s_busy if n_rest > 0 else 0.0)
                f_start = f_end
        per_if = shared.interface_bytes(pkg, window_dram_bytes(win, pcs))
        bound = max(per_if.values(), default=0.0) / dram_bw
        win_dram_bound.append(bound)
        if sharing:
            lat_w = max(lat_w, bound)
        win_lat.append(lat_w)
        win_en.append(en_w)
        t0 += lat_w
    latency = float(sum(win_lat))
    comp, nop, dram = sum(m_comp), sum(m_nop), sum(m_dram)
    energy = comp + nop + dram
    samples = int(sum(scenario.batches))
    return Metrics(
        latency_s=latency,
        energy_j=energy,
        edp=energy * latency,
        throughput_ips=samples / latency if latency > 0 else 0.0,
        total_samples=samples,
        energy=EnergyBreakdown(comp, nop, dram, sum(m_coll)),
        model_energy=tuple(
            EnergyBreakdown(m_comp[m], m_nop[m], m_dram[m], m_coll[m]) for m in range(n_models)
        ),
        window_latency_s=tuple(win_lat),
        window_energy_j=tuple(win_en),
        model_latency_s=tuple(tuple(r) for r in model_lat),
        model_period_s=tuple(tuple(r) for r in model_period),
        model_completion_s=tuple(completion),
        chiplet_busy_s=tuple(busy),
        chiplet_utilisation=tuple(b / latency if latency > 0 else 0.0 for b in busy),
        timeline=tuple(events),
        model_start_s=tuple(max(x, 0.0) for x in start),
        model_sample_done_s=tuple(done),
        model_kv_bytes=tuple(kv_bytes),
        collective_bytes=coll_bytes,
        window_dram_bound_s=tuple(win_dram_bound),
    )
