"""The mapper's batched candidate evaluation (``_evaluate_rows``: every candidate of a template
in one vectorised pass, tile and cluster sizes as per-row arrays) gives, bit for bit, the costs
of each candidate analysed alone with its concrete directives; and the sub-level row
deduplication agrees with ``np.unique(axis=0)``."""

from __future__ import annotations

import random

import numpy as np
import pytest

from mcmsched.cost import mapper
from mcmsched.cost.analysis import hardware_of, to_problem
from mcmsched.cost.batch import _fill
from mcmsched.cost.vectorised import _unique_sub_rows, analyse_batch
from mcmsched.errors import MCMSchedError
from mcmsched.hardware.chiplet import ChipletClass
from mcmsched.hardware.dataflow import Directive, get_dataflow
from mcmsched.workload.layer import Layer, OpKind


def _layers(seed: int, n: int) -> list[Layer]:
    """Convolutions (strided, 1x1 and 3x3), GEMMs, depthwise and element-wise layers."""
    rng = random.Random(seed)
    out: list[Layer] = []
    for i in range(n):
        kind = rng.choice([OpKind.CONV, OpKind.CONV, OpKind.GEMM, OpKind.DWCONV, OpKind.ELTWISE])
        b = rng.choice([1, 2, 8])
        c = rng.choice([3, 16, 48, 128])
        hw = rng.choice([7, 13, 28, 56])
        if kind is OpKind.GEMM:
            y = rng.choice([1, 9, 128])
            k, c2 = rng.choice([16, 100, 768]), rng.choice([16, 96, 768])
            out.append(Layer(f"g{i}", kind, N=b, K=k, C=c2, Y=y, X=1))
        elif kind is OpKind.CONV:
            r = rng.choice([1, 3, 5])
            s = rng.choice([1, 2])
            k = rng.choice([16, 64, 96])
            out.append(
                Layer(f"c{i}", kind, N=b, K=k, C=c, Y=hw, X=hw, R=r, S=r, stride_y=s, stride_x=s)
            )
        elif kind is OpKind.DWCONV:
            out.append(Layer(f"d{i}", kind, N=b, K=c, C=c, Y=hw, X=hw, R=3, S=3, groups=c))
        else:
            out.append(Layer(f"e{i}", kind, N=b, K=c, C=c, Y=hw, X=hw, groups=c))
    return out


def _alone(
    template: tuple[Directive, ...], values: np.ndarray, ly: Layer, cls: ChipletClass
) -> np.ndarray | None:
    """The candidate analysed alone: its concrete directives, one problem, no per-row sizes
    (``None``: the analysis rejects it or it does no work)."""
    names = [v.name for v in mapper._variables(template)]
    concrete = mapper.instantiate(template, {n: int(x) for n, x in zip(names, values, strict=True)})
    p, g = to_problem(ly)
    try:
        res = analyse_batch([p], concrete, hardware_of(cls))
    except MCMSchedError:
        return None
    ok = (res.runtime > 0) & (res.computations > 0)
    if not ok[0]:
        return None
    vals = np.zeros((mapper.N_FIELDS, 1))
    _fill(vals, res, ok, [0], [ly], np.array([g]), cls, False, False)
    return vals[:, 0]


#: Grid rows per (layer, template) in the batched pass (the full grids reach 10^5-10^6 rows
#: with the sub-tile variables; the check is bit equality on every row it draws)
ROWS_PER_LAYER = 400


