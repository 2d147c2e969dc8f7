"""Sweep throughput: jobs/s with 1 and 2 local workers and a 2-worker Dask LocalCluster.

Usage: ``.venv/bin/python bench/sweep.py [--jobs 200] [--skip-dask]``. Target (issue 6): the
2-worker speed-up over 1 worker >= 1.8x on a 200-job sweep of small scenarios.

The sweep: two small two-model scenarios (MobileNetV2 at 32 px + coarse BERT-base at 16 tokens;
ResNet-50 at 32 px batch 2 + coarse GPT-2 small at 16 tokens) x five 2x2 packages (mcm-2x2 and
generated NVD/Shi mixes) x five PE counts x two NoP bandwidths x two objectives = 200 SCAR jobs
(n_splits 2, top_k 2), ~0.1-0.5 s each. Each executor is started and warmed up (worker processes
spawned, mcmsched imported) before the clock starts, writes to a fresh store, and uses a fresh
cost-table cache directory, so every run does the same work. Start-up times are printed apart.

Printed per executor: wall time, jobs/s, mean job time (measured inside the workers), the
overhead per job = (wall x workers - sum of job times) / jobs (idle workers, pickling, store
writes, tail imbalance), ``cpu/wall`` = CPU seconds the jobs got per wall second (1.0 = a core
of their own; lower = they waited for a core) and ``cores`` = CPU seconds of all jobs / wall
time. The load average is printed too: the 2-worker speed-up can only reach 2x when two cores
are free; when it misses, the bench prints the speed-up corrected to the 1-worker run's CPU share
(speed-up x cpu/wall(1 worker) / cpu/wall(2 workers)).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from mcmsched.explore.executors import DaskExecutor, Executor, LocalExecutor
from mcmsched.explore.run import run_sweep
from mcmsched.explore.store import ResultStore
from mcmsched.explore.sweep_file import Job, sweep_from_dict

SPEC: dict[str, Any] = {
    "name": "bench",
    "scenarios": [
        {
            "name": "mnv2-bert",
            "models": [
                {"model": "mobilenetv2", "batch": 1, "options": {"image": 32}},
                {"model": "bert-base", "batch": 1, "options": {"seq_len": 16, "coarse": True}},
            ],
        },
        {
            "name": "r50-gpt2",
            "models": [
                {"model": "resnet50", "batch": 2, "options": {"image": 32}},
                {"model": "gpt2-small", "batch": 1, "options": {"seq_len": 16, "coarse": True}},
            ],
        },
    ],
    "packages": [
        "mcm-2x2",
        {
            "generate": {
                "rows": 2,
                "cols": 2,
                "count": [1, 2],
                "arrangement": ["columns", "checkerboard"],
            }
        },
    ],
    "grid": {"pes_per_chiplet": [256, 512, 1024, 2048, 4096], "nop_bw_gbps": [25, 100]},
    "strategies": ["scar"],
    "objectives": ["edp", "latency"],
    "search": {"n_splits": 2, "top_k": 2},
}


def _run(name: str, make: Any, jobs: list[Job], tmp: Path) -> dict[str, Any]:
    os.environ["MCMSCHED_CACHE_DIR"] = str(tmp / f"cache-{name}")
    t0 = time.perf_counter()
    ex: Executor = make()
    warm = getattr(ex, "warm_up", None)
    if warm is not None:
        warm()
    startup = time.perf_counter() - t0
    with ex, ResultStore(tmp / f"{name}.db") as st:
        load0 = os.getloadavg()[0]
        summary = run_sweep(jobs, st, ex)
        load1 = os.getloadavg()[0]
        rows = st.results()
    job_s = sum(r.wall_s for r in rows)
    cpu_s = sum(r.cpu_s for r in rows)
    return {
        "name": name,
        "workers": ex.workers,
        "startup_s": startup,
        "wall_s": summary.wall_s,
        "jobs_per_s": summary.ran / summary.wall_s,
        "mean_job_s": job_s / len(rows),
        "overhead_per_job_s": (summary.wall_s * ex.workers - job_s) / len(rows),
        "cpu_share": cpu_s / job_s,  # CPU seconds per wall second inside the jobs
        "cores_used": cpu_s / summary.wall_s,
        "errors": summary.errors,
        "load": (load0, load1),
        "metrics": {r.job_id: r.metrics for r in rows},
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=200)
    ap.add_argument("--skip-dask", action="store_true")
    ap.add_argument(
        "--executors", default="local-1,local-2,dask-2", help="which runs (first = baseline)"
    )
    args = ap.parse_args()
    sweep = sweep_from_dict(SPEC)
    jobs = list(sweep.jobs)[: args.jobs]
    print(f"sweep: {len(jobs)} jobs, {os.cpu_count()} CPUs, load average {os.getloadavg()}")
    runs = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        makers: dict[str, Any] = {
            "local-1": lambda: LocalExecutor(1),
            "local-2": lambda: LocalExecutor(2),
            "dask-1": lambda: DaskExecutor("local", 1),
            "dask-2": lambda: DaskExecutor("local", 2),
        }
        for name in args.executors.split(","):
            if args.skip_dask and name.startswith("dask"):
                continue
            runs.append(_run(name, makers[name], jobs, tmp))
    base = runs[0]
    print(
        f"{'executor':9} {'workers':>7} {'start s':>8} {'wall s':>8} {'jobs/s':>7} "
        f"{'job s':>7} {'ovh ms/job':>10} {'cpu/wall':>8} {'cores':>5} {'speed-up':>8} "
        f"{'load':>11}"
    )
    for r in runs:
        print(
            f"{r['name']:9} {r['workers']:7d} {r['startup_s']:8.2f} {r['wall_s']:8.2f} "
            f"{r['jobs_per_s']:7.2f} {r['mean_job_s']:7.3f} {1e3 * r['overhead_per_job_s']:10.1f} "
            f"{r['cpu_share']:8.2f} {r['cores_used']:5.2f} "
            f"{r['jobs_per_s'] / base['jobs_per_s']:7.2f}x {r['load'][0]:5.2f}/{r['load'][1]:4.2f}"
        )

    # every executor found the same schedules
    def strip(m: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if m is None else {k: v for k, v in m.items() if k != "search_wall_s"}

    same = all(
        {k: strip(v) for k, v in r["metrics"].items()}
        == {k: strip(v) for k, v in base["metrics"].items()}
        for r in runs
    )
    print(f"identical metrics across executors: {same}; errors: {[r['errors'] for r in runs]}")
    for r in runs[1:]:
        sp = r["jobs_per_s"] / base["jobs_per_s"]
        verdict = "meets" if sp >= 1.8 else "MISSES"
        print(f"{r['name']}: speed-up {sp:.2f}x on {r['workers']} workers ({verdict} 1.8x)")
        if sp < 1.8:
            slow = r["mean_job_s"] / base["mean_job_s"]
            print(
                f"  mean job time {r['mean_job_s']:.3f} s vs {base['mean_job_s']:.3f} s on 1 "
                f"worker ({slow:.2f}x: CPU contention when > 1 is measured), overhead "
                f"{1e3 * r['overhead_per_job_s']:.1f} ms/job; the jobs got "
                f"{r['cpu_share']:.2f} CPU s per wall s ({r['cores_used']:.2f} cores in all): "
                "with the CPU share of the 1-worker run the speed-up would be "
                f"{sp * base['cpu_share'] / max(r['cpu_share'], 1e-9):.2f}x"
            )


if __name__ == "__main__":
    main()
