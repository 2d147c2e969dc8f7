"""A seeded fuzzer of mcmsched's inputs (shared by tests/test_fuzz.py and bench/fuzz.py).

Cases mutate valid inputs: the example scenario and sweep files, package descriptions exported
from presets, the vendored MAESTRO model and hardware files, a small ONNX model built with
``onnx.helper``, and CLI argument lists. Each case runs in this process (typer's ``CliRunner``
for commands, the loaders directly for file kinds whose command would be slow) under a per-case
time limit (``SIGALRM``), and is classified:

- ``ok``: exit code 0 or 2, no traceback, and (exit 2) a one-line error of at most
  :data:`MAX_ERROR_CHARS` characters;
- ``traceback``: any other exception or exit code;
- ``hang``: the time limit was reached;
- ``accepted_invalid``: a mutation known to make the input invalid (``invalid=True``) ended with
  exit code 0;
- ``long_error``: an error message longer than allowed or on several lines.
"""

from __future__ import annotations

import copy
import json
import os
import random
import signal
import string
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
MAX_ERROR_CHARS = 400  # "error: " + file path + the message (itself cut at 300 characters)
TIME_LIMIT_S = 20.0


class Hang(Exception):
    """Raised by the SIGALRM handler when a case exceeds its time limit."""


@dataclass
class Case:
    """One fuzz case: ``kind`` (scenario, package, sweep, maestro, onnx, cli), a short
    ``what`` description, ``invalid``: whether the mutation is known to make the input invalid,
    and ``run(tmp) -> (exit code, output)``."""

    kind: str
    what: str
    invalid: bool
    run: Callable[[Path], tuple[int, str]]


@dataclass
class Outcome:
    case: Case
    status: str  # ok | traceback | hang | accepted_invalid | long_error
    exit_code: int | None
    detail: str
    seconds: float


@dataclass
class Summary:
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    def by_kind(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for o in self.outcomes:
            out[o.case.kind] = out.get(o.case.kind, 0) + 1
        return out

    def bad(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status != "ok"]


# ---- running ----------------------------------------------------------------------------------


def _cli(argv: list[str]) -> tuple[int, str]:
    from typer.testing import CliRunner

    from mcmsched.cli import app

    res = CliRunner().invoke(app, argv, catch_exceptions=True)
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        raise res.exception
    return res.exit_code, res.output


def _api(func: Callable[[], Any]) -> tuple[int, str]:
    """Run a loader: an MCMSchedError is exit 2 with its message, success is exit 0."""
    from mcmsched.errors import MCMSchedError

    try:
        func()
    except MCMSchedError as err:
        return 2, f"error: {err}\n"
    return 0, ""


def _error_line_problem(output: str) -> str | None:
    lines = output.splitlines()
    at = [i for i, ln in enumerate(lines) if ln.startswith("error:")]
    if not at:
        return None
    line = lines[at[0]]
    if len(line) > MAX_ERROR_CHARS:
        return f"error line of {len(line)} characters"
    if any(ln.strip() for ln in lines[at[0] + 1 :]):
        return "error message on several lines"
    return None


def run_case(case: Case, tmp: Path, time_limit_s: float = TIME_LIMIT_S) -> Outcome:
    """Run one case in ``tmp`` and classify it (see the module docstring)."""

    def on_alarm(signum: int, frame: Any) -> None:
        raise Hang()

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, time_limit_s)
    t0 = time.perf_counter()
    try:
        code, output = case.run(tmp)
    except Hang:
        return Outcome(case, "hang", None, f"over {time_limit_s} s", time.perf_counter() - t0)
    except BaseException as err:
        if isinstance(err, KeyboardInterrupt):
            raise
        detail = f"{type(err).__name__}: {str(err)[:200]}"
        return Outcome(case, "traceback", None, detail, time.perf_counter() - t0)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    dt = time.perf_counter() - t0
    if "Traceback (most recent call last)" in output:
        return Outcome(case, "traceback", code, output[-300:], dt)
    if code not in (0, 2):
        return Outcome(case, "traceback", code, output[-300:], dt)
    problem = _error_line_problem(output)
    if problem:
        return Outcome(case, "long_error", code, problem, dt)
    if case.invalid and code == 0:
        return Outcome(case, "accepted_invalid", code, output[-200:], dt)
    return Outcome(case, "ok", code, "", dt)


