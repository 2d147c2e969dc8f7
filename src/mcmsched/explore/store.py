"""The sweep result store: one SQLite file (standard library), one row per finished job.

Tables:

- ``results``: ``job_id`` (PRIMARY KEY), ``params`` (JSON), ``status`` (``ok``/``error``),
  ``metrics`` (JSON), ``latency_s``/``energy_j``/``edp`` (copies for queries), ``error``,
  ``schedule`` (JSON text or NULL), ``wall_s``, ``finished_at`` (UTC ISO-8601), ``worker``,
  ``cpu_s`` (CPU seconds of the job in its worker);
- ``jobs``: every planned job (``job_id`` PRIMARY KEY, ``params``), so reports know the total;
- ``meta``: key/value text (sweep name, spec, mcmsched version, creation time).

Every result is inserted and committed on its own as soon as its job finishes (WAL journal,
``synchronous=NORMAL``: a committed row survives the writer being killed). Rows are never
duplicated: ``job_id`` is the primary key and inserts are ``INSERT ... ON CONFLICT DO NOTHING``
(an ``ok`` row is never overwritten; with ``replace_errors`` an ``error`` row may be replaced by a
new result of the same job).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from mcmsched.errors import MCMSchedError
from mcmsched.explore.jobs import JobResult
from mcmsched.explore.sweep_file import Job

_SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    job_id TEXT PRIMARY KEY,
    params TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'error')),
    metrics TEXT,
    latency_s REAL,
    energy_j REAL,
    edp REAL,
    error TEXT,
    schedule TEXT,
    wall_s REAL NOT NULL,
    finished_at TEXT NOT NULL,
    worker TEXT,
    cpu_s REAL
);
CREATE TABLE IF NOT EXISTS jobs (job_id TEXT PRIMARY KEY, params TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

_COLS = (
    "job_id, params, status, metrics, latency_s, energy_j, edp, error, schedule, wall_s, "
    "finished_at, worker, cpu_s"
)


@dataclass(frozen=True)
class StoredResult:
    """One row of ``results`` with its JSON decoded."""

    job_id: str
    params: dict[str, Any]
    status: str
    metrics: dict[str, Any] | None
    error: str | None
    schedule_json: str | None
    wall_s: float
    finished_at: str
    worker: str | None
    cpu_s: float = 0.0

    @property
    def labels(self) -> dict[str, Any]:
        return dict(self.params.get("labels", {}))


class ResultStore:
    """A SQLite result store at ``path`` (created with its tables if missing).

    ``readonly=True`` opens an existing store for reading only (reports)."""

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = Path(path)
        try:
            if readonly:
                if not self.path.is_file():
                    raise MCMSchedError("no such result store", file=str(self.path))
                self._con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._con = sqlite3.connect(str(self.path), timeout=30)
                self._con.execute("PRAGMA journal_mode=WAL")
                self._con.execute("PRAGMA synchronous=NORMAL")
                self._con.executescript(_SCHEMA)
                self._con.commit()
            self._con.execute("SELECT count(*) FROM results").fetchone()
        except sqlite3.DatabaseError as err:
            raise MCMSchedError(f"not a result store: {err}", file=str(self.path)) from None

    # ---- context manager ----------------------------------------------------------------------
    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ---- meta and plan ---------------------------------------------------------------------------
    def set_meta(self, key: str, value: str) -> None:
        with self._con:
            self._con.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def get_meta(self, key: str) -> str | None:
        row = self._con.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def add_jobs(self, jobs: Iterable[Job]) -> None:
        """Record planned jobs (once each)."""
        with self._con:
            self._con.executemany(
                "INSERT INTO jobs (job_id, params) VALUES (?, ?) ON CONFLICT(job_id) DO NOTHING",
                [(j.id, json.dumps(j.params(), sort_keys=True)) for j in jobs],
            )

    def planned_count(self) -> int:
        return int(self._con.execute("SELECT count(*) FROM jobs").fetchone()[0])

    # ---- results ---------------------------------------------------------------------------------
    def finished_ids(self, *, include_errors: bool = True) -> set[str]:
        """Ids of jobs with a row (with ``include_errors=False``: only ``ok`` rows)."""
        sql = "SELECT job_id FROM results"
        if not include_errors:
            sql += " WHERE status = 'ok'"
        return {str(r[0]) for r in self._con.execute(sql)}

    def add(self, result: JobResult, *, replace_errors: bool = False) -> bool:
        """Insert ``result`` and commit. Returns False (and changes nothing) when the job already
        has a row, unless ``replace_errors`` and that row is an error row."""
        m = result.metrics or {}
        row = (
            result.job_id,
            json.dumps(result.params, sort_keys=True),
            result.status,
            None if result.metrics is None else json.dumps(result.metrics),
            m.get("latency_s"),
            m.get("energy_j"),
            m.get("edp"),
            result.error,
            result.schedule_json,
            float(result.wall_s),
            result.finished_at,
            result.worker,
            float(result.cpu_s),
        )
        conflict = "DO NOTHING"
        if replace_errors:
            sets = ", ".join(f"{c} = excluded.{c}" for c in _COLS.split(", ")[1:])
            conflict = f"DO UPDATE SET {sets} WHERE results.status = 'error'"
        with self._con:
            cur = self._con.execute(
                f"INSERT INTO results ({_COLS}) VALUES ({', '.join('?' * 13)}) "
                f"ON CONFLICT(job_id) {conflict}",
                row,
            )
        return cur.rowcount > 0

    def count(self, status: str | None = None) -> int:
        if status is None:
            return int(self._con.execute("SELECT count(*) FROM results").fetchone()[0])
        return int(
            self._con.execute(
                "SELECT count(*) FROM results WHERE status = ?", (status,)
            ).fetchone()[0]
        )

    def results(self, *, with_schedules: bool = False) -> list[StoredResult]:
        """Every row, ordered by ``finished_at`` then job id."""
        return list(self.iter_results(with_schedules=with_schedules))

    def iter_results(
        self, *, with_schedules: bool = False, job_id: str | None = None
    ) -> Iterator[StoredResult]:
        sched = "schedule" if with_schedules else "NULL"
        where = "" if job_id is None else "WHERE job_id = ? "
        sql = (
            f"SELECT job_id, params, status, metrics, error, {sched}, wall_s, finished_at, worker, "
            f"cpu_s FROM results {where}ORDER BY finished_at, job_id"
        )
        for r in self._con.execute(sql, () if job_id is None else (job_id,)):
            yield StoredResult(
                job_id=str(r[0]),
                params=json.loads(r[1]),
                status=str(r[2]),
                metrics=None if r[3] is None else json.loads(r[3]),
                error=r[4],
                schedule_json=r[5],
                wall_s=float(r[6]),
                finished_at=str(r[7]),
                worker=r[8],
                cpu_s=float(r[9] or 0.0),
            )

    def get(self, job_id: str, *, with_schedule: bool = True) -> StoredResult | None:
        """The row of ``job_id``, or None."""
        for r in self.iter_results(with_schedules=with_schedule, job_id=job_id):
            return r
        return None


__all__ = ["ResultStore", "StoredResult"]
