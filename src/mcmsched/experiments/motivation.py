"""``scar-motivation``: SCAR's 2x2 motivational study (docs/REFERENCES.md#scar-motivational-study).

Hardware: preset ``mcm-2x2`` (chiplets 0-2 NVDLA-like, chiplet 3 ShiDianNao-like; 4096 PEs and
10 MiB L2 each). Batch 1. Workload (INFERRED where the paper is vague):

- "three layers from ResNet-50's second block": the first bottleneck of conv2_x in SCAR's
  66-layer ResNet-50 (``scar-resnet50`` layers CONV2_1_1, CONV2_1_2, CONV2_1_3), as a chain;
- "the first FC layer of GPT-2 / GPT-L": the first feed-forward GEMM of ``scar-gpt-l`` (``h0.ff1``,
  1024 -> 4096 at sequence length 128).

Cases (EDP = energy x latency of the whole workload):

- A1: NN-Baton (strategy ``nn-baton``, ``start_chiplet`` = the Shi chiplet 3): the three ResNet
  layers as one segment on the Shi chiplet (they fit its L2, so NN-Baton does not split them);
- A2: the same from NVD chiplet 0;
- A3: SCAR (EDP search, default options) on the ResNet part;
- B1: NN-Baton-like: ResNet part then the GPT layer, one after another, from chiplet 0 (strategy
  ``nn-baton``);
- B2: SCAR *spatial*: both models in one window (n_splits = 0), EDP search;
- B3: SCAR *spatio-temporal*: SCAR with windows (the best EDP over n_splits = 1..4);
- A-opt / B-opt: the exact optimum over the whole space (strategy ``exhaustive``), for reference.

Ratios: A2/A1 (paper 0.78), A3/A1 (0.52), B2/B1 (0.3), B3/B1 (0.28).
"""

from __future__ import annotations

import time

from mcmsched.experiments.base import ExperimentResult, Job, Row, RunContext, run_search, search_job
from mcmsched.experiments.findings import factor, fmt, qualitative
from mcmsched.hardware.presets import get_preset
from mcmsched.schedule.metrics import Metrics
from mcmsched.schedule.model import ModelPlan, Schedule
from mcmsched.search.options import SearchOptions
from mcmsched.workload.model import Model
from mcmsched.workload.scenario import Scenario
from mcmsched.workload.zoo import get_model

PACKAGE = "mcm-2x2"
RESNET_LAYERS = ("CONV2_1_1", "CONV2_1_2", "CONV2_1_3")
GPT_LAYER = "h0.ff1"
COLUMNS = [
    "case",
    "description",
    "latency_s",
    "energy_j",
    "edp_js",
    "edp_ratio",
    "paper_ratio",
    "windows",
    "placement",
]
PAPER = {"A2": 0.78, "A3": 0.52, "B2": 0.3, "B3": 0.28}


def workload() -> tuple[Model, Model]:
    """The ResNet-50 block-2 part (3 layers) and the GPT-L FC layer, as chain models."""
    rn = get_model("scar-resnet50")
    by_name = {ly.name: ly for ly in rn.layers}
    resnet = Model.chain("resnet50-block2", [by_name[n] for n in RESNET_LAYERS])
    gpt = get_model("scar-gpt-l")
    fc = next(ly for ly in gpt.layers if ly.name == GPT_LAYER)
    return resnet, Model.chain("gpt-l-fc1", [fc])


def _placement(s: Schedule) -> str:
    parts = []
    for w, win in enumerate(s.windows):
        plans = []
        for p in win.plans:
            segs = "+".join(f"{a}-{b - 1}@c{ch}" for (a, b), ch in (x for x in _segs(p)))
            plans.append(f"m{p.model}:{segs}")
        parts.append(f"w{w}[{' '.join(plans)}]")
    return " ".join(parts)


def _segs(p: ModelPlan) -> list[tuple[tuple[int, int], int]]:
    return [(s.layers, s.chiplet) for s in p.segments]


