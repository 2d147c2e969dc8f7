"""Quality: SCAR's heuristic against the exact optimum on 20 random small instances.

Instances: 2-3 chain models of 2-5 layers (random per-layer costs with different class
affinities), batches in {1, 2, 4}, on a 2x2 or 3x1 heterogeneous mesh; objectives cycle through
EDP, latency and energy. SCAR runs with its outer loop enabled (every n_splits' <= 4 and three
passes of the layout local search); the exact search covers every window partition, segmentation
and placement. The exact value is a lower bound (checked); with the outer loop the mean relative
gap must stay within 5%, with the default options within 2% on average and 10% at worst. The
table (and the worst case) is printed; run with ``-s`` to see it.
"""

from __future__ import annotations

import numpy as np

from mcmsched.schedule import validate
from mcmsched.search import SearchOptions, get_strategy, make_objective
from mcmsched.search.exact import exact_search
from sched_helpers import as_table, grid_package, random_instance

SCAR_OPTIONS = SearchOptions(sweep_splits=True, refine_passes=3)


def test_scar_gap_to_exact_optimum() -> None:
    pk22 = grid_package([["nvd", "shi"], ["shi", "nvd"]], name="2x2")
    pk31 = grid_package([["nvd", "shi", "nvd"]], name="3x1")
    rng = np.random.default_rng(0)
    gaps = []
    default_gaps = []
    path_gaps = []
    rows = []
    for i in range(20):
        pkg = pk22 if i % 2 == 0 else pk31
        n_models = (2 + i % 2) if i < 10 else (3 - i % 2)
        sc, stub = random_instance(rng, n_models, 5, pkg)
        obj = make_objective(["edp", "latency", "energy"][i % 3])
        table = as_table(stub)
        exact = get_strategy("exhaustive")(sc, pkg, table, obj, None)
        on_paths = exact_search(sc, pkg, table, obj, None, placements="paths")
        scar = get_strategy("scar")(sc, pkg, table, obj, SCAR_OPTIONS)
        plain = get_strategy("scar")(sc, pkg, table, obj, None)
        for r in (exact, scar, plain):
            validate(r.schedule, sc, pkg)
        best = obj.score(exact.metrics)
        best_paths = obj.score(on_paths.metrics)
        assert best_paths >= best * (1 - 1e-9)  # paths are a subset of all placements
        path_gaps.append(obj.score(scar.metrics) / best_paths - 1)
        gap = obj.score(scar.metrics) / best - 1
        assert gap >= -1e-9, f"instance {i}: the heuristic beat the exact optimum ({gap})"
        assert obj.score(plain.metrics) / best - 1 >= -1e-9
        gaps.append(gap)
        default_gaps.append(obj.score(plain.metrics) / best - 1)
        rows.append(
            f"{i:2d} {pkg.name} {[len(m.layers) for m in sc.models]!s:10} {obj.name:8} "
            f"gap {gap:6.3f}  (vs paths-only optimum {path_gaps[-1]:6.3f}; "
            f"default options {default_gaps[-1]:6.3f})"
        )
    worst = int(np.argmax(gaps))
    print("\n".join(rows))
    print(
        f"mean gap {np.mean(gaps):.4f}, worst {gaps[worst]:.4f} (instance {worst}); "
        f"vs the paths-only optimum: mean {np.mean(path_gaps):.4f}, worst {max(path_gaps):.4f}; "
        f"with default options: mean {np.mean(default_gaps):.4f}, worst {max(default_gaps):.4f}"
    )
    assert np.mean(gaps) <= 0.05
    # the defaults (portfolio, seeded window keys, effort/placements "auto" on these tiny
    # instances: every provisioning vector, a multi-start local search with pair moves and joint
    # window splits): issue 10 asks for a mean gap <= 2% and a worst gap <= 10% (measured 0.0%
    # and 0.0% here; over 16 instance seeds of 20 instances: worst 3.0%, mean <= 0.32% per
    # seed; 1.1% and 11.8% here before)
    assert np.mean(default_gaps) <= 0.02
    assert max(default_gaps) <= 0.10
