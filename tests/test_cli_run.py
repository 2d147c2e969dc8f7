"""`mcmsched run` / `mcmsched compare` end to end: every example from a clean output folder, the
files it writes, `--json`, and every scenario-file mistake (exit 2, file and key named, nothing
written)."""

from __future__ import annotations

import csv
import itertools
import json
import re
import struct
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mcmsched.cli import app
from mcmsched.report.tables import LAYER_COLUMNS
from mcmsched.runner.config import load_scenario_file
from mcmsched.runner.result import COMPARE_FILES, RUN_FILES

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
EXAMPLE_NAMES = ("paper1", "datacenter-sc4", "arvr-xrbench", "llm-prefill-decode")

runner = CliRunner()


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (asserts the signature and chunk type)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    assert data[12:16] == b"IHDR"
    w, h = struct.unpack(">II", data[16:24])
    return int(w), int(h)


@pytest.fixture(scope="module", params=EXAMPLE_NAMES)
def example_run(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path, str]:
    """Run one example (CLI, fresh folder): (name, out dir, printed output). One fixture value
    per example, so pytest-xdist can run the four examples on different workers."""
    name: str = request.param
    out = tmp_path_factory.mktemp(name) / "out"
    assert not out.exists()
    res = runner.invoke(app, ["run", str(EXAMPLES / f"{name}.yaml"), "--out", str(out)])
    assert res.exit_code == 0, res.output
    return name, out, res.output