@pytest.mark.parametrize(
    "df", ["nvdla-maestro", "shidiannao-maestro", "nvdla", "shidiannao", "eyeriss"]
)
@pytest.mark.parametrize("n_pes", [256, 4096])
def test_batched_candidates_equal_each_candidate_alone(df: str, n_pes: int) -> None:
    reps = list({ly.shape_key: ly for ly in _layers(11, 24)}.values())
    probs, count, dimtab = mapper.layer_tables(reps)
    cls = ChipletClass("c", get_dataflow(df), n_pes=n_pes, mapping="searched")
    rng = np.random.default_rng(5)
    pick = np.random.default_rng(7)
    checked = with_work = 0
    for dw in (False, True):
        for t in mapper.templates_for(cls.dataflow, dw):
            vars_ = mapper._variables(t)
            rows, lay = [], []
            for j, p in enumerate(probs):
                if p.depthwise != dw:
                    continue
                dims = mapper._full_dims(p)
                g = mapper._grid(vars_, [mapper._choices(v, dims, n_pes, True) for v in vars_])
                g = g[mapper._valid_clusters(g, vars_, t, n_pes)]
                if g.shape[0] > ROWS_PER_LAYER:  # a seeded sample of the whole grid (sub-tile
                    # sizes independent of their parents: more varied than the search's grid)
                    g = g[np.sort(pick.choice(g.shape[0], ROWS_PER_LAYER, replace=False))]
                rows.append(g)
                lay.append(np.full(g.shape[0], j, dtype=np.int64))
            if not rows:
                continue
            li, vv = np.concatenate(lay), np.concatenate(rows)
            got = mapper._evaluate_rows(t, li, vv, reps, probs, count, cls, dimtab)
            # the pass mixes cluster sizes: it must hold several distinct ones
            assert len({tuple(r) for r in vv}) > 10
            for r in rng.choice(li.size, size=min(li.size, 25), replace=False):
                want = _alone(t, vv[r], reps[li[r]], cls)
                checked += 1
                if want is None:
                    assert got[0, r] == np.inf
                    continue
                with_work += 1
                assert np.array_equal(got[:, r], want), (df, n_pes, r)
    assert checked >= 40 and with_work >= 30


def test_unique_sub_rows_matches_numpy_unique() -> None:
    rng = np.random.default_rng(0)
    for t in range(200):
        n_p = int(rng.integers(1, 120))
        n_k = int(rng.integers(0, 8))
        hi = int(rng.choice([3, 1000, 2**20, 2**40]))  # one word, several words
        prow = rng.integers(0, 50, size=n_p)
        m_false = rng.integers(0, hi, size=(n_k, n_p))
        m_true = m_false.copy()
        sel = rng.random((n_k, n_p)) < 0.3
        m_true[sel] = rng.integers(0, hi, size=int(sel.sum()))
        n_e = int(rng.integers(1, 3 * n_p))
        pi = rng.integers(0, n_p, size=n_e)  # repeats: duplicates to find
        use_true = rng.random(n_e) < 0.4
        u_pair, u_true, inv = _unique_sub_rows(prow, m_false, m_true, pi, use_true)
        full = np.concatenate(
            [prow[pi][None, :], np.where(use_true, m_true[:, pi], m_false[:, pi])]
        )
        want, want_inv = np.unique(full.T, axis=0, return_inverse=True)
        got = np.concatenate(
            [prow[u_pair][None, :], np.where(u_true, m_true[:, u_pair], m_false[:, u_pair])]
        ).T
        assert np.array_equal(got, want), t
        assert np.array_equal(inv, want_inv.reshape(-1)), t


def test_chunked_batches_give_the_same_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches above ``CHUNK_ROWS`` rows run in chunks: bit for bit the one-pass numbers."""
    reps = list({ly.shape_key: ly for ly in _layers(3, 12)}.values())
    probs, count, dimtab = mapper.layer_tables(reps)
    cls = ChipletClass("c", get_dataflow("nvdla"), n_pes=1024, mapping="searched")
    t = mapper.templates_for(cls.dataflow, False)[0]
    rows = [(j, mapper.coarse_grid(p, t, 1024)) for j, p in enumerate(probs) if not p.depthwise]
    li = np.concatenate([np.full(g.shape[0], j, dtype=np.int64) for j, g in rows])
    vv = np.concatenate([g for _, g in rows])
    assert li.size > 200
    one = mapper._evaluate_rows(t, li, vv, reps, probs, count, cls, dimtab)
    monkeypatch.setattr(mapper, "CHUNK_ROWS", 37)  # many uneven chunks
    chunked = mapper._evaluate_rows(t, li, vv, reps, probs, count, cls, dimtab)
    assert np.array_equal(one, chunked, equal_nan=True)
    assert np.isfinite(one[0]).sum() > 100
