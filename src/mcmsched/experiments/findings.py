"""Turning result rows into :class:`~mcmsched.experiments.base.Finding` s.

Every finding is computed from the numbers of the rows; nothing is asserted. Three shapes:

- :func:`qualitative`: a boolean condition (e.g. "Het-Sides has the best EDP of the six");
- :func:`factor`: a claimed ratio ``a / b`` (e.g. "Het-Sides EDP 0.58x of Standalone(NVD)").
  ``held`` is the *direction* of the claim (ratio below 1 when the paper's is below 1, above 1
  when above, by more than :data:`DEADBAND` so that a tie does not count); ``close`` says
  whether our ratio is within ``tolerance`` (relative, default 25%) of the paper's;
- :func:`percent`: a claimed reduction ``1 - a / b`` in percent; ``held`` = the reduction has the
  paper's sign, ``close`` = within ``tolerance_pp`` percentage points.

A finding whose inputs are missing (a row not run in ``--quick`` mode) has ``held = None``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from mcmsched.experiments.base import Finding

#: Relative tolerance for ``close`` on ratios.
TOLERANCE = 0.25
#: A ratio within this of 1 is a tie: it does not hold a "faster" / "lower" claim.
DEADBAND = 0.01
#: Tolerance for ``close`` on percentages (percentage points).
TOLERANCE_PP = 10.0


def fmt(x: float | None, digits: int = 3) -> str:
    """A number with ``digits`` significant digits, or ``n/a``."""
    if x is None or not math.isfinite(x):
        return "n/a"
    return f"{x:.{digits}g}"


def not_run(key: str, claim: str, paper: str, criterion: str) -> Finding:
    """A finding whose rows were not run."""
    return Finding(key, claim, paper, "n/a (not run)", None, criterion)


def qualitative(key: str, claim: str, held: bool | None, ours: str, criterion: str) -> Finding:
    """A yes/no claim; ``held=None`` when not computable."""
    if held is None:
        return not_run(key, claim, "-", criterion)
    return Finding(key, claim, "-", ours, bool(held), criterion)


def factor(
    key: str,
    claim: str,
    paper: float,
    ours: float | None,
    *,
    label: str = "x",
    tolerance: float = TOLERANCE,
) -> Finding:
    """A claimed ratio ``paper`` (e.g. 0.58 = "0.58x of") against ``ours``."""
    if paper > 1:
        crit = f"ours > {1 + DEADBAND:g} (paper {paper:g}{label}); close if within {tolerance:.0%}"
    elif paper < 1:
        crit = f"ours < {1 - DEADBAND:g} (paper {paper:g}{label}); close if within {tolerance:.0%}"
    else:
        crit = f"ours within {tolerance:.0%} of 1"
    if ours is None or not math.isfinite(ours) or ours <= 0:
        return not_run(key, claim, f"{paper:g}{label}", crit)
    if paper > 1:
        held = ours > 1 + DEADBAND
    elif paper < 1:
        held = ours < 1 - DEADBAND
    else:
        held = abs(ours - 1) <= tolerance
    close = abs(ours / paper - 1) <= tolerance
    return Finding(key, claim, f"{paper:g}{label}", f"{fmt(ours)}{label}", held, crit, close)


def percent(
    key: str,
    claim: str,
    paper_pct: float,
    ours_pct: float | None,
    *,
    tolerance_pp: float = TOLERANCE_PP,
) -> Finding:
    """A claimed reduction in percent (positive = ours lower) against ``ours_pct``."""
    sign = f"> {100 * DEADBAND:g} pp" if paper_pct > 0 else f"< -{100 * DEADBAND:g} pp"
    crit = f"ours {sign} (paper {paper_pct:g}%); close if within {tolerance_pp:g} pp"
    if ours_pct is None or not math.isfinite(ours_pct):
        return not_run(key, claim, f"{paper_pct:g}%", crit)
    dead = 100 * DEADBAND
    held = ours_pct > dead if paper_pct > 0 else ours_pct < -dead
    close = abs(ours_pct - paper_pct) <= tolerance_pp
    return Finding(key, claim, f"{paper_pct:g}%", f"{ours_pct:.1f}%", held, crit, close)


def reduction_pct(a: float | None, b: float | None) -> float | None:
    """``100 * (1 - a / b)``, or None."""
    if a is None or b is None or b <= 0:
        return None
    return 100.0 * (1.0 - a / b)


def ratio(a: float | None, b: float | None) -> float | None:
    """``a / b``, or None."""
    if a is None or b is None or b <= 0:
        return None
    return a / b


def geomean(xs: Iterable[float]) -> float | None:
    """Geometric mean of positive values, or None if empty."""
    vals = [x for x in xs if x > 0]
    if not vals:
        return None
    return math.exp(sum(math.log(x) for x in vals) / len(vals))


def counts(findings: Iterable[Finding]) -> dict[str, int]:
    """How many findings held, did not hold, or were not run; and how many were close."""
    fs = list(findings)
    return {
        "held": sum(1 for f in fs if f.held is True),
        "not_held": sum(1 for f in fs if f.held is False),
        "not_run": sum(1 for f in fs if f.held is None),
        "close": sum(1 for f in fs if f.close is True),
        "numeric": sum(1 for f in fs if f.close is not None),
    }
