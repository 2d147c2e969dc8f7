"""Search quality beyond the test: SCAR (default options) against the exact optimum on many
random small instances.

Run: ``.venv/bin/python bench/search_gap.py [SEED ...]`` (default seeds 0-15; prints, per seed,
the mean and worst relative gap of the objective over the 20 instances that
``tests/test_search_gap.py`` draws with ``numpy.random.default_rng(SEED)``: 2-3 chain models of
2-5 layers with random per-layer costs, 2x2 and 3x1 heterogeneous meshes, objectives EDP /
latency / energy in turn). The test itself uses seed 0. Asserts nothing.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from mcmsched.search import get_strategy, make_objective
from sched_helpers import as_table, grid_package, random_instance

OBJECTIVES = ("edp", "latency", "energy")


def gaps(seed: int) -> list[float]:
    """Relative gaps (score / optimum - 1) of the 20 instances of ``seed``."""
    pk22 = grid_package([["nvd", "shi"], ["shi", "nvd"]], name="2x2")
    pk31 = grid_package([["nvd", "shi", "nvd"]], name="3x1")
    rng = np.random.default_rng(seed)
    out = []
    for i in range(20):
        pkg = pk22 if i % 2 == 0 else pk31
        n_models = (2 + i % 2) if i < 10 else (3 - i % 2)
        sc, stub = random_instance(rng, n_models, 5, pkg)
        obj = make_objective(OBJECTIVES[i % 3])
        table = as_table(stub)
        exact = get_strategy("exhaustive")(sc, pkg, table, obj, None)
        res = get_strategy("scar")(sc, pkg, table, obj, None)
        out.append(obj.score(res.metrics) / obj.score(exact.metrics) - 1)
    return out


def main(argv: list[str]) -> None:
    seeds = [int(a) for a in argv] or list(range(16))
    every: list[float] = []
    for seed in seeds:
        c0 = time.process_time()
        g = gaps(seed)
        every.extend(g)
        w = int(np.argmax(g))
        print(
            f"seed {seed:3d}: mean gap {np.mean(g):7.2%}  worst {g[w]:7.2%} (instance {w:2d}, "
            f"{OBJECTIVES[w % 3]:7s})  {time.process_time() - c0:5.1f} s CPU",
            flush=True,
        )
    print(
        f"all {len(every)} instances: mean gap {np.mean(every):.2%}, worst {max(every):.2%}, "
        f"instances within 1%: {np.mean(np.array(every) <= 0.01):.1%}"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