def run_cases(cases: list[Case], tmp_root: Path, time_limit_s: float = TIME_LIMIT_S) -> Summary:
    summary = Summary()
    for i, case in enumerate(cases):
        tmp = tmp_root / f"c{i:05d}"
        tmp.mkdir(parents=True, exist_ok=True)
        summary.outcomes.append(run_case(case, tmp, time_limit_s))
    return summary


# ---- base inputs ------------------------------------------------------------------------------

TINY_SCENARIO: dict[str, Any] = {
    "name": "tiny",
    "models": [
        {"zoo": "mobilenetv2", "batch": 1, "options": {"image": 32}},
        {"zoo": "bert-base", "batch": 1, "options": {"seq_len": 16, "coarse": True}},
    ],
    "package": "mcm-2x2",
    "strategy": "standalone",
    "objective": "edp",
    "baselines": False,
}


def _absolutise(data: Any, base: Path) -> Any:
    """Relative file references of a scenario/sweep dict made absolute (so a mutated copy
    written elsewhere still finds them)."""
    if isinstance(data, dict):
        out = {}
        for k, v in data.items():
            if k in ("maestro", "onnx", "file") and isinstance(v, str) and not v.startswith("/"):
                out[k] = str((base / v).resolve())
            else:
                out[k] = _absolutise(v, base)
        return out
    if isinstance(data, list):
        return [
            str((base / v).resolve())
            if isinstance(v, str) and v.endswith((".yaml", ".yml")) and not v.startswith("/")
            else _absolutise(v, base)
            for v in data
        ]
    return data


def base_scenarios() -> list[dict[str, Any]]:
    out = [copy.deepcopy(TINY_SCENARIO)]
    for p in sorted((REPO / "examples").glob("*.yaml")):
        out.append(_absolutise(yaml.safe_load(p.read_text()), p.parent))
    return out


def base_sweeps() -> list[dict[str, Any]]:
    out = []
    for p in sorted((REPO / "examples" / "sweeps").glob("*.yaml")):
        out.append(_absolutise(yaml.safe_load(p.read_text()), p.parent))
    return out


def base_packages() -> list[dict[str, Any]]:
    from mcmsched.hardware.presets import get_preset
    from mcmsched.hardware.yaml_io import package_to_dict

    out = [package_to_dict(get_preset(n)) for n in ("mcm-2x2", "het-sides")]
    out.append({"preset": "mcm-2x2", "pes_per_chiplet": 1024, "nop_bw_gbps": 50})
    return out


def base_maestro() -> list[tuple[str, str]]:
    ref = REPO / "tests" / "data" / "reference"
    files = [
        ref / "maestro-models" / "MobileNetV2_model.m",
        ref / "xrbench" / "usage_scenarios" / "AR_gaming.m",
    ]
    out = [(f.name, f.read_text()) for f in files if f.is_file()]
    hw = ref / "maestro" / "hw_4096_1000_50.m"
    if hw.is_file():
        out.append(("hw:" + hw.name, hw.read_text()))
    return out


