"""Executors: a local process pool and a real Dask LocalCluster give identical results; errors
in single jobs become error rows while the rest of the sweep finishes; batch sizing."""

from __future__ import annotations

from pathlib import Path

import pytest

from explore_helpers import TINY_SCENARIO, comparable, tiny_sweep
from mcmsched.explore.executors import Batcher, DaskExecutor, LocalExecutor
from mcmsched.explore.jobs import JobResult
from mcmsched.explore.run import run_sweep
from mcmsched.explore.store import ResultStore
from mcmsched.explore.sweep_file import sweep_from_dict


def _collect(ex: LocalExecutor | DaskExecutor, jobs: list) -> dict[str, JobResult]:  # type: ignore[type-arg]
    out: dict[str, JobResult] = {}

    def on_result(r: JobResult) -> None:
        assert r.job_id not in out  # each job reported once
        out[r.job_id] = r

    ex.map(jobs, on_result)
    return out


def test_local_pool_and_dask_cluster_agree() -> None:
    sw = sweep_from_dict(tiny_sweep())
    jobs = list(sw.jobs)
    assert len(jobs) == 12
    with LocalExecutor(2) as ex:
        local = _collect(ex, jobs)
    with DaskExecutor("local", 2) as ex:
        assert ex.workers == 2
        dask = _collect(ex, jobs)
    assert set(local) == set(dask) == {j.id for j in jobs}
    for k in local:
        a, b = local[k], dask[k]
        assert a.status == b.status == "ok", (a.error, b.error)
        assert a.metrics is not None and b.metrics is not None
        assert comparable(a.metrics) == comparable(b.metrics)
        assert a.schedule_json == b.schedule_json
    # the results differ between designs (the comparison is not vacuous)
    assert len({local[k].metrics["edp"] for k in local}) > 3  # type: ignore[index]
    # both executors ran the jobs in other processes
    import os

    assert all(not r.worker.endswith(f":{os.getpid()}") for r in [*local.values(), *dask.values()])


def test_error_rows_do_not_stop_the_sweep(tmp_path: Path) -> None:
    nodram = {
        "name": "nodram",
        "classes": {"a": {"dataflow": "nvdla"}},
        "layout": ["a a"],
        "dram": {"interfaces": []},
    }
    d = tiny_sweep(
        packages=["mcm-2x2", nodram],
        strategies=["standalone"],
        jobs=[
            {"scenario": TINY_SCENARIO, "package": "mcm-2x2", "overrides": {"pes_per_chiplet": 0}},
            {
                "scenario": {"name": "x", "models": [{"model": "no-such-model"}]},
                "package": "mcm-2x2",
            },
            {"scenario": TINY_SCENARIO, "package": "het-sides", "strategy": "simba"},
        ],
    )
    sw = sweep_from_dict(d)
    assert len(sw.jobs) == 2 * 2 + 3
    with ResultStore(tmp_path / "e.db") as st, LocalExecutor(2) as ex:
        summary = run_sweep(sw, st, ex)
        rows = {r.job_id: r for r in st.results()}
    assert (summary.ran, summary.ok, summary.errors) == (7, 2, 5)
    assert len(rows) == 7
    by_pkg = {}
    for j in sw.jobs:
        by_pkg.setdefault(j.labels["package"], []).append(rows[j.id])
    assert all(r.status == "ok" and r.error is None for r in by_pkg["mcm-2x2"][:2])
    assert all(r.status == "error" for r in by_pkg["nodram"])
    assert all("no chiplet has a DRAM interface" in (r.error or "") for r in by_pkg["nodram"])
    explicit = [rows[j.id] for j in sw.jobs[4:]]
    assert "pes_per_chiplet" in (explicit[0].error or "")
    assert "no-such-model" in (explicit[1].error or "")
    assert "homogeneous" in (explicit[2].error or "")
    assert all(r.metrics is None for r in explicit)
    assert {e[0] for e in summary.error_rows} == {k for k, r in rows.items() if r.status == "error"}


def test_batcher_sizes() -> None:
    sw = sweep_from_dict(tiny_sweep(seeds=list(range(10))))  # 120 jobs
    b = Batcher(sw.jobs, workers=2, target_task_s=1.0, max_batch=16)
    assert b.size() == 1  # nothing measured yet
    first = b.next()
    assert len(first) == 1

    def fake(wall: float) -> JobResult:
        return JobResult("x", {}, "ok", {}, None, None, wall, "", "")

    b.observe([fake(0.1), fake(0.1)])  # mean 0.1 s -> 10 jobs per 1 s task
    assert b.size() == 10
    b.observe([fake(0.001)] * 98)  # mean ~2 ms -> capped by max_batch
    assert b.size() == 16
    # near the end the tail cap ceil(remaining / (2 x workers)) takes over:
    # 119 -> 103 -> 87 -> 71 -> 55 (16 each), then 14 (55/4), 11 (41/4), 8 (30/4), 6 (22/4)
    sizes = []
    while len(b.pending) > 20:
        sizes.append(len(b.next()))
    assert sizes == [16, 16, 16, 16, 14, 11, 8, 6]
    assert (len(b.pending), b.size()) == (16, 4)
    assert Batcher(sw.jobs, 2, batch_size=7).size() == 7


def test_dask_address_checked() -> None:
    from mcmsched.errors import MCMSchedError

    with pytest.raises(MCMSchedError, match="local"):
        DaskExecutor("somewhere:1234")


def test_dead_worker_gives_error_rows_and_the_pool_restarts() -> None:
    from explore_helpers import crash_on_seed_99

    sw = sweep_from_dict(tiny_sweep(strategies=["nn-baton"], seeds=[0, 1, 99, 2, 3]))
    jobs = list(sw.jobs)  # 4 designs x 5 seeds; seed 99 kills its worker
    assert len(jobs) == 20
    with LocalExecutor(1, batch_size=1, task=crash_on_seed_99) as ex:
        out = _collect(ex, jobs)
    assert set(out) == {j.id for j in jobs}
    errors = {k for k, r in out.items() if r.status == "error"}
    crashers = {j.id for j in jobs if j.seed == 99}
    assert crashers <= errors
    assert all("worker failed" in (out[k].error or "") for k in errors)
    # only the crashing batch and the one other batch in flight (2 x 1 worker) can fail
    assert len(errors) <= 2 * len(crashers)
    assert all(out[j.id].status == "ok" for j in jobs if j.seed != 99 and j.id not in errors)
    assert sum(r.status == "ok" for r in out.values()) >= 20 - 8
