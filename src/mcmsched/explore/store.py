"""The sweep result store: one SQLite file (standard library), one row per finished job.

Tables:

- ``results``: ``job_id`` (PRIMARY KEY), ``params`` (JSON), ``status`` (``ok``/``error``),
  ``metrics`` (JSON), ``latency_s``/``energy_j``/``edp`` (copies for queries), ``error``,
  ``schedule`` (JSON text or NULL), ``wall_s``, ``finished_at`` (UTC ISO-8601), ``worker``,
  ``cpu_s`` (CPU seconds of the job in its worker);
- ``jobs``: every planned job (``job_id`` PRIMARY KEY, ``params``), so reports know the total;
- ``meta``: key/value text (sweep name, spec, mcmsched version, creation time, and
  ``store_version``, the layout version :data:`STORE_VERSION`: a store of another layout or a
  SQLite file of another program is refused on opening with a clear message; rows that do not
  decode are skipped by reports and counted).

Every result is inserted and committed on its own as soon as its job finishes (WAL journal,
``synchronous=NORMAL``: a committed row survives the writer being killed). Rows are never
duplicated: ``job_id`` is the primary key and inserts are ``INSERT ... ON CONFLICT DO NOTHING``
(an ``ok`` row is never overwritten; with ``replace_errors`` an ``error`` row may be replaced by a
new result of the same job).
"""

from __future__ import annotations

import functools
import json
import math
import sqlite3
import typing
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from mcmsched.errors import MCMSchedError, excerpt
from mcmsched.explore.jobs import JobResult
from mcmsched.explore.sweep_file import Job
from mcmsched.safe_io import check_path

#: Layout version of the store (``meta.store_version``); bump it when the tables change.
STORE_VERSION = 1

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


_F = TypeVar("_F", bound=Callable[..., Any])


def _db_errors(func: _F) -> _F:
    """Turn any SQLite error of a store method into one MCMSchedError naming the store."""

    @functools.wraps(func)
    def wrapper(self: ResultStore, *args: Any, **kwargs: Any) -> Any:
        try:
            return func(self, *args, **kwargs)
        except sqlite3.Error as err:
            raise MCMSchedError(
                f"result store error ({type(err).__name__}: {excerpt(str(err), 120)})",
                file=str(self.path),
            ) from None

    return typing.cast(_F, wrapper)


def _decode_row(r: Sequence[Any]) -> StoredResult | None:
    """A :class:`StoredResult` from a raw row, or None when the row is corrupt (undecodable JSON,
    wrong types, non-finite numbers)."""
    try:
        params = json.loads(r[1])
        metrics = None if r[3] is None else json.loads(r[3])
        ok = (
            isinstance(r[0], str)
            and isinstance(params, dict)
            and isinstance(params.get("labels", {}), dict)
            and isinstance(params.get("overrides", {}), dict)
            and (metrics is None or isinstance(metrics, dict))
            and r[2] in ("ok", "error")
            and (r[4] is None or isinstance(r[4], str))
            and (r[5] is None or isinstance(r[5], str))
            and (r[8] is None or isinstance(r[8], str))
        )
        if not ok:
            return None
        wall_s, cpu_s = float(r[6]), float(r[9] or 0.0)
        if not (math.isfinite(wall_s) and math.isfinite(cpu_s)):
            return None
        if r[2] == "ok" and metrics is not None:
            for key in ("latency_s", "energy_j", "edp"):
                v = metrics.get(key)
                if not isinstance(v, int | float) or isinstance(v, bool):
                    return None
        return StoredResult(
            job_id=r[0],
            params=params,
            status=str(r[2]),
            metrics=metrics,
            error=r[4],
            schedule_json=r[5],
            wall_s=wall_s,
            finished_at=str(r[7]),
            worker=r[8],
            cpu_s=cpu_s,
        )
    except (ValueError, TypeError, RecursionError):
        return None


