"""`mcmsched run` command-line overrides (--objective, --strategy, --package, --seed, --batch),
command-line paths relative to the working directory, tables that keep every digit at 80
columns, the one ratio convention in the headers, and progress lines when stderr is not a
terminal."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from mcmsched.cli import app
from mcmsched.cli.run_cmd import LazyProgress
from mcmsched.cli.tables import column_groups, print_columns
from mcmsched.errors import MCMSchedError
from mcmsched.hardware.presets import get_preset
from mcmsched.hardware.yaml_io import save_package
from mcmsched.runner.config import config_from_dict
from mcmsched.runner.overrides import apply_overrides, parse_batches

runner = CliRunner()

SCENARIO = """\
name: t
models:
  - {zoo: mobilenetv2, batch: 1, options: {image: 32}, name: mnet}
  - {zoo: resnet50, batch: 1}
package: mcm-2x2
strategy: scar
objective: edp
seed: 0
"""


def _scenario(tmp_path: Path) -> Path:
    folder = tmp_path / "scen"
    folder.mkdir()
    p = folder / "s.yaml"
    p.write_text(SCENARIO)
    return p


def _json_run(args: list[str]) -> dict:
    res = runner.invoke(app, ["run", *args, "--json", "--no-baselines"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_run_overrides_reach_the_search(tmp_path: Path) -> None:
    scen = _scenario(tmp_path)
    base = _json_run([str(scen)])
    assert (base["objective"], base["strategy"], base["seed"]) == ("edp", "scar", 0)
    assert [m["batch"] for m in base["models"]] == [1, 1]
    d = _json_run(
        [
            str(scen),
            "--objective",
            "latency",
            "--strategy",
            "standalone",
            "--seed",
            "7",
            "--batch",
            "mnet=3",
            "--batch",
            "resnet50=2",
            "--package",
            "het-sides",
        ]
    )
    assert (d["objective"], d["strategy"], d["seed"]) == ("latency", "standalone", 7)
    assert d["package_spec"] == "het-sides" and d["n_chiplets"] == 9
    assert [(m["name"], m["batch"]) for m in d["models"]] == [("mnet", 3), ("resnet50", 2)]
    # throughput counts the overridden batches: 5 samples over the latency
    assert d["throughput_ips"] == pytest.approx(5 / d["latency_s"], rel=1e-12)


def test_package_override_path_is_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scen = _scenario(tmp_path)
    hw = tmp_path / "hw"
    hw.mkdir()
    pkg = get_preset("simba-3x3-nvd")
    save_package(pkg, hw / "mine.yaml")
    monkeypatch.chdir(tmp_path)  # hw/mine.yaml exists from here, not from the scenario's folder
    d = _json_run([str(scen), "--package", "hw/mine.yaml"])
    assert d["package_spec"] == "hw/mine.yaml" and d["n_chiplets"] == 9
    # compare --packages: the same cwd-relative path
    res = runner.invoke(app, ["compare", str(scen), "--packages", "hw/mine.yaml", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["packages"][0]["label"] == "hw/mine.yaml"
    # from another folder the same relative path is not found, and the message says where
    monkeypatch.chdir(hw)
    res = runner.invoke(app, ["run", str(scen), "--package", "hw/mine.yaml"])
    assert res.exit_code == 2
    assert "--package" in res.output and "file not found: hw/mine.yaml" in res.output
    assert str(hw) in res.output


@pytest.mark.parametrize(
    ("args", "field", "text"),
    [
        (["--objective", "speed"], "--objective", "unknown objective 'speed'"),
        (["--strategy", "magic"], "--strategy", "unknown strategy 'magic'"),
        (["--seed", "-1"], "--seed", "must be >= 0"),
        (["--batch", "nobody=2"], "--batch", "no model 'nobody'"),
        (["--batch", "mnet=0"], "--batch", "positive integer"),
        (["--batch", "mnet"], "--batch", "MODEL=N"),
        (["--package", "nope"], "--package", "unknown preset 'nope'"),
        (["--strategy", "simba"], "--strategy", "homogeneous"),
    ],
)
def test_bad_overrides_exit_2_naming_the_option(
    tmp_path: Path, args: list[str], field: str, text: str
) -> None:
    scen = _scenario(tmp_path)
    out = tmp_path / "out"
    res = runner.invoke(app, ["run", str(scen), "--out", str(out), *args])
    assert res.exit_code == 2, res.output
    assert f"'{field}'" in res.output and text in res.output
    assert "Traceback" not in res.output
    assert not out.exists()


def test_apply_overrides_keeps_unchanged_fields() -> None:
    cfg = config_from_dict(
        {"models": [{"zoo": "resnet50", "batch": 2}], "package": "mcm-2x2", "seed": 3}
    )
    assert apply_overrides(cfg) is cfg
    new = apply_overrides(cfg, objective="Energy")
    assert new.objective == "energy" and new.options.seed == 3 and new.strategy == cfg.strategy
    assert new.scenario is cfg.scenario
    assert parse_batches(["a=1", "b[x=1]=4"]) == {"a": 1, "b[x=1]": 4}
    with pytest.raises(MCMSchedError, match="given twice"):
        parse_batches(["a=1", "a=2"])


def test_tables_at_80_columns_keep_every_digit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run tables printed on an 80-column console: every number in full, no ellipsis;
    the baseline table's ratio columns go to a second table rather than being cut."""
    from mcmsched.cli.app import console

    scen = _scenario(tmp_path)
    monkeypatch.setattr(console, "width", 80)
    out = tmp_path / "out"
    res = runner.invoke(app, ["run", str(scen), "--out", str(out)])
    assert res.exit_code == 0, res.output
    text = res.stdout
    # the numbers of this same run (metrics.json holds what `run --json` prints, and more)
    data = json.loads((out / "metrics.json").read_text())
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "ratio = this / baseline; < 1: this is better" in text.replace("\n", " ")
    # every baseline's ratios appear in full (4 significant digits)
    for b in data["baselines"].values():
        for key in ("latency", "energy", "edp"):
            assert f"{b['ratio'][key]:.4g}" in text, (key, b["label"])
        assert b["label"].split(" (")[0] in text
    # the homogeneous baselines name the user's class they are built from
    assert (
        data["baselines"]["homogeneous-nvd"]["label"] == "homogeneous nvd (nvdla-maestro, 4096 PEs)"
    )
    assert "homogeneous nvd" in text and "(nvdla-maestro" in text
    # the per-model table: the long model name is whole
    assert "mnet" in text and "resnet50" in text


