"""Executors: run jobs somewhere and hand each result back to the driver as it arrives.

One interface, :meth:`Executor.map(jobs, on_result)`: ``on_result`` is called in the driver
process, once per job, as soon as the task holding it finishes (the sweep driver writes it to the
store there). Implementations:

- :class:`LocalExecutor`: a ``concurrent.futures.ProcessPoolExecutor`` (``forkserver`` start
  method; default workers = ``os.cpu_count()``); ``workers=0`` runs in the driver process;
- :class:`DaskExecutor`: Dask distributed, either a ``LocalCluster`` it starts (``"local"``, n
  worker processes with one thread each) or a running scheduler (``"tcp://HOST:PORT"``; its
  workers need mcmsched installed). ``dask`` is imported only here, lazily.

Batching: jobs are sent in batches (one task runs several jobs one after another) so that the
per-task overhead (pickling, scheduling, result transfer; ~1-5 ms local, more on Dask) is small
next to the work. The batch size adapts: the first tasks hold one job each; afterwards a batch
holds about ``target_task_s`` seconds of work at the mean job time seen so far, capped by
``max_batch`` and by the number of jobs left divided by twice the worker count (so the tail of a
sweep is still spread over every worker). ``batch_size`` fixes the size instead. At most
``2 x workers`` tasks are in flight, so results keep flowing to the store.
"""

from __future__ import annotations

import contextlib
import importlib
import math
import multiprocessing
import os
import sys
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from types import TracebackType
from typing import Any

from mcmsched.errors import MCMSchedError, excerpt
from mcmsched.explore.jobs import JobResult, error_result, run_batch
from mcmsched.explore.sweep_file import Job

OnResult = Callable[[JobResult], None]

_PR_SET_PDEATHSIG = 1


def _watch_driver(driver_pid: int) -> None:
    """Exit this process as soon as ``driver_pid`` has exited (a daemon thread's body): waits on a
    Linux pidfd (no polling) where available, else checks the pid twice a second."""
    import select
    import time

    try:
        fd = os.pidfd_open(driver_pid)
    except (AttributeError, OSError):
        fd = -1
    if fd >= 0:
        select.select([fd], [], [])  # readable once the process has exited
        os._exit(1)
    while True:
        try:
            os.kill(driver_pid, 0)
        except ProcessLookupError:
            os._exit(1)
        except OSError:
            pass
        time.sleep(0.5)


def _worker_init(driver_pid: int) -> None:
    """Initializer of every local pool worker: it dies with the sweep driver and ignores Ctrl-C.

    With the forkserver start method a worker is the forkserver's child, and the forkserver
    exits only when every worker has (they hold its "alive" pipe), while a worker blocked on the
    task queue never sees the driver go (it holds the queue's write end itself). So each worker
    watches the driver process (``driver_pid``) from a daemon thread and exits the moment it is
    gone, whether the driver was killed by SIGKILL, SIGTERM or crashed; on Linux
    ``prctl(PR_SET_PDEATHSIG, SIGKILL)`` also kills it with its direct parent. SIGINT is ignored:
    Ctrl-C reaches the whole process group and only the driver handles it (it then terminates
    the pool)."""
    import ctypes
    import signal
    import threading

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):  # no prctl: the watchdog thread still works
            pass
    threading.Thread(target=_watch_driver, args=(driver_pid,), daemon=True).start()


class Batcher:
    """Cuts a job list into batches whose size follows the observed mean job time."""

    def __init__(
        self,
        jobs: Sequence[Job],
        workers: int,
        *,
        batch_size: int | None = None,
        target_task_s: float = 1.0,
        max_batch: int = 64,
    ) -> None:
        self.pending: deque[Job] = deque(jobs)
        self.workers = max(1, workers)
        self.fixed = batch_size
        self.target_task_s = target_task_s
        self.max_batch = max_batch
        self._done = 0
        self._time_s = 0.0

    def observe(self, results: Sequence[JobResult]) -> None:
        """Account the wall time of finished jobs."""
        self._done += len(results)
        self._time_s += sum(r.wall_s for r in results)

    def size(self) -> int:
        if self.fixed is not None:
            return max(1, self.fixed)
        if self._done == 0:
            return 1
        mean = max(self._time_s / self._done, 1e-6)
        size = int(self.target_task_s / mean)
        tail = math.ceil(len(self.pending) / (2 * self.workers))
        return max(1, min(size, self.max_batch, tail))

    def next(self) -> list[Job]:
        n = min(self.size(), len(self.pending))
        return [self.pending.popleft() for _ in range(n)]

    def __bool__(self) -> bool:
        return bool(self.pending)


