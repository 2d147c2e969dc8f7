"""Our model on the rows of ``maestro/maestro_full_runs.csv.gz`` (shared by the test and the bench).

Each row is one layer run on its own by MAESTRO with the row's exact directive text and one of
four hardware variants. :func:`evaluate_rows` evaluates every row that has a layer (all but the
``invalid_layer_dims`` rows, whose kernel exceeds the input) through the public batch path
(:func:`mcmsched.cost.batch.evaluate_layers`, which groups rows by directive text and analyses each
group vectorised) for runtime, MACs and total energy, and through
:func:`mcmsched.cost.vectorised.analyse_batch` for the per-tensor L1/L2 counts.
"""

from __future__ import annotations

import csv
import gzip
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mcmsched.cost.analysis import _directives_of, hardware_of, to_problem
from mcmsched.cost.batch import evaluate_layers
from mcmsched.cost.energy import MAESTRO_ENERGY
from mcmsched.cost.vectorised import analyse_batch, structure_key
from mcmsched.hardware.chiplet import ChipletClass
from mcmsched.hardware.dataflow import get_dataflow
from mcmsched.workload.layer import Layer, OpKind

FULL_RUNS = "maestro_full_runs.csv.gz"

# MAESTRO CSV count columns and (tensor, kind) in our analysis: kind 0 = L2 read, 1 = L2 write,
# 2 = L1 read, 3 = L1 write; tensor 0 = input, 1 = filter (weight), 2 = output.
COUNT_COLUMNS: dict[str, tuple[int, int]] = {
    f"{tensor}_{level}_{op}": (t, k)
    for t, tensor in enumerate(("input", "filter", "output"))
    for k, (level, op) in enumerate(
        (("l2", "read"), ("l2", "write"), ("l1", "read"), ("l1", "write"))
    )
}


@dataclass(frozen=True)
class Evaluated:
    """Our numbers for the evaluated rows (arrays aligned with ``rows``)."""

    rows: list[dict[str, str]]
    cycles: np.ndarray
    energy_total_nj: np.ndarray
    macs: np.ndarray
    counts: dict[str, np.ndarray]


def load_rows(maestro_dir: Path) -> list[dict[str, str]]:
    with gzip.open(maestro_dir / FULL_RUNS, "rt", newline="") as f:
        return list(csv.DictReader(f))


def layer_of(r: dict[str, str]) -> Layer:
    """The layer of a row, carrying the row's directive text as its own dataflow."""
    n = int(r["N"] or 1)
    k, c = int(r["K"]), int(r["C"])
    dims = {
        "Y": int(r["Y"]),
        "X": int(r["X"]),
        "R": int(r["R"]),
        "S": int(r["S"]),
        "stride_y": int(r["stride_y"]),
        "stride_x": int(r["stride_x"]),
    }
    df = "Dataflow {" + r["directives"] + "}"
    t = r["layer_type"]
    if t == "DSCONV":
        return Layer(r["layer"], OpKind.DWCONV, K=c, C=c, groups=c, N=n, dataflow=df, **dims)
    kind = OpKind.TRCONV if t == "TRCONV" else OpKind.CONV
    return Layer(r["layer"], kind, K=k, C=c, N=n, dataflow=df, **dims)


def hw_key(r: dict[str, str]) -> tuple[int, int, int, int, int]:
    return (
        int(r["num_pes"]),
        int(r["l1_size_cstr"]),
        int(r["l2_size_cstr"]),
        int(r["noc_bw_cstr"]),
        int(r["offchip_bw_cstr"]),
    )


def class_of(key: tuple[int, int, int, int, int]) -> ChipletClass:
    pes, l1, l2, noc, off = key
    return ChipletClass(
        name=f"maestro_{pes}_{l2}_{noc}_{off}",
        dataflow=get_dataflow("nvdla"),  # unused: every row carries its own directives
        n_pes=pes,
        l1_bytes=l1,
        l2_bytes=l2,
        noc_bw=float(noc),
        mem_bw=float(off),
        energy=MAESTRO_ENERGY,
    )


def evaluate_rows(rows: list[dict[str, str]]) -> Evaluated:
    """Our runtime, MACs, total energy (nJ) and per-tensor counts of every row with a layer."""
    kept = [r for r in rows if r["status"] != "invalid_layer_dims"]
    n = len(kept)
    cycles = np.zeros(n)
    energy = np.zeros(n)
    macs = np.zeros(n)
    counts = {c: np.zeros(n) for c in COUNT_COLUMNS}
    by_hw: dict[tuple[int, int, int, int, int], list[int]] = defaultdict(list)
    for i, r in enumerate(kept):
        by_hw[hw_key(r)].append(i)
    for key, idx in by_hw.items():
        cls = class_of(key)
        layers = [layer_of(kept[i]) for i in idx]
        bc = evaluate_layers(layers, [cls], use_layer_dataflow=True, check_buffers=False)[0]
        cycles[idx] = bc.cycles
        energy[idx] = bc.energy_pj * 1e-3
        macs[idx] = bc.macs
        groups: dict[tuple[object, ...], list[int]] = defaultdict(list)
        problems = {}
        for i, ly in zip(idx, layers, strict=True):
            assert ly.dataflow is not None
            p, reps = to_problem(ly)
            assert reps == 1
            problems[i] = p
            d = _directives_of(ly.dataflow)
            groups[(ly.dataflow, structure_key(p, d))].append(i)
        hw = hardware_of(cls)
        for (text, _), gidx in groups.items():
            res = analyse_batch([problems[i] for i in gidx], _directives_of(text), hw)
            mats = (res.l2_read, res.l2_write, res.l1_read, res.l1_write)
            for col, (t, k) in COUNT_COLUMNS.items():
                counts[col][gidx] = mats[k][t]
    return Evaluated(kept, cycles, energy, macs, counts)


def rel_err(ours: np.ndarray, theirs: np.ndarray) -> np.ndarray:
    """``|ours - theirs| / |theirs|`` (``|ours - theirs|`` where MAESTRO's number is 0)."""
    diff = np.abs(ours - theirs)
    out: np.ndarray = np.where(theirs != 0, diff / np.where(theirs != 0, np.abs(theirs), 1), diff)
    return out


def column(rows: list[dict[str, str]], name: str) -> np.ndarray:
    return np.array([float(r[name]) for r in rows])
