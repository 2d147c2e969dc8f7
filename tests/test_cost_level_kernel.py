"""The compiled level kernel (numba, the ``fast`` extra) gives the same numbers as the numpy
path of :mod:`mcmsched.cost.vectorised`, bit for bit, on fixed mappings (every field of the
analysis, delay statistics included), on the mapper's candidates of every built-in template
and on the MAESTRO reference mappings."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from mcmsched.cost import mapper, vectorised
from mcmsched.cost.analysis import hardware_of, to_problem
from mcmsched.cost.batch import _evaluate_class
from mcmsched.cost.energy import load_maestro_hw
from mcmsched.hardware.chiplet import ChipletClass
from mcmsched.hardware.dataflow import get_dataflow
from mcmsched.workload.layer import Layer
from mcmsched.workload.zoo import get_model


@pytest.fixture
def both(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Callable[[], object]], tuple]]:
    """Runs a function with the compiled kernel, then with ``MCMSCHED_NUMBA=0`` (numpy)."""

    def run(fn: Callable[[], object]) -> tuple[object, object]:
        with monkeypatch.context() as m:
            m.delenv("MCMSCHED_NUMBA", raising=False)
            assert vectorised.kernel() is not None, "numba (the fast extra) is not installed"
            fast = fn()
        with monkeypatch.context() as m:
            m.setenv("MCMSCHED_NUMBA", "0")
            assert vectorised.kernel() is None
            slow = fn()
        return fast, slow

    yield run


def _zoo_layers() -> list[Layer]:
    layers: list[Layer] = []
    for name in ("resnet50", "mobilenetv2", "gpt2-small"):
        for ly in get_model(name).layers:
            layers += [ly, ly.with_batch(3)]
    return list({ly.shape_key: ly for ly in layers}.values())


def _same(a: object, b: object) -> None:
    if dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            _same(getattr(a, f.name), getattr(b, f.name))
        return
    if isinstance(a, np.ndarray):
        assert a.dtype == np.asarray(b).dtype
        np.testing.assert_array_equal(a, b)
        return
    assert a == b


@pytest.mark.parametrize("df", ["nvdla", "shidiannao", "eyeriss", "nvdla-maestro"])
def test_fixed_mappings_every_field(df: str, both: Callable[..., tuple]) -> None:
    """analyse_batch with delay statistics, on the zoo layers of each kind (the top level's
    statistics stay numpy; every sub-level and the volumes use the kernel)."""
    cls = ChipletClass(df, get_dataflow(df), n_pes=1024, noc_bw=64, mem_bw=32)
    hw = hardware_of(cls)
    layers = _zoo_layers()
    checked = worked = 0
    for depthwise in (False, True):
        d = cls.dataflow.directives_for(depthwise)
        probs = [p for p in (to_problem(ly)[0] for ly in layers) if p.depthwise == depthwise]
        groups: dict[tuple[object, ...], list[object]] = {}
        for p in probs:
            groups.setdefault(vectorised.structure_key(p, d), []).append(p)
        for ps in groups.values():
            fast, slow = both(lambda ps=ps, d=d: vectorised.analyse_batch(ps, d, hw))  # type: ignore[misc]
            _same(fast, slow)
            checked += len(ps)
            worked += int((np.asarray(fast.runtime) > 0).sum())
    assert checked > 60
    assert worked > checked // 2  # most mappings do work as written (the rest: batch clamps)


def test_maestro_reference_mappings(
    reference_dir: Path, maestro_mapping_layers: list[Layer], both: Callable[..., tuple]
) -> None:
    layers = maestro_mapping_layers
    for hw in ("hw_256_1000_50.m", "hw_4096_64_8.m"):
        cls = load_maestro_hw(reference_dir / "maestro" / hw)
        fast, slow = both(lambda cls=cls: _evaluate_class(layers, cls, True, False))  # type: ignore[misc]
        np.testing.assert_array_equal(fast, slow)
        assert np.isfinite(fast[0]).all()


@pytest.mark.parametrize(
    "df", ["nvdla", "shidiannao", "eyeriss", "nvdla-maestro", "shidiannao-maestro"]
)
def test_mapper_candidates(df: str, both: Callable[..., tuple]) -> None:
    """Every fifth candidate of the coarse grid of every template, for a sample of layers
    (convs with strides and kernels, GEMMs, depthwise layers) at two PE counts."""
    layers = _zoo_layers()[::5]
    probs, count, dimtab = mapper.layer_tables(layers)
    for n_pes in (256, 4096):
        cls = ChipletClass(df, get_dataflow(df), n_pes=n_pes, mapping="searched")
        total = 0
        for dw in (False, True):
            for t in mapper.templates_for(cls.dataflow, dw):
                rows, lay = [], []
                for j, p in enumerate(probs):
                    if p.depthwise != dw:
                        continue
                    g = mapper.coarse_grid(p, t, n_pes)
                    rows.append(g)
                    lay.append(np.full(g.shape[0], j, dtype=np.int64))
                if not rows:
                    continue
                li, vv = np.concatenate(lay)[::5], np.concatenate(rows)[::5]
                fast, slow = both(
                    lambda t=t, li=li, vv=vv, cls=cls: mapper._evaluate_rows(  # type: ignore[misc]
                        t, li, vv, layers, probs, count, cls, dimtab
                    )
                )
                np.testing.assert_array_equal(fast, slow)
                assert np.isfinite(fast[0]).any()
                total += li.size
        assert total > 300


def test_warm_kernel_compiles_every_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    """setup.sh's warm-up runs every compiled kernel (so no test worker compiles), and reports
    the numpy path when the kernel is turned off."""
    from mcmsched.cost import level_kernel

    monkeypatch.delenv("MCMSCHED_NUMBA", raising=False)
    assert vectorised.warm_kernel()
    kernels = [
        level_kernel.level_tables,
        level_kernel.level_states,
        level_kernel.level_pair_counts,
        level_kernel.level_pairs,
        level_kernel.pair_volumes,
        level_kernel.unique_sub_rows,
        level_kernel.level_totals,
    ]
    assert all(len(k.signatures) == 1 for k in kernels), [len(k.signatures) for k in kernels]
    monkeypatch.setenv("MCMSCHED_NUMBA", "0")
    assert not vectorised.warm_kernel()


def test_a_kernel_that_cannot_load_falls_back_to_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    """numba present but unusable (here: its cache cannot be placed) warns once and leaves the
    numpy path, with the same numbers; a missing numba leaves it silently."""
    import builtins

    real_import = builtins.__import__

    def failing(exc: Exception) -> Callable[..., object]:
        def imp(name: str, *args: object, **kwargs: object) -> object:
            fromlist = args[2] if len(args) > 2 else kwargs.get("fromlist")
            if name == "mcmsched.cost.level_kernel" or (
                name == "mcmsched.cost" and "level_kernel" in (fromlist or ())  # type: ignore[operator]
            ):
                raise exc
            return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

        return imp

    monkeypatch.delenv("MCMSCHED_NUMBA", raising=False)
    cls = ChipletClass("nvdla", get_dataflow("nvdla"), n_pes=256)
    layers = _zoo_layers()[:12]
    want = _evaluate_class(layers, cls, False, False)
    for exc, warns in ((RuntimeError("no locator for the cache"), True), (ImportError(), False)):
        monkeypatch.setattr(vectorised, "_KERNEL", [])
        monkeypatch.setattr(builtins, "__import__", failing(exc))
        if warns:
            with pytest.warns(RuntimeWarning, match="numpy path"):
                assert vectorised.kernel() is None
        else:
            assert vectorised.kernel() is None
        monkeypatch.setattr(builtins, "__import__", real_import)
        np.testing.assert_array_equal(_evaluate_class(layers, cls, False, False), want)
