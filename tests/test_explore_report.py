"""Sweep reports: Pareto front, best-of grid, CSV/PNG/HTML files and the CLI."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import pytest
from typer.testing import CliRunner

from explore_helpers import tiny_sweep
from mcmsched.cli import app
from mcmsched.errors import MCMSchedError
from mcmsched.explore.executors import LocalExecutor
from mcmsched.explore.report import best_grid, load_rows, pareto_front, to_dataframe
from mcmsched.explore.run import run_sweep
from mcmsched.explore.store import ResultStore
from mcmsched.explore.sweep_file import sweep_from_dict

PNG = b"\x89PNG\r\n\x1a\n"


def test_pareto_front_by_hand() -> None:
    pts = [(3.0, 1.0), (1.0, 5.0), (2.0, 2.0), (2.5, 2.5), (1.0, 6.0), (4.0, 0.5), (2.0, 2.0)]
    # (2.5, 2.5) is dominated by (2, 2); (1, 6) by (1, 5); the second (2, 2) is a duplicate
    assert pareto_front(pts) == [1, 2, 0, 5]
    assert pareto_front([]) == []


def test_best_grid_by_hand() -> None:
    rows = [
        {"status": "ok", "latency_s": 1.0, "edp": v, "a": a, "b": b, "scenario": "s"}
        for v, a, b in [(5.0, 1, "x"), (3.0, 1, "x"), (4.0, 2, "x"), (7.0, 1, "y")]
    ]
    rows.append({"status": "error", "latency_s": None, "edp": None, "a": 2, "b": "y"})
    xs, ys, cells = best_grid(rows, "a", "b", "edp")
    assert (xs, ys) == ([1, 2], ["x", "y"])
    assert cells == [[3.0, 4.0], [7.0, None]]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sw = sweep_from_dict(
        tiny_sweep(
            strategies=["standalone", "nn-baton"],
            grid={"pes_per_chiplet": [256, 1024], "nop_bw_gbps": [25, 100]},
            jobs=[{"scenario": "paper1", "package": "mcm-2x2", "overrides": {"l1_bytes": 0}}],
        )
    )
    path = tmp_path_factory.mktemp("rep") / "r.db"
    with ResultStore(path) as st, LocalExecutor(0) as ex:
        summary = run_sweep(sw, st, ex)
    assert (summary.ran, summary.ok, summary.errors) == (17, 16, 1)
    return path


def test_report_files(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = CliRunner().invoke(
        app,
        [
            "sweep",
            "report",
            str(store),
            "--out",
            str(out),
            "--x",
            "nop_bw_gbps",
            "--y",
            "pes_per_chiplet",
        ],
    )
    assert res.exit_code == 0, res.output
    with (out / "results.csv").open() as f:
        table = list(csv.DictReader(f))
    assert len(table) == 17
    assert sum(r["status"] == "ok" for r in table) == 16
    err = next(r for r in table if r["status"] == "error")
    assert "l1_bytes" in err["error"] and err["latency_s"] == ""
    for name in ("pareto.png", "heatmap.png"):
        data = (out / name).read_bytes()
        assert data.startswith(PNG) and len(data) > 10_000
    page = (out / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 2
    assert "17 finished jobs of 17 planned: 16 ok, 1 errors" in page
    assert "l1_bytes" in page
    # the heatmap's cells are the best EDP per (nop_bw, pes) over the other parameters
    rows = load_rows(store)
    xs, ys, cells = best_grid(
        [r for r in rows if r["scenario"] == "tiny"], "nop_bw_gbps", "pes_per_chiplet", "edp"
    )
    assert (xs, ys) == ([25, 100], [256, 1024])
    for i, pes in enumerate(ys):
        for j, bw in enumerate(xs):
            group = [
                float(r["edp"])
                for r in table
                if r["status"] == "ok"
                and r["scenario"] == "tiny"
                and r["pes_per_chiplet"] == str(pes)
                and r["nop_bw_gbps"] == str(bw)
            ]
            assert len(group) == 4 and cells[i][j] == pytest.approx(min(group), rel=1e-12)


def test_report_defaults_and_errors(store: Path, tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["sweep", "report", str(store), "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "heatmap: best edp over" in res.output
    bad = CliRunner().invoke(
        app, ["sweep", "report", str(store), "--out", str(tmp_path), "--x", "colour", "--y", "seed"]
    )
    assert bad.exit_code == 2 and "unknown parameter 'colour'" in bad.output
    missing = CliRunner().invoke(app, ["sweep", "report", str(tmp_path / "no.db"), "--out", "x"])
    assert missing.exit_code == 2 and "no such result store" in missing.output


def test_dataframe(store: Path) -> None:
    if importlib.util.find_spec("pandas") is None:
        with pytest.raises(MCMSchedError, match="pip install pandas"):
            to_dataframe(store)
    else:
        df = to_dataframe(store)
        assert len(df) == 17 and {"latency_s", "energy_j", "design"} <= set(df.columns)
