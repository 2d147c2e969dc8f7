"""Sweep files: expansion counts, stable ids, layout generator, validation errors, plan."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from explore_helpers import TINY_SCENARIO, tiny_sweep
from mcmsched.cli import app
from mcmsched.errors import MCMSchedError
from mcmsched.explore.jobs import build_package
from mcmsched.explore.plan import HEURISTIC_S_PER_LAYER_BASELINE, estimate
from mcmsched.explore.sweep_file import (
    arrangement_order,
    job_id,
    layout_of,
    load_sweep,
    sweep_from_dict,
)
from mcmsched.hardware.presets import get_preset

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "sweeps"


def test_grid_count_and_order() -> None:
    sw = sweep_from_dict(tiny_sweep(objectives=["edp", "latency"], seeds=[0, 1, 2]))
    # 1 scenario x 2 packages x 2 PE counts x 3 strategies x 2 objectives x 3 seeds
    assert len(sw.jobs) == 1 * 2 * 2 * 3 * 2 * 3 == 72
    assert len({j.id for j in sw.jobs}) == 72
    first = sw.jobs[0]
    assert (first.package, first.overrides, first.strategy, first.objective, first.seed) == (
        "mcm-2x2",
        {"pes_per_chiplet": 256},
        "scar",
        "edp",
        0,
    )
    # nesting order: seeds vary fastest, then objectives, strategies, grid, packages
    assert [j.seed for j in sw.jobs[:4]] == [0, 1, 2, 0]
    assert sw.jobs[3].objective == "latency"
    assert sw.jobs[36].labels["package"] == "2x2-checkerboard-shi2"


def test_ids_are_content_hashes_and_stable() -> None:
    a = sweep_from_dict(tiny_sweep())
    b = sweep_from_dict(tiny_sweep())
    assert [j.id for j in a.jobs] == [j.id for j in b.jobs]
    j = a.jobs[0]
    assert j.id == job_id(j.key_params())
    assert len(j.id) == 16 and int(j.id, 16) >= 0
    # labels are not part of the id; any parameter is
    c = sweep_from_dict(tiny_sweep(search={"n_splits": 2, "top_k": 1}))
    assert not {x.id for x in a.jobs} & {x.id for x in c.jobs}


def test_duplicates_kept_once_and_explicit_jobs() -> None:
    d = tiny_sweep(
        jobs=[
            # same as a grid job -> dropped
            {
                "scenario": TINY_SCENARIO,
                "package": "mcm-2x2",
                "overrides": {"pes_per_chiplet": 256},
            },
            {"scenario": "paper1", "package": "het-sides", "strategy": "standalone", "seed": 3},
        ]
    )
    sw = sweep_from_dict(d)
    assert len(sw.jobs) == 12 + 1
    last = sw.jobs[-1]
    assert (last.scenario, last.package, last.strategy, last.objective, last.seed) == (
        "paper1",
        "het-sides",
        "standalone",
        "edp",
        3,
    )


def test_arrangements_reproduce_presets() -> None:
    assert layout_of(3, 3, "nvd", "shi", 3, "columns") == ["nvd shi nvd"] * 3
    assert layout_of(3, 3, "nvd", "shi", 4, "checkerboard") == [
        "nvd shi nvd",
        "shi nvd shi",
        "nvd shi nvd",
    ]
    assert layout_of(3, 3, "nvd", "shi", 3, "rows") == ["nvd nvd nvd", "shi shi shi", "nvd nvd nvd"]
    assert arrangement_order("centre", 3, 3)[0] == 4
    assert sorted(arrangement_order("corners", 3, 3)[:4]) == [0, 2, 6, 8]
    assert arrangement_order("sides", 3, 3)[:6] == [0, 3, 6, 2, 5, 8]
    # the generated het-sides equals the preset chiplet for chiplet
    sw = sweep_from_dict(
        {
            "scenarios": ["paper1"],
            "packages": [{"generate": {"count": [3], "arrangement": ["columns"]}}],
        }
    )
    gen = build_package(sw.jobs[0].package, {})
    ref = get_preset("het-sides")
    assert [(c.row, c.col, c.dram_interface) for c in gen.chiplets] == [
        (c.row, c.col, c.dram_interface) for c in ref.chiplets
    ]
    assert [gen.chiplet_class(c.id).dataflow.name for c in gen.chiplets] == [
        ref.chiplet_class(c.id).dataflow.name for c in ref.chiplets
    ]
    assert sw.jobs[0].labels["n_shi"] == 3 and sw.jobs[0].labels["arrangement"] == "columns"
    assert sw.jobs[0].labels["n_nvd"] == 6


def test_preset_labels_count_classes() -> None:
    sw = sweep_from_dict({"scenarios": ["paper1"], "packages": ["het-cb", "simba-3x3-shi"]})
    assert [(j.labels["n_nvd"], j.labels["n_shi"]) for j in sw.jobs] == [(5, 4), (0, 9)]


def test_byte_sizes_in_grid() -> None:
    sw = sweep_from_dict(tiny_sweep(grid={"l2_bytes": ["2 MiB", 4096]}))
    assert sorted({j.overrides["l2_bytes"] for j in sw.jobs}) == [4096, 2 * 1024 * 1024]


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"strategies": ["nope"]}, "strategies[0]"),
        ({"objectives": ["speed"]}, "objectives[0]"),
        ({"grid": {"colour": [1]}}, "grid.colour"),
        ({"packages": ["no-such-preset"]}, "packages[0]"),
        ({"search": {"top_k": 0}}, "search.top_k"),
        ({"bogus": 1}, "bogus"),
        ({"packages": [{"generate": {"count": [10]}}]}, "packages[0].generate.count"),
        ({"packages": [{"generate": {"count": [1], "arrangement": ["spiral"]}}]}, "packages[0]"),
    ],
)
def test_errors_name_the_field(patch: dict[str, object], field: str) -> None:
    with pytest.raises(MCMSchedError) as exc:
        sweep_from_dict(tiny_sweep(**patch), source="s.yaml")
    assert exc.value.field is not None and exc.value.field.startswith(field)
    assert exc.value.file == "s.yaml"


def test_example_files_load() -> None:
    ci = load_sweep(EXAMPLES / "ci-small.yaml")
    assert len(ci.jobs) == 2 * 3 * 2 * 2  # scenarios x packages x PE counts x strategies
    sc4 = load_sweep(EXAMPLES / "sc4-layouts.yaml")
    assert {j.scenario for j in sc4.jobs} == {"scar-sc4"}


def test_plan_heuristic_and_cli() -> None:
    sw = sweep_from_dict(tiny_sweep(strategies=["nn-baton"]))
    est = estimate(sw, sample=0)
    assert est.n_jobs == 4 and est.n_designs == 4 and est.samples == []
    # 4 jobs x 0.1 ms x 123 layers (mobilenetv2 at 32 px: 63 layers, coarse BERT-base: 60)
    assert est.serial_s == pytest.approx(4 * HEURISTIC_S_PER_LAYER_BASELINE * 123)
    res = CliRunner().invoke(
        app, ["sweep", "plan", str(EXAMPLES / "ci-small.yaml"), "--sample", "1", "--workers", "2"]
    )
    assert res.exit_code == 0, res.output
    assert "24 jobs" in res.output and "6 designs" in res.output
    assert "sampled" in res.output and "on 2 workers" in res.output


def test_plan_lists_jobs_that_cannot_build() -> None:
    bad = {
        "name": "nodram",
        "classes": {"a": {"dataflow": "nvdla"}},
        "layout": ["a a"],
        "dram": {"interfaces": []},
    }
    sw = sweep_from_dict(tiny_sweep(packages=["mcm-2x2", bad], strategies=["nn-baton"]))
    est = estimate(sw, sample=0)
    assert len(est.build_errors) == 2
    assert all("DRAM" in msg for _, _, msg in est.build_errors)


def test_scenario_files_of_mcmsched_run(tmp_path: Path) -> None:
    from mcmsched.explore.jobs import build_scenario
    from mcmsched.workload.zoo import get_scenario

    examples = Path(__file__).resolve().parents[1] / "examples"
    sweep = tmp_path / "s.yaml"
    sweep.write_text(
        f"scenarios: [{examples / 'paper1.yaml'}]\npackages: [mcm-2x2]\nstrategies: [nn-baton]\n"
    )
    sw = load_sweep(sweep)
    job = sw.jobs[0]
    assert job.scenario_name == "paper1"
    assert "dir" not in job.key_params()["scenario"]  # the folder is not part of the id
    sc = build_scenario(job.scenario)
    ref = get_scenario("paper1")
    assert sc.batches == ref.batches and sc.total_layers == ref.total_layers
    assert sc.total_macs == ref.total_macs