def test_example_writes_every_file(example_run: tuple[str, Path, str]) -> None:
    name, out, printed = example_run
    assert sorted(p.name for p in out.iterdir()) == sorted(RUN_FILES)
    cfg = load_scenario_file(EXAMPLES / f"{name}.yaml")

    # metrics.json: keys, consistency
    m = json.loads((out / "metrics.json").read_text())
    for key in (
        "scenario",
        "package",
        "strategy",
        "objective",
        "latency_s",
        "throughput_ips",
        "energy_j",
        "edp",
        "energy_breakdown",
        "models",
        "baselines",
        "search",
        "metrics",
    ):
        assert key in m, key
    assert m["scenario"] == cfg.name
    assert m["edp"] == pytest.approx(m["energy_j"] * m["latency_s"], rel=1e-12)
    eb = m["energy_breakdown"]
    assert eb["compute_j"] + eb["nop_j"] + eb["dram_j"] == pytest.approx(m["energy_j"], rel=1e-9)
    total_samples = sum(e.batch for e in cfg.scenario.entries)
    assert m["throughput_ips"] == pytest.approx(total_samples / m["latency_s"], rel=1e-12)
    assert [x["name"] for x in m["models"]] == [e.model.name for e in cfg.scenario.entries]
    assert max(x["completion_s"] for x in m["models"]) == pytest.approx(m["latency_s"])
    assert set(m["baselines"]) == {"monolithic", "homogeneous-nvd", "homogeneous-shi"}
    for b in m["baselines"].values():
        # one ratio convention everywhere: this schedule / baseline (< 1: this is better)
        assert b["ratio"]["latency"] == pytest.approx(m["latency_s"] / b["latency_s"])
        assert b["ratio"]["edp"] == pytest.approx(m["edp"] / b["edp"])
    assert len(m["metrics"]["timeline"]) >= len(cfg.scenario.entries)

    # schedule.json: every layer of every model exactly once
    sched = json.loads((out / "schedule.json").read_text())
    assert sched["scenario"] == cfg.name
    covered: dict[int, list[tuple[int, int]]] = {}
    for window in sched["windows"]:
        for plan in window:
            for seg in plan["segments"]:
                covered.setdefault(plan["model"], []).append(tuple(seg["layers"]))
    for i, e in enumerate(cfg.scenario.entries):
        ranges = sorted(covered[i])
        assert ranges[0][0] == 0 and ranges[-1][1] == len(e.model.layers)
        assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))

    # layers.csv: columns, one row per layer, energies add up to the compute energy
    with open(out / "layers.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0].keys()) == LAYER_COLUMNS
    assert len(rows) == cfg.scenario.total_layers
    assert sum(float(r["energy_j"]) for r in rows) == pytest.approx(eb["compute_j"], rel=1e-9)
    assert all(float(r["compute_s"]) >= 0 for r in rows)
    assert {r["dataflow"] for r in rows} <= set(
        cfg.package.classes[n].dataflow.name for n in cfg.package.class_names
    )

    # PNGs: valid, non-trivial
    for png in ("timeline.png", "energy.png"):
        w, h = png_size(out / png)
        assert w >= 800 and h >= 250, (png, w, h)
        assert (out / png).stat().st_size > 10_000

    # HTML: tables and inline figures, nothing fetched from the network
    html = (out / "report.html").read_text()
    for ident in (
        'id="table-summary"',
        'id="table-baselines"',
        'id="table-models"',
        'id="table-chiplets"',
        'id="table-windows"',
        'id="table-layers"',
        'id="fig-gantt"',
        'id="fig-energy"',
    ):
        assert ident in html, ident
    assert html.count("<svg") >= 2
    assert not re.search(r"""(src|href)\s*=\s*["'](https?:|//)""", html)
    assert "<link" not in html and "url(http" not in html
    assert "<script" not in html

    # printed summary
    assert "latency" in printed and "EDP" in printed and "monolithic OS" in printed
    for e in cfg.scenario.entries:
        assert e.model.name[:12] in printed


def test_run_json_prints_json_only(tmp_path: Path) -> None:
    out = tmp_path / "o"
    res = runner.invoke(
        app, ["run", str(EXAMPLES / "paper1.yaml"), "--out", str(out), "--json", "--no-baselines"]
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["scenario"] == "paper1"
    assert data["baselines"] == {}
    assert set(data["files"]) == set(RUN_FILES)
    assert data["latency_s"] == pytest.approx(
        json.loads((out / "metrics.json").read_text())["latency_s"]
    )


def test_compare_writes_table_bars_and_pareto(tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    res = runner.invoke(
        app,
        [
            "compare",
            str(EXAMPLES / "paper1.yaml"),
            "--packages",
            "mcm-2x2",
            "simba-3x3-shi",
            "--baseline",
            "simba-3x3-shi",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == sorted(COMPARE_FILES)
    data = json.loads((out / "compare.json").read_text())
    assert [p["label"] for p in data["packages"]] == ["mcm-2x2", "simba-3x3-shi"]
    base = data["packages"][1]
    assert base["normalised"] == {"latency": 1.0, "energy": 1.0, "edp": 1.0}
    other = data["packages"][0]
    assert other["normalised"]["edp"] == pytest.approx(other["edp"] / base["edp"])
    for p in data["packages"]:
        assert p["candidates"], "no explored schedules"
        front = p["pareto_front"]
        # the front is non-dominated and sorted by latency with falling energy
        assert all(a[0] < b[0] and a[1] > b[1] for a, b in itertools.pairwise(front))
    with open(out / "compare.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][0] == "package" and len(rows) == 3
    md = (out / "compare.md").read_text()
    assert "| mcm-2x2 |" in md and "simba-3x3-shi (baseline)" in md
    for png in ("normalised.png", "pareto.png"):
        w, h = png_size(out / png)
        assert w >= 800 and h >= 300
    html = (out / "compare.html").read_text()
    assert 'id="table-compare"' in html and 'id="fig-pareto"' in html
    assert 'id="fig-normalised"' in html and html.count("<svg") >= 4


def test_compare_uses_the_file_list_and_repeated_option(tmp_path: Path) -> None:
    res = runner.invoke(
        app,
        ["compare", str(EXAMPLES / "paper1.yaml"), "-p", "mcm-2x2", "-p", "het-sides", "--json"],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert [p["label"] for p in data["packages"]] == ["mcm-2x2", "het-sides"]
    assert data["baseline"] == "mcm-2x2"


# ---- bad input ------------------------------------------------------------------------------

GOOD = """\
name: t
models:
  - {zoo: resnet50, batch: 1}
  - {zoo: mobilenetv2, batch: 2}
package: mcm-2x2
strategy: scar
objective: edp
"""

BAD_CASES: dict[str, tuple[str, str, str]] = {
    # case: (file text, key path named, words of the reason)
    "unknown top key": (GOOD + "modles: []\n", "modles", "unknown key"),
    "unknown model key": (
        GOOD.replace("{zoo: resnet50, batch: 1}", "{zoo: resnet50, bacth: 1}"),
        "models[0].bacth",
        "unknown key",
    ),
    "wrong type batch": (
        GOOD.replace("batch: 2", "batch: two"),
        "models[1].batch",
        "integer",
    ),
    "batch zero": (GOOD.replace("batch: 2", "batch: 0"), "models[1].batch", "greater than 0"),
    "wrong type option": (GOOD + "options: {top_k: many}\n", "options.top_k", "integer"),
    "unknown option": (GOOD + "options: {topk: 3}\n", "options.topk", "unknown key"),
    "missing onnx file": (
        GOOD.replace("{zoo: resnet50, batch: 1}", "{onnx: nothere.onnx, batch: 1}"),
        "models[0].onnx",
        "file not found",
    ),
    "missing maestro file": (
        GOOD.replace("{zoo: resnet50, batch: 1}", "{maestro: ../x/none.m}"),
        "models[0].maestro",
        "file not found",
    ),
    "unknown zoo model": (GOOD.replace("resnet50", "resnet5"), "models[0].zoo", "unknown model"),
    "bad zoo option": (
        GOOD.replace("{zoo: resnet50, batch: 1}", "{zoo: gpt2-small, options: {seqlen: 4}}"),
        "models[0].options.seqlen",
        "unknown option",
    ),
    "two sources": (
        GOOD.replace("{zoo: resnet50, batch: 1}", "{zoo: resnet50, onnx: a.onnx}"),
        "models[0]",
        "exactly one of",
    ),
    "no models": (GOOD.split("models:")[0] + "package: mcm-2x2\n", "models", "missing"),
    "unknown preset": (GOOD.replace("mcm-2x2", "mcm-9x9"), "package", "unknown preset"),
    "missing hardware file": (
        GOOD.replace("package: mcm-2x2", "package: hw/none.yaml"),
        "package",
        "file not found",
    ),
    "bad preset override": (
        GOOD.replace("package: mcm-2x2", "package: {preset: mcm-2x2, pes: 3}"),
        "package.pes",
        "unknown key",
    ),
    "unknown strategy": (GOOD.replace("strategy: scar", "strategy: sacr"), "strategy", "unknown"),
    "unknown objective": (
        GOOD.replace("objective: edp", "objective: speed"),
        "objective",
        "unknown objective",
    ),
    "package too small": (
        GOOD.replace("strategy: scar", "strategy: standalone").replace(
            "models:\n",
            "models:\n  - {zoo: googlenet}\n  - {zoo: unet, options: {image: 256}}\n"
            "  - {zoo: resnet50, name: r2}\n",
        ),
        "package",
        "own chiplet",
    ),
    "simba on heterogeneous": (
        GOOD.replace("strategy: scar", "strategy: simba"),
        "strategy",
        "homogeneous",
    ),
    "duplicate model names": (
        GOOD.replace("mobilenetv2, batch: 2", "resnet50, batch: 2"),
        "models",
        "used twice",
    ),
    "yaml syntax": (GOOD + "seed: [1\n", "", "YAML syntax error"),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_scenario_exits_2_names_file_and_key_writes_nothing(case: str, tmp_path: Path) -> None:
    text, key, words = BAD_CASES[case]
    scen = tmp_path / "bad-scenario.yaml"
    scen.write_text(text)
    out = tmp_path / "out"
    res = runner.invoke(app, ["run", str(scen), "--out", str(out)])
    assert res.exit_code == 2, res.output
    msg = res.output
    assert "Traceback" not in msg
    assert str(scen) in msg, msg
    if key:
        assert f"field '{key}'" in msg, msg
    assert words in msg, msg
    assert not out.exists()
    assert msg.startswith("error:") and len(msg.strip().splitlines()) == 1


def test_good_base_case_runs(tmp_path: Path) -> None:
    """The bad cases above are one edit away from this scenario, which runs."""
    scen = tmp_path / "good.yaml"
    scen.write_text(GOOD)
    res = runner.invoke(app, ["run", str(scen), "--json", "--no-baselines"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["n_chiplets"] == 4


def test_missing_scenario_file_and_out_is_a_file(tmp_path: Path) -> None:
    res = runner.invoke(app, ["run", str(tmp_path / "none.yaml")])
    assert res.exit_code == 2 and "scenario file not found" in res.output
    blocker = tmp_path / "file"
    blocker.write_text("x")
    res = runner.invoke(app, ["run", str(EXAMPLES / "paper1.yaml"), "--out", str(blocker)])
    assert res.exit_code == 2 and "not a directory" in res.output


def test_compare_bad_package_and_baseline(tmp_path: Path) -> None:
    out = tmp_path / "c"
    res = runner.invoke(
        app,
        ["compare", str(EXAMPLES / "paper1.yaml"), "-p", "mcm-2x2", "-p", "nope", "-o", str(out)],
    )
    assert res.exit_code == 2 and "unknown preset 'nope'" in res.output and not out.exists()
    res = runner.invoke(
        app,
        [
            "compare",
            str(EXAMPLES / "paper1.yaml"),
            "-p",
            "mcm-2x2",
            "--baseline",
            "het-cb",
            "-o",
            str(out),
        ],
    )
    assert res.exit_code == 2 and "baseline 'het-cb'" in res.output and not out.exists()


def test_progress_bar_appears_only_after_the_delay() -> None:
    import io
    import time

    from rich.console import Console

    from mcmsched.cli.run_cmd import LazyProgress

    buf = io.StringIO()
    out = Console(file=buf, force_terminal=True, width=100)
    with LazyProgress(out, delay_s=0.05) as progress:
        progress("search", 1, 4)
        time.sleep(0.4)
        progress("search", 3, 4)
        time.sleep(0.2)
    assert "search" in buf.getvalue() and "3/4" in buf.getvalue()

    quick = io.StringIO()
    with LazyProgress(Console(file=quick, force_terminal=True), delay_s=5.0) as progress:
        progress("search", 4, 4)
    assert quick.getvalue() == ""
    off = io.StringIO()
    with LazyProgress(Console(file=off, force_terminal=True), enabled=False, delay_s=0) as p:
        p("search", 1, 1)
        time.sleep(0.1)
    assert off.getvalue() == ""


def test_compare_takes_packages_from_the_file(tmp_path: Path) -> None:
    scen = tmp_path / "c.yaml"
    scen.write_text(
        GOOD + "compare: {packages: [mcm-2x2, {preset: simba-3x3-shi, name: shi9}], "
        "baseline: shi9}\n"
    )
    res = runner.invoke(app, ["compare", str(scen), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert [p["label"] for p in data["packages"]] == ["mcm-2x2", "shi9"]
    assert data["baseline"] == "shi9"
    assert data["packages"][1]["n_chiplets"] == 9
