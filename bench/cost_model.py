"""Cost-model bench: agreement with MAESTRO's reference rows and evaluation speed.

Run: ``.venv/bin/python bench/cost_model.py`` (prints figures; asserts nothing).

1. Agreement with ``tests/data/reference/maestro/maestro_layer_costs.csv`` per dataflow style and
   PE count (median and p90 relative error of runtime cycles and energy; exact-match share;
   fastest-style agreement per (network, layer, hardware)). MAESTRO's printed energy is composed
   from our counts the way its CSV writer does (see tests/test_cost_maestro_agreement.py).
   Then every row of ``maestro_full_runs.csv.gz`` (runtime and MAESTRO's printed *total* energy,
   per dataflow and status: median / p90 / max relative error, rows within 1 %).
2. Layer-cost evaluations per second for a batch of 1,000 distinct layers (cold analysis caches;
   wall and CPU time, best of 3: the machine is shared, so CPU time is the steadier figure).
3. Time to build the CostTable of scenario ``scar-sc5`` on the ``het-sides`` 3x3 package: cold
   (empty disk cache, cold in-memory caches) and cached (a fresh table reading the disk cache),
   for mini-batches {1, 8, 24, 32} (targets: cold <= 5 s, cached <= 0.1 s; the preset classes use
   ``mapping: searched``).
4. ``mapper``: candidate mappings evaluated (analysed and costed) per second by the mapping
   search: every coarse-grid candidate of the non-depthwise ResNet-50, BERT-base and GPT-2
   layers, one ``_evaluate_rows`` call per template, best and median of 5 passes (target
   >= 100,000 /s CPU). The level analysis runs through the compiled kernel when numba (the
   ``fast`` extra, installed by setup.sh) is there; ``MCMSCHED_NUMBA=0`` measures the numpy
   path instead (same numbers). The first line says which path ran.
5. ``scaling``: ResNet-50 and GPT-2 prefill at 256 / 1,024 / 4,096 / 16,384 PEs on the NVD and
   Shi classes and an RS (``eyeriss``) class with the NVD class's parameters, fixed vs
   searched: total cycles, the roofline bound, MAC-weighted share of layers within 1.5x of
   their bound (target >= 80%), PE utilisation, and at 16,384 PEs the layer
   shapes beyond 1.5x (MAC share, cycles / bound); and the OS class against the WS class of
   equal PEs on GEMMs with M, N, K >= 512 (target: within 2x).
"""

from __future__ import annotations

import csv
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import numpy as np

from mcmsched.cost import analysis, batch
from mcmsched.cost.analysis import LayerAnalysis, analyse_layer
from mcmsched.cost.batch import evaluate_layers
from mcmsched.cost.energy import MAESTRO_ENERGY, load_maestro_hw
from mcmsched.cost.table import CostTable
from mcmsched.hardware.chiplet import ChipletClass
from mcmsched.hardware.dataflow import get_dataflow
from mcmsched.hardware.package import Package
from mcmsched.workload.importers.maestro import load_maestro
from mcmsched.workload.layer import Layer

REF = Path(__file__).resolve().parents[1] / "tests" / "data" / "reference" / "maestro"


def _clear_caches() -> None:
    analysis._analyse_cached.cache_clear()
    analysis._directives_of.cache_clear()


