"""Search speed: seconds per (scenario, package, objective) search, printed as a table.

Usage: ``.venv/bin/python bench/search.py [--scenarios scar-sc1,...] [--package het-sides]
[--objectives edp,latency] [--six]``. Targets (issue 4): one 3x3 search <= 30 s (scar-sc5), the
6x6 search (scar-sc4 on het-cross, n_splits 2 and 3, evolutionary) <= 2 min. The cost table is
built (and timed) separately before the search.
"""

from __future__ import annotations

import argparse
import time

from mcmsched.cost.table import CostTable
from mcmsched.hardware.presets import get_preset
from mcmsched.schedule import validate
from mcmsched.search import SearchOptions, get_strategy
from mcmsched.workload.zoo import get_scenario


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenarios", default="scar-sc1,scar-sc2,scar-sc3,scar-sc4,scar-sc5")
    ap.add_argument("--package", default="het-sides")
    ap.add_argument("--strategy", default="scar")
    ap.add_argument("--objectives", default="edp,latency")
    ap.add_argument("--six", action="store_true", help="also run the 6x6 (het-cross) searches")
    args = ap.parse_args()
    pkg = get_preset(args.package)
    print(
        f"{'scenario':10} {'package':12} {'objective':9} {'table s':>8} {'search s':>9} "
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
            t1 = time.perf_counter()
            res = get_strategy(args.strategy)(sc, pkg, costs, obj, SearchOptions())
            t_search = time.perf_counter() - t1
            validate(res.schedule, sc, pkg)
            m = res.metrics
            print(
                f"{sc_name:10} {pkg.name:12} {obj:9} {t_table:8.1f} {t_search:9.1f} "
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
        for n_splits in (2, 3):
            t1 = time.perf_counter()
            opts = SearchOptions(n_splits=n_splits, search="evolutionary")
            res = get_strategy("scar")(sc, pkg6, costs, "edp", opts)
            t_search = time.perf_counter() - t1
            validate(res.schedule, sc, pkg6)
            m = res.metrics
            print(
                f"{'scar-sc4':10} {pkg6.name:12} {'edp/ns=' + str(n_splits):9} {t_table:8.1f} "
                f"{t_search:9.1f} {len(res.schedule.windows):7d} {m.latency_s:10.4g} "
                f"{m.energy_j:10.4g} {m.edp:10.4g}",
                flush=True,
            )


if __name__ == "__main__":
    main()
