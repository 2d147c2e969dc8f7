"""EDP search is seeded with the latency-keyed search: it never returns a schedule whose EDP is
worse than what the latency search finds (EDP is not additive over windows)."""

from __future__ import annotations

import pytest

from mcmsched.cost.table import CostTable
from mcmsched.errors import MCMSchedError
from mcmsched.hardware.presets import get_preset
from mcmsched.schedule import validate
from mcmsched.search import SearchOptions, get_strategy
from mcmsched.workload.zoo import get_scenario


@pytest.mark.parametrize(
    ("scenario", "package"), [("scar-sc3", "het-sides"), ("paper1", "mcm-2x2")]
)
def test_edp_search_is_no_worse_than_latency_search(scenario: str, package: str) -> None:
    sc, pkg = get_scenario(scenario), get_preset(package)
    costs = CostTable(sc, pkg)
    scar = get_strategy("scar")
    # pinned to the seeding alone (no portfolio; the latency search without its EDP seed)
    seeded = scar(
        sc, pkg, costs, "edp", SearchOptions(seed_objectives=("latency",), portfolio=False)
    )
    plain = scar(sc, pkg, costs, "edp", SearchOptions(seed_objectives=(), portfolio=False))
    lat = scar(sc, pkg, costs, "latency", SearchOptions(seed_objectives=(), portfolio=False))
    validate(seeded.schedule, sc, pkg, costs)
    assert seeded.metrics.edp <= plain.metrics.edp * (1 + 1e-12)
    assert seeded.metrics.edp <= lat.metrics.edp * (1 + 1e-12)
    assert seeded.metrics.edp == pytest.approx(min(plain.metrics.edp, lat.metrics.edp))
    assert seeded.schedule.meta["objective"] == "edp"
    assert len(seeded.candidates) == len(plain.candidates) + len(lat.candidates)


def test_seed_objectives_are_checked() -> None:
    with pytest.raises(MCMSchedError, match="seed objective") as err:
        SearchOptions(seed_objectives=("throughput",))
    assert err.value.field == "seed_objectives"
