"""The sweep driver: skip finished jobs, run the rest on an executor, store each result."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from mcmsched import __version__
from mcmsched.explore.executors import Executor
from mcmsched.explore.jobs import JobResult
from mcmsched.explore.store import ResultStore
from mcmsched.explore.sweep_file import Job, Sweep

Progress = Callable[[JobResult, int, int], None]


@dataclass(frozen=True)
class SweepSummary:
    """What :func:`run_sweep` did: ``total`` jobs in the sweep, ``skipped`` (already in the
    store), ``ran`` (results received now), ``ok`` / ``errors`` among those, ``wall_s``, and
    ``error_rows`` = ``(job id, design, message)`` of this run's errors."""

    total: int
    skipped: int
    ran: int
    ok: int
    errors: int
    wall_s: float
    error_rows: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def jobs_per_s(self) -> float:
        return self.ran / self.wall_s if self.wall_s > 0 else 0.0


def pending_jobs(
    jobs: Sequence[Job], store: ResultStore, *, retry_errors: bool = False
) -> list[Job]:
    """The jobs without a row in ``store`` (with ``retry_errors``: also those with an error
    row), in sweep order."""
    done = store.finished_ids(include_errors=not retry_errors)
    return [j for j in jobs if j.id not in done]


def run_sweep(
    sweep: Sweep | Sequence[Job],
    store: ResultStore,
    executor: Executor,
    *,
    retry_errors: bool = False,
    progress: Progress | None = None,
) -> SweepSummary:
    """Run every job of ``sweep`` that ``store`` has not finished; each result is committed to
    the store as it arrives. ``progress(result, done, todo)`` is called after each store write."""
    jobs = list(sweep.jobs if isinstance(sweep, Sweep) else sweep)
    if isinstance(sweep, Sweep):
        if store.get_meta("created_at") is None:
            store.set_meta("created_at", datetime.now(UTC).isoformat(timespec="seconds"))
        store.set_meta("name", sweep.name)
        store.set_meta("spec", json.dumps(sweep.spec, sort_keys=True, default=str))
    store.set_meta("mcmsched_version", __version__)
    store.add_jobs(jobs)
    todo = pending_jobs(jobs, store, retry_errors=retry_errors)
    by_id = {j.id: j for j in todo}
    counts = {"ran": 0, "ok": 0, "errors": 0}
    error_rows: list[tuple[str, str, str]] = []
    t0 = time.perf_counter()

    def on_result(r: JobResult) -> None:
        store.add(r, replace_errors=retry_errors)
        counts["ran"] += 1
        if r.status == "ok":
            counts["ok"] += 1
        else:
            counts["errors"] += 1
            job = by_id.get(r.job_id)
            design = f"{job.scenario_name} / {job.design}" if job else "?"
            error_rows.append((r.job_id, design, r.error or ""))
        if progress is not None:
            progress(r, counts["ran"], len(todo))

    if todo:
        executor.map(todo, on_result)
    return SweepSummary(
        total=len(jobs),
        skipped=len(jobs) - len(todo),
        ran=counts["ran"],
        ok=counts["ok"],
        errors=counts["errors"],
        wall_s=time.perf_counter() - t0,
        error_rows=error_rows,
    )


__all__ = ["SweepSummary", "pending_jobs", "run_sweep"]
