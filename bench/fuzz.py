"""Fuzz mcmsched's inputs with a fresh seed and print what happened.

    PYTHONPATH=src python bench/fuzz.py [--cases 1000] [--seed N]

Runs N cases of tests/fuzz_helpers.py (mutated scenario, package, sweep, MAESTRO and ONNX files
and CLI argument lists; in this process, each under a time limit) and prints the number of
tracebacks, hangs, invalid inputs accepted and over-long error messages (all should be 0), the
cases per kind, and CPU and wall time. Without --seed the seed is taken from the clock (and
printed, so a failure can be replayed).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from fuzz_helpers import make_cases, report, run_cases  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=None)
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else int(time.time())
    cpu0, wall0 = time.process_time(), time.perf_counter()
    cases = make_cases(args.cases, seed)
    with tempfile.TemporaryDirectory(prefix="mcmsched-fuzz-") as tmp:
        summary = run_cases(cases, Path(tmp))
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    print(f"seed {seed}, {args.cases} cases, {sum(c.invalid for c in cases)} known invalid")
    print(report(summary))
    print(
        f"tracebacks {summary.count('traceback')}, hangs {summary.count('hang')}, "
        f"accepted invalid {summary.count('accepted_invalid')}, "
        f"long errors {summary.count('long_error')}"
    )
    print(f"CPU {cpu:.1f} s, wall {wall:.1f} s ({cpu / max(1, args.cases) * 1e3:.1f} ms CPU/case)")
    sys.exit(1 if summary.bad() else 0)


if __name__ == "__main__":
    main()
