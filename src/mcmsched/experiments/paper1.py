"""``paper1``: GPT-2 + ResNet-50 on the 4-chiplet heterogeneous MCM vs a monolithic
output-stationary accelerator (docs/REFERENCES.md#paper-1-experiment).

Setup (INFERRED, documented in docs/EXPERIMENTS.md):

- workload: the zoo scenario ``paper1`` (GPT-2 small prefill at 128 tokens + torchvision
  ResNet-50 at 224x224), both models at the same batch b, swept over ``BATCHES`` (``--quick``:
  ``QUICK_BATCHES``);
- MCM: preset ``mcm-2x2`` (3 NVDLA-like + 1 ShiDianNao-like chiplets, 4096 PEs and 10 MiB L2
  each), scheduled by SCAR (default options, n_splits 4) under three objectives: latency (the
  throughput figure), energy (the efficiency figure) and EDP (one schedule for both);
- baseline: ``monolithic_like(mcm-2x2)``: one ShiDianNao-like (output-stationary) chiplet with the
  same total PEs (16384), L2 (40 MiB) and bandwidths, running the models one after another
  (strategy ``monolithic``); its schedule does not depend on the objective.

Metrics (docs/REFERENCES.md#paper-1-experiment):

- throughput = inferences / s = (sum of the batches) / scenario latency (``Metrics.throughput_ips``;
  at batch 1 this is 1 / latency, at large batches it approaches batch / steady-state period);
- streaming throughput = inferences / (busy time of the busiest chiplet): the rate if successive
  scenario instances were overlapped perfectly (an upper bound; for the monolithic accelerator it
  equals the throughput);
- energy efficiency = inferences / J.

The ratios are MCM / monolithic. "Up to 2.2x / 1.9x" is read as the maximum over the batch sweep
(throughput from the latency-search schedule, efficiency from the energy-search schedule).
"""

from __future__ import annotations

import time

from mcmsched.experiments.base import (
    ExperimentResult,
    Job,
    Row,
    RunContext,
    SearchRun,
    search_job,
)
from mcmsched.experiments.findings import factor, fmt, qualitative
from mcmsched.hardware.presets import get_preset, monolithic_like
from mcmsched.search.options import SearchOptions
from mcmsched.workload.scenario import Scenario
from mcmsched.workload.zoo import get_scenario

BATCHES = (1, 2, 4, 8, 16, 32)
QUICK_BATCHES = (1, 4)
OBJECTIVES = ("latency", "energy", "edp")
PACKAGE = "mcm-2x2"

COLUMNS = [
    "batch",
    "objective",
    "mcm_latency_s",
    "mcm_energy_j",
    "mcm_windows",
    "mono_latency_s",
    "mono_energy_j",
    "throughput_ratio",
    "streaming_throughput_ratio",
    "efficiency_ratio",
    "edp_ratio",
]


def _scenario(b: int) -> Scenario:
    base = get_scenario("paper1")
    return Scenario.of(f"paper1-b{b}", *((e.model, b) for e in base.entries))


def _streaming_ips(run: SearchRun) -> float:
    m = run.result.metrics
    busiest = max(m.chiplet_busy_s)
    return m.total_samples / busiest if busiest > 0 else 0.0


