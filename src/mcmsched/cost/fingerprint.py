"""Identity of a chiplet class for caches, and where caches live.

:func:`class_fingerprint` is the text of everything about a chiplet class that changes its layer
costs; :func:`default_cache_dir` is the cache folder (``$MCMSCHED_CACHE_DIR``, else
``~/.cache/mcmsched``). Used by the cost-table cache (:mod:`mcmsched.cost.table`) and the
searched-mapping store (:mod:`mcmsched.cost.mapping_store`).
"""

from __future__ import annotations

import os
from pathlib import Path

from mcmsched.hardware.chiplet import ChipletClass


def default_cache_dir() -> Path:
    """``$MCMSCHED_CACHE_DIR`` if set, else ``~/.cache/mcmsched``."""
    env = os.environ.get("MCMSCHED_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "mcmsched"


def class_fingerprint(cls: ChipletClass) -> str:
    """Everything about a chiplet class that changes its layer costs, as text."""
    e = cls.energy
    return "|".join(
        [
            cls.name,
            cls.dataflow.to_text(),
            str(cls.n_pes),
            str(cls.l1_bytes),
            str(cls.l2_bytes),
            repr(float(cls.noc_bw)),
            repr(float(cls.mem_bw)),
            repr(float(cls.clock_hz)),
            repr((e.mac_pj, e.l1_factor, e.l2_factor)),
            f"mapping={cls.mapping}",
            f"objective={cls.objective}",
        ]
    )