class Executor(ABC):
    """Runs jobs and calls ``on_result`` in the driver for each finished job."""

    workers: int = 1

    @abstractmethod
    def map(self, jobs: Sequence[Job], on_result: OnResult) -> None:
        """Run every job; call ``on_result`` once per job, in completion order."""

    def close(self) -> None:
        """Release workers (idempotent)."""
        return None

    def describe(self) -> str:
        return type(self).__name__

    def __enter__(self) -> Executor:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class LocalExecutor(Executor):
    """A local process pool with ``workers`` processes (default ``os.cpu_count()``);
    ``workers=0`` runs the jobs in the calling process (no pool). If a worker process dies, the
    jobs of the batches in flight become error rows, the pool is restarted and the sweep goes
    on."""

    def __init__(
        self,
        workers: int | None = None,
        *,
        batch_size: int | None = None,
        target_task_s: float = 1.0,
        max_batch: int = 64,
        task: Callable[[Sequence[Job]], list[JobResult]] = run_batch,
    ) -> None:
        n = (os.cpu_count() or 1) if workers is None else workers
        if n < 0:
            raise MCMSchedError("workers must be >= 0", field="workers")
        self.workers = n
        self.batch_size = batch_size
        self.target_task_s = target_task_s
        self.max_batch = max_batch
        self._task = task  # what one task runs (a module-level function; tests swap it)
        self._pool: ProcessPoolExecutor | None = None

    def describe(self) -> str:
        if self.workers == 0:
            return "in-process (no pool)"
        return f"local process pool, {self.workers} worker(s)"

    def _get_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            methods = multiprocessing.get_all_start_methods()
            ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
            if ctx.get_start_method() == "forkserver":
                ctx.set_forkserver_preload(
                    ["mcmsched.explore.worker_start", "mcmsched.explore.jobs"]
                )
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=ctx,
                initializer=_worker_init,
                initargs=(os.getpid(),),
            )
        return self._pool

    def warm_up(self) -> None:
        """Start every worker process now (so timing excludes start-up)."""
        if self.workers == 0:
            return
        pool = self._get_pool()
        for f in [pool.submit(run_batch, []) for _ in range(self.workers * 2)]:
            f.result()

    def map(self, jobs: Sequence[Job], on_result: OnResult) -> None:
        if self.workers == 0:
            for job in jobs:
                on_result(self._task([job])[0])
            return
        batcher = Batcher(
            jobs,
            self.workers,
            batch_size=self.batch_size,
            target_task_s=self.target_task_s,
            max_batch=self.max_batch,
        )
        in_flight: dict[Future[list[JobResult]], list[Job]] = {}
        broken = False
        while batcher or in_flight:
            while batcher and len(in_flight) < 2 * self.workers and not broken:
                batch = batcher.next()
                try:
                    in_flight[self._get_pool().submit(self._task, batch)] = batch
                except RuntimeError:  # pool broken (a worker died): restart it
                    batcher.pending.extendleft(reversed(batch))
                    broken = True
            if broken and not in_flight:
                self._restart()
                broken = False
                continue
            done, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
            for fut in done:
                batch = in_flight.pop(fut)
                try:
                    results = fut.result()
                except Exception as err:  # the worker process died (BrokenProcessPool) etc.
                    broken = True
                    msg = f"worker failed while running this job's batch: {type(err).__name__}"
                    results = [error_result(j, f"{msg}: {err}") for j in batch]
                batcher.observe(results)
                for r in results:
                    on_result(r)

    def _restart(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def terminate(self) -> None:
        """Kill the worker processes now (jobs in flight are lost; they have no stored row, so a
        resumed sweep runs them again) and release the pool."""
        pool = self._pool
        if pool is None:
            return
        self._pool = None
        procs = list((getattr(pool, "_processes", None) or {}).values())
        for proc in procs:
            with contextlib.suppress(OSError, ValueError, AttributeError):
                proc.kill()
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in procs:
            with contextlib.suppress(OSError, ValueError, AttributeError, AssertionError):
                proc.join(timeout=5)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:  # an error or an interrupt (SystemExit from the signal handler): do not wait
            self.terminate()


_QUIET_DASK: dict[str, Any] = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.gil.enabled": False,
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
}


