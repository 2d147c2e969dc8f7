"""Per-layer analysis of a dataflow on a chiplet class (the public entry point of the cost model).

:func:`layer_cost` maps a :class:`~mcmsched.workload.layer.Layer` onto the problem MAESTRO would
analyse, runs the directive analysis of :mod:`mcmsched.cost.directives_analysis` and turns the
access counts into energy with the chiplet's :class:`~mcmsched.hardware.chiplet.EnergyTable`.

Op kinds (see ``docs/COST_MODEL.md``):

- ``CONV`` (any stride): as written; ``groups > 1``: if the directives map ``G``, a problem with
  a ``G`` dimension (``K/g``, ``C/g`` per group; MAESTRO ``NGCONV``), else one group analysed and
  the ``g`` groups run one after another (cycles and counts times ``g``).
- ``DWCONV``: MAESTRO's ``DSCONV`` (every tensor follows ``C``; MAESTRO writes ``K: 1``).
- ``TRCONV``: stride 1 as MAESTRO does, a plain convolution over the written dimensions; a
  strided one (MAESTRO has none) as its sub-pixel decomposition (see :func:`to_problem`), so
  its analysed MACs are not a strided convolution's quarter of the real work.
- ``GEMM``: the 1x1 convolution it is stored as (``Y = M``, ``X = 1``).
- ``MATMUL``: one head (``K/g``, ``C/g``) analysed as a GEMM, times ``g`` heads.
- ``ELTWISE``: a 1x1 ``DSCONV`` (one operation per output element).

Invalid mappings: cluster sizes whose product exceeds the PE count are clamped (outer level
first); a mapping whose analysis yields no work (every step has zero partial sums, e.g. tiles that
do not fit the dimensions) is re-analysed with every tile and offset clamped to its dimension. A
chiplet whose L1 (per PE) or L2 cannot hold the mapping's double-buffered tiles raises
:class:`~mcmsched.errors.MCMSchedError` naming the layer and the chiplet class.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

from mcmsched.cost.directives_analysis import Analysis, Hardware, Problem, _resolve, analyse
from mcmsched.cost.layer_cost import LayerCost
from mcmsched.errors import MCMSchedError
from mcmsched.hardware.chiplet import ChipletClass
from mcmsched.hardware.dataflow import Directive, DirectiveKind, parse_directives
from mcmsched.workload.layer import Layer, OpKind


@dataclass(frozen=True, slots=True)
class LayerAnalysis:
    """MAESTRO-style detail of one layer on one chiplet class (all counts in elements, for the
    whole layer, i.e. already multiplied by ``repeats``).

    ``l2_read``/``l2_write``/``l1_read``/``l1_write``: per tensor (input, weight, output);
    ``l2_size``: level-0 buffer need per tensor; ``l1_size``: per-PE buffer need (all tensors);
    ``avg_active_pes``: average busy PEs; delays are per step (min, max, avg) in cycles;
    ``n_levels``: cluster levels; ``repeats``: groups/heads analysed once and repeated;
    ``clamped``: the tiles had to be clamped (see module docstring).
    """

    cycles: int
    macs: int
    l2_read: tuple[int, int, int]
    l2_write: tuple[int, int, int]
    l1_read: tuple[int, int, int]
    l1_write: tuple[int, int, int]
    l2_size: tuple[int, int, int]
    l1_size: int
    avg_active_pes: float
    ingress_delay: tuple[float, float, float]
    egress_delay: tuple[float, float, float]
    compute_delay: tuple[float, float, float]
    offchip_bw_req: int
    n_levels: int
    repeats: int
    clamped: bool

    @property
    def l1_accesses(self) -> int:
        """All L1 reads and writes (elements)."""
        return sum(self.l1_read) + sum(self.l1_write)

    @property
    def l2_accesses(self) -> int:
        """Every L2 access (elements): input and weight reads and writes, output writes and the
        read-back of finished outputs (``l2_read[2]``). This is what MAESTRO's printed *total*
        energy charges, and what :class:`~mcmsched.cost.layer_cost.LayerCost` charges."""
        return self.l2_accesses_csv + self.l2_read[2]

    @property
    def l2_accesses_csv(self) -> int:
        """The L2 accesses MAESTRO's CSV ``Activity count-based Energy`` charges (elements):
        :attr:`l2_accesses` without the output read-back ``l2_read[2]``."""
        return (
            self.l2_read[0]
            + self.l2_write[0]
            + self.l2_read[1]
            + self.l2_write[1]
            + self.l2_write[2]
        )


def maps_groups(directives: tuple[Directive, ...]) -> bool:
    """True if a directive list maps the group dimension ``G``."""
    return any(d.dim == "G" for d in directives)


def to_problem(
    layer: Layer, directives: tuple[Directive, ...] | None = None
) -> tuple[Problem, int]:
    """The problem MAESTRO would analyse for ``layer`` and how many times it repeats (groups or
    heads).

    Groups (``Layer.groups`` of a CONV, TRCONV, GEMM or MATMUL): if ``directives`` map ``G``, the
    problem has a ``G`` dimension (``K``, ``C`` per group, MAESTRO ``NGCONV``) and repeats once;
    otherwise one group is analysed and repeated ``groups`` times (``G`` as an outer temporal
    loop: the groups run one after another). Directives that map ``G`` on a layer without groups
    (or a depthwise/element-wise layer) see ``G = 1``."""
    kind = layer.kind
    n = layer.N
    with_g = directives is not None and maps_groups(directives)
    if kind in (OpKind.DWCONV, OpKind.ELTWISE):
        r, s = (1, 1) if kind is OpKind.ELTWISE else (layer.R, layer.S)
        dims = (
            *((("G", 1),) if with_g else ()),
            ("N", n),
            ("K", 1),
            ("C", layer.C),
            ("R", r),
            ("S", s),
            ("Y", layer.Y),
            ("X", layer.X),
        )
        return Problem(dims, layer.stride_y, layer.stride_x, depthwise=True), 1
    g = layer.groups
    k, c = layer.K // g, layer.C // g
    r, s, y, x = layer.R, layer.S, layer.Y, layer.X
    sy, sx = layer.stride_y, layer.stride_x
    if kind is OpKind.TRCONV and (sy > 1 or sx > 1):
        # sub-pixel decomposition: the output splits into min(stride, R) phases per axis that
        # carry taps, each a stride-1 convolution with ceil(R/stride) taps over the input
        # (padded by taps-1 on both sides); the phases are extra output channels. MACs are
        # >= Layer.macs (equal when R <= stride or R is a multiple of the stride).
        ty, tx = -(-r // sy), -(-s // sx)
        k *= min(sy, r) * min(sx, s)
        r, s, y, x = ty, tx, y + 2 * (ty - 1), x + 2 * (tx - 1)
        sy = sx = 1
    dims = (
        *((("G", g),) if with_g else ()),
        ("N", n),
        ("K", k),
        ("C", c),
        ("R", r),
        ("S", s),
        ("Y", y),
        ("X", x),
    )
    return Problem(dims, sy, sx, depthwise=False), 1 if with_g else g


def hardware_of(cls: ChipletClass) -> Hardware:
    """Analysis parameters of a chiplet class (bandwidths rounded down to whole elements per
    cycle, at least 1)."""
    return Hardware(
        n_pes=cls.n_pes,
        noc_bw=max(1, int(cls.noc_bw)),
        offchip_bw=max(1, int(cls.mem_bw)),
    )


@lru_cache(maxsize=4096)
def _directives_of(text: str) -> tuple[Directive, ...]:
    return parse_directives(text)


def _clamp_tiles(directives: tuple[Directive, ...], problem: Problem) -> tuple[Directive, ...]:
    dims = dict(problem.dims)
    dims["Y'"] = dims["Y"] - dims["R"] + 1
    dims["X'"] = dims["X"] - dims["S"] + 1
    out: list[Directive] = []
    for d in directives:
        if d.kind is DirectiveKind.CLUSTER:
            out.append(d)
            continue
        full = dims.get(d.dim, 1)
        size = _resolve(d.size, dims)
        ofs = _resolve(d.offset, dims)
        size = max(1, min(size, full))
        ofs = max(1, min(ofs, size))
        out.append(Directive(d.kind, size, ofs, d.dim))
    return tuple(out)


@lru_cache(maxsize=65536)
def _analyse_cached(
    problem: Problem, directives: tuple[Directive, ...], hw: Hardware
) -> tuple[Analysis, bool]:
    a = analyse(problem, directives, hw)
    if a.top.runtime > 0 and a.top.computations > 0:
        return a, False
    b = analyse(problem, _clamp_tiles(directives, problem), hw)
    if b.top.runtime <= 0 or b.top.computations <= 0:
        raise MCMSchedError("the dataflow maps no work onto the PEs, even with clamped tiles")
    return b, True


def analyse_layer(
    layer: Layer, cls: ChipletClass, *, use_layer_dataflow: bool = False
) -> LayerAnalysis:
    """Detailed analysis of ``layer`` (at its batch ``N``) on chiplet class ``cls``; with
    ``use_layer_dataflow`` the layer's own directive text (``Layer.dataflow``) replaces
    ``cls.dataflow``. Depthwise and element-wise layers use the dataflow's ``depthwise``
    directives when it has them (:meth:`~mcmsched.hardware.dataflow.Dataflow.directives_for`)."""
    if use_layer_dataflow:
        if layer.dataflow is None:
            raise MCMSchedError(
                f"layer '{layer.name}' has no dataflow of its own", field="dataflow"
            )
        try:
            directives = _directives_of(layer.dataflow)
        except MCMSchedError as err:
            raise MCMSchedError(f"layer '{layer.name}': {err.reason}", field="dataflow") from None
    problem, reps = to_problem(layer)
    if not use_layer_dataflow:
        directives = cls.dataflow.directives_for(problem.depthwise)
    if maps_groups(directives):
        problem, reps = to_problem(layer, directives)
    try:
        a, clamped = _analyse_cached(problem, directives, hardware_of(cls))
    except MCMSchedError as err:
        raise MCMSchedError(
            f"layer '{layer.name}' on chiplet class '{cls.name}': {err.reason}",
            file=err.file,
            field=err.field or "dataflow",
        ) from None
    t = a.top

    def rep3(v: list[int]) -> tuple[int, int, int]:
        return (v[0] * reps, v[1] * reps, v[2] * reps)

    return LayerAnalysis(
        cycles=t.runtime * reps,
        macs=t.computations * reps,
        l2_read=rep3(t.l2_read),
        l2_write=rep3(t.l2_write),
        l1_read=rep3(t.l1_read),
        l1_write=rep3(t.l1_write),
        l2_size=(t.l2_size[0], t.l2_size[1], t.l2_size[2]),
        l1_size=a.l1_size_first_leaf,
        avg_active_pes=t.avg_active,
        ingress_delay=(t.ingress_delay[0], t.ingress_delay[1], t.ingress_delay[2]),
        egress_delay=(t.egress_delay[0], t.egress_delay[1], t.egress_delay[2]),
        compute_delay=(t.compute_delay[0], t.compute_delay[1], t.compute_delay[2]),
        offchip_bw_req=t.offchip_bw_req,
        n_levels=a.n_levels,
        repeats=reps,
        clamped=clamped,
    )


def cost_from_analysis(
    layer: Layer, cls: ChipletClass, la: LayerAnalysis, *, check_buffers: bool = True
) -> LayerCost:
    """Energy (pJ) and buffer needs (bytes) of an analysed layer; raises if ``check_buffers``
    and the chiplet's L1 or L2 cannot hold the mapping's tiles."""
    e = cls.energy
    bpe = layer.bytes_per_element
    l1_need = la.l1_size * bpe
    l2_need = sum(la.l2_size) * bpe
    if check_buffers:
        if l1_need > cls.l1_bytes:
            raise MCMSchedError(
                f"layer '{layer.name}' on chiplet class '{cls.name}': the per-PE L1 of "
                f"{cls.l1_bytes} B cannot hold one double-buffered tile ({l1_need} B)",
                field="l1_bytes",
            )
        if l2_need > cls.l2_bytes:
            raise MCMSchedError(
                f"layer '{layer.name}' on chiplet class '{cls.name}': the L2 of "
                f"{cls.l2_bytes} B cannot hold one double-buffered tile set ({l2_need} B)",
                field="l2_bytes",
            )
    return LayerCost(
        cycles=float(la.cycles),
        mac_energy_pj=la.macs * e.mac_pj,
        l1_energy_pj=la.l1_accesses * e.mac_pj * e.l1_factor,
        l2_energy_pj=la.l2_accesses * e.mac_pj * e.l2_factor,
        macs=la.macs,
        utilization=la.avg_active_pes / cls.n_pes,
        l1_bytes_needed=l1_need,
        l2_bytes_needed=l2_need,
    )


def layer_cost(
    layer: Layer,
    cls: ChipletClass,
    *,
    use_layer_dataflow: bool = False,
    check_buffers: bool = True,
) -> LayerCost:
    """Cost of ``layer`` (at its batch ``N``) on a chiplet of class ``cls``: cycles, energy by
    component (pJ), MACs, PE utilisation and buffer bytes needed. ``use_layer_dataflow`` uses the
    layer's own directives (``Layer.dataflow``) instead of ``cls.dataflow``; ``check_buffers``
    (default) raises if the chiplet's L1/L2 cannot hold one tile (MAESTRO only warns); a batched
    layer (``N > 1``) whose tiles do not fit runs its samples one after another instead (``N``
    times one sample's cycles and energy), as :func:`mcmsched.cost.batch.evaluate_layers` does.
    A class with ``mapping: searched`` returns the searched mapping's cost (as written, without
    trying the transposed layer), through :func:`mcmsched.cost.batch.evaluate_layers`."""
    if cls.mapping == "searched" and not use_layer_dataflow:
        from mcmsched.cost.batch import evaluate_layers

        bc = evaluate_layers([layer], [cls], check_buffers=check_buffers)[0]
        return LayerCost(
            cycles=float(bc.cycles[0]),
            mac_energy_pj=float(bc.mac_pj[0]),
            l1_energy_pj=float(bc.l1_pj[0]),
            l2_energy_pj=float(bc.l2_pj[0]),
            macs=int(bc.macs[0]),
            utilization=float(bc.utilization[0]),
            l1_bytes_needed=int(bc.l1_bytes[0]),
            l2_bytes_needed=int(bc.l2_bytes[0]),
        )
    la = analyse_layer(layer, cls, use_layer_dataflow=use_layer_dataflow)
    lc = cost_from_analysis(layer, cls, la, check_buffers=False)
    if check_buffers and (lc.l1_bytes_needed > cls.l1_bytes or lc.l2_bytes_needed > cls.l2_bytes):
        if layer.N == 1:
            return cost_from_analysis(layer, cls, la, check_buffers=True)  # raises
        one = layer_cost(layer.with_batch(1), cls, use_layer_dataflow=use_layer_dataflow)
        n = layer.N
        return replace(
            one,
            cycles=one.cycles * n,
            mac_energy_pj=one.mac_energy_pj * n,
            l1_energy_pj=one.l1_energy_pj * n,
            l2_energy_pj=one.l2_energy_pj * n,
            macs=one.macs * n,
        )
    return lc
