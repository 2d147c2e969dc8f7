"""Baselines are built from the user's own classes: homogeneous-X is the package's layout with
every chiplet of class X exactly as the user defined it (named in the label), and the baselines
searched in worker processes beside the main search give the same numbers as searched here."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mcmsched.hardware.yaml_io import load_package
from mcmsched.runner.run import baseline_designs, homogeneous_of_class, run

# A user's package: classes named by the user ('ws', 'os'), 512 PEs, 2 MiB L2: nothing like the
# built-in 'nvd' / 'shi' classes (4,096 PEs, 10 MiB L2 in mcm-2x2).
PACKAGE = """\
name: mine
topology: mesh
classes:
  ws: {dataflow: nvdla-maestro, n_pes: 512, l1_bytes: 4096, l2_bytes: 2097152, clock_hz: 8.0e8}
  os: {dataflow: shidiannao-maestro, n_pes: 512, l1_bytes: 4096, l2_bytes: 2097152}
layout:
- ws ws os
links: mesh
nop: {bw_gbps: 100.0, hop_latency_ns: 35.0, energy_pj_per_bit: 2.04}
dram: {interfaces: sides, bw_gbps: 64.0, latency_ns: 200.0, energy_pj_per_bit: 14.8}
"""


def _scenario(tmp_path: Path, package: str = "mine.yaml") -> Path:
    (tmp_path / "mine.yaml").write_text(PACKAGE)
    p = tmp_path / "s.yaml"
    p.write_text(
        "models:\n"
        "  - {zoo: mobilenetv2, batch: 2, options: {image: 32}}\n"
        "  - {zoo: resnet50, batch: 1}\n"
        f"package: {package}\n"
    )
    return p


def test_homogeneous_baselines_use_the_users_classes_as_defined(tmp_path: Path) -> None:
    _scenario(tmp_path)
    pkg = load_package(tmp_path / "mine.yaml")
    designs = baseline_designs(pkg)
    assert [d.key for d in designs] == ["monolithic", "homogeneous-ws", "homogeneous-os"]
    for d, name in zip(designs[1:], ("ws", "os"), strict=True):
        assert d.strategy == "simba"
        assert d.package.classes == {name: pkg.classes[name]}  # the very class, not a preset
        assert [c.cls for c in d.package.chiplets] == [name] * 3
        assert d.package.links == pkg.links and d.package.dram == pkg.dram
        cls = pkg.classes[name]
        assert d.label == f"homogeneous {name} ({cls.dataflow.name}, 512 PEs)"
    assert homogeneous_of_class(pkg, "ws").chiplet_class(2).clock_hz == 8.0e8


def test_parallel_baselines_equal_serial_ones(tmp_path: Path) -> None:
    scen = _scenario(tmp_path)
    serial = run(scen, baseline_workers=0)
    parallel = run(scen, baseline_workers=3)
    assert list(serial.baselines) == ["monolithic", "homogeneous-ws", "homogeneous-os"]
    assert list(parallel.baselines) == list(serial.baselines)
    for key, b in serial.baselines.items():
        p = parallel.baselines[key]
        assert p.label == b.label and p.package.name == b.package.name
        assert p.metrics.latency_s == b.metrics.latency_s
        assert p.metrics.energy_j == b.metrics.energy_j
    assert parallel.metrics.edp == serial.metrics.edp
    # the homogeneous-ws baseline runs on 3 of the user's 'ws' chiplets
    hws = serial.baselines["homogeneous-ws"].package
    assert hws.n_chiplets == 3 and hws.chiplet_class(0).n_pes == 512
    d = serial.to_dict()["baselines"]["homogeneous-os"]
    assert d["label"] == "homogeneous os (shidiannao-maestro, 512 PEs)"
    assert d["ratio"]["edp"] == pytest.approx(serial.metrics.edp / d["edp"])


def test_homogeneous_package_is_its_own_baseline(tmp_path: Path) -> None:
    scen = _scenario(tmp_path, "simba-3x3-nvd")
    res = run(scen, baseline_workers=0)
    assert list(res.baselines) == ["monolithic", "homogeneous-nvd"]
    # the main search already ran on this homogeneous package: reused, identical
    assert res.baselines["homogeneous-nvd"].metrics == res.metrics


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_killed_run_leaves_no_baseline_worker(sig: signal.Signals) -> None:
    # SIGKILL: the workers die with the parent (PR_SET_PDEATHSIG); SIGTERM: the CLI's clean-exit
    # handler ends the pool. Forked workers must not keep the CLI's SIGTERM handler (it turned
    # the parent-death signal into a SystemExit the pool's worker loop caught, leaving workers).
    repo = Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=str(repo / "src"), MCMSCHED_BASELINE_WORKERS="3")
    proc = subprocess.Popen(
        [sys.executable, "-m", "mcmsched", "run", str(repo / "examples/datacenter-sc4.yaml")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        kids: list[int] = []
        while time.monotonic() < deadline and len(kids) < 2 and proc.poll() is None:
            time.sleep(0.2)
            kids = _children(proc.pid)
        assert len(kids) >= 2, "the baseline workers did not start"
        proc.send_signal(sig)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(_alive(k) for k in kids):
            time.sleep(0.2)
        assert not [k for k in kids if _alive(k)]
    finally:
        if proc.poll() is None:
            proc.kill()


def _run_in_daemon(path: str) -> float:
    return run(path, baseline_workers=3).baselines["homogeneous-os"].metrics.edp


def test_run_inside_a_daemonic_pool_worker_runs_baselines_here(tmp_path: Path) -> None:
    import multiprocessing

    scen = _scenario(tmp_path)
    expect = run(scen, baseline_workers=0).baselines["homogeneous-os"].metrics.edp
    with multiprocessing.get_context("fork").Pool(1) as pool:  # daemonic workers
        got = pool.apply(_run_in_daemon, (str(scen),))
    assert got == expect
