"""Output safety of `mcmsched run` / `compare` (issue 12): all-or-nothing output folders,
hostile model and package names (spreadsheet formulas, HTML, mathtext) written harmlessly,
`--out ""` refused, and Ctrl-C at any moment ends with one line and exit code 130."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from mcmsched.cli import app
from mcmsched.errors import MCMSchedError
from mcmsched.runner.result import COMPARE_FILES, RUN_FILES

runner = CliRunner()
REPO = Path(__file__).resolve().parents[1]
HOSTILE = '=HYPERLINK("http://x")$\\frac{$ <script>alert(1)</script>'


def _scenario(tmp: Path, name: str = "mobilenet") -> Path:
    data = {
        "name": "tiny",
        "models": [
            {"zoo": "mobilenetv2", "batch": 1, "options": {"image": 32}, "name": name},
            {"zoo": "bert-base", "batch": 1, "options": {"seq_len": 16, "coarse": True}},
        ],
        "package": "mcm-2x2",
        "strategy": "standalone",
        "baselines": False,
    }
    p = tmp / "tiny.yaml"
    p.write_text(yaml.safe_dump(data))
    return p


def test_hostile_model_name_is_written_harmlessly(tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = runner.invoke(app, ["run", str(_scenario(tmp_path, HOSTILE)), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == sorted(RUN_FILES)  # every file, mathtext ok
    with (out / "layers.csv").open(newline="") as f:
        models = {row["model"] for row in csv.DictReader(f)}
    assert "'" + HOSTILE in models and HOSTILE not in models  # no cell starts a formula
    html = (out / "report.html").read_text()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_compare_md_escapes_package_names(tmp_path: Path) -> None:
    pkg = tmp_path / "<script>x<|=1+1.yaml"  # the label of a package file is its path
    pkg.write_text(yaml.safe_dump({"preset": "mcm-2x2", "name": "evil"}))
    out = tmp_path / "cmp"
    res = runner.invoke(
        app,
        ["compare", str(_scenario(tmp_path)), "--packages", "mcm-2x2", str(pkg), "--out", str(out)],
    )
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == sorted(COMPARE_FILES)
    md = (out / "compare.md").read_text()
    assert "\\<script>" in md and md.count("<script>") == md.count("\\<script>")
    assert "<script>" not in (out / "compare.html").read_text()


def test_failure_while_writing_leaves_old_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scen = _scenario(tmp_path)
    out = tmp_path / "out"
    assert runner.invoke(app, ["run", str(scen), "--out", str(out)]).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def boom(self: object) -> None:
        raise MCMSchedError("disk on fire")

    # fails after schedule.json, metrics.json, layers.csv and timeline.png are written
    monkeypatch.setattr("mcmsched.runner.result.Result.energy_figure", boom)
    res = runner.invoke(app, ["run", str(scen), "--out", str(out)])
    assert res.exit_code == 2 and "disk on fire" in res.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # old set, untouched
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    res = runner.invoke(app, ["run", str(scen), "--out", str(tmp_path / "new")])
    assert res.exit_code == 2 and not (tmp_path / "new").exists()  # nothing half-written


@pytest.mark.parametrize("cmd", [["run"], ["compare"]])
def test_empty_out_refused(tmp_path: Path, cmd: list[str]) -> None:
    res = runner.invoke(app, [*cmd, str(_scenario(tmp_path)), "--out", ""])
    assert res.exit_code == 2 and "must not be empty" in res.output


def test_batch_limits_refused_fast(tmp_path: Path) -> None:
    for value in ("1e9", "1e30", "1000000000", ".inf", "true"):
        p = tmp_path / "b.yaml"
        p.write_text(f"models:\n  - {{zoo: resnet50, batch: {value}}}\npackage: mcm-2x2\n")
        t0 = time.process_time()
        res = runner.invoke(app, ["run", str(p)])
        assert res.exit_code == 2 and "models[0].batch" in res.output, (value, res.output)
        assert time.process_time() - t0 < 5.0
        if value in ("1e9", "1e30", "1000000000"):
            assert "65536" in res.output.replace(",", "")  # the limit is in the message


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="POSIX signals")
@pytest.mark.parametrize("delay_s", [0.3, 1.0, 2.5])
def test_ctrl_c_is_clean_at_any_moment(tmp_path: Path, delay_s: float) -> None:
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "mcmsched", "run", str(REPO / "examples" / "paper1.yaml")]
    proc = subprocess.Popen(
        [*cmd, "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
        # the user's default baseline worker pool (conftest.py sets serial baselines for the
        # rest of the suite): Ctrl-C may land while the pool runs
        env={
            **{k: v for k, v in os.environ.items() if k != "MCMSCHED_BASELINE_WORKERS"},
            "PYTHONPATH": str(REPO / "src"),
        },
    )
    time.sleep(delay_s)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    text = err.decode()
    assert "Traceback" not in text, text
    if proc.returncode != 0:  # (finished before the signal on a fast machine: nothing to check)
        assert proc.returncode == 130 and "interrupted" in text, (proc.returncode, text)
        assert not out.exists()  # no partial results


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="POSIX signals")
def test_a_swallowed_signal_still_ends_the_process() -> None:
    """Library code may swallow the handler's SystemExit (an exception in a ``__del__`` is
    dropped): the watchdog ends the process with the signal's code after GRACE_S. (The handler
    is called directly, inside the swallowing ``try``: a real signal could land outside it.)"""
    code = (
        "import signal, sys, time\n"
        "from mcmsched import interrupt\n"
        "interrupt.GRACE_S = 1.0\n"
        "interrupt.install()\n"
        "try:\n"
        "    interrupt._handler(signal.SIGTERM, None)\n"
        "except SystemExit:\n"
        "    pass  # what a careless library does\n"
        "time.sleep(30)\n"
        "sys.exit(0)\n"
    )
    t0 = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
        timeout=25,
    )
    assert proc.returncode == 143, (proc.returncode, proc.stderr)
    assert time.monotonic() - t0 < 20
    text = proc.stderr.decode()
    assert "terminated (signal 15)" in text and "exiting now" in text, text


def test_after_a_signal_any_exception_exits_with_the_signal_code(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """numpy turns an exception raised inside its structured-array comparison into a TypeError:
    once a signal was received, the CLI's top level exits with the signal's code, quietly,
    whatever exception ended the command; without a signal the exception is not hidden."""
    import importlib

    from mcmsched import interrupt

    app_module = importlib.import_module("mcmsched.cli.app")

    def broken(**kwargs: object) -> None:
        raise TypeError("Cannot compare structured arrays unless they have a common dtype.")

    monkeypatch.setattr(app_module, "app", broken)
    monkeypatch.setattr(interrupt, "_received", [])
    with pytest.raises(TypeError):
        app_module.run_app([])
    monkeypatch.setattr(interrupt, "_received", [interrupt.EXIT_SIGTERM])
    with pytest.raises(SystemExit) as exc:
        app_module.run_app([])
    assert exc.value.code == 143
    assert "Traceback" not in capsys.readouterr().err
