"""The bounded file reader, the safe YAML loader and validated numbers (issue 12): each kind of
bad input is refused with one clear line, quickly, whatever loader reads it."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from mcmsched.errors import MCMSchedError
from mcmsched.hardware.yaml_io import load_package, package_from_dict
from mcmsched.limits import check_number
from mcmsched.runner.config import config_from_dict, load_scenario_file
from mcmsched.safe_io import MAX_TEXT_BYTES, load_yaml, read_text

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="FIFO, /dev/zero")


def _err(func: object, *args: object) -> str:
    with pytest.raises(MCMSchedError) as info:
        func(*args)  # type: ignore[operator]
    msg = str(info.value)
    assert "\n" not in msg and len(msg) <= 300
    return msg


@linux
def test_special_files_refused_before_reading(tmp_path: Path) -> None:
    fifo = tmp_path / "p.yaml"
    os.mkfifo(fifo)
    zero = tmp_path / "z.yaml"
    zero.symlink_to("/dev/zero")
    t0 = time.perf_counter()
    assert "FIFO" in _err(read_text, fifo)  # would block forever if opened for reading
    assert "device" in _err(load_scenario_file, zero)  # would read without end
    assert "directory" in _err(load_package, tmp_path)
    assert time.perf_counter() - t0 < 2.0
    big = tmp_path / "big.yaml"
    with big.open("wb") as f:
        f.seek(MAX_TEXT_BYTES + 1)
        f.write(b"\n")
    assert "larger than the limit" in _err(load_package, big)
    assert "component is 300 characters" in _err(read_text, tmp_path / ("n" * 300))
    assert "file not found" in _err(read_text, tmp_path / "none.yaml")


def test_encodings(tmp_path: Path) -> None:
    p = tmp_path / "s.yaml"
    p.write_bytes("name: x\n".encode("utf-16"))
    assert "UTF-16" in _err(read_text, p)
    p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    assert "binary" in _err(read_text, p)
    p.write_bytes(b"name: caf\xe9\n")
    assert "not UTF-8" in _err(read_text, p)
    p.write_bytes(b"\xef\xbb\xbfname: x\n")  # a UTF-8 BOM is fine
    assert read_text(p) == "name: x\n"


def test_yaml_limits() -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    t0 = time.process_time()
    assert "alias bomb" in _err(load_yaml, "\n".join(lines))  # 9^10 nodes once expanded
    assert time.process_time() - t0 < 0.5
    assert "nested deeper than 64" in _err(load_yaml, "a: " + "[" * 1000 + "]" * 1000)
    assert "must be a plain value" in _err(load_yaml, "? [a, b]\n: 1\n")
    assert "duplicate key 'a'" in _err(load_yaml, "a: 1\nb: 2\na: 3\n")
    assert "5000 digits is too large" in _err(load_yaml, "a: " + "9" * 5000)
    assert load_yaml("base: &b {x: 1}\nother: {<<: *b, y: 2}\n")["other"] == {"x": 1, "y": 2}
    assert load_yaml("n: 123456789012345678901234567890\n") == {"n": 123456789012345678901234567890}


def _pkg(**nop: object) -> dict[str, object]:
    return {"classes": {"a": {"dataflow": "nvdla"}}, "layout": ["a a"], "nop": nop}


@pytest.mark.parametrize(
    ("nop", "needle"),
    [
        ({"energy_pj_per_bit": False}, "boolean is not a number"),
        ({"bw_gbps": float("inf")}, "got inf"),
        ({"hop_latency_ns": float("nan")}, "got nan"),
        ({"bw_gbps": 1e23}, "less than or equal to 1000000000"),
        ({"hop_latency_ns": -1}, "greater than or equal to 0"),
    ],
)
def test_package_numbers(nop: dict[str, object], needle: str) -> None:
    msg = _err(package_from_dict, _pkg(**nop))
    assert needle in msg, msg


def test_numbers_checked_in_data_objects_too() -> None:
    from mcmsched.hardware.presets import get_preset

    assert "must be finite" in _err(lambda: get_preset("mcm-2x2", clock_hz=float("inf")))
    assert "<= 4.1943e+06" in _err(lambda: get_preset("mcm-2x2", pes_per_chiplet=10**23))
    assert "got True" in _err(lambda: get_preset("mcm-2x2", nop_bw_gbps=True))
    assert "<= 1e+09" in _err(lambda: get_preset("mcm-2x2", dram_latency_ns=1e30))
    assert "<= 65536" in _err(check_number, 10**9, "batch")
    check_number(4096, "batch")


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"seed": -1}, "seed"),
        ({"seed": 2**64}, "seed"),
        ({"options": {"n_splits": 10**30}}, "options.n_splits"),
        ({"models": [{"zoo": "resnet50", "latency_target_s": float("inf")}]}, "latency_target_s"),
        ({"models": [{"zoo": "resnet50", "batch": True}]}, "models[0].batch"),
    ],
)
def test_scenario_numbers(patch: dict[str, object], field: str) -> None:
    data = {"models": [{"zoo": "resnet50"}], "package": "mcm-2x2", **patch}
    msg = _err(lambda: config_from_dict(data, source="s.yaml"))
    assert field in msg, msg


def test_maestro_hw_keys(tmp_path: Path) -> None:
    from mcmsched.cost.energy import load_maestro_hw

    p = tmp_path / "hw.m"
    base = "num_pes: 256\nnoc_bw_cstr: 64\noffchip_bw_cstr: 8\n"
    p.write_text(base + "secret_key: 1234\n")
    assert "unknown key 'secret_key'" in _err(load_maestro_hw, p)
    p.write_text(base + "num_pes: 512\n")
    assert "'num_pes' given twice" in _err(load_maestro_hw, p)
    p.write_text(base.replace("256", "9" * 40))
    assert "not 'key: integer'" in _err(load_maestro_hw, p)
    p.write_text(base)
    assert load_maestro_hw(p).n_pes == 256


def test_maestro_parser_does_not_echo_other_files(tmp_path: Path) -> None:
    from mcmsched.workload.importers.maestro import load_maestro

    p = tmp_path / "creds.m"
    p.write_text("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY\n")
    msg = _err(load_maestro, p)
    assert "wJalr" not in msg and "AWS_SECRET" not in msg and "word (21 characters)" in msg


def test_sweep_grid_capped() -> None:
    from mcmsched.explore.sweep_file import sweep_from_dict

    d = {
        "scenarios": ["paper1"],
        "packages": ["mcm-2x2"],
        "grid": {"pes_per_chiplet": list(range(1, 101)), "l2_bytes": list(range(1, 101))},
        "seeds": list(range(100)),
        "objectives": ["edp", "latency", "energy", "throughput"] * 25,
    }
    t0 = time.process_time()
    msg = _err(sweep_from_dict, d)
    assert "100,000,000 jobs" in msg and "limit of 100,000" in msg
    assert time.process_time() - t0 < 1.0


@pytest.mark.parametrize(
    ("mutation", "needle"),
    [
        ({"conv": {"strides": [0, 0]}}, "'strides' values must be integers >= 1"),
        ({"conv": {"dilations": [0, 0]}}, "'dilations' values must be integers >= 1"),
        ({"conv": {"pads": [1]}}, "'pads' needs 4 values, got 1"),
        ({"conv": {"group": 0}}, "'group' values must be integers >= 1"),
        ({"q": [], "kt": []}, "rank >= 1"),
        ({"kt": [1, 2, 7, 5]}, "inner dimensions do not match"),
        ({"w2": [63, 10]}, "inner dimensions do not match"),
    ],
)
def test_onnx_attributes_validated(
    tmp_path: Path, mutation: dict[str, object], needle: str
) -> None:
    pytest.importorskip("onnx")
    from fuzz_helpers import onnx_model_bytes
    from mcmsched.workload.importers.onnx_import import load_onnx

    p = tmp_path / "m.onnx"
    p.write_bytes(onnx_model_bytes(mutation))
    msg = _err(load_onnx, p)
    assert needle in msg, msg
    p.write_bytes(onnx_model_bytes())
    assert len(load_onnx(p).layers) == 3  # conv, fc, qk