def onnx_model_bytes(mutate: dict[str, Any] | None = None) -> bytes:
    """A small ONNX model (Conv -> Relu -> Flatten -> MatMul, and a Q x K^T MatMul) built with
    onnx.helper; ``mutate`` overrides conv attributes or shapes (see :func:`_onnx_mutations`)."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    m = mutate or {}
    conv_attrs = {"pads": [1, 1, 1, 1], "strides": [2, 2], "dilations": [1, 1], "group": 1}
    conv_attrs.update(m.get("conv", {}))
    conv_attrs = {k: v for k, v in conv_attrs.items() if v is not None}
    w1 = m.get("w1", [4, 3, 3, 3])
    w2 = m.get("w2", [64, 10])
    q = m.get("q", [1, 2, 5, 8])
    kt = m.get("kt", [1, 2, 8, 5])

    def init(name: str, shape: list[int]) -> Any:
        return numpy_helper.from_array(np.zeros(shape, dtype=np.float32), name)

    nodes = [
        helper.make_node("Conv", ["x", "w1"], ["c1"], name="conv", **conv_attrs),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu"),
        helper.make_node("Flatten", ["r1"], ["f1"], name="flat"),
        helper.make_node("MatMul", ["f1", "w2"], ["m1"], name="fc"),
        helper.make_node("MatMul", ["q", "kt"], ["att"], name="qk"),
    ]
    graph = helper.make_graph(
        nodes,
        m.get("name", "tiny"),
        [
            helper.make_tensor_value_info("x", TensorProto.FLOAT, m.get("x", [1, 3, 8, 8])),
            helper.make_tensor_value_info("q", TensorProto.FLOAT, q),
            helper.make_tensor_value_info("kt", TensorProto.FLOAT, kt),
        ],
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in ("m1", "att")],
        initializer=[init("w1", w1), init("w2", w2)],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    return bytes(model.SerializeToString())


# ---- mutations --------------------------------------------------------------------------------

#: (value, known invalid when it replaces a number)
BAD_NUMBERS: list[tuple[Any, bool]] = [
    (float("inf"), True),
    (float("-inf"), True),
    (float("nan"), True),
    (10**40, True),
    (1e30, True),
    (True, True),
    (False, True),
    (-1, False),
    (0, False),
    (1e9, False),
    ("x" * 3000, True),
    (None, False),
    ([1, 2], True),
    ({"a": 1}, True),
    (-(10**23), True),
]
BAD_STRINGS: list[Any] = [
    "",
    "x" * 5000,
    "$\\frac{$",
    "<script>alert(1)</script>",
    '=HYPERLINK("http://evil")',
    "../../../../etc/passwd",
    "/dev/zero",
    "\x00nul",
    "é" * 50,
    12345,
    None,
    ["a"],
    {"k": "v"},
]


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every (path, value) of a nested dict/list (containers included)."""
    yield prefix, data
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _paths(v, (*prefix, i))


def _set(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    data = copy.deepcopy(data)
    if not path:
        return value
    cur = data
    for p in path[:-1]:
        cur = cur[p]
    cur[path[-1]] = value
    return data


def _delete(data: Any, path: tuple[Any, ...]) -> Any:
    data = copy.deepcopy(data)
    cur = data
    for p in path[:-1]:
        cur = cur[p]
    del cur[path[-1]]
    return data


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000)


#: Keys under which values are free-form or checked only when a job runs (zoo options accept
#: ints, booleans and strings; grid and override values become error rows; labels are free).
FREE_KEYS = ("grid", "labels", "count", "options", "overrides")


def mutate_data(rng: random.Random, data: Any) -> tuple[str, str, bool]:
    """(description, YAML text, known invalid) of one data-level mutation of ``data``."""
    paths = list(_paths(data))
    numbers = [
        (p, v) for p, v in paths if isinstance(v, int | float) and not isinstance(v, bool) and p
    ]
    strings = [(p, v) for p, v in paths if isinstance(v, str) and p]
    dicts = [(p, v) for p, v in paths if isinstance(v, dict)]
    op = rng.choice(["number", "number", "number", "string", "string", "delete", "unknown_key"])
    if op == "number" and numbers:
        p, _ = rng.choice(numbers)
        value, invalid = rng.choice(BAD_NUMBERS)
        # generator counts, grid and label values may be any type by design (errors show up
        # as error rows, not at load time): not "known invalid" there
        if any(x in FREE_KEYS for x in p if isinstance(x, str)):
            invalid = False
        return f"number {p} -> {str(value)[:20]}", _dump(_set(data, p, value)), invalid
    if op == "string" and strings:
        p, _ = rng.choice(strings)
        value = rng.choice(BAD_STRINGS)
        return f"string {p} -> {str(value)[:20]}", _dump(_set(data, p, value)), False
    if op == "delete" and paths[1:]:
        p, _ = rng.choice(paths[1:])
        return f"delete {p}", _dump(_delete(data, p)), False
    p, _ = rng.choice(dicts)
    key = "zz_" + "".join(rng.choice(string.ascii_lowercase) for _ in range(6))
    invalid = len(p) == 0  # an unknown top-level key is always refused
    return f"unknown key {key} at {p}", _dump(_set(data, (*p, key), 1)), invalid


