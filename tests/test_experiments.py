"""The papers' experiments (mcmsched.experiments, ``mcmsched reproduce``).

paper1 (quick) and scar-motivation run for real; the datacenter grid runs in quick mode on one
scenario. Findings are re-derived here from the rows written to disk, so a finding that does not
follow from the numbers fails.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mcmsched.cli import app
from mcmsched.errors import MCMSchedError
from mcmsched.experiments import RunContext, run_experiment, write_result
from mcmsched.experiments.arvr import load_scenario
from mcmsched.experiments.base import ExperimentResult, Finding
from mcmsched.experiments.findings import DEADBAND, counts, factor, percent, qualitative
from mcmsched.experiments.writer import to_markdown

JSON_KEYS = {
    "experiment",
    "title",
    "config",
    "columns",
    "rows",
    "summary",
    "findings",
    "notes",
    "wall_s",
}
FINDING_KEYS = {"key", "claim", "paper", "ours", "held", "close", "criterion"}


def _written(res: ExperimentResult, out: Path) -> tuple[list[dict[str, str]], dict[str, Any]]:
    paths = write_result(res, out)
    assert [p.name for p in paths] == [f"{res.name}.md", f"{res.name}.csv", f"{res.name}.json"]
    with (out / f"{res.name}.csv").open() as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == res.columns
        rows = list(reader)
    data = json.loads((out / f"{res.name}.json").read_text())
    assert set(data) == JSON_KEYS
    assert data["columns"] == res.columns
    assert len(rows) == len(data["rows"]) == len(res.rows)
    for f in data["findings"]:
        assert set(f) == FINDING_KEYS
        assert f["held"] in (True, False, None)
    md = (out / f"{res.name}.md").read_text()
    assert "| " + " | ".join(res.columns) + " |" in md
    assert "## Findings" in md
    return rows, data


def _finding(data: dict[str, Any], key: str) -> dict[str, Any]:
    hits = [f for f in data["findings"] if f["key"] == key]
    assert len(hits) == 1, key
    return hits[0]


# ---- findings helpers ------------------------------------------------------------------------
def test_factor_direction_deadband_and_closeness() -> None:
    f = factor("k", "c", 2.2, 2.0)
    assert f.held is True and f.close is True  # |2.0 / 2.2 - 1| = 9% <= 25%
    f = factor("k", "c", 2.2, 1.5)
    assert f.held is True and f.close is False  # 32% off
    f = factor("k", "c", 1.4, 1.0 + DEADBAND / 2)
    assert f.held is False  # a tie does not hold a "faster" claim
    f = factor("k", "c", 0.58, 0.5)
    assert f.held is True and f.close is True
    f = factor("k", "c", 0.58, 1.2)
    assert f.held is False and f.close is False
    f = factor("k", "c", 0.58, None)
    assert f.held is None and f.ours.startswith("n/a")


def test_percent_and_qualitative_and_counts() -> None:
    p = percent("k", "c", 27.6, 20.0)
    assert p.held is True and p.close is True and p.ours == "20.0%"
    p = percent("k", "c", 27.6, -5.0)
    assert p.held is False and p.close is False
    q = qualitative("k", "c", False, "x", "crit")
    assert q.held is False and q.close is None
    fs = [p, q, factor("k", "c", 2.0, 2.1), percent("k", "c", 1.0, None)]
    assert counts(fs) == {"held": 1, "not_held": 2, "not_run": 1, "close": 1, "numeric": 2}


def test_markdown_escapes_pipes() -> None:
    res = ExperimentResult(
        "x", "T", ["a"], [{"a": "p|q"}], [Finding("k", "c|d", "-", "o", True, "z")]
    )
    md = to_markdown(res)
    assert "p\\|q" in md and "c\\|d" in md and "held" in md


# ---- paper1 ----------------------------------------------------------------------------------
def test_paper1_quick_files_ratios_and_findings(tmp_path: Path) -> None:
    res = run_experiment("paper1", RunContext(quick=True))
    rows, data = _written(res, tmp_path)
    cfg = data["config"]
    assert cfg["mcm_total_pes"] == cfg["mono_total_pes"] == 4 * 4096
    assert cfg["mcm_total_l2_bytes"] == cfg["mono_total_l2_bytes"]
    assert {(int(r["batch"]), r["objective"]) for r in rows} == {
        (b, o) for b in (1, 4) for o in ("latency", "energy", "edp")
    }
    for r in data["rows"]:
        for k in ("throughput_ratio", "efficiency_ratio", "streaming_throughput_ratio"):
            assert r[k] > 0 and math.isfinite(r[k])
        # same samples on both sides: throughput ratio = inverse latency ratio, efficiency
        # ratio = inverse energy ratio, EDP ratio = product of the two inverses
        assert r["throughput_ratio"] == pytest.approx(r["mono_latency_s"] / r["mcm_latency_s"])
        assert r["efficiency_ratio"] == pytest.approx(r["mono_energy_j"] / r["mcm_energy_j"])
        assert r["edp_ratio"] == pytest.approx(
            1.0 / (r["throughput_ratio"] * r["efficiency_ratio"])
        )
        # the monolithic schedule does not depend on the objective
    for b in (1, 4):
        monos = {r["mono_latency_s"] for r in data["rows"] if r["batch"] == b}
        assert len(monos) == 1
    # findings follow from the rows
    best_thr = max(r["throughput_ratio"] for r in data["rows"] if r["objective"] == "latency")
    best_eff = max(r["efficiency_ratio"] for r in data["rows"] if r["objective"] == "energy")
    thr = _finding(data, "paper1.throughput")
    eff = _finding(data, "paper1.efficiency")
    assert thr["held"] is (best_thr > 1 + DEADBAND)
    assert eff["held"] is (best_eff > 1 + DEADBAND)
    assert thr["close"] is (abs(best_thr / 2.2 - 1) <= 0.25)
    assert data["summary"]["max_throughput_ratio"] == pytest.approx(best_thr)
    assert data["summary"]["max_efficiency_ratio"] == pytest.approx(best_eff)


# ---- scar-motivation -------------------------------------------------------------------------
def test_motivation_cases_ratios_and_optimum_bound(tmp_path: Path) -> None:
    res = run_experiment("scar-motivation", RunContext())
    rows, data = _written(res, tmp_path)
    by = {r["case"]: r for r in data["rows"]}
    assert set(by) == {"A1", "A2", "A3", "A-opt", "B1", "B2", "B3", "B-opt"}
    assert by["A1"]["edp_ratio"] == 1.0 and by["B1"]["edp_ratio"] == 1.0
    for c in ("A2", "A3", "A-opt"):
        assert by[c]["edp_ratio"] == pytest.approx(by[c]["edp_js"] / by["A1"]["edp_js"])
    for c in ("B2", "B3", "B-opt"):
        assert by[c]["edp_ratio"] == pytest.approx(by[c]["edp_js"] / by["B1"]["edp_js"])
    for r in data["rows"]:
        assert r["edp_js"] == pytest.approx(r["latency_s"] * r["energy_j"])
        assert r["edp_js"] > 0
    # A1 / A2 run on one chiplet in one window; the exact optimum bounds every schedule
    assert by["A1"]["windows"] == by["A2"]["windows"] == 1
    assert by["A1"]["placement"] == "w0[m0:0-2@c3]" and by["A2"]["placement"] == "w0[m0:0-2@c0]"
    for c in ("A1", "A2", "A3"):
        assert by["A-opt"]["edp_js"] <= by[c]["edp_js"] * (1 + 1e-9)
    for c in ("B1", "B2", "B3"):
        assert by["B-opt"]["edp_js"] <= by[c]["edp_js"] * (1 + 1e-9)
    # B2 (spatial) is a single window
    assert by["B2"]["windows"] == 1
    for key, case in (("motiv.A2", "A2"), ("motiv.A3", "A3"), ("motiv.B2", "B2")):
        f = _finding(data, key)
        assert f["held"] is (by[case]["edp_ratio"] < 1 - DEADBAND)
    order = _finding(data, "motiv.order_a")
    assert order["held"] is (by["A3"]["edp_ratio"] < by["A2"]["edp_ratio"] < 1)
    assert len(rows) == 8


# ---- scar-datacenter (quick, one scenario) ---------------------------------------------------
def test_datacenter_quick_one_scenario(tmp_path: Path) -> None:
    ctx = RunContext(quick=True, scenarios=("scar-sc1",))
    res = run_experiment("scar-datacenter", ctx)
    _rows, data = _written(res, tmp_path)
    assert len(data["rows"]) == 6 * 2
    assert {r["scenario"] for r in data["rows"]} == {"Sc1"}
    # one cost table per package: Standalone and Simba share the homogeneous ones
    assert data["summary"]["tables_built"] == 4
    for r in data["rows"]:
        if r["strategy"] == "Standalone(NVD)":
            assert r["norm_edp"] == 1.0 and r["norm_latency"] == 1.0
        assert r["edp_js"] == pytest.approx(r["latency_s"] * r["energy_j"])
        # homogeneous packages: all busy time on one class
        expect_shi = {"simba-3x3-shi": 1.0, "simba-3x3-nvd": 0.0}.get(r["package"])
        if expect_shi is not None:
            assert r["shi_busy_frac"] == expect_shi
        assert 0.0 <= r["shi_busy_frac"] <= 1.0
    edp_rows = {r["strategy"]: r for r in data["rows"] if r["objective"] == "edp"}
    best = min(edp_rows.values(), key=lambda r: r["edp_js"])["strategy"]  # first on ties
    f = _finding(data, "dc.Sc1.nvd_best")
    assert f["held"] is (best in ("Standalone(NVD)", "Simba(NVD)"))
    assert best in f["ours"]
    # findings about scenarios not run are "not run"; the headline needs all five
    assert _finding(data, "dc.Sc4.hs_best")["held"] is None
    assert _finding(data, "dc.headline")["held"] is None
    lat = {r["strategy"]: r for r in data["rows"] if r["objective"] == "latency"}
    speed = lat["Standalone(NVD)"]["latency_s"] / lat["Simba(NVD)"]["latency_s"]
    assert _finding(data, "dc.Sc1.simba_nvd_speed")["held"] is (speed > 1 + DEADBAND)
    hs = (edp_rows["Het-Sides"]["edp_js"], edp_rows["Simba(Shi)"]["edp_js"])
    hn = edp_rows["Simba(NVD)"]["edp_js"]
    expect = (100 * (1 - hs[0] / hs[1]) + 100 * (1 - hs[0] / hn)) / 2
    assert data["summary"]["headline_pct"] == pytest.approx(expect)


# ---- scar-arvr input -------------------------------------------------------------------------
def test_arvr_scenarios_from_xrbench_files(reference_dir: Path) -> None:
    d = reference_dir / "xrbench" / "usage_scenarios"
    sc6 = load_scenario(d, "Sc6")
    assert [(e.model.name, e.batch) for e in sc6.entries] == [
        ("OD_D2go_FasterRCNN", 10),
        ("PD_Plane_RCNN_Quarter", 15),
        ("DE_midas_v21_small", 30),
        ("ASR_EM_24L", 3),
        ("SS_HRViT_b1", 10),
    ]
    sc10 = load_scenario(d, "Sc10")
    assert [(e.model.name, e.batch) for e in sc10.entries] == [
        ("GE_FBNet_C", 60),
        ("HT_hand_graph_cnn_half", 45),
    ]
    with pytest.raises(MCMSchedError, match="not found"):
        load_scenario(d.parent, "Sc6")


# ---- CLI -------------------------------------------------------------------------------------
def test_cli_reproduce_writes_files_and_rejects_bad_input(tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(
        app, ["reproduce", "scar-motivation", "--out", str(tmp_path), "--no-progress"]
    )
    assert r.exit_code == 0, r.output
    assert (tmp_path / "scar-motivation.json").is_file()
    assert "Findings" in r.output
    r = runner.invoke(app, ["reproduce", "list"])
    assert r.exit_code == 0 and "scar-datacenter" in r.output
    r = runner.invoke(app, ["reproduce", "nope", "--out", str(tmp_path)])
    assert r.exit_code == 2 and "unknown experiment" in r.output
    r = runner.invoke(app, ["reproduce", "scar-arvr", "--out", str(tmp_path)])
    assert r.exit_code == 2 and "--xrbench" in r.output
    r = runner.invoke(
        app, ["reproduce", "scar-datacenter", "--scenarios", "sc9", "--out", str(tmp_path)]
    )
    assert r.exit_code == 2 and "unknown scenario" in r.output
    r = runner.invoke(app, ["reproduce", "paper1", "--scenarios", "sc1", "--out", str(tmp_path)])
    assert r.exit_code == 2 and "applies to scar-datacenter and scar-arvr only" in r.output


# ---- datacenter findings on a synthetic grid (hand-set numbers) ------------------------------
def _fake_run(lat: float, en: float, windows: int = 5) -> Any:
    """A stand-in for a SearchRun on Sc4: GPT-L and BERT-L in every window, U-Net in window 1,
    ResNet-50 in window 0 only."""
    from types import SimpleNamespace

    from mcmsched.schedule.model import ModelPlan, Schedule, Segment, Window

    metrics = SimpleNamespace(latency_s=lat, energy_j=en, edp=lat * en)
    wins = []
    for w in range(windows):
        plans = [ModelPlan(m, (Segment((w, w + 1), m),), 1) for m in (0, 1)]
        if w == 0:
            plans.append(ModelPlan(3, (Segment((0, 66), 3),), 1))
        if w == 1:
            plans.append(ModelPlan(2, (Segment((0, 23), 2),), 1))
        wins.append(Window(tuple(plans)))
    names = ("scar-gpt-l", "scar-bert-l", "scar-unet", "scar-resnet50")
    scenario = SimpleNamespace(
        entries=[SimpleNamespace(model=SimpleNamespace(name=n)) for n in names]
    )
    return SimpleNamespace(
        scenario=scenario,
        result=SimpleNamespace(metrics=metrics, schedule=Schedule(tuple(wins), "s", "p")),
    )


def test_datacenter_findings_from_hand_set_grid() -> None:
    from mcmsched.experiments.datacenter import findings_for
    from mcmsched.experiments.grid import Grid, headline

    strategies = [
        "Standalone(Shi)",
        "Standalone(NVD)",
        "Simba(Shi)",
        "Simba(NVD)",
        "Het-CB",
        "Het-Sides",
    ]
    # (latency s, energy J) per strategy, same for both objectives
    sc4 = {
        "Standalone(Shi)": (8.0, 20.0),
        "Standalone(NVD)": (8.0, 10.0),  # EDP 80
        "Simba(Shi)": (6.0, 20.0),  # 120
        "Simba(NVD)": (5.0, 10.0),  # 50
        "Het-CB": (4.5, 11.0),  # 49.5
        "Het-Sides": (4.0, 11.5),  # 46 (best EDP, not lowest energy)
    }
    runs = {
        ("Sc4", obj, st): _fake_run(*sc4[st]) for obj in ("edp", "latency") for st in strategies
    }
    grid = Grid(runs, ["Sc4"], ["latency", "edp"], strategies)
    fs = {f.key: f for f in findings_for(grid)}
    assert fs["dc.Sc4.hs_best"].held is True
    assert fs["dc.Sc4.hs_beats_cb"].held is True
    assert fs["dc.Sc4.hs_not_energy_best"].held is True
    # 1 - 46/50 = 8% less EDP than Simba(NVD): held (positive), far from 46.02%
    f = fs["dc.Sc4.hs_vs_simba_nvd"]
    assert f.held is True and f.close is False and f.ours == "8.0%"
    # EDP(St NVD)/EDP(HS) = 80/46 = 1.739: held and close to 1.7
    f = fs["dc.Sc4.hs_vs_st_nvd"]
    assert f.held is True and f.close is True and f.ours == "1.74x"
    # speed 8/4 = 2x exactly; energy 11.5/10 = 1.15x (within 25% of 1.22)
    assert fs["dc.Sc4.hs_speed"].close is True and fs["dc.Sc4.hs_speed"].ours == "2x"
    assert fs["dc.Sc4.hs_energy"].held is True and fs["dc.Sc4.hs_energy"].close is True
    # latency search: Simba(NVD) 5 s vs St(NVD) 8 s is faster, so "1.05x slower" does not hold
    assert fs["dc.Sc4.simba_nvd_slower"].held is False
    assert fs["dc.Sc4.hs_windows"].held is True
    assert fs["dc.Sc4.resnet_early"].held is True
    assert fs["dc.Sc4.resnet_early"].ours == "last window: ResNet-50 0, GPT-L 4, BERT-L 4"
    # scenarios not in the grid are not run
    assert fs["dc.Sc1.nvd_best"].held is None and fs["dc.Sc5.hs_best"].held is None
    mean, terms = headline(grid, ["Sc4"])
    assert terms == pytest.approx([100 * (1 - 46 / 120), 100 * (1 - 46 / 50)])
    assert mean == pytest.approx((100 * (1 - 46 / 120) + 8.0) / 2)
