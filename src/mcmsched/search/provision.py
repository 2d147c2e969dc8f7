"""PROV: chiplets per model per window (SCAR §IV-B, Eq. 2)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence


def uniform_prov(expected: Sequence[float], n_chiplets: int, caps: Sequence[int]) -> list[int]:
    """Eq. (2): ``N_m = round(E[P_m] / sum_j E[P_j] * |C|)`` (half up), at least 1 and at most
    ``caps[m]`` (the model's layer count in the window, and the node cap). Repair: while
    ``sum N_m > |C|``, the largest ``N_m`` (first on ties) loses one chiplet."""
    total = float(sum(expected))
    n_models = len(expected)
    if total <= 0:
        raw = [n_chiplets / n_models] * n_models
    else:
        raw = [e / total * n_chiplets for e in expected]
    out = [max(1, min(int(caps[i]), math.floor(r + 0.5))) for i, r in enumerate(raw)]
    while sum(out) > n_chiplets:
        big = max(range(n_models), key=lambda i: (out[i], -i))
        if out[big] <= 1:
            break
        out[big] -= 1
    return out


def exhaustive_prov(n_chiplets: int, caps: Sequence[int]) -> Iterator[list[int]]:
    """Every vector with ``1 <= N_m <= caps[m]`` and ``sum N_m <= |C|``."""
    for vec in itertools.product(*(range(1, c + 1) for c in caps)):
        if sum(vec) <= n_chiplets:
            yield list(vec)