def agreement() -> None:
    with open(REF / "maestro_layer_costs.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    maps: dict[str, tuple[dict[str, Layer], list[str]]] = {}
    hws: dict[str, ChipletClass] = {}
    memo: dict[tuple[str, str, str], LayerAnalysis] = {}

    def la_of(mapping: str, layer: str, hw: str) -> LayerAnalysis:
        key = (mapping, layer, hw)
        if key not in memo:
            if mapping not in maps:
                lys = [ly for m in load_maestro(REF / "mappings" / mapping) for ly in m.layers]
                maps[mapping] = ({ly.name: ly for ly in lys}, [ly.name for ly in lys])
            if hw not in hws:
                hws[hw] = load_maestro_hw(REF / hw)
            memo[key] = analyse_layer(maps[mapping][0][layer], hws[hw], use_layer_dataflow=True)
        return memo[key]

    groups: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    fastest: dict[tuple[str, str, str], list[tuple[str, float, float]]] = defaultdict(list)
    worst: list[tuple[float, str]] = []
    e = MAESTRO_ENERGY
    t0 = time.perf_counter()
    for r in rows:
        hw = f"hw_{r['hw_num_pes']}_{r['hw_noc_bw']}_{r['hw_offchip_bw']}.m"
        mp, ln = r["mapping_file"], r["Layer Number"]
        la = la_of(mp, ln, hw)
        l1 = la.l1_accesses
        if la.n_levels > 1:
            order = maps[mp][1]
            i = order.index(ln)
            l1 = la_of(mp, order[i - 1], hw).l1_accesses if i > 0 else 0
        energy = (la.l2_accesses_csv * e.l2_factor + l1 * e.l1_factor) * e.mac_pj * 1e-3
        ec = abs(la.cycles - float(r["Runtime (Cycles)"])) / float(r["Runtime (Cycles)"])
        ee = abs(energy - float(r["Activity count-based Energy (nJ)"])) / float(
            r["Activity count-based Energy (nJ)"]
        )
        style = mp.removesuffix(".m").split("_", 1)[1]
        for key in ((style, r["hw_num_pes"]), ("all", "all")):
            groups[key].append((ec, ee))
        worst.append((max(ec, ee), f"{mp} {ln} {hw}"))
        fk = (r["Neural Network Name"], ln, hw)
        fastest[fk].append((style, float(r["Runtime (Cycles)"]), la.cycles))
    dt = time.perf_counter() - t0
    print(f"MAESTRO agreement over {len(rows)} rows ({dt:.1f} s incl. parsing)")
    print(
        f"{'style':8s} {'PEs':>5s} {'rows':>5s} | {'cyc med':>9s} {'cyc p90':>9s} {'cyc max':>9s}"
        f" | {'E med':>9s} {'E p90':>9s} {'E max':>9s} | exact"
    )
    for (style, pes), errs in sorted(groups.items()):
        a = np.array(errs)
        exact = float(np.mean((a[:, 0] == 0) & (a[:, 1] < 1e-4)))
        print(
            f"{style:8s} {pes:>5s} {len(a):5d} | {np.median(a[:, 0]):9.2e} "
            f"{np.percentile(a[:, 0], 90):9.2e} {a[:, 0].max():9.2e} | {np.median(a[:, 1]):9.2e} "
            f"{np.percentile(a[:, 1], 90):9.2e} {a[:, 1].max():9.2e} | {exact:.1%}"
        )
    compared = agree = 0
    for cands in fastest.values():
        if len(cands) < 2:
            continue
        compared += 1
        theirs = min(c[1] for c in cands)
        ours = min(cands, key=lambda c: c[2])
        agree += ours[1] == theirs
    print(f"fastest dataflow style agrees on {agree}/{compared} layers ({agree / compared:.1%})")
    worst.sort(reverse=True)
    print("largest relative errors:", ", ".join(f"{w:.2e} ({n})" for w, n in worst[:3]))


def full_runs() -> None:
    """``maestro_full_runs.csv.gz``: our runtime and total energy (``LayerCost.energy_pj``,
    output L2 read-back included) against MAESTRO's ``runtime_cycles`` and ``energy_total_nJ``,
    per dataflow and status (every row with a layer; ``invalid_layer_dims`` rows have none)."""
    sys.path.insert(0, str(REF.parents[2]))  # tests/: the row loader shared with the test
    from maestro_runs_helpers import column, evaluate_rows, load_rows, rel_err

    rows = load_rows(REF)
    t0, c0 = time.perf_counter(), time.process_time()
    ev = evaluate_rows(rows)
    dt, dc = time.perf_counter() - t0, time.process_time() - c0
    print(
        f"\nMAESTRO full runs: {len(ev.rows)} of {len(rows)} rows evaluated "
        f"(wall {dt:.1f} s, CPU {dc:.1f} s; {len(rows) - len(ev.rows)} invalid_layer_dims rows "
        "have no layer)"
    )
    ec = rel_err(ev.cycles, column(ev.rows, "runtime_cycles"))
    ee = rel_err(ev.energy_total_nj, column(ev.rows, "energy_total_nJ"))
    keys = [(r["dataflow"], r["status"]) for r in ev.rows]
    print(
        f"{'dataflow':8s} {'status':16s} {'rows':>5s} | {'cyc med':>8s} {'cyc p90':>8s} "
        f"{'cyc max':>8s} | {'E med':>8s} {'E p90':>8s} {'E max':>8s} | within 1%"
    )
    for key in [*sorted(set(keys)), ("all", "all")]:
        sel = np.array([k == key or key == ("all", "all") for k in keys])
        c, e = ec[sel], ee[sel]
        within = int(np.sum((c <= 0.01) & (e <= 0.01)))
        print(
            f"{key[0]:8s} {key[1]:16s} {sel.sum():5d} | {np.median(c):8.1e} "
            f"{np.percentile(c, 90):8.1e} {c.max():8.1e} | {np.median(e):8.1e} "
            f"{np.percentile(e, 90):8.1e} {e.max():8.1e} | {within}/{sel.sum()}"
        )


def speed() -> None:
    from mcmsched.workload.zoo import get_model

    base: list[Layer] = []
    for name in ("resnet50", "googlenet", "mobilenetv2", "unet", "bert-base", "gpt2-small"):
        base.extend(get_model(name).layers)
    shapes: dict[tuple[object, ...], Layer] = {}
    n = 1
    while len(shapes) < 1000:
        for ly in base:
            b = ly.with_batch(ly.N * n)
            shapes.setdefault(b.shape_key, b)
            if len(shapes) == 1000:
                break
        n += 1
    layers = list(shapes.values())
    for df in ("nvdla-maestro", "shidiannao-maestro", "nvdla", "shidiannao", "eyeriss"):
        cls = ChipletClass(df, get_dataflow(df), n_pes=4096, noc_bw=256, mem_bw=128)
        evaluate_layers(layers[:50], [cls])  # warm imports
        best_wall = best_cpu = float("inf")
        for _ in range(3):
            _clear_caches()
            t0, c0 = time.perf_counter(), time.process_time()
            evaluate_layers(layers, [cls])
            best_wall = min(best_wall, time.perf_counter() - t0)
            best_cpu = min(best_cpu, time.process_time() - c0)
        print(
            f"1,000 distinct layers on {df:18s}: {best_wall:6.3f} s wall "
            f"({len(layers) / best_wall:8,.0f} layer-costs/s), {best_cpu:6.3f} s CPU "
            f"({len(layers) / best_cpu:8,.0f} /s), best of 3"
        )


def table() -> None:
    from mcmsched.cost import mapper
    from mcmsched.hardware.presets import get_preset
    from mcmsched.workload.zoo import get_scenario

    sc = get_scenario("scar-sc5")
    mbs = [1, 8, 24, 32]

    def build(pkg: Package, folder: Path) -> tuple[float, float, int]:
        """Wall s, CPU s and candidate evaluations of one table build in ``folder``."""
        before = mapper.EVALUATED[0]
        t0, c0 = time.perf_counter(), time.process_time()
        ct = CostTable(sc, pkg, cache_dir=folder)
        ct.precompute(mbs)
        for m in range(len(sc.entries)):
            ct.model_costs(m, 1)
        return time.perf_counter() - t0, time.process_time() - c0, mapper.EVALUATED[0] - before

    for mode in ("searched", "fixed"):
        pkg = get_preset("het-sides", mapping=mode)
        with tempfile.TemporaryDirectory() as d:
            _clear_caches()
            cold, cold_cpu, evals = build(pkg, Path(d))
            cached, cached_cpu, _ = build(pkg, Path(d))
            # a new scenario or process: no table file, no in-process memo, the mapping store
            # of the cold build (mcmsched.cost.mapping_store) in the same folder
            CostTable(sc, pkg, cache_dir=Path(d)).cache_path.unlink()
            batch._SEARCH_MEMO.clear()
            _clear_caches()
            stored, stored_cpu, evals3 = build(pkg, Path(d))
        n_layers = sum(len(e.model.layers) for e in sc.entries)
        print(
            f"CostTable scar-sc5 ({n_layers} layers, {len(pkg.class_names)} classes, mapping "
            f"{mode}, mini-batches {mbs}): cold {cold:.3f} s wall / {cold_cpu:.3f} s CPU "
            f"({evals:,} candidate evaluations), cached {cached:.4f} s wall / "
            f"{cached_cpu:.4f} s CPU; no table file, mapping store warm {stored:.3f} s wall / "
            f"{stored_cpu:.3f} s CPU ({evals3:,} evaluations)"
        )


PASSES = 5
"""Timed passes per dataflow in :func:`mapper_speed`."""
MAPPER_TARGET = 100_000
"""Candidate evaluations per CPU second the mapper should reach on one core."""


def _analysis_path() -> str:
    from mcmsched.cost.vectorised import kernel

    if kernel() is None:
        return "numpy (numba not installed, or MCMSCHED_NUMBA=0)"
    import numba

    return f"compiled kernel (numba {numba.__version__}; MCMSCHED_NUMBA=0 for the numpy path)"


def mapper_speed() -> None:
    from mcmsched.cost import mapper
    from mcmsched.workload.zoo import get_model

    print(f"mapper: level analysis by the {_analysis_path()}")

    layers: list[Layer] = []
    for name in ("resnet50", "bert-base", "gpt2-small"):
        layers.extend(get_model(name).layers)
    reps = list({ly.shape_key: ly for ly in layers}.values())
    probs, count, dimtab = mapper.layer_tables(reps)
    for df in ("nvdla-maestro", "shidiannao-maestro", "nvdla", "shidiannao", "eyeriss"):
        cls = ChipletClass(df, get_dataflow(df), n_pes=4096, mapping="searched")
        jobs = []
        for t in mapper.templates_for(cls.dataflow, False):
            rows, lay = [], []
            for j, p in enumerate(probs):
                if p.depthwise:
                    continue
                g = mapper.coarse_grid(p, t, 4096)
                rows.append(g)
                lay.append(np.full(g.shape[0], j, dtype=np.int64))
            jobs.append((t, np.concatenate(lay), np.concatenate(rows)))
        # every candidate is analysed and costed (``_evaluate_rows``: analysis, then ``_fill``);
        # best and median of 5 passes over all templates (the machine is shared: CPU time is
        # steadier; the best pass is the one least disturbed by other work on the host)
        total = sum(li.size for _, li, _ in jobs)
        cpus: list[float] = []
        walls: list[float] = []
        for _ in range(PASSES):
            t0, c0 = time.perf_counter(), time.process_time()
            for t, li, vv in jobs:
                mapper._evaluate_rows(t, li, vv, reps, probs, count, cls, dimtab)
            cpus.append(time.process_time() - c0)
            walls.append(time.perf_counter() - t0)
        best_cpu, med_cpu, best_wall = min(cpus), float(np.median(cpus)), min(walls)
        print(
            f"mapper on {df:18s}: {total:6,} candidates, {best_cpu:6.3f} s CPU "
            f"({total / best_cpu:8,.0f} evaluations/s CPU; median of {PASSES} passes "
            f"{total / med_cpu:8,.0f} /s), {best_wall:6.3f} s wall ({total / best_wall:8,.0f} /s); "
            f"target >= {MAPPER_TARGET:,} /s: "
            f"{'met' if total / best_cpu >= MAPPER_TARGET else 'NOT met'} (best pass)"
        )


def _beyond(layers: tuple[Layer, ...], bc: object, true_macs: np.ndarray) -> None:
    """Print the distinct layer shapes beyond 1.5x of their bound, largest MAC share first."""
    cyc, bound = bc.cycles, bc.bound_cycles  # type: ignore[attr-defined]
    share: dict[object, float] = defaultdict(float)
    first: dict[object, int] = {}
    for i, ly in enumerate(layers):
        if cyc[i] > 1.5 * bound[i]:
            share[ly.shape_key] += float(true_macs[i] / true_macs.sum())
            first.setdefault(ly.shape_key, i)
    for key in sorted(share, key=lambda k: -share[k])[:6]:
        i = first[key]
        ly = layers[i]
        print(
            f"    beyond 1.5x: {share[key]:5.1%} of MACs, {cyc[i] / bound[i]:6.2f}x, "
            f"{ly.kind.value} K{ly.K} C{ly.C} {ly.Y}x{ly.X} R{ly.R} stride {ly.stride_y}"
        )


def scaling() -> None:
    from mcmsched.hardware.presets import get_preset
    from mcmsched.workload.zoo import get_model

    models = {"resnet50": get_model("resnet50"), "gpt2-small": get_model("gpt2-small")}
    print(
        f"{'model':10s} {'class':24s} {'PEs':>6s} {'mapping':8s} | {'cycles':>11s} "
        f"{'bound':>11s} {'x bound':>7s} | {'<=1.5x (MACs)':>13s} {'PE util':>7s}"
    )
    for pes in (256, 1024, 4096, 16384):
        for mode in ("fixed", "searched"):
            pkg = get_preset("het-sides", pes_per_chiplet=pes, mapping=mode)
            classes = [pkg.classes[n] for n in pkg.class_names]
            # an RS (row-stationary, XRBench RS.m) class with the nvd class's parameters
            classes.append(replace(pkg.classes["nvd"], name="rs", dataflow=get_dataflow("rs")))
            for mname, m in models.items():
                res = evaluate_layers(list(m.layers), classes, orientation="best")
                true_macs = np.array([ly.macs for ly in m.layers], dtype=float)
                for cls, bc in zip(classes, res, strict=True):
                    assert bc.bound_cycles is not None
                    near = bc.cycles <= 1.5 * bc.bound_cycles
                    share = float(true_macs[near].sum() / true_macs.sum())
                    util = float(true_macs.sum() / (bc.cycles.sum() * cls.n_pes))
                    print(
                        f"{mname:10s} {cls.name + ' (' + cls.dataflow.name + ')':24s} "
                        f"{pes:6d} {mode:8s} | {bc.cycles.sum():11.4e} "
                        f"{bc.bound_cycles.sum():11.4e} "
                        f"{bc.cycles.sum() / bc.bound_cycles.sum():7.2f} | {share:13.1%} "
                        f"{util:7.1%}"
                    )
                    if mode == "searched" and pes == 16384:
                        _beyond(m.layers, bc, true_macs)
    # OS vs WS on large GEMMs (GPT-2 at 4 and 8 sequences: M = 512 / 1,024 tokens)
    gemms = [
        ly.with_batch(b)
        for b in (4, 8)
        for ly in models["gpt2-small"].layers
        if ly.kind.value == "GEMM" and min(ly.K, ly.C) >= 512
    ]
    gemms = list({g.shape_key: g for g in gemms}.values())
    print(f"OS (shi) vs WS (nvd) on {len(gemms)} GEMMs with M, N, K >= 512:")
    for pes in (256, 1024, 4096, 16384):
        pkg = get_preset("het-sides", pes_per_chiplet=pes)
        ws, os_ = evaluate_layers(
            gemms, [pkg.classes["nvd"], pkg.classes["shi"]], orientation="best"
        )
        ratio = os_.cycles / ws.cycles
        print(
            f"  {pes:6d} PEs: OS/WS cycles max {ratio.max():.2f}, median {np.median(ratio):.2f}, "
            f"MAC-weighted {float((os_.cycles.sum()) / ws.cycles.sum()):.2f}"
        )


if __name__ == "__main__":
    parts = sys.argv[1:] or ["agreement", "full-runs", "speed", "table", "mapper", "scaling"]
    if "agreement" in parts:
        agreement()
    if "full-runs" in parts:
        full_runs()
    if "speed" in parts:
        speed()
    if "table" in parts:
        table()
    if "mapper" in parts:
        mapper_speed()
    if "scaling" in parts:
        scaling()
