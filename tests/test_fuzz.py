"""A seeded fuzz test of every input kind (issue 12, "no crash on any input").

600 cases mutate valid inputs (scenario, package and sweep YAML, MAESTRO model and hardware
files, a small ONNX model, CLI argument lists; see tests/fuzz_helpers.py). Every case must end
with exit code 0 or 2, no traceback, within its time limit, with a one-line error of bounded
length; mutations known to make an input invalid must be refused (exit 2). ``bench/fuzz.py`` runs
a fresh seed of 1,000 cases and prints the counts.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from fuzz_helpers import TIME_LIMIT_S, make_cases, report, run_cases

N_CASES = 600
SEED = 12


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="FIFOs, /dev/zero, SIGALRM")
def test_fuzz_no_crash_no_hang_no_invalid_accepted(tmp_path: Path) -> None:
    cases = make_cases(N_CASES, SEED)
    kinds = {c.kind for c in cases}
    assert kinds == {"scenario", "package", "sweep", "maestro", "onnx", "cli"}
    assert sum(c.invalid for c in cases) >= 200  # enough known-invalid inputs to mean something
    summary = run_cases(cases, tmp_path, time_limit_s=TIME_LIMIT_S)
    text = report(summary)
    assert summary.bad() == [], text
    # both outcomes occur: valid mutations run, invalid ones are refused
    codes = [o.exit_code for o in summary.outcomes]
    assert codes.count(0) >= 30 and codes.count(2) >= 300, text


def test_fuzz_cases_are_deterministic() -> None:
    a = [(c.kind, c.what, c.invalid) for c in make_cases(50, 3)]
    b = [(c.kind, c.what, c.invalid) for c in make_cases(50, 3)]
    assert a == b
    assert a != [(c.kind, c.what, c.invalid) for c in make_cases(50, 4)]
