"""Shared test fixtures: the vendored reference data (tests/data/reference), an isolated cache."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# MAESTRO / MAESTRO-models / XRBench reference data vendored with their LICENSE files
# (tests/data/reference/*/LICENSE); a clone of the repository alone passes its tests.
REFERENCE = REPO / "tests" / "data" / "reference"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """``tests/data/reference`` (MAESTRO and XRBench data for validation). Tests fail, not skip,
    when it is missing: it is part of the repository."""
    assert REFERENCE.is_dir(), f"reference data not found at {REFERENCE}"
    return REFERENCE


@pytest.fixture(scope="session", autouse=True)
def _isolated_cost_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep the cost-table disk cache of a test run out of the user's ~/.cache (and start cold,
    so a stale cache can never hide a cost-model change). Subprocesses inherit the variable.
    Under pytest-xdist the workers of one run share one folder (the run's base temp folder is
    per run, its ``popen-gwN`` subfolders per worker): a table one worker built is read by the
    other (files are content-hashed and written atomically, so sharing is safe)."""
    old = os.environ.get("MCMSCHED_CACHE_DIR")
    base = tmp_path_factory.getbasetemp()
    folder = base.parent / "cost-cache" if os.environ.get("PYTEST_XDIST_WORKER") else None
    if folder is None:
        folder = tmp_path_factory.mktemp("cost-cache")
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["MCMSCHED_CACHE_DIR"] = str(folder)
    yield
    if old is None:
        os.environ.pop("MCMSCHED_CACHE_DIR", None)
    else:
        os.environ["MCMSCHED_CACHE_DIR"] = old


@pytest.fixture(scope="session", autouse=True)
def _serial_baselines() -> Iterator[None]:
    """Score a run's baselines one after another in the test process (``run()`` reads
    ``$MCMSCHED_BASELINE_WORKERS``; 1 = no worker pool) unless the caller set the variable.
    Under ``pytest -n 2`` a pool per run would start two more busy processes on each xdist
    worker (six on two cores), and forked workers start with an empty mapping-search memo, so
    every baseline re-searched the layer mappings the main search had just found (the serial
    path reuses them, and the monolithic baseline reuses the main search's table): the four
    examples of test_cli_run.py took 181 s of CPU with the pool (140 s of it in the pool's
    workers), 141 s without. The results are
    the same (test_runner_baselines.py::test_parallel_baselines_equal_serial_ones); the pool
    itself stays tested there, by the tests that pass ``baseline_workers`` or set the variable
    (parallel = serial, killed runs leave no worker, a daemonic caller, a broken pool)."""
    old = os.environ.get("MCMSCHED_BASELINE_WORKERS")
    if old is None:
        os.environ["MCMSCHED_BASELINE_WORKERS"] = "1"
    yield
    if old is None:
        os.environ.pop("MCMSCHED_BASELINE_WORKERS", None)