def mutate_text(rng: random.Random, text: str) -> tuple[str, bytes, bool]:
    """(description, file bytes, known invalid) of one text-level mutation."""
    ops = [
        "truncate",
        "insert_bytes",
        "utf16",
        "binary",
        "deep",
        "bomb",
        "nonscalar_key",
        "huge_int",
        "duplicate_key",
        "tab",
        "empty",
        "swap_lines",
    ]
    op = rng.choice(ops)
    raw = text.encode()
    if op == "truncate":
        cut = rng.randrange(0, max(1, len(raw)))
        return f"truncate at {cut}", raw[:cut], False
    if op == "insert_bytes":
        at = rng.randrange(0, max(1, len(raw)))
        junk = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 8)))
        return f"insert bytes at {at}", raw[:at] + junk + raw[at:], False
    if op == "utf16":
        return "UTF-16", text.encode("utf-16"), True
    if op == "binary":
        return "binary", bytes(rng.randrange(256) for _ in range(512)) + b"\x00", True
    if op == "deep":
        n = rng.choice([100, 1000, 5000])
        return f"nesting {n}", ("a: " + "[" * n + "]" * n + "\n").encode(), True
    if op == "bomb":
        lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
        for i in range(1, 10):
            prev = f"*a{i - 1}"
            lines.append(f"a{i}: &a{i} [{', '.join([prev] * 9)}]")
        return "alias bomb", ("\n".join(lines) + "\n").encode(), True
    if op == "nonscalar_key":
        return "non-scalar key", ("? [a, b]\n: 1\n" + text).encode(), True
    if op == "huge_int":
        return "5000-digit int", ("zz_big: " + "9" * 5000 + "\n" + text).encode(), True
    if op == "duplicate_key":
        lines = [ln for ln in text.splitlines() if ln and not ln.startswith((" ", "#", "-"))]
        line = rng.choice(lines) if lines else "a: 1"
        return "duplicate key", (text + "\n" + line + "\n").encode(), ":" in line
    if op == "tab":
        return "tab indentation", text.replace("  ", "\t", 3).encode(), False
    if op == "empty":
        return "empty", b"", True
    lines = text.splitlines()
    rng.shuffle(lines)
    return "shuffled lines", "\n".join(lines).encode(), False


def _special_file(tmp: Path, kind: str) -> Path:
    if kind == "fifo":
        p = tmp / "pipe.yaml"
        os.mkfifo(p)
        return p
    if kind == "dir":
        p = tmp / "adir.yaml"
        p.mkdir()
        return p
    if kind == "devzero":
        p = tmp / "zero.yaml"
        p.symlink_to("/dev/zero")
        return p
    if kind == "big":
        p = tmp / "big.yaml"
        with p.open("wb") as f:
            f.seek(17 * 1024 * 1024)
            f.write(b"\n")  # sparse: 17 MiB without writing them
        return p
    if kind == "longname":
        return tmp / ("n" * 300 + ".yaml")
    return tmp / "missing.yaml"


SPECIAL = ["fifo", "dir", "devzero", "big", "longname", "missing"]


# ---- case builders ----------------------------------------------------------------------------


def _write(tmp: Path, name: str, content: bytes | str) -> Path:
    p = tmp / name
    p.write_bytes(content.encode() if isinstance(content, str) else content)
    return p


def _scenario_case(rng: random.Random, bases: list[dict[str, Any]]) -> Case:
    base = rng.choice(bases)
    tiny = base is bases[0]
    if rng.random() < 0.6:
        what, text, invalid = mutate_data(rng, base)
        content: bytes = text.encode()
    else:
        what, content, invalid = mutate_text(rng, _dump(base))
    use_run = tiny and rng.random() < 0.5

    def run(tmp: Path) -> tuple[int, str]:
        f = _write(tmp, "scenario.yaml", content)
        if use_run:
            return _cli(["run", str(f), "--json", "--out", str(tmp / "out")])
        from mcmsched.runner.config import load_scenario_file

        return _api(lambda: load_scenario_file(f))

    return Case(
        "scenario", f"{'run' if use_run else 'load'} {base.get('name')}: {what}", invalid, run
    )


