"""Shared builders for the schedule/search tests: tiny packages, models and a stub cost table
whose per-layer numbers are chosen by the test (so expected values can be computed by hand)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from mcmsched.cost.table import CostTable, ModelCosts
from mcmsched.hardware import ChipletClass, Package, get_dataflow
from mcmsched.hardware.package import grid_chiplets, mesh_links
from mcmsched.workload import Layer, Model, OpKind, Scenario

MIB = 1024 * 1024


def classes(l2_bytes: int = 10 * MIB) -> dict[str, ChipletClass]:
    return {
        "nvd": ChipletClass("nvd", get_dataflow("nvd"), l2_bytes=l2_bytes),
        "shi": ChipletClass("shi", get_dataflow("shi"), l2_bytes=l2_bytes),
    }


def grid_package(
    layout: Sequence[Sequence[str]], name: str = "pkg", l2_bytes: int = 10 * MIB
) -> Package:
    rows, cols = len(layout), len(layout[0])
    return Package(
        name,
        classes(l2_bytes),
        tuple(grid_chiplets(layout)),
        tuple(mesh_links(rows, cols)),
    )


def gemm_chain(name: str, n: int, dims: Sequence[int] = (64, 128, 256)) -> Model:
    layers = [
        Layer(f"l{i}", OpKind.GEMM, K=dims[(i + 1) % len(dims)], C=dims[i % len(dims)], Y=32, X=1)
        for i in range(n)
    ]
    return Model.chain(name, layers)


@dataclass
class StubModel:
    """Per-sample numbers of one model: compute_s/energy_j ``[L, n_classes]``; bytes ``[L]``."""

    compute_s: np.ndarray
    energy_j: np.ndarray
    weight_bytes: np.ndarray
    input_bytes: np.ndarray
    output_bytes: np.ndarray


@dataclass
class StubCosts:
    """A CostTable stand-in: every cost is linear in the mini-batch (per-sample x b')."""

    scenario: Scenario
    package: Package
    models: list[StubModel]
    calls: list[tuple[int, int]] = field(default_factory=list)

    @property
    def class_names(self) -> tuple[str, ...]:
        return self.package.class_names

    def model_costs(self, model_idx: int, minibatch: int) -> ModelCosts:
        self.calls.append((model_idx, minibatch))
        s = self.models[model_idx]
        return ModelCosts(
            compute_s=s.compute_s * minibatch,
            energy_j=s.energy_j * minibatch,
            cycles=s.compute_s * minibatch * 500e6,
            l2_bytes=np.zeros_like(s.compute_s),
            weight_bytes=np.asarray(s.weight_bytes, dtype=float),
            input_bytes=np.asarray(s.input_bytes, dtype=float) * minibatch,
            output_bytes=np.asarray(s.output_bytes, dtype=float) * minibatch,
        )


def as_table(stub: StubCosts) -> CostTable:
    """The stub typed as a CostTable (duck typing)."""
    return stub  # type: ignore[return-value]


def random_instance(
    rng: np.random.Generator, n_models: int, max_layers: int, package: Package
) -> tuple[Scenario, StubCosts]:
    """A random scenario of chain models with random per-layer costs (class affinities differ
    per layer), weights up to a few MiB and batches in {1, 2, 4}."""
    models = []
    stubs = []
    n_cls = len(package.class_names)
    for m in range(n_models):
        n = int(rng.integers(2, max_layers + 1))
        models.append((gemm_chain(f"m{m}", n), int(rng.choice([1, 2, 4]))))
        base = rng.uniform(0.2e-3, 2e-3, size=(n, 1))
        aff = rng.uniform(0.5, 2.0, size=(n, n_cls))
        stubs.append(
            StubModel(
                compute_s=base * aff,
                energy_j=base * rng.uniform(0.5, 2.0, size=(n, n_cls)),
                weight_bytes=rng.uniform(0.1, 4.0, size=n) * MIB,
                input_bytes=rng.uniform(0.05, 1.0, size=n) * MIB,
                output_bytes=rng.uniform(0.05, 1.0, size=n) * MIB,
            )
        )
    sc = Scenario.of("rand", *models)
    return sc, StubCosts(sc, package, stubs)
