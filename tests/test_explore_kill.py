"""Killing a pooled ``mcmsched sweep run`` driver (SIGKILL or SIGTERM of the driver alone, not its
process group) leaves no process behind: the workers die with their parent (PR_SET_PDEATHSIG
through the forkserver; on SIGTERM the driver also terminates its pool), and every row stored
before the kill is whole (no row lost or duplicated on resume)."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from explore_helpers import TINY_SCENARIO, count_rows


def _group_alive(pgid: int) -> list[int]:
    """Pids of the processes of process group ``pgid`` (Linux /proc), zombies excluded."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        state, pgrp = fields[0], int(fields[2])
        if pgrp == pgid and state != "Z":
            out.append(int(entry))
    return out


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc and prctl")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_killed_pooled_sweep_leaves_no_process(tmp_path: Path, sig: signal.Signals) -> None:
    spec = {
        "name": "killme",
        "scenarios": [TINY_SCENARIO],
        "packages": ["mcm-2x2"],
        "grid": {"pes_per_chiplet": [256, 512, 1024, 2048, 4096], "l2_bytes": ["2 MiB", "10 MiB"]},
        "seeds": [0, 1, 2, 3],
        "search": {"n_splits": 1, "top_k": 1},
    }
    sweep_file = tmp_path / "kill.yaml"
    sweep_file.write_text(yaml.safe_dump(spec))
    db = tmp_path / "kill.db"
    cmd = [sys.executable, "-m", "mcmsched", "sweep", "run", str(sweep_file), "--store", str(db)]
    cmd += ["--workers", "2", "--batch", "1", "--quiet"]
    proc = subprocess.Popen(
        cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    pgid = proc.pid
    deadline = time.monotonic() + 90
    try:
        while count_rows(db) < 2:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "driver made no progress"
            time.sleep(0.05)
        workers = [p for p in _group_alive(pgid) if p != proc.pid]
        assert len(workers) >= 2  # forkserver (and resource tracker) + 2 workers
        os.kill(proc.pid, sig)  # the driver only: its children must follow by themselves
        proc.wait(timeout=30)
        left: list[int] = []
        end = time.monotonic() + 15
        while time.monotonic() < end:
            left = _group_alive(pgid)
            if not left:
                break
            time.sleep(0.1)
        assert left == [], f"processes left after {sig.name}: {left}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
    err = proc.stderr.read() if proc.stderr else b""  # after the group is gone: no hang
    if sig == signal.SIGTERM:
        assert proc.returncode == 143
        assert b"Traceback" not in err and b"terminated" in err
    else:
        assert proc.returncode == -signal.SIGKILL
    con = sqlite3.connect(db)
    n, distinct, bad = con.execute(
        "SELECT count(*), count(DISTINCT job_id), sum(status != 'ok') FROM results"
    ).fetchone()
    assert n == distinct and n >= 2 and bad == 0
