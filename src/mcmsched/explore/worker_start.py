"""Preloaded in the forkserver of the local pool: a worker that fails while starting prints one
line, not a traceback.

When the sweep driver is interrupted while the pool is still starting workers, a worker being
forked unpickles its process object after the driver has already released the pool's semaphores
and pipes (``FileNotFoundError``, ``EOFError``, ``BrokenPipeError``...). The forkserver prints such
failures with ``sys.excepthook``; this hook makes them quiet (the driver has gone: nothing to
report) and keeps any other start-up failure to one line on stderr.
"""

from __future__ import annotations

import sys
from types import TracebackType

_GONE = (FileNotFoundError, EOFError, BrokenPipeError, ConnectionError)


def _hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    if issubclass(exc_type, _GONE):
        return
    text = " ".join(f"{exc_type.__name__}: {exc}".split())[:200]
    sys.stderr.write(f"mcmsched worker failed to start: {text}\n")


sys.excepthook = _hook