def run(ctx: RunContext) -> ExperimentResult:
    """Run the batch sweep and compute the ratios and findings."""
    t0 = time.perf_counter()
    batches = QUICK_BATCHES if ctx.quick else BATCHES
    pkg = get_preset(PACKAGE)
    mono = monolithic_like(pkg, name=f"monolithic-os-like-{PACKAGE}")
    opts = SearchOptions()
    scen = {b: _scenario(b) for b in batches}
    jobs: list[Job] = []
    for b in batches:
        jobs.append(search_job(ctx, f"b={b} monolithic", scen[b], mono, "monolithic", "edp", opts))
        for obj in OBJECTIVES:
            jobs.append(search_job(ctx, f"b={b} SCAR {obj}", scen[b], pkg, "scar", obj, opts))
    results = ctx.run_jobs("paper1", jobs)
    rows: list[Row] = []
    it = iter(results)
    best_thr = 0.0
    best_thr_b = 0
    best_eff = 0.0
    best_eff_b = 0
    b1: dict[str, Row] = {}
    for b in batches:
        mono_run: SearchRun = next(it)
        mm = mono_run.result.metrics
        for obj in OBJECTIVES:
            r: SearchRun = next(it)
            m = r.result.metrics
            row: Row = {
                "batch": b,
                "objective": obj,
                "mcm_latency_s": m.latency_s,
                "mcm_energy_j": m.energy_j,
                "mcm_windows": len(r.result.schedule.windows),
                "mono_latency_s": mm.latency_s,
                "mono_energy_j": mm.energy_j,
                "throughput_ratio": m.throughput_ips / mm.throughput_ips,
                "streaming_throughput_ratio": _streaming_ips(r) / _streaming_ips(mono_run),
                "efficiency_ratio": (m.total_samples / m.energy_j)
                / (mm.total_samples / mm.energy_j),
                "edp_ratio": m.edp / mm.edp,
            }
            rows.append(row)
            if obj == "latency" and row["throughput_ratio"] > best_thr:
                best_thr, best_thr_b = row["throughput_ratio"], b
            if obj == "energy" and row["efficiency_ratio"] > best_eff:
                best_eff, best_eff_b = row["efficiency_ratio"], b
            if b == batches[0]:
                b1[obj] = row
    best_stream = max(r["streaming_throughput_ratio"] for r in rows if r["objective"] == "latency")
    findings = [
        factor(
            "paper1.throughput",
            "Up to 2.2x throughput over the monolithic OS accelerator (max over the batch sweep, "
            "latency search)",
            2.2,
            best_thr,
        ),
        factor(
            "paper1.efficiency",
            "Up to 1.9x energy efficiency (inferences/J) over the monolithic OS accelerator (max "
            "over the batch sweep, energy search)",
            1.9,
            best_eff,
        ),
        qualitative(
            "paper1.both_edp",
            "One heterogeneous-MCM schedule (EDP search) beats the monolithic accelerator on "
            "both throughput and efficiency at some batch",
            any(
                r["throughput_ratio"] > 1 and r["efficiency_ratio"] > 1
                for r in rows
                if r["objective"] == "edp"
            ),
            ", ".join(
                f"b={r['batch']}: {fmt(r['throughput_ratio'])}x / {fmt(r['efficiency_ratio'])}x"
                for r in rows
                if r["objective"] == "edp"
            ),
            "throughput_ratio > 1 and efficiency_ratio > 1 in an EDP-search row",
        ),
    ]
    total_pes_mcm = sum(pkg.chiplet_class(c.id).n_pes for c in pkg.chiplets)
    total_pes_mono = sum(mono.chiplet_class(c.id).n_pes for c in mono.chiplets)
    total_l2_mcm = sum(pkg.chiplet_class(c.id).l2_bytes for c in pkg.chiplets)
    total_l2_mono = sum(mono.chiplet_class(c.id).l2_bytes for c in mono.chiplets)
    summary = {
        "max_throughput_ratio": best_thr,
        "at_batch": best_thr_b,
        "max_streaming_throughput_ratio": best_stream,
        "max_efficiency_ratio": best_eff,
        "efficiency_at_batch": best_eff_b,
        "b1_edp_throughput_ratio": b1["edp"]["throughput_ratio"],
        "b1_edp_efficiency_ratio": b1["edp"]["efficiency_ratio"],
    }
    notes = [
        "throughput = inferences / scenario latency; streaming = inferences / busiest chiplet's "
        "busy time (perfect overlap of successive scenario instances, an upper bound); "
        "efficiency = inferences / J; ratios are MCM / monolithic.",
        f"monolithic baseline: {mono.description}",
        "workload: GPT-2 small prefill (seq 128, 72 layers) + torchvision ResNet-50 (70 layers), "
        "same batch for both (INFERRED; paper 1 gives neither variant nor batch).",
    ]
    return ExperimentResult(
        name="paper1",
        title="Paper 1: GPT-2 + ResNet-50 on mcm-2x2 vs monolithic output-stationary",
        columns=COLUMNS,
        rows=rows,
        findings=findings,
        notes=notes,
        config={
            "package": PACKAGE,
            "baseline": mono.name,
            "mcm_total_pes": total_pes_mcm,
            "mono_total_pes": total_pes_mono,
            "mcm_total_l2_bytes": total_l2_mcm,
            "mono_total_l2_bytes": total_l2_mono,
            "batches": list(batches),
            "objectives": list(OBJECTIVES),
            "n_splits": opts.n_splits,
            "quick": ctx.quick,
        },
        summary=summary,
        wall_s=time.perf_counter() - t0,
    )
