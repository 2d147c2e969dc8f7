"""The vectorised batch evaluation equals the scalar analysis (which matches MAESTRO exactly)."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from mcmsched.cost.analysis import layer_cost
from mcmsched.cost.batch import evaluate_layers
from mcmsched.cost.energy import load_maestro_hw
from mcmsched.errors import MCMSchedError
from mcmsched.hardware.chiplet import ChipletClass
from mcmsched.hardware.dataflow import Dataflow, get_dataflow
from mcmsched.workload.importers.maestro import load_maestro
from mcmsched.workload.layer import Layer, OpKind
from mcmsched.workload.zoo import get_model

FIELDS = (
    "cycles",
    "energy_pj",
    "mac_energy_pj",
    "l1_energy_pj",
    "l2_energy_pj",
    "macs",
    "utilization",
    "l1_bytes_needed",
    "l2_bytes_needed",
)


def _check(layers: list[Layer], cls: ChipletClass, **kw: bool) -> None:
    (res,) = evaluate_layers(layers, [cls], **kw)
    cols = (res.cycles, res.energy_pj, res.mac_pj, res.l1_pj, res.l2_pj, res.macs)
    got = np.stack([*cols, res.utilization, res.l1_bytes, res.l2_bytes])
    for i, ly in enumerate(layers):
        lc = layer_cost(ly, cls, **kw)
        want = [float(getattr(lc, f)) for f in FIELDS]
        np.testing.assert_allclose(got[:, i], want, rtol=1e-12, err_msg=f"{ly.name} on {cls.name}")


def test_maestro_mapping_layers(reference_dir: Path, maestro_mapping_layers: list[Layer]) -> None:
    for hw in ("hw_256_1000_50.m", "hw_4096_64_8.m"):
        cls = load_maestro_hw(reference_dir / "maestro" / hw)
        _check(maestro_mapping_layers, cls, use_layer_dataflow=True, check_buffers=False)


@pytest.mark.parametrize("df", ["nvdla", "shidiannao", "eyeriss"])
def test_zoo_layers_on_builtin_dataflows(df: str) -> None:
    layers: list[Layer] = []
    for name in ("resnet50", "mobilenetv2", "unet", "gpt2-small"):
        for ly in get_model(name).layers:
            layers += [ly, ly.with_batch(3)]
    cls = ChipletClass(df, get_dataflow(df), n_pes=4096, noc_bw=256, mem_bw=128)
    _check(layers, cls)
    small = ChipletClass(df, get_dataflow(df), n_pes=256, noc_bw=16, mem_bw=8)
    _check(layers[::7], small, check_buffers=False)


def _random_layer(rng: random.Random) -> Layer:
    kind = rng.choice([OpKind.CONV, OpKind.CONV, OpKind.GEMM, OpKind.DWCONV, OpKind.MATMUL])
    r = rng.choice([1, 1, 3, 5, 7])
    s = rng.choice([1, 1, 2, 3])
    y, x = rng.randint(r, 60), rng.randint(r, 60)
    if kind is OpKind.GEMM:
        return Layer(
            "g", kind, K=rng.randint(1, 300), C=rng.randint(1, 300), Y=rng.randint(1, 200), X=1
        )
    if kind is OpKind.MATMUL:
        g = rng.choice([1, 2, 4])
        return Layer(
            "m",
            kind,
            K=g * rng.randint(1, 64),
            C=g * rng.randint(1, 64),
            Y=rng.randint(1, 99),
            X=1,
            groups=g,
        )
    if kind is OpKind.DWCONV:
        c = rng.randint(1, 100)
        return Layer("d", kind, K=c, C=c, groups=c, Y=y, X=x, R=r, S=r, stride_y=s, stride_x=s)
    return Layer(
        "c",
        kind,
        K=rng.randint(1, 200),
        C=rng.randint(1, 200),
        Y=y,
        X=x,
        R=r,
        S=r,
        stride_y=s,
        stride_x=s,
        N=rng.randint(1, 3),
    )


def test_random_layers_and_dataflows_match_scalar(reference_dir: Path) -> None:
    """Random shapes (strides, kernels, batches) under the built-in dataflows and every distinct
    CONV dataflow of the MAESTRO mapping files, on random PE counts and bandwidths."""
    dataflows = [get_dataflow(n) for n in ("nvdla", "shidiannao", "eyeriss")]
    seen: set[str] = set()
    for f in sorted((reference_dir / "maestro" / "mappings").glob("*.m")):
        for m in load_maestro(f):
            for ly in m.layers:
                if ly.dataflow and ly.dataflow not in seen and ly.kind is OpKind.CONV:
                    seen.add(ly.dataflow)
                    dataflows.append(Dataflow.parse(ly.dataflow, f"m{len(dataflows)}"))
    rng = random.Random(20261124)
    checked = 0
    for df in dataflows:
        cls = ChipletClass(
            df.name,
            df,
            n_pes=rng.choice([16, 64, 256, 1024, 4096]),
            noc_bw=rng.choice([8, 64, 256, 1000]),
            mem_bw=rng.choice([4, 32, 128]),
        )
        layers = []
        for _ in range(25):
            ly = _random_layer(rng)
            try:
                layer_cost(ly, cls, check_buffers=False)
            except MCMSchedError:
                continue  # no work even with clamped tiles: both paths raise the same error
            layers.append(ly)
        _check(layers, cls, check_buffers=False)
        checked += len(layers)
    assert checked > 300