def run(ctx: RunContext) -> ExperimentResult:
    """Run the six cases (plus the exact optima) and compare the EDP ratios."""
    t0 = time.perf_counter()
    pkg = get_preset(PACKAGE)
    shi = next(c.id for c in pkg.chiplets if c.cls == "shi")
    nvd = next(c.id for c in pkg.chiplets if c.cls == "nvd")
    resnet, fc = workload()
    sa = Scenario.of("motivation-a", (resnet, 1))
    sb = Scenario.of("motivation-b", (resnet, 1), (fc, 1))
    edp = "edp"
    base = SearchOptions()
    jobs = [
        search_job(ctx, "A1 on Shi", sa, pkg, "nn-baton", edp, SearchOptions(start_chiplet=shi)),
        search_job(ctx, "A2 on NVD", sa, pkg, "nn-baton", edp, SearchOptions(start_chiplet=nvd)),
        Job("A3 SCAR", lambda: run_search(ctx, sa, pkg, "scar", edp, base)),
        Job("A-opt exact", lambda: run_search(ctx, sa, pkg, "exhaustive", edp, base)),
        Job("B1 NN-Baton", lambda: run_search(ctx, sb, pkg, "nn-baton", edp, base)),
        Job(
            "B2 SCAR spatial",
            lambda: run_search(ctx, sb, pkg, "scar", edp, SearchOptions(n_splits=0)),
        ),
    ]
    for k in range(1, 5):
        jobs.append(
            search_job(
                ctx, f"B3 SCAR n_splits={k}", sb, pkg, "scar", edp, SearchOptions(n_splits=k)
            )
        )
    jobs.append(Job("B-opt exact", lambda: run_search(ctx, sb, pkg, "exhaustive", edp, base)))
    res = ctx.run_jobs("scar-motivation", jobs)
    a1, a2, a3, aopt, b1, b2 = (r.result for r in res[:6])
    b3_runs = [r.result for r in res[6:10]]
    b3 = min(b3_runs, key=lambda r: r.metrics.edp)
    b3_k = 1 + b3_runs.index(b3)
    bopt = res[10].result
    cases: list[tuple[str, str, Schedule, Metrics, float]] = [
        ("A1", "NN-Baton on the Shi chiplet (reference)", a1.schedule, a1.metrics, 0.0),
        ("A2", "NN-Baton on an NVD chiplet", a2.schedule, a2.metrics, 0.0),
        ("A3", "SCAR, EDP search", a3.schedule, a3.metrics, 0.0),
        ("A-opt", "exact optimum (reference)", aopt.schedule, aopt.metrics, 0.0),
        ("B1", "NN-Baton-like, models in sequence from chiplet 0", b1.schedule, b1.metrics, 0.0),
        ("B2", "SCAR spatial (one window)", b2.schedule, b2.metrics, 0.0),
        ("B3", f"SCAR spatio-temporal (best n_splits = {b3_k})", b3.schedule, b3.metrics, 0.0),
        ("B-opt", "exact optimum (reference)", bopt.schedule, bopt.metrics, 0.0),
    ]
    rows: list[Row] = []
    ratios: dict[str, float] = {}
    for case, desc, sched, m, _ in cases:
        ref_edp = a1.metrics.edp if case.startswith("A") else b1.metrics.edp
        ratios[case] = m.edp / ref_edp
        rows.append(
            {
                "case": case,
                "description": desc,
                "latency_s": m.latency_s,
                "energy_j": m.energy_j,
                "edp_js": m.edp,
                "edp_ratio": ratios[case],
                "paper_ratio": PAPER.get(case, 1.0 if case in ("A1", "B1") else None),
                "windows": len(sched.windows),
                "placement": _placement(sched),
            }
        )
    findings = [
        factor(
            "motiv.A2", "A2: NVD chiplet gives 0.78x the EDP of the Shi chiplet", 0.78, ratios["A2"]
        ),
        factor(
            "motiv.A3",
            "A3: SCAR over heterogeneous chiplets gives 0.52x the EDP of A1",
            0.52,
            ratios["A3"],
        ),
        factor(
            "motiv.B2", "B2: SCAR spatial gives 0.3x the EDP of NN-Baton (B1)", 0.3, ratios["B2"]
        ),
        factor(
            "motiv.B3", "B3: SCAR spatio-temporal gives 0.28x the EDP of B1", 0.28, ratios["B3"]
        ),
        qualitative(
            "motiv.order_a",
            "Order of the single-model cases: A3 < A2 < A1 (EDP)",
            ratios["A3"] < ratios["A2"] < 1.0,
            f"A1 1, A2 {fmt(ratios['A2'])}, A3 {fmt(ratios['A3'])}",
            "EDP(A3) < EDP(A2) < EDP(A1)",
        ),
        qualitative(
            "motiv.order_b",
            "Order of the multi-model cases: B3 <= B2 < B1 (EDP)",
            ratios["B3"] <= ratios["B2"] * (1 + 1e-9) and ratios["B2"] < 1.0,
            f"B1 1, B2 {fmt(ratios['B2'])}, B3 {fmt(ratios['B3'])}",
            "EDP(B3) <= EDP(B2) < EDP(B1)",
        ),
    ]
    notes = [
        "A1/A2/B1 are the nn-baton strategy (A1 from the Shi chiplet, A2 and B1 from NVD chiplet "
        "0); A3/B2/B3 are SCAR searches (EDP), A-opt/B-opt the exact optimum over the space.",
        f"SCAR gap to the exact optimum: A {fmt(ratios['A3'] / ratios['A-opt'])}x, "
        f"B {fmt(ratios['B3'] / ratios['B-opt'])}x (EDP, 1 = optimal).",
        "placement: per window w, per model m, layer ranges first-last@chiplet (c3 is Shi).",
    ]
    return ExperimentResult(
        name="scar-motivation",
        title="SCAR motivational study: 2x2 MCM (3 NVD + 1 Shi), batch 1, EDP",
        columns=COLUMNS,
        rows=rows,
        findings=findings,
        notes=notes,
        config={
            "package": PACKAGE,
            "resnet_layers": "+".join(RESNET_LAYERS),
            "gpt_layer": f"scar-gpt-l {GPT_LAYER}",
            "batch": 1,
            "quick": ctx.quick,
        },
        summary={k: ratios[k] for k in ("A2", "A3", "B2", "B3")},
        wall_s=time.perf_counter() - t0,
    )
