"""On-disk store of searched per-layer mappings, shared by every process on the machine.

The mapping search (:mod:`mcmsched.cost.mapper`) is the costly part of a cold cost table. Its
result for one layer shape (``Layer.shape_key``, at its mini-batch) on one chiplet class depends
only on the two and on the cost-model version, so it is kept in one SQLite file per cost-model
version under the cache folder (a cost table's ``cache_dir``, else
:func:`mcmsched.cost.fingerprint.default_cache_dir`):
``mappings-<version hash>.sqlite``, a table of (class fingerprint hash, shape, the nine cost
values as float64 bytes, the chosen directive text). Other scenarios, packages with the same
classes, sweep jobs, baseline workers and test workers then reuse a shape searched once; results
are bit-identical to a fresh search (the stored values are the search's own float64 numbers).

The store is an optimisation only: any SQLite error (locked past the timeout, read-only folder,
corrupt file) turns it off for the rest of the process and the search runs as if it were empty;
a row of the wrong size is ignored. ``MCMSCHED_MAPPING_STORE=0`` (or a cost table with
``use_disk_cache=False``) turns it off; deleting the file is always safe. Concurrent writers
are serialised by SQLite (WAL journal, 30 s busy timeout).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import numpy as np

from mcmsched.cost.fingerprint import class_fingerprint, default_cache_dir
from mcmsched.hardware.chiplet import ChipletClass

N_VALUES = 9
"""Cost values stored per (class, shape): the rows of the mapper's value arrays."""

_DISABLED: list[bool] = [False]

#: (folder, enabled) set by :func:`location` (a cost table's own cache folder and disk-cache
#: switch); ``None``: the default cache folder, on.
_WHERE: ContextVar[tuple[Path, bool] | None] = ContextVar("mapping_store_where", default=None)


@contextmanager
def location(folder: Path, *, enabled: bool = True) -> Iterator[None]:
    """Inside the block the store lives in ``folder`` (and is off when ``enabled`` is false):
    :class:`mcmsched.cost.table.CostTable` passes its ``cache_dir`` and ``use_disk_cache``."""
    token = _WHERE.set((folder, enabled))
    try:
        yield
    finally:
        _WHERE.reset(token)


def enabled() -> bool:
    """False when turned off (``MCMSCHED_MAPPING_STORE=0``, a cost table with
    ``use_disk_cache=False``) or after an SQLite error."""
    where = _WHERE.get()
    if where is not None and not where[1]:
        return False
    return not _DISABLED[0] and os.environ.get("MCMSCHED_MAPPING_STORE", "1") != "0"


def store_path(version: str) -> Path:
    """The store file for cost-model ``version`` in the current cache folder."""
    tag = hashlib.sha256(version.encode()).hexdigest()[:16]
    where = _WHERE.get()
    folder = where[0] if where is not None else default_cache_dir()
    return folder / f"mappings-{tag}.sqlite"


def class_key(cls: ChipletClass) -> str:
    """Hash of everything about ``cls`` that changes its layer costs."""
    return hashlib.sha256(class_fingerprint(cls).encode()).hexdigest()[:32]


def _connect(version: str) -> sqlite3.Connection:
    path = store_path(version)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=30.0)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute(
        "CREATE TABLE IF NOT EXISTS memo (cls TEXT NOT NULL, shape TEXT NOT NULL, "
        "vals BLOB NOT NULL, text TEXT NOT NULL, PRIMARY KEY (cls, shape))"
    )
    return con


def load(
    version: str, cls: ChipletClass, shapes: Sequence[tuple[object, ...]]
) -> dict[tuple[object, ...], tuple[np.ndarray, str]]:
    """Stored ``(values [N_VALUES], directive text)`` of the ``shapes`` found for ``cls``."""
    if not shapes or not enabled():
        return {}
    ck = class_key(cls)
    by_text = {repr(s): s for s in shapes}
    out: dict[tuple[object, ...], tuple[np.ndarray, str]] = {}
    try:
        con = _connect(version)
        try:
            keys = list(by_text)
            for i in range(0, len(keys), 500):
                chunk = keys[i : i + 500]
                marks = ",".join("?" * len(chunk))
                rows = con.execute(
                    f"SELECT shape, vals, text FROM memo WHERE cls = ? AND shape IN ({marks})",
                    [ck, *chunk],
                ).fetchall()
                for shape, vals, text in rows:
                    arr = np.frombuffer(vals, dtype=np.float64)
                    if arr.size == N_VALUES and shape in by_text:
                        out[by_text[shape]] = (arr.copy(), str(text))
        finally:
            con.close()
    except sqlite3.Error:
        _DISABLED[0] = True
        return {}
    return out


def save(
    version: str,
    cls: ChipletClass,
    items: Sequence[tuple[tuple[object, ...], np.ndarray, str]],
) -> None:
    """Store ``(shape, values [N_VALUES], directive text)`` results for ``cls`` (first writer
    wins: a shape stored already is left as it is)."""
    if not items or not enabled():
        return
    ck = class_key(cls)
    rows = [
        (ck, repr(shape), np.asarray(vals, dtype=np.float64).tobytes(), text)
        for shape, vals, text in items
    ]
    try:
        con = _connect(version)
        try:
            with con:
                con.executemany("INSERT OR IGNORE INTO memo VALUES (?, ?, ?, ?)", rows)
        finally:
            con.close()
    except sqlite3.Error:
        _DISABLED[0] = True