def _package_case(rng: random.Random, bases: list[dict[str, Any]]) -> Case:
    base = rng.choice(bases)
    if rng.random() < 0.6:
        what, text, invalid = mutate_data(rng, base)
        content: bytes = text.encode()
    else:
        what, content, invalid = mutate_text(rng, _dump(base))

    def run(tmp: Path) -> tuple[int, str]:
        f = _write(tmp, "pkg.yaml", content)
        return _cli(["hw", "validate", str(f)])

    return Case("package", f"hw validate: {what}", invalid, run)


def _sweep_case(rng: random.Random, bases: list[dict[str, Any]]) -> Case:
    base = rng.choice(bases)
    if rng.random() < 0.6:
        what, text, invalid = mutate_data(rng, base)
        content: bytes = text.encode()
    else:
        what, content, invalid = mutate_text(rng, _dump(base))
    if rng.random() < 0.1:  # a grid far too large
        big = copy.deepcopy(base)
        big["grid"] = {"pes_per_chiplet": list(range(1, 101)), "l2_bytes": list(range(1, 101))}
        big["seeds"] = list(range(100))
        big["objectives"] = ["edp", "latency", "energy", "throughput"] * 25
        what, content, invalid = "10^8 jobs", _dump(big).encode(), True

    def run(tmp: Path) -> tuple[int, str]:
        f = _write(tmp, "sweep.yaml", content)
        code, out = _cli(["sweep", "plan", str(f), "--sample", "0"])
        if code == 0 and "will fail to build" in out:
            code = 2  # refused at build time: every bad job is listed, none runs
        return code, out

    return Case("sweep", f"sweep plan: {what}", invalid, run)


def _maestro_case(rng: random.Random, bases: list[tuple[str, str]]) -> Case:
    name, text = rng.choice(bases)
    hw = name.startswith("hw:")
    roll = rng.random()
    if roll < 0.5:
        what, content, invalid = mutate_text(rng, text)
        if what in ("alias bomb", "nesting 100", "nesting 1000", "nesting 5000", "non-scalar key"):
            invalid = True  # not MAESTRO syntax either
        if what == "duplicate key" and not hw:
            invalid = False
    else:
        nums = [  # numbers that are values, not digits inside a name (Bottleneck5_2_3)
            i
            for i, ch in enumerate(text)
            if ch.isdigit() and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] in "_.'-"))
        ]
        at = rng.choice(nums) if nums else 0
        end = at
        while end < len(text) and text[end].isdigit():
            end += 1
        value, invalid = rng.choice(
            [("0", True), ("-5", True), ("9" * 40, True), ("1" + "0" * 23, True), ("7", False)]
        )
        if hw:
            value, invalid = rng.choice([("9" * 40, True), ("1" + "0" * 23, True), ("7", False)])
        content = (text[:at] + value + text[end:]).encode()
        what = f"number at {at} -> {value[:12]}"
        if roll > 0.9 and hw:
            content = (text + "num_pes: 16\n").encode()
            what, invalid = "duplicate hw key", True
        elif roll > 0.8 and hw:
            content = (text + "secret_token: 12345\n").encode()
            what, invalid = "unknown hw key", True

    def run(tmp: Path) -> tuple[int, str]:
        f = _write(tmp, "model.m", content)
        if hw:
            from mcmsched.cost.energy import load_maestro_hw

            return _api(lambda: load_maestro_hw(f))
        from mcmsched.workload.importers.maestro import load_maestro

        return _api(lambda: load_maestro(f))

    return Case("maestro", f"{name}: {what}", invalid, run)


