"""Clean interrupts for the command line: Ctrl-C (SIGINT) and SIGTERM at any moment, also while
the CLI is still importing its modules, end the process with one line on stderr and exit code
130 (SIGINT) or 143 (SIGTERM), never a traceback.

The handler raises :class:`SystemExit`, so ``finally`` blocks and context managers still run
(the sweep executor terminates its worker processes, temporary output folders are removed, the
result store is closed; every row committed before stays, none is half-written). Only the stdlib
is imported here, so :func:`install` can run before the heavy imports.

A signal handler runs between any two bytecodes, also inside library code that catches or
converts exceptions (numpy turns an exception raised while it compares structured arrays into a
``TypeError``; an exception in a ``__del__`` is printed and dropped). So the exit is also made
sure of: :func:`received` tells the CLI's top level that a signal came (it then exits with the
signal's code, whatever exception ended the command), and a watchdog thread ends the process
with that code if it is still running :data:`GRACE_S` seconds after the signal (the exit was
swallowed and the command went on).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from types import FrameType

EXIT_SIGINT = 130
EXIT_SIGTERM = 143

GRACE_S = 20.0
"""Seconds the cleanup may take after a signal before the watchdog ends the process."""

_installed = False
_received: list[int] = []  # the exit code of the first signal received


def _watchdog(code: int) -> None:
    time.sleep(GRACE_S)
    with contextlib.suppress(OSError):
        os.write(2, f"still running {GRACE_S:g} s after the signal; exiting now\n".encode())
    os._exit(code)


def _handler(signum: int, frame: FrameType | None) -> None:
    # a second signal while cleaning up must not interrupt the cleanup with a traceback
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    code = EXIT_SIGINT if signum == signal.SIGINT else EXIT_SIGTERM
    if not _received:
        _received.append(code)
        name = "interrupted" if signum == signal.SIGINT else "terminated"
        with contextlib.suppress(OSError):
            os.write(2, f"\n{name} (signal {signum}); partial results were not written\n".encode())
        threading.Thread(target=_watchdog, args=(code,), daemon=True).start()
    raise SystemExit(code)


def received() -> int | None:
    """The exit code (130, 143) of the signal this process received, or ``None``."""
    return _received[0] if _received else None


def install() -> None:
    """Route SIGINT and SIGTERM to a quiet exit (main thread only; idempotent)."""
    global _installed
    if _installed:
        return
    try:
        signal.signal(signal.SIGINT, _handler)
        signal.signal(signal.SIGTERM, _handler)
        _installed = True
    except ValueError:  # not the main thread
        pass


def running_as_cli() -> bool:
    """True when this process is the ``mcmsched`` command (console script or ``-m``)."""
    argv0 = sys.argv[0] if sys.argv else ""
    name = os.path.basename(argv0)
    parent = os.path.basename(os.path.dirname(argv0))
    return name == "mcmsched" or (name == "__main__.py" and parent == "mcmsched")


__all__ = ["EXIT_SIGINT", "EXIT_SIGTERM", "GRACE_S", "install", "received", "running_as_cli"]
