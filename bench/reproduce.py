"""Wall time of each paper experiment (``mcmsched reproduce``), printed as a table.

Usage::

    .venv/bin/python bench/reproduce.py [--only paper1,scar-datacenter,...] [--quick]
        [--xrbench tests/data/reference/xrbench/usage_scenarios] [--out DIR] [--profile]

Targets (issue 4): ``paper1`` fast; the whole ``scar-datacenter`` grid <= 10 min and ``scar-6x6``
<= 2 min on the 2-core machine. Besides wall time the table shows the process CPU time, because
the machine is shared (wall >> CPU means other processes took the cores). ``--profile`` runs each
experiment under cProfile and prints the 15 functions with the largest cumulative time. Cost
tables are cached on disk by :class:`mcmsched.cost.table.CostTable`; a first (cold) run also
builds them.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time
from pathlib import Path

from mcmsched.experiments import RunContext, list_experiments, run_experiment, write_result
from mcmsched.experiments.findings import counts

DEFAULT_XRBENCH = (
    Path(__file__).resolve().parents[1]
    / "tests"
    / "data"
    / "reference"
    / "xrbench"
    / "usage_scenarios"
)
TARGETS = {"scar-datacenter": 600.0, "scar-6x6": 120.0}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default=",".join(n for n, _ in list_experiments()))
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--xrbench", type=Path, default=DEFAULT_XRBENCH)
    ap.add_argument("--out", type=Path, default=Path("results"))
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    print(
        f"{'experiment':16} {'wall s':>8} {'cpu s':>8} {'target s':>8} {'rows':>5} "
        f"{'held':>5} {'not':>5} {'n/run':>5}",
        flush=True,
    )
    for name in args.only.split(","):
        ctx = RunContext(quick=args.quick, xrbench=args.xrbench)
        prof = cProfile.Profile() if args.profile else None
        w0, c0 = time.perf_counter(), time.process_time()
        if prof is not None:
            prof.enable()
        res = run_experiment(name, ctx)
        if prof is not None:
            prof.disable()
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        write_result(res, args.out)
        c = counts(res.findings)
        target = TARGETS.get(name)
        tgt = f"{target:8.0f}" if target is not None else f"{'-':>8}"
        print(
            f"{name:16} {wall:8.1f} {cpu:8.1f} {tgt} {len(res.rows):5d} {c['held']:5d} "
            f"{c['not_held']:5d} {c['not_run']:5d}",
            flush=True,
        )
        if prof is not None:
            s = io.StringIO()
            pstats.Stats(prof, stream=s).sort_stats("cumulative").print_stats(15)
            print(s.getvalue(), flush=True)


if __name__ == "__main__":
    main()
