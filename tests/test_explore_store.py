"""Result store: one row per job, no overwrite of finished rows, and kill-and-resume of a real
``mcmsched sweep run`` driver (SIGKILL of its process group mid-sweep)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import yaml

from explore_helpers import TINY_SCENARIO, comparable, count_rows
from mcmsched.explore.executors import LocalExecutor
from mcmsched.explore.jobs import JobResult, run_job
from mcmsched.explore.run import pending_jobs, run_sweep
from mcmsched.explore.store import ResultStore
from mcmsched.explore.sweep_file import load_sweep, sweep_from_dict


def _result(job_id: str, status: str, latency: float | None, when: str) -> JobResult:
    metrics = None if latency is None else {"latency_s": latency, "energy_j": 2.0, "edp": 3.0}
    return JobResult(
        job_id, {"labels": {}}, status, metrics, None if metrics else "boom", None, 0.5, when, "w"
    )


def test_insert_is_once_per_job(tmp_path: Path) -> None:
    with ResultStore(tmp_path / "s.db") as st:
        assert st.add(_result("a", "ok", 1.0, "t1"))
        assert not st.add(_result("a", "ok", 9.0, "t2"))  # finished row kept as it was
        assert not st.add(_result("a", "error", None, "t3"), replace_errors=True)
        assert st.add(_result("b", "error", None, "t1"))
        assert st.finished_ids() == {"a", "b"}
        assert st.finished_ids(include_errors=False) == {"a"}
        assert st.add(_result("b", "ok", 4.0, "t4"), replace_errors=True)  # error row replaced
        rows = {r.job_id: r for r in st.results()}
    assert len(rows) == 2
    assert rows["a"].metrics == {"latency_s": 1.0, "energy_j": 2.0, "edp": 3.0}
    assert rows["a"].finished_at == "t1"
    assert (rows["b"].status, rows["b"].finished_at, rows["b"].error) == ("ok", "t4", None)
    con = sqlite3.connect(tmp_path / "s.db")
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("SELECT count(*), count(DISTINCT job_id) FROM results").fetchone() == (2, 2)


def test_resume_in_process_skips_finished(tmp_path: Path) -> None:
    d = {
        "scenarios": [TINY_SCENARIO],
        "packages": ["mcm-2x2"],
        "grid": {"pes_per_chiplet": [256, 512, 1024]},
        "strategies": ["standalone", "nn-baton"],
    }
    sw = sweep_from_dict(d)
    with ResultStore(tmp_path / "s.db") as st, LocalExecutor(0) as ex:
        first = run_sweep(list(sw.jobs[:2]), st, ex)
        assert (first.total, first.ran, first.skipped) == (2, 2, 0)
        before = {r.job_id: r for r in st.results()}
        again = run_sweep(sw, st, ex)
        assert (again.total, again.skipped, again.ran, again.ok) == (6, 2, 4, 4)
        after = {r.job_id: r for r in st.results()}
        assert st.planned_count() == 6
        assert run_sweep(sw, st, ex).ran == 0
    assert set(after) == {j.id for j in sw.jobs}
    for k, r in before.items():
        assert after[k].finished_at == r.finished_at and after[k].metrics == r.metrics


def test_kill_and_resume(tmp_path: Path) -> None:
    # 20 SCAR jobs of ~0.15 s on one worker with one job per task: the kill lands mid-sweep
    spec = {
        "name": "killme",
        "scenarios": [TINY_SCENARIO],
        "packages": ["mcm-2x2"],
        "grid": {"pes_per_chiplet": [256, 512, 1024, 2048, 4096], "l2_bytes": ["2 MiB", "10 MiB"]},
        "seeds": [0, 1],
        "search": {"n_splits": 1, "top_k": 1},
    }
    sweep_file = tmp_path / "kill.yaml"
    sweep_file.write_text(yaml.safe_dump(spec))
    sweep = load_sweep(sweep_file)
    assert len(sweep.jobs) == 20
    db = tmp_path / "kill.db"
    cmd = [
        sys.executable,
        "-m",
        "mcmsched",
        "sweep",
        "run",
        str(sweep_file),
        "--store",
        str(db),
        "--workers",
        "1",
        "--batch",
        "1",
        "--quiet",
    ]
    proc = subprocess.Popen(
        cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 60
    try:
        while count_rows(db) < 3:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "driver made no progress"
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the driver, its forkserver and workers
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    with ResultStore(db) as st:
        before = {r.job_id: r for r in st.results()}
        assert 3 <= len(before) < 20, len(before)
        assert all(r.status == "ok" for r in before.values())
        todo = pending_jobs(sweep.jobs, st)
        assert {j.id for j in todo} == {j.id for j in sweep.jobs} - set(before)
        ran: list[str] = []
        with LocalExecutor(0) as ex:
            summary = run_sweep(sweep, st, ex, progress=lambda r, done, total: ran.append(r.job_id))
        after = {r.job_id: r for r in st.results()}
    # resume ran exactly the missing jobs, each once
    assert sorted(ran) == sorted(j.id for j in todo)
    assert (summary.skipped, summary.ran, summary.errors) == (len(before), 20 - len(before), 0)
    assert set(after) == {j.id for j in sweep.jobs}
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*), count(DISTINCT job_id) FROM results").fetchone() == (
        20,
        20,
    )
    for k, r in before.items():  # rows finished before the kill are untouched
        assert after[k].finished_at == r.finished_at
        assert after[k].metrics == r.metrics
        assert after[k].worker == r.worker
    # and they are the same results a fresh run gives
    k0 = next(iter(before))
    fresh = run_job(next(j for j in sweep.jobs if j.id == k0))
    assert fresh.metrics is not None and before[k0].metrics is not None
    assert comparable(fresh.metrics) == comparable(before[k0].metrics)