def _onnx_mutations(rng: random.Random) -> tuple[str, dict[str, Any] | None, bool]:
    options: list[tuple[str, dict[str, Any] | None, bool]] = [
        ("valid", None, False),
        ("strides 0", {"conv": {"strides": [0, 0]}}, True),
        ("strides -1", {"conv": {"strides": [-1, 1]}}, True),
        ("dilations 0", {"conv": {"dilations": [0, 0]}}, True),
        ("pads [1]", {"conv": {"pads": [1]}}, True),
        ("pads negative", {"conv": {"pads": [-1, -1, -1, -1]}}, True),
        ("group 0", {"conv": {"group": 0}}, True),
        ("group 2", {"conv": {"group": 2}}, True),
        ("matmul rank 0", {"q": [], "kt": []}, True),
        ("matmul mismatch", {"kt": [1, 2, 7, 5]}, True),
        ("fc mismatch", {"w2": [63, 10]}, True),
        ("huge dim", {"x": [1, 3, 2**40, 8]}, True),
        ("batch 64", {"x": [64, 3, 8, 8]}, False),
        ("name", {"name": "$\\frac{$<script>"}, False),
    ]
    return rng.choice(options)


def _onnx_case(rng: random.Random) -> Case:
    what, mutation, invalid = _onnx_mutations(rng)
    corrupt = rng.random() < 0.25
    flip_seed = rng.randrange(1 << 30)

    def run(tmp: Path) -> tuple[int, str]:
        try:
            data = onnx_model_bytes(mutation)
        except Exception:  # onnx.helper itself refuses the mutation: nothing to feed in
            data = b"\x08\x07garbage"
        if corrupt:
            r = random.Random(flip_seed)
            buf = bytearray(data)
            for _ in range(8):
                buf[r.randrange(len(buf))] = r.randrange(256)
            data = bytes(buf[: r.randrange(1, len(buf) + 1)])
        f = _write(tmp, "m.onnx", data)
        if rng_cli:
            return _cli(["cost", str(f), "--hw", "mcm-2x2"])
        from mcmsched.workload.importers.onnx_import import load_onnx

        return _api(lambda: load_onnx(f))

    rng_cli = rng.random() < 0.3
    label = f"{what}{' (corrupted bytes)' if corrupt else ''}"
    return Case("onnx", label, invalid and not corrupt, run)


def _cli_case(rng: random.Random) -> Case:
    tiny = _dump(TINY_SCENARIO)
    sweep = REPO / "examples" / "sweeps" / "ci-small.yaml"
    plan = ["sweep", "plan", str(sweep)]
    srun = ["sweep", "run", str(sweep), "--store", "{tmp}/s.db"]
    report_ = ["sweep", "report", "{tmp}/none.db", "--out"]
    choices: list[tuple[str, list[str], bool]] = [
        ("plan sample -1", [*plan, "--sample", "-1"], True),
        (
            "plan workers -3",
            [*plan, "--sample", "0", "--workers", "-3"],
            True,
        ),
        (
            "run workers -3",
            [*srun, "--workers", "-3"],
            True,
        ),
        (
            "dask no port",
            [*srun, "--dask", "tcp://"],
            True,
        ),
        (
            "dask junk",
            [*srun, "--dask", "x" * 500],
            True,
        ),
        ("run out empty", ["run", "{scenario}", "--out", ""], True),
        ("report out empty", [*report_, ""], True),
        ("report missing store", [*report_, "{tmp}/r"], True),
        ("long component", ["hw", "validate", "{tmp}/" + "x" * 300 + ".yaml"], True),
        ("long out", ["run", "{scenario}", "--out", "{tmp}/" + "o" * 300], True),
        ("hw show pes huge", ["hw", "show", "mcm-2x2", "--pes", str(10**23)], True),
        ("hw show pes 0", ["hw", "show", "mcm-2x2", "--pes", "0"], True),
        ("hw show long name", ["hw", "show", "q" * 300], True),
        ("cost long names", ["cost", "q" * 300, "--hw", "r" * 300 + ".m"], True),
        ("sweep plan long name", [*plan[:2], "{tmp}/" + "s" * 300 + ".yaml"], True),
        ("hw show unknown", ["hw", "show", "no-such-preset-" + "q" * 100], True),
        ("model show unknown", ["model", "show", "$\\frac{$"], True),
        (
            "model show huge option",
            ["model", "show", "gpt2-small", "-o", "seq_len=" + "9" * 50],
            True,
        ),
        ("cost batch huge", ["cost", "resnet50", "--hw", "mcm-2x2", "--batch", str(10**30)], False),
        ("run ok", ["run", "{scenario}", "--json"], False),
        ("unknown command", ["frobnicate"], True),
        ("hw validate dir", ["hw", "validate", "{tmp}"], True),
        ("run fifo", ["run", "{fifo}"], True),
        ("run devzero", ["run", "{devzero}"], True),
        ("sweep plan fifo", ["sweep", "plan", "{fifo}"], True),
        ("hw validate big", ["hw", "validate", "{big}"], True),
        (
            "sweep run out is file",
            [*report_, "{scenario}"],
            True,
        ),
    ]
    what, argv, invalid = rng.choice(choices)

    def run(tmp: Path) -> tuple[int, str]:
        scenario = _write(tmp, "tiny.yaml", tiny)
        subs = {"{tmp}": str(tmp), "{scenario}": str(scenario)}
        for kind in ("fifo", "devzero", "big"):
            if any("{" + kind + "}" in a for a in argv):
                subs["{" + kind + "}"] = str(_special_file(tmp, kind))
        args = []
        for a in argv:
            for k, v in subs.items():
                a = a.replace(k, v)
            args.append(a)
        return _cli(args)

    return Case("cli", what, invalid, run)


