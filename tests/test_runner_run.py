"""The Python API: ``run`` / ``compare`` results, baselines, per-layer rows, determinism and
progress reports."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mcmsched.errors import MCMSchedError
from mcmsched.runner.result import RUN_FILES, Result
from mcmsched.runner.run import compare, run
from mcmsched.schedule.validate import validate

REPO = Path(__file__).resolve().parents[1]

SMALL: dict[str, Any] = {
    "name": "small",
    "models": [
        {"zoo": "resnet50", "batch": 2},
        {"zoo": "mobilenetv2", "batch": 4, "latency_target_s": 10.0},
    ],
    "package": "mcm-2x2",
    "objective": "edp",
    "options": {"n_splits": 2, "top_k": 2},
}


@pytest.fixture(scope="module")
def result() -> Result:
    return run(SMALL)


def test_result_is_consistent_and_valid(result: Result) -> None:
    m = result.metrics
    assert m.edp == pytest.approx(m.latency_s * m.energy_j)
    assert result.package.name == "mcm-2x2" and result.scenario.name == "small"
    validate(
        result.schedule,
        result.scenario,
        result.package,
        result.costs,
        result.config.options.eval_options,
    )


def test_layer_rows_cover_every_layer_and_sum_to_compute_energy(result: Result) -> None:
    rows = result.layers
    assert len(rows) == result.scenario.total_layers
    assert {(r["model_index"], r["layer_index"]) for r in rows} == {
        (m, i) for m, e in enumerate(result.scenario.entries) for i in range(len(e.model.layers))
    }
    assert sum(float(r["energy_j"]) for r in rows) == pytest.approx(  # type: ignore[arg-type]
        result.metrics.energy.compute_j, rel=1e-9
    )
    # a chiplet's compute time in a window never exceeds its busy time
    compute: dict[int, float] = defaultdict(float)
    for r in rows:
        compute[int(r["chiplet"])] += float(r["compute_s"])  # type: ignore[arg-type]
    for c, t in compute.items():
        assert t <= result.metrics.chiplet_busy_s[c] * (1 + 1e-9)
    # the class and dataflow columns match the package
    for r in rows:
        cls = result.package.chiplet_class(int(r["chiplet"]))  # type: ignore[arg-type]
        assert (r["chiplet_class"], r["dataflow"]) == (cls.name, cls.dataflow.name)
        batch = result.scenario.entries[int(r["model_index"])].batch  # type: ignore[arg-type]
        mb, n_mb = int(r["minibatch"]), int(r["n_minibatches"])  # type: ignore[arg-type]
        assert n_mb == -(-batch // mb) and 1 <= mb <= batch


def test_baselines(result: Result) -> None:
    b = result.baselines
    assert list(b) == ["monolithic", "homogeneous-nvd", "homogeneous-shi"]
    mono = b["monolithic"].package
    assert mono.n_chiplets == 1 and mono.total_pes == result.package.total_pes
    assert mono.total_l2_bytes == result.package.total_l2_bytes
    # mcm-2x2 uses the default (MAESTRO-style) family; the baselines follow it.
    assert mono.chiplet_class(0).dataflow.name == "shidiannao-maestro"
    for key, df in (
        ("homogeneous-nvd", "nvdla-maestro"),
        ("homogeneous-shi", "shidiannao-maestro"),
    ):
        p = b[key].package
        assert p.n_chiplets == 4 and p.is_homogeneous
        assert p.chiplet_class(0).dataflow.name == df
    r = b["monolithic"].ratios(result.metrics)
    assert r["edp"] == pytest.approx(result.metrics.edp / b["monolithic"].metrics.edp)
    d = result.to_dict()
    assert d["baselines"]["homogeneous-shi"]["package"] == "mcm-2x2-all-shi"
    json.dumps(d, allow_nan=False)


def test_same_seed_same_schedule_and_progress() -> None:
    seen: list[tuple[str, int, int]] = []
    a = run(SMALL, baselines=False, progress=lambda s, d, t: seen.append((s, d, t)))
    b = run(SMALL, baselines=False)
    assert a.schedule.to_json() == b.schedule.to_json()
    assert a.metrics.latency_s == b.metrics.latency_s
    assert a.baselines == {}
    assert {s for s, _, _ in seen} == {"search"}
    assert seen[0] == ("search", 0, 1) and seen[-1] == ("search", 1, 1)
    assert all(0 <= d <= t for _, d, t in seen)


def test_run_on_another_package_and_writes(tmp_path: Path) -> None:
    res = run(SMALL, package="het-sides", baselines=False)
    assert res.package.name == "het-sides" and res.config.package_label == "het-sides"
    paths = res.write(tmp_path / "x" / "y")
    assert sorted(paths) == sorted(RUN_FILES) and all(p.is_file() for p in paths.values())
    data = json.loads(paths["metrics.json"].read_text())
    assert data["package"] == "het-sides"
    html = res.to_html()
    assert 'id="fig-gantt"' in html and 'id="table-summary"' in html
    assert 'id="table-baselines"' not in html  # no baselines were run
    fig = res.timeline_figure()
    assert len(fig.axes[0].get_yticklabels()) == 9


def test_compare_api() -> None:
    cmp = compare(SMALL, ["mcm-2x2", "simba-3x3-nvd"], baseline="simba-3x3-nvd")
    assert cmp.labels == ("mcm-2x2", "simba-3x3-nvd")
    assert cmp["simba-3x3-nvd"].package.n_chiplets == 9
    rows = cmp.table().as_dicts()
    assert rows[1]["norm. EDP"] == pytest.approx(1.0)
    assert rows[0]["norm. EDP"] == pytest.approx(
        cmp["mcm-2x2"].metrics.edp / cmp["simba-3x3-nvd"].metrics.edp
    )
    d = cmp.to_dict()
    for p, r in zip(d["packages"], cmp.results, strict=True):
        assert len(p["candidates"]) == len(r.candidates)
        lat = np.array([c[0] for c in p["candidates"]])
        assert r.metrics.latency_s >= lat.min() * (1 - 1e-12)


def test_bad_inputs_to_the_api() -> None:
    with pytest.raises(MCMSchedError, match="takes a scenario file path"):
        run(42)  # type: ignore[arg-type]
    with pytest.raises(MCMSchedError) as ei:
        run(SMALL, package="nope")
    assert ei.value.field == "package"
    with pytest.raises(MCMSchedError, match="no packages to compare"):
        compare(SMALL)
    with pytest.raises(MCMSchedError, match="listed twice"):
        compare(SMALL, ["mcm-2x2", "mcm-2x2"])
