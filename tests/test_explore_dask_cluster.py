"""A real Dask cluster, not a LocalCluster: ``dask scheduler`` and two ``dask worker`` processes on
localhost (the CLIs of the ``dask`` extra), ``mcmsched sweep run --dask tcp://...`` against them,
one worker killed (SIGKILL) while it holds a task. Every job must land in the result store exactly
once, ``ok``, with the metrics and schedule of the local process pool.

Robustness: the scheduler picks its own free port (``--port 0``) and writes it to a scheduler
file; every process runs in its own session and is killed as a group in ``finally``; every wait
has a timeout; the scheduler exits on its own after 60 s idle and the workers 30 s after losing
the scheduler, should this test process itself be killed."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from explore_helpers import comparable, tiny_sweep
from mcmsched.explore.executors import DaskExecutor, LocalExecutor
from mcmsched.explore.run import run_sweep
from mcmsched.explore.store import ResultStore
from mcmsched.explore.sweep_file import load_sweep, sweep_from_dict

distributed = pytest.importorskip("distributed")

REPO = Path(__file__).resolve().parents[1]
SWEEP = REPO / "examples" / "sweeps" / "ci-small.yaml"  # 24 jobs of 0.01-0.8 s
# the `dask` CLI, installed with distributed by `pip install mcmsched[dask]`
_BESIDE = Path(sys.executable).with_name("dask")
DASK = str(_BESIDE) if _BESIDE.exists() else shutil.which("dask")
SRC = Path(__import__("mcmsched").__file__).resolve().parents[1]  # the mcmsched under test


def _wait_for(cond: Callable[[], Any], timeout_s: float, what: str, poll_s: float = 0.05) -> Any:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        value = cond()
        if value:
            return value
        time.sleep(poll_s)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


def _alive(p: subprocess.Popen[bytes]) -> bool:
    return p.poll() is None


def _kill_group(p: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process and everything in its session (it was started as a session leader)."""
    if p.poll() is None:
        try:
            os.killpg(p.pid, signal.SIGCONT)  # a stopped group would not die before it resumes
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    p.wait(timeout=30)


def _group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


