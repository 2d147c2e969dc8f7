"""Search speed: seconds per (scenario, package, objective) search, printed as a table.

Usage: ``.venv/bin/python bench/search.py [--scenarios scar-sc1,...] [--package het-sides]
[--objectives edp,latency] [--six] [--quality]``. Targets (issue 10): one 3x3 SCAR search (Sc1-5)
<= 5 s, 6x6 Sc4 EDP (het-cross, default options) <= 10 s. The cost table is built (and timed)
separately before the search. Times are wall and CPU (``time.process_time``) seconds; on a
shared machine the CPU time is the reliable one.

``--quality`` prints, per (scenario, package) with the EDP objective: the result's latency and
EDP, the certified lower bound on latency (:func:`mcmsched.schedule.bounds.lower_bound`), the
best baseline (SCAR's engines on the homogeneous NVD and Shi packages of the same size, i.e.
``simba``, and ``standalone`` on the same package) and the search time; for Sc1-5 on het-sides
and het-cross and for the LLM+vision mix (LLaMA-2-7B decode x16 + ViT-B/16 x4 + ResNet-50 x8)
on het-cross.
"""

from __future__ import annotations

import argparse
import time

from mcmsched.cost.table import CostTable
from mcmsched.hardware.presets import get_preset
from mcmsched.schedule import validate
from mcmsched.schedule.bounds import lower_bound
from mcmsched.search import SearchOptions, get_strategy
from mcmsched.workload.scenario import Scenario
from mcmsched.workload.zoo import get_model, get_scenario

HOMOGENEOUS = {
    "het-sides": ("simba-3x3-nvd", "simba-3x3-shi"),
    "het-cross": ("simba-6x6-nvd", "simba-6x6-shi"),
}


def llm_vision_mix() -> Scenario:
    """LLaMA-2-7B one decode step x16 + ViT-B/16 x4 + ResNet-50 x8."""
    return Scenario.of(
        "llm-vision-mix",
        (get_model("llama2-7b-decode"), 16),
        (get_model("vit-b16"), 4),
        (get_model("resnet50"), 8),
    )


def quality(cases: list[tuple[str, str]]) -> None:
    print(
        f"{'scenario':15} {'package':10} {'latency s':>10} {'EDP J*s':>10} {'LB lat s':>9} "
        f"{'lat/LB':>7} {'best baseline':>24} {'base EDP':>10} {'base lat':>9} "
        f"{'wall s':>7} {'cpu s':>7}  chosen"
    )
    for sc_name, pk_name in cases:
        sc = llm_vision_mix() if sc_name == "llm-vision-mix" else get_scenario(sc_name)
        pkg = get_preset(pk_name)
        costs = CostTable(sc, pkg)
        t1, c1 = time.perf_counter(), time.process_time()
        res = get_strategy("scar")(sc, pkg, costs, "edp", SearchOptions())
        wall, cpu = time.perf_counter() - t1, time.process_time() - c1
        validate(res.schedule, sc, pkg)
        lb = lower_bound(sc, pkg, costs)
        bases = []
        for hp in HOMOGENEOUS[pk_name]:
            hpkg = get_preset(hp)
            b = get_strategy("simba")(sc, hpkg, CostTable(sc, hpkg), "edp", SearchOptions())
            bases.append((b.metrics.edp, b.metrics.latency_s, f"simba {hp}"))
        st = get_strategy("standalone")(sc, pkg, costs, "edp", SearchOptions())
        bases.append((st.metrics.edp, st.metrics.latency_s, "standalone"))
        best = min(bases)
        chosen = next((e.name for e in res.portfolio if e.chosen), "search")
        m = res.metrics
        print(
            f"{sc_name:15} {pk_name:10} {m.latency_s:10.4g} {m.edp:10.4g} {lb.latency_s:9.3g} "
            f"{m.latency_s / lb.latency_s:7.2f} {best[2]:>24} {best[0]:10.4g} {best[1]:9.4g} "
            f"{wall:7.1f} {cpu:7.1f}  {chosen}",
            flush=True,
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenarios", default="scar-sc1,scar-sc2,scar-sc3,scar-sc4,scar-sc5")
    ap.add_argument("--package", default="het-sides")
    ap.add_argument("--strategy", default="scar")
    ap.add_argument("--objectives", default="edp,latency")
    ap.add_argument("--six", action="store_true", help="also run the 6x6 (het-cross) searches")
    ap.add_argument("--quality", action="store_true", help="only print the quality table")
    ap.add_argument("--quality-cases", default="", help="scenario@package,... (default: all)")
    args = ap.parse_args()
    if args.quality:
        cases = [
            (s, p)
            for p in ("het-sides", "het-cross")
            for s in ("scar-sc1", "scar-sc2", "scar-sc3", "scar-sc4", "scar-sc5")
        ] + [("llm-vision-mix", "het-cross")]
        if args.quality_cases:
            cases = [tuple(c.split("@")) for c in args.quality_cases.split(",")]  # type: ignore[misc]
        quality(cases)
        return
    pkg = get_preset(args.package)
    print(
        f"{'scenario':10} {'package':12} {'objective':9} {'table s':>8} {'wall/cpu s':>9} "
        f"{'windows':>7} {'latency s':>10} {'energy J':>10} {'EDP J*s':>10}"
    )
    for sc_name in args.scenarios.split(","):
        sc = get_scenario(sc_name)
        t0 = time.perf_counter()
        costs = CostTable(sc, pkg)
        for m, e in enumerate(sc.entries):
            costs.model_costs(m, e.batch)
        t_table = time.perf_counter() - t0
        for obj in args.objectives.split(","):
            t1, c1 = time.perf_counter(), time.process_time()
            res = get_strategy(args.strategy)(sc, pkg, costs, obj, SearchOptions())
            t_search = time.perf_counter() - t1
            c_search = time.process_time() - c1
            validate(res.schedule, sc, pkg)
            m = res.metrics
            print(
                f"{sc_name:10} {pkg.name:12} {obj:9} {t_table:8.1f} "
                f"{t_search:5.1f}/{c_search:3.1f} "
                f"{len(res.schedule.windows):7d} {m.latency_s:10.4g} {m.energy_j:10.4g} "
                f"{m.edp:10.4g}",
                flush=True,
            )
    if args.six:
        pkg6 = get_preset("het-cross")
        sc = get_scenario("scar-sc4")
        t0 = time.perf_counter()
        costs = CostTable(sc, pkg6)
        for m, e in enumerate(sc.entries):
            costs.model_costs(m, e.batch)
        t_table = time.perf_counter() - t0
        for n_splits in (2, 3, 4):
            t1, c1 = time.perf_counter(), time.process_time()
            opts = SearchOptions(n_splits=n_splits, search="evolutionary")
            res = get_strategy("scar")(sc, pkg6, costs, "edp", opts)
            t_search = time.perf_counter() - t1
            c_search = time.process_time() - c1
            validate(res.schedule, sc, pkg6)
            m = res.metrics
            print(
                f"{'scar-sc4':10} {pkg6.name:12} {'edp/ns=' + str(n_splits):9} {t_table:8.1f} "
                f"{t_search:5.1f}/{c_search:3.1f} {len(res.schedule.windows):7d} "
                f"{m.latency_s:10.4g} "
                f"{m.energy_j:10.4g} {m.edp:10.4g}",
                flush=True,
            )


if __name__ == "__main__":
    main()
