"""Size of the scheduling space (SCAR §II-D, docs/REFERENCES.md#scar-scheduling-space).

The printed formula, with the multinomial read as ``L! / prod(L_i!)``::

    |S| = C^L * L! / (L_1! * L_2! * ... * L_N!)

``C^L`` counts a chiplet choice per layer, the multinomial the interleavings of the models' layer
sequences that keep each model's order. Relation to the paper's examples: the motivational study
(C = 4, L = 4) gives 4^4 * 4!/(2! 2!) = 1536 only for a 2 + 2 layer split; the 3 + 1 split the
paper describes gives 4^4 * 4!/(3! 1!) = 1024. For ResNet-50 (50) + UNet (23) on C = 36, the
formula gives about 10^132.4 (C^L alone is 10^113.6); the paper's O(10^56) is not reproducible from
it (numerically 36^36 is 10^56.0) and is treated as the paper's stated number.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from mcmsched.hardware.package import Package
from mcmsched.workload.scenario import Scenario


def space_size_counts(layer_counts: Sequence[int], n_chiplets: int) -> int:
    """``C^L * L! / prod(L_i!)`` for models with ``layer_counts`` layers on ``n_chiplets``."""
    total = sum(layer_counts)
    multinomial = math.factorial(total)
    for li in layer_counts:
        multinomial //= math.factorial(li)
    return int(n_chiplets**total * multinomial)


def space_size_log10_counts(layer_counts: Sequence[int], n_chiplets: int) -> float:
    """log10 of :func:`space_size_counts`, computed with log-gamma (no big integers)."""
    total = sum(layer_counts)
    lg = math.lgamma(total + 1) - sum(math.lgamma(li + 1) for li in layer_counts)
    return total * math.log10(n_chiplets) + lg / math.log(10)


def space_size(scenario: Scenario, package: Package) -> int:
    """Exact size of the scheduling space of ``scenario`` on ``package`` (a Python int)."""
    return space_size_counts([len(m.layers) for m in scenario.models], package.n_chiplets)


def space_size_log10(scenario: Scenario, package: Package) -> float:
    """log10 of :func:`space_size`."""
    return space_size_log10_counts([len(m.layers) for m in scenario.models], package.n_chiplets)