class DaskExecutor(Executor):
    """Dask distributed. ``address="local"`` starts a ``LocalCluster`` with ``workers`` worker
    processes (``processes=True, threads_per_worker=1``); ``"tcp://HOST:PORT"`` connects to a
    running scheduler (``workers`` is then only used for batch sizing; the cluster's worker
    count is read from the scheduler, and again every ``refresh_s`` seconds while a sweep runs).
    Tasks and results travel as pickles and the results the scheduler returns are unpickled
    here: connect only to a cluster you trust. A worker that dies loses its running tasks and
    the scheduler runs them again elsewhere, so each job is still reported once (docs/SWEEPS.md,
    "Running on a Dask cluster")."""

    def __init__(
        self,
        address: str = "local",
        workers: int | None = None,
        *,
        batch_size: int | None = None,
        target_task_s: float = 1.0,
        max_batch: int = 64,
    ) -> None:
        check_dask_address(address)
        try:
            distributed: Any = importlib.import_module("distributed")
        except ImportError:
            raise MCMSchedError(
                "the Dask executor needs dask.distributed: pip install mcmsched[dask]",
                field="dask",
            ) from None
        self.address = address
        self.batch_size = batch_size
        self.target_task_s = target_task_s
        self.max_batch = max_batch
        self._cluster: Any = None
        if address == "local":
            import logging

            # a sweep needs no per-task diagnostics: turn off the 10 ms stack profiler and the
            # GIL monitor and poll memory less often (each costs worker CPU on small machines);
            # the nannies pass this configuration on to their workers
            dask: Any = importlib.import_module("dask")
            dask.config.set(_QUIET_DASK)
            n = workers or os.cpu_count() or 1
            self._cluster = distributed.LocalCluster(
                n_workers=n,
                processes=True,
                threads_per_worker=1,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
            self._client: Any = distributed.Client(self._cluster)
        elif address.startswith(("tcp://", "tls://", "ucx://", "inproc://")):
            try:
                self._client = distributed.Client(address, timeout="20s")
            except (OSError, TimeoutError) as err:
                raise MCMSchedError(
                    f"cannot connect to the Dask scheduler at {address}: {err}", field="dask"
                ) from None
        else:
            raise MCMSchedError(
                f"--dask takes 'local' or a scheduler address like tcp://HOST:8786, got "
                f"{address!r}",
                field="dask",
            )
        n_workers = len(self._client.scheduler_info().get("workers", {}))
        self.workers = max(1, n_workers or (workers or 1))
        #: seconds between worker-count refreshes while a sweep runs (tasks in flight follow it)
        self.refresh_s = 2.0

    def describe(self) -> str:
        where = "LocalCluster" if self._cluster is not None else self.address
        return f"Dask ({where}), {self.workers} worker(s)"

    def warm_up(self) -> None:
        """Import mcmsched on every worker now (so timing excludes it)."""
        self._client.run(lambda: run_batch([]))

    def refresh_workers(self) -> int:
        """Re-read the cluster's worker count (workers join and leave a running cluster: a
        dask-jobqueue or Kubernetes cluster scales up after the sweep has connected, a killed
        worker leaves); keep the last count while none is connected or the scheduler does not
        answer. Returns the count."""
        try:
            n = len(self._client.scheduler_info().get("workers", {}))
        except Exception:  # scheduler busy or gone: the task futures will report it
            return self.workers
        if n > 0:
            self.workers = n
        return self.workers

    def map(self, jobs: Sequence[Job], on_result: OnResult) -> None:
        as_completed: Any = importlib.import_module("distributed").as_completed
        batcher = Batcher(
            jobs,
            self.workers,
            batch_size=self.batch_size,
            target_task_s=self.target_task_s,
            max_batch=self.max_batch,
        )
        batches: dict[str, list[Job]] = {}
        ac = as_completed()

        def submit() -> None:
            batch = batcher.next()
            fut = self._client.submit(run_batch, batch, pure=False)
            batches[fut.key] = batch
            ac.add(fut)

        for _ in range(2 * self.workers):
            if batcher:
                submit()
        refreshed = time.monotonic()
        for fut in ac:
            if time.monotonic() - refreshed > self.refresh_s:  # follow a scaling cluster
                batcher.workers = self.refresh_workers()
                refreshed = time.monotonic()
            batch = batches.pop(fut.key)
            try:
                results = fut.result()
            except Exception as err:  # KilledWorker, lost connection, ...
                msg = f"Dask task failed: {type(err).__name__}: {err}"
                results = [error_result(j, msg) for j in batch]
            fut.release()
            batcher.observe(results)
            for r in results:
                on_result(r)
            while batcher and len(batches) < 2 * self.workers:
                submit()

    def close(self) -> None:
        if getattr(self, "_client", None) is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


def check_dask_address(address: str) -> None:
    """Refuse a Dask address that is neither ``local`` nor ``SCHEME://HOST:PORT`` (a port in
    1..65535) before anything connects."""
    from urllib.parse import urlsplit

    if address == "local":
        return
    schemes = ("tcp", "tls", "ucx", "inproc")
    hint = "--dask takes 'local' or a scheduler address like tcp://HOST:8786"
    parts = urlsplit(address) if len(address) <= 300 else None
    if parts is None or parts.scheme not in schemes:
        raise MCMSchedError(f"{hint}, got {excerpt(address)}", field="dask")
    if parts.scheme == "inproc":
        return
    try:
        port = parts.port
    except ValueError:
        port = None
    if not parts.hostname or port is None or not 0 < port < 65536:
        raise MCMSchedError(f"{hint} (host and port needed), got {excerpt(address)}", field="dask")


def make_executor(
    workers: int | None = None, dask: str | None = None, *, batch_size: int | None = None
) -> Executor:
    """``DaskExecutor(dask, workers)`` when ``dask`` is given, else ``LocalExecutor(workers)``."""
    if dask:
        return DaskExecutor(dask, workers, batch_size=batch_size)
    return LocalExecutor(workers, batch_size=batch_size)


__all__ = ["Batcher", "DaskExecutor", "Executor", "LocalExecutor", "OnResult", "make_executor"]
