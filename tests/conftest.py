"""Shared test fixtures: the vendored reference data (tests/data/reference), an isolated cache."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


@pytest.fixture(scope="session")
def maestro_mapping_layers(reference_dir: Path) -> list[Any]:
    """Every layer of the MAESTRO mapping files (``maestro/mappings/*.m``), each with its
    file's dataflow."""
    from mcmsched.workload.importers.maestro import load_maestro

    files = sorted((reference_dir / "maestro" / "mappings").glob("*.m"))
    layers = [ly for f in files for m in load_maestro(f) for ly in m.layers]
    assert len(layers) > 600
    return layers


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


#: Modules whose tests share a costly module-scoped fixture (a run, a sweep store, a report, the
#: MAESTRO reference evaluation): under ``pytest -n`` one worker runs all of such a module's tests,
#: so the fixture is built once (handed out one test at a time, both workers built it: the
#: ``result`` run of test_runner_run.py, 25-29 s of CPU, was built twice).
SHARED_FIXTURE_MODULES = frozenset(
    {
        "test_runner_run.py",
        "test_html_browser.py",
        "test_cost_maestro_full_runs.py",
        "test_cost_maestro_agreement.py",
        "test_explore_report.py",
        "test_explore_safety.py",
    }
)


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``pytest -n N`` (xdist's default ``--dist load``): hand tests out one at a time as workers
    free up (the suite's tests take 0.01-60 s, so this balances the two workers), except that the
    tests of each module of :data:`SHARED_FIXTURE_MODULES` go to one worker together; those
    modules are handed out first (xdist's loadscope orders work units by size). xdist's own
    ``--dist loadgroup`` would do this with ``xdist_group`` marks, but with pytest 9.2 and
    xdist 3.8 its node-id suffix has no effect (the marked tests still went to both workers).
    Any other ``--dist`` given on the command line is left to xdist."""
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SharedFixtureScheduling(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return path if path.rsplit("/", 1)[-1] in SHARED_FIXTURE_MODULES else nodeid

    return SharedFixtureScheduling(config, log)