def _stored_rows(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as con:
            return int(con.execute("SELECT count(*) FROM results").fetchone()[0])
    except sqlite3.Error:  # not created yet
        return 0


def test_sweep_on_a_real_cluster_survives_a_killed_worker(tmp_path: Path) -> None:
    assert DASK is not None, "distributed is installed but its `dask` CLI is not on the PATH"
    sweep = load_sweep(SWEEP)
    jobs = list(sweep.jobs)
    assert len(jobs) == 24

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")])
    # the cluster computes its own cost tables (not the local pool's cached ones)
    env["MCMSCHED_CACHE_DIR"] = str(tmp_path / "cluster-cost-cache")
    env["DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED"] = "False"
    sched_file = tmp_path / "scheduler.json"
    db = tmp_path / "cluster.db"
    procs: list[subprocess.Popen[bytes]] = []

    def start(args: list[str], log: str) -> subprocess.Popen[bytes]:
        with open(tmp_path / log, "wb") as out:
            p = subprocess.Popen(
                args, cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        procs.append(p)
        return p

    def worker(name: str) -> subprocess.Popen[bytes]:
        return start(
            [DASK, "worker", "--scheduler-file", str(sched_file), "--name", name,
             "--nthreads", "1", "--no-nanny", "--host", "127.0.0.1", "--no-dashboard",
             "--death-timeout", "30s", "--local-directory", str(tmp_path / name)],
            f"{name}.log",
        )  # fmt: skip

    client: Any = None
    try:
        start(
            [DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
             "--scheduler-file", str(sched_file), "--idle-timeout", "60s"],
            "scheduler.log",
        )  # fmt: skip
        _wait_for(lambda: sched_file.exists() and sched_file.stat().st_size, 30, "the scheduler")
        address = json.loads(sched_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        victim, survivor = worker("victim"), worker("survivor")
        client = distributed.Client(address, timeout="30s")
        client.wait_for_workers(2, timeout=60)
        by_name = {w["name"]: a for a, w in client.scheduler_info()["workers"].items()}
        assert set(by_name) == {"victim", "survivor"}

        # one task per job, so that many tasks pass through each worker
        sweep_run = start(
            [sys.executable, "-m", "mcmsched", "sweep", "run", str(SWEEP), "--store", str(db),
             "--dask", address, "--batch", "1", "--quiet"],
            "sweep.log",
        )  # fmt: skip

        def victim_busy() -> bool:
            """Stop the victim once it holds a task after >= 2 jobs were stored; then it can
            no longer finish that task, whose jobs are lost with it unless re-run."""
            if _stored_rows(db) < 2 or not client.processing(workers=[by_name["victim"]]).get(
                by_name["victim"]
            ):
                return False
            os.kill(victim.pid, signal.SIGSTOP)
            if client.processing(workers=[by_name["victim"]]).get(by_name["victim"]):
                return True
            os.kill(victim.pid, signal.SIGCONT)  # it finished in between: try again
            return False

        _wait_for(victim_busy, 90, "the victim to run a task mid-sweep")
        assert _alive(sweep_run), "the sweep ended before a worker could be killed"
        rows_at_kill = _stored_rows(db)
        assert 2 <= rows_at_kill < len(jobs)
        victim.kill()
        victim.wait(timeout=10)
        # the scheduler notices and runs the lost task(s) on the survivor
        _wait_for(lambda: len(client.scheduler_info()["workers"]) == 1, 30, "the worker loss")
        try:
            rc = sweep_run.wait(timeout=180)
        except subprocess.TimeoutExpired:
            raise AssertionError("the sweep did not finish after the worker was killed") from None
        log = (tmp_path / "sweep.log").read_text(errors="replace")
        assert rc == 0, log
        # the driver received each job's result once: 24 results, none an error
        assert re.search(r"ran 24 jobs .*: 24 ok, 0 errors", " ".join(log.split())), log
    finally:
        if client is not None:
            client.close(timeout=10)
        for p in reversed(procs):
            _kill_group(p)
    # no process is left behind: every session the test started is gone
    assert all(_group_gone(p.pid) for p in procs)

    with ResultStore(db) as st:
        stored = st.results(with_schedules=True)
    ids = [r.job_id for r in stored]
    assert len(ids) == len(set(ids)) == len(jobs)  # every job exactly once
    assert set(ids) == {j.id for j in jobs}
    assert all(r.status == "ok" for r in stored), [r.error for r in stored]
    # the jobs ran on the cluster's two workers (the victim's lost task on the survivor)
    by_pid = Counter(r.worker.rsplit(":", 1)[1] for r in stored)
    assert set(by_pid) <= {str(victim.pid), str(survivor.pid)}
    assert by_pid[str(survivor.pid)] >= len(jobs) - rows_at_kill - 2  # - results in flight

    # the same sweep on the local process pool gives the same metrics and schedules
    with ResultStore(tmp_path / "local.db") as st, LocalExecutor(2) as ex:
        summary = run_sweep(sweep, st, ex)
        local = {r.job_id: r for r in st.results(with_schedules=True)}
    assert (summary.ran, summary.ok) == (24, 24)
    for r in stored:
        assert r.metrics is not None and local[r.job_id].metrics is not None
        assert comparable(r.metrics) == comparable(local[r.job_id].metrics)  # type: ignore[arg-type]
        assert r.schedule_json == local[r.job_id].schedule_json
    assert len({r.metrics["edp"] for r in stored if r.metrics}) > 10  # not vacuous


def test_dask_option_says_only_a_trusted_cluster() -> None:
    """Results from a ``--dask tcp://`` scheduler are unpickled: CLI help and docs say so."""
    from typer.testing import CliRunner

    from mcmsched.cli import app

    out = CliRunner().invoke(app, ["sweep", "run", "--help"], env={"COLUMNS": "200"}).output
    assert "unpickled" in out and "trusted cluster" in out
    docs = " ".join((REPO / "docs" / "SWEEPS.md").read_text().split())
    assert "Only use a cluster you trust" in docs and "unpickles" in docs


def test_dask_executor_follows_a_scaling_cluster() -> None:
    """Workers that join after the sweep connected (dask-jobqueue, Kubernetes autoscaling) or
    leave it change how many tasks are kept in flight."""
    jobs = list(sweep_from_dict(tiny_sweep(strategies=["standalone"])).jobs)
    assert len(jobs) == 4
    with DaskExecutor("local", 1) as ex:
        assert ex.workers == 1
        ex._cluster.scale(2)
        ex._client.wait_for_workers(2, timeout=60)
        assert ex.workers == 1  # read once at connect ...
        ex.refresh_s = 0.0  # ... and, while a sweep runs, at every result
        out: dict[str, str] = {}
        ex.map(jobs, lambda r: out.setdefault(r.job_id, r.status))
        assert ex.workers == 2
        assert out == {j.id: "ok" for j in jobs}
        ex._cluster.scale(1)
        _wait_for(lambda: ex.refresh_workers() == 1, 60, "a worker to leave")