def _special_case(rng: random.Random) -> Case:
    kind = rng.choice(SPECIAL)
    cmd = rng.choice(["scenario", "package", "sweep", "maestro", "onnx"])

    def run(tmp: Path) -> tuple[int, str]:
        p = _special_file(tmp, kind)
        if cmd == "scenario":
            from mcmsched.runner.config import load_scenario_file

            return _api(lambda: load_scenario_file(p))
        if cmd == "package":
            return _cli(["hw", "validate", str(p)])
        if cmd == "sweep":
            return _cli(["sweep", "plan", str(p), "--sample", "0"])
        if cmd == "maestro":
            from mcmsched.workload.importers.maestro import load_maestro

            return _api(lambda: load_maestro(p))
        from mcmsched.workload.importers.onnx_import import load_onnx

        return _api(lambda: load_onnx(p))

    return Case(cmd, f"special file {kind}", True, run)


def make_cases(n: int, seed: int) -> list[Case]:
    """``n`` cases from ``seed`` (deterministic), spread over every input kind."""
    rng = random.Random(seed)
    scen, pkgs, sweeps, maestro = base_scenarios(), base_packages(), base_sweeps(), base_maestro()
    makers: list[tuple[float, Callable[[], Case]]] = [
        (0.24, lambda: _scenario_case(rng, scen)),
        (0.16, lambda: _package_case(rng, pkgs)),
        (0.16, lambda: _sweep_case(rng, sweeps)),
        (0.14, lambda: _maestro_case(rng, maestro)),
        (0.12, lambda: _onnx_case(rng)),
        (0.12, lambda: _cli_case(rng)),
        (0.06, lambda: _special_case(rng)),
    ]
    cases = []
    for _ in range(n):
        r = rng.random()
        acc = 0.0
        for w, make in makers:
            acc += w
            if r <= acc:
                cases.append(make())
                break
        else:
            cases.append(makers[-1][1]())
    return cases


def report(summary: Summary) -> str:
    """A short text summary: counts per status and per kind, and the first bad cases."""
    lines = [
        f"cases {len(summary.outcomes)}: "
        + ", ".join(
            f"{s} {summary.count(s)}"
            for s in ("ok", "traceback", "hang", "accepted_invalid", "long_error")
        ),
        "by kind: " + json.dumps(summary.by_kind(), sort_keys=True),
        "exit 0: "
        + str(sum(o.exit_code == 0 for o in summary.outcomes))
        + ", exit 2: "
        + str(sum(o.exit_code == 2 for o in summary.outcomes))
        + f", slowest {max((o.seconds for o in summary.outcomes), default=0):.2f} s",
    ]
    for o in summary.bad()[:30]:
        lines.append(f"  {o.status}: [{o.case.kind}] {o.case.what[:90]} -> {o.detail[:160]}")
    return "\n".join(lines)