def test_print_columns_splits_by_columns_and_never_elides() -> None:
    headers = ("design", *(f"metric number {i}" for i in range(8)))
    rows = [["a rather long design name", *(f"{1 / 7 * (i + 1):.10f}" for i in range(8))]]
    buf = io.StringIO()
    out = Console(file=buf, width=80, color_system=None)
    groups, label = column_groups(out, headers, rows)
    assert sorted(j for g in groups for j in g) == list(range(1, 9))
    assert len(groups) > 1 and label <= 80 // 3 + 1
    print_columns(out, "t", headers, rows)
    text = buf.getvalue()
    assert "…" not in text
    for v in rows[0][1:]:
        assert v in text
    assert max(len(line) for line in text.splitlines()) <= 80
    # wide enough: one table
    assert column_groups(Console(file=io.StringIO(), width=400), headers, rows)[0] == [
        list(range(1, 9))
    ]


def test_compare_header_states_the_ratio(tmp_path: Path) -> None:
    scen = _scenario(tmp_path)
    res = runner.invoke(app, ["compare", str(scen), "-p", "mcm-2x2", "-p", "het-sides"])
    assert res.exit_code == 0, res.output
    assert "ratio = package / mcm-2x2" in res.stdout and "< 1: the package is better" in res.stdout


class FakeClock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_progress_lines_when_stderr_is_not_a_terminal() -> None:
    buf = io.StringIO()
    out = Console(file=buf, force_terminal=False, width=120)
    clock = FakeClock()
    with LazyProgress(out, interval_s=0.02, clock=clock) as progress:
        assert progress.lines and not progress.enabled
        progress("search", 3, 10)
        clock.t = 112.4
        deadline = time.monotonic() + 5
        while "search 3/10" not in buf.getvalue() and time.monotonic() < deadline:
            time.sleep(0.01)
        progress("baseline monolithic", 0, 1)
        clock.t = 130.0
        while "baseline monolithic" not in buf.getvalue() and time.monotonic() < deadline:
            time.sleep(0.01)
    lines = buf.getvalue().splitlines()
    assert "progress: search 3/10 (12 s)" in lines
    assert "progress: baseline monolithic 0/1 (30 s)" in lines
    n = len(lines)
    time.sleep(0.1)
    assert len(buf.getvalue().splitlines()) == n  # no line after the run ends


def test_no_progress_lines_when_disabled_or_on_a_terminal() -> None:
    buf = io.StringIO()
    with LazyProgress(Console(file=buf, force_terminal=False), enabled=False, interval_s=0.01) as p:
        p("search", 1, 2)
        time.sleep(0.1)
    assert buf.getvalue() == ""
    term = LazyProgress(Console(file=io.StringIO(), force_terminal=True))
    assert term.enabled and not term.lines
