"""Design-space sweeps: sweep files, executors (local process pool, Dask), a resumable SQLite
result store and sweep reports. See docs/SWEEPS.md."""

from mcmsched.explore.sweep_file import Job, Sweep, load_sweep, sweep_from_dict

__all__ = ["Job", "Sweep", "load_sweep", "sweep_from_dict"]
