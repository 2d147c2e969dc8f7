"""Result stores of another layout or with corrupt rows, all-or-nothing report folders, CSV
formula escaping and the Dask address check (issue 12, "no crash on any input")."""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from explore_helpers import TINY_SCENARIO
from mcmsched.cli import app
from mcmsched.errors import MCMSchedError
from mcmsched.explore.executors import LocalExecutor, check_dask_address
from mcmsched.explore.run import run_sweep
from mcmsched.explore.store import STORE_VERSION, ResultStore
from mcmsched.explore.sweep_file import sweep_from_dict

runner = CliRunner()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sw = sweep_from_dict(
        {
            "name": "safe",
            "scenarios": [TINY_SCENARIO],
            "packages": ["mcm-2x2"],
            "grid": {"pes_per_chiplet": [256, 1024]},
            "strategies": ["standalone", "nn-baton"],
        }
    )
    path = tmp_path_factory.mktemp("safe") / "s.db"
    with ResultStore(path) as st, LocalExecutor(0) as ex:
        assert run_sweep(sw, st, ex).ok == 4
        assert st.get_meta("store_version") == str(STORE_VERSION)
    return path


def _copy(store: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "copy.db"
    shutil.copy(store, dst)
    return dst


def test_older_layout_refused_before_any_job(store: Path, tmp_path: Path) -> None:
    old = _copy(store, tmp_path)
    con = sqlite3.connect(old)
    con.execute("ALTER TABLE results DROP COLUMN cpu_s")  # the layout before cpu_s existed
    con.execute("DELETE FROM meta WHERE key = 'store_version'")
    con.commit()
    con.close()
    for readonly in (False, True):
        with pytest.raises(MCMSchedError, match=r"older layout.*cpu_s"):
            ResultStore(old, readonly=readonly)
    sweep = tmp_path / "s.yaml"
    sweep.write_text(json.dumps({"scenarios": ["paper1"], "packages": ["mcm-2x2"]}))
    res = runner.invoke(app, ["sweep", "run", str(sweep), "--store", str(old), "--workers", "0"])
    assert res.exit_code == 2 and "older layout" in res.output and res.exception is not None
    res = runner.invoke(app, ["sweep", "report", str(old), "--out", str(tmp_path / "r")])
    assert res.exit_code == 2 and "older layout" in res.output
    assert not (tmp_path / "r").exists()


def test_newer_version_foreign_and_garbage_refused(store: Path, tmp_path: Path) -> None:
    newer = _copy(store, tmp_path)
    con = sqlite3.connect(newer)
    con.execute("UPDATE meta SET value = '99' WHERE key = 'store_version'")
    con.commit()
    con.close()
    with pytest.raises(MCMSchedError, match="layout version '99'"):
        ResultStore(newer, readonly=True)
    foreign = tmp_path / "foreign.db"
    con = sqlite3.connect(foreign)
    con.execute("CREATE TABLE accounts (id INTEGER, secret TEXT)")
    con.commit()
    con.close()
    with pytest.raises(MCMSchedError, match="not an mcmsched result store"):
        ResultStore(foreign)  # and it is not modified
    con = sqlite3.connect(foreign)
    assert [r[0] for r in con.execute("SELECT name FROM sqlite_master")] == ["accounts"]
    con.close()
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not sqlite at all " * 100)
    for readonly in (False, True):
        with pytest.raises(MCMSchedError, match="not a result store"):
            ResultStore(garbage, readonly=readonly)


def test_corrupt_rows_are_skipped_and_counted(store: Path, tmp_path: Path) -> None:
    bad = _copy(store, tmp_path)
    con = sqlite3.connect(bad)
    ids = [r[0] for r in con.execute("SELECT job_id FROM results ORDER BY job_id")]
    con.execute("UPDATE results SET params = '{not json' WHERE job_id = ?", (ids[0],))
    con.execute("UPDATE results SET metrics = '[1, 2]' WHERE job_id = ?", (ids[1],))
    con.execute("UPDATE results SET wall_s = 'x' WHERE job_id = ?", (ids[2],))
    con.commit()
    con.close()
    with ResultStore(bad, readonly=True) as st:
        rows = st.results()
        assert [r.job_id for r in rows] == [ids[3]]
        assert len(st.corrupt_rows) == 3
    out = tmp_path / "rep"
    res = runner.invoke(app, ["sweep", "report", str(bad), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "skipped 3 corrupt row(s)" in res.output
    with (out / "results.csv").open() as f:
        assert len(list(csv.DictReader(f))) == 1


def test_bad_report_option_leaves_old_results(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "rep"
    assert runner.invoke(app, ["sweep", "report", str(store), "--out", str(out)]).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert set(before) >= {"results.csv", "report.html"}
    for bad in (["--metric", "nope"], ["--x", "nope", "--y", "pes_per_chiplet"], ["--x", "a"]):
        res = runner.invoke(app, ["sweep", "report", str(store), "--out", str(out), *bad])
        assert res.exit_code == 2, (bad, res.output)
        assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # nothing overwritten
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp left


def test_csv_cells_cannot_start_a_formula(tmp_path: Path) -> None:
    from mcmsched.safe_io import csv_cell, md_cell

    assert csv_cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert [csv_cell(v) for v in ("+1+2", "-a", "@SUM(1)", "\tx", "\rx")] == [
        "'+1+2",
        "'-a",
        "'@SUM(1)",
        "'\tx",
        "'\rx",
    ]
    assert [csv_cell(v) for v in ("-1.5e-3", "+4", "abc", 3, -2.5, None)] == [
        "-1.5e-3",
        "+4",
        "abc",
        3,
        -2.5,
        None,
    ]
    assert md_cell("<script>alert(1)</script> | x") == "\\<script>alert(1)\\</script> \\| x"
    assert md_cell("x<y a|b\nc") == "x<y a\\|b c"


@pytest.mark.parametrize(
    "address", ["tcp://", "tcp://host", "tcp://:8786", "tcp://host:0", "tcp://h:99999", "x", ""]
)
def test_dask_address_needs_host_and_port(address: str) -> None:
    with pytest.raises(MCMSchedError, match="tcp://HOST:8786"):
        check_dask_address(address)


def test_dask_address_accepted() -> None:
    for address in ("local", "tcp://127.0.0.1:8786", "tls://sched.example:8786"):
        check_dask_address(address)