class ResultStore:
    """A SQLite result store at ``path`` (created with its tables if missing).

    ``readonly=True`` opens an existing store for reading only (reports). The store records its
    layout version (:data:`STORE_VERSION`, ``meta.store_version``); a store of another layout,
    a SQLite file of another program, or a file that is not SQLite at all is refused on opening
    with one clear message (before any job runs). Rows that cannot be decoded are skipped by
    :meth:`results` and counted in :attr:`corrupt_rows` (job ids)."""

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = check_path(path, what="result store path")
        self.corrupt_rows: list[str] = []
        self._con: sqlite3.Connection | None = None
        try:
            if readonly:
                if not self.path.is_file():
                    raise MCMSchedError("no such result store", file=str(self.path))
                self._con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)
                self._check_layout(creating=False)
            else:
                if self.path.exists() and not self.path.is_file():
                    raise MCMSchedError("not a regular file", file=str(self.path))
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._con = sqlite3.connect(str(self.path), timeout=30)
                fresh = self._check_layout(creating=True)
                self._con.execute("PRAGMA journal_mode=WAL")
                self._con.execute("PRAGMA synchronous=NORMAL")
                self._con.executescript(_SCHEMA)
                if fresh or self.get_meta("store_version") is None:
                    self._con.execute(
                        "INSERT INTO meta (key, value) VALUES ('store_version', ?) "
                        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                        (str(STORE_VERSION),),
                    )
                self._con.commit()
            self._con.execute("SELECT count(*) FROM results").fetchone()
        except MCMSchedError:
            self.close()
            raise
        except (sqlite3.Error, OSError) as err:
            self.close()
            raise MCMSchedError(
                f"not a result store ({type(err).__name__}: {excerpt(str(err), 80)})",
                file=str(self.path),
            ) from None

    def _check_layout(self, *, creating: bool) -> bool:
        """Check the tables and the layout version; True for an empty (new) database."""
        assert self._con is not None
        tables = {
            str(r[0])
            for r in self._con.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        if not tables and creating:
            return True
        if "results" not in tables or "meta" not in tables or "jobs" not in tables:
            raise MCMSchedError(
                "not an mcmsched result store (a SQLite file without its 'results', 'jobs' and "
                "'meta' tables); give a new file name",
                file=str(self.path),
            )
        row = self._con.execute("SELECT value FROM meta WHERE key = 'store_version'").fetchone()
        version = None if row is None else str(row[0])
        if version is not None and version != str(STORE_VERSION):
            raise MCMSchedError(
                f"result store layout version {excerpt(version, 20)}; this mcmsched reads "
                f"version {STORE_VERSION} (run the sweep into a new store file)",
                file=str(self.path),
            )
        cols = {str(r[1]) for r in self._con.execute("PRAGMA table_info(results)")}
        missing = [c for c in _COLS.split(", ") if c not in cols]
        if missing:
            raise MCMSchedError(
                f"result store of an older layout (no column {', '.join(missing[:3])}); run the "
                "sweep into a new store file",
                file=str(self.path),
            )
        return False

    # ---- context manager ----------------------------------------------------------------------
    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    @property
    def _db(self) -> sqlite3.Connection:
        if self._con is None:
            raise MCMSchedError("the result store is closed", file=str(self.path))
        return self._con

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
    @_db_errors
    def set_meta(self, key: str, value: str) -> None:
        with self._db:
            self._db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    @_db_errors
    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    @_db_errors
    def add_jobs(self, jobs: Iterable[Job]) -> None:
        """Record planned jobs (once each)."""
        with self._db:
            self._db.executemany(
                "INSERT INTO jobs (job_id, params) VALUES (?, ?) ON CONFLICT(job_id) DO NOTHING",
                [(j.id, json.dumps(j.params(), sort_keys=True)) for j in jobs],
            )

    @_db_errors
    def planned_count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM jobs").fetchone()[0])

    # ---- results ---------------------------------------------------------------------------------
    @_db_errors
    def finished_ids(self, *, include_errors: bool = True) -> set[str]:
        """Ids of jobs with a row (with ``include_errors=False``: only ``ok`` rows)."""
        sql = "SELECT job_id FROM results"
        if not include_errors:
            sql += " WHERE status = 'ok'"
        return {str(r[0]) for r in self._db.execute(sql)}

    @_db_errors
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
        with self._db:
            cur = self._db.execute(
                f"INSERT INTO results ({_COLS}) VALUES ({', '.join('?' * 13)}) "
                f"ON CONFLICT(job_id) {conflict}",
                row,
            )
        return cur.rowcount > 0

    @_db_errors
    def count(self, status: str | None = None) -> int:
        if status is None:
            return int(self._db.execute("SELECT count(*) FROM results").fetchone()[0])
        return int(
            self._db.execute("SELECT count(*) FROM results WHERE status = ?", (status,)).fetchone()[
                0
            ]
        )

    @_db_errors
    def results(self, *, with_schedules: bool = False) -> list[StoredResult]:
        """Every row that decodes, ordered by ``finished_at`` then job id (rows that do not
        decode are skipped and their job ids listed in :attr:`corrupt_rows`)."""
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
        self.corrupt_rows = []
        for r in self._db.execute(sql, () if job_id is None else (job_id,)):
            row = _decode_row(r)
            if row is None:
                self.corrupt_rows.append(excerpt(r[0], 40))
            else:
                yield row

    @_db_errors
    def get(self, job_id: str, *, with_schedule: bool = True) -> StoredResult | None:
        """The row of ``job_id``, or None."""
        for r in self.iter_results(with_schedules=with_schedule, job_id=job_id):
            return r
        return None


__all__ = ["STORE_VERSION", "ResultStore", "StoredResult"]
