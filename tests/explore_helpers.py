"""Small sweeps shared by the explore tests (tiny scenarios: jobs of 0.01-0.5 s)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

TINY_SCENARIO: dict[str, Any] = {
    "name": "tiny",
    "models": [
        {"model": "mobilenetv2", "batch": 1, "options": {"image": 32}},
        {"model": "bert-base", "batch": 1, "options": {"seq_len": 16, "coarse": True}},
    ],
}


def tiny_sweep(**extra: Any) -> dict[str, Any]:
    """2 packages x 2 PE counts x 3 strategies = 12 jobs on one tiny scenario."""
    d: dict[str, Any] = {
        "name": "tiny",
        "scenarios": [TINY_SCENARIO],
        "packages": [
            "mcm-2x2",
            {"generate": {"rows": 2, "cols": 2, "count": [2], "arrangement": ["checkerboard"]}},
        ],
        "grid": {"pes_per_chiplet": [256, 1024]},
        "strategies": ["scar", "standalone", "nn-baton"],
        "search": {"n_splits": 1, "top_k": 1},
    }
    d.update(extra)
    return d


def comparable(metrics: dict[str, Any]) -> dict[str, Any]:
    """Metrics without the search's own wall time (the only non-deterministic field)."""
    return {k: v for k, v in metrics.items() if k != "search_wall_s"}


def crash_on_seed_99(jobs: list[Any]) -> list[Any]:
    """A task that kills its worker process when a job has seed 99 (else runs the batch)."""
    import os

    from mcmsched.explore.jobs import run_batch

    if any(j.seed == 99 for j in jobs):
        os._exit(3)
    return run_batch(jobs)


def count_rows(db: Path) -> int:
    """Rows in a result store's ``results`` table, read-only (0 if it does not exist yet or is
    locked / being created)."""
    if not db.exists():
        return 0
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return int(con.execute("SELECT count(*) FROM results").fetchone()[0])
        finally:
            con.close()
    except sqlite3.Error:
        return 0
