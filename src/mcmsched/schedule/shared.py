"""Shared package resources: DRAM interfaces and NoP links (one place for evaluate and search).

- **DRAM interfaces.** Every chiplet reaches DRAM through its nearest DRAM-interface chiplet
  (fewest hops; ties: the lowest id), :func:`dram_interface_of`. Each interface has the package's
  DRAM bandwidth ``BW_dram``. Concurrent transfers through one interface share it: a set of
  concurrent DRAM transfers (bytes per chiplet) takes
  ``max_if (sum of its chiplets' bytes) / BW_dram + t_dram + max hops_to_if * t_hop``
  (:func:`dram_time_s`). With ``sharing=False`` each chiplet has the full bandwidth (SCAR's
  model): ``max_c bytes_c / BW_dram + ...``.
- **NoP flows.** A set of concurrent chiplet-to-chiplet flows ``(src, dst, bytes)`` over XY routes
  takes, without contention, the larger of the busiest sender's and the busiest receiver's bytes
  over ``BW_nop`` (one link's bandwidth per chiplet port), plus the longest route's hops times
  ``t_hop``; with link sharing (``EvalOptions.contention="link-sharing"``) the busiest directed
  link's bytes over ``BW_nop`` instead (:func:`flows_time_s`). Energy: bytes x 8 x e_nop x hops.
- **Ring collectives** (:func:`ring_collective`): an all-gather or a reduce-scatter of a tensor
  of S bytes over k chiplets in ring order (the tuple's order, wrapping around) has k - 1 steps;
  in each step every chiplet sends S/k bytes to its ring successor. Each chiplet receives
  ``(k-1)/k * S`` bytes; ``(k-1) * S`` bytes move in all.

Times in seconds, energies in joules, sizes in bytes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from mcmsched.hardware.package import Package


def dram_interface_of(package: Package) -> tuple[int, ...]:
    """For each chiplet, the DRAM-interface chiplet its DRAM traffic goes through."""
    ifs = [c.id for c in package.chiplets if c.dram_interface]
    hops = package.hop_matrix[:, ifs]
    return tuple(int(ifs[int(np.argmin(hops[c]))]) for c in range(package.n_chiplets))


def interface_bytes(package: Package, bytes_by_chiplet: Mapping[int, float]) -> dict[int, float]:
    """DRAM bytes per interface (id of the interface chiplet) of a set of chiplet transfers."""
    iface = dram_interface_of(package)
    out: dict[int, float] = defaultdict(float)
    for c, b in bytes_by_chiplet.items():
        if b > 0:
            out[iface[c]] += b
    return dict(out)


def dram_time_s(
    package: Package, bytes_by_chiplet: Mapping[int, float], *, sharing: bool = True
) -> float:
    """Time (s) of concurrent DRAM transfers (bytes per chiplet): the busiest interface (or, with
    ``sharing=False``, the busiest chiplet) at ``BW_dram``, plus the DRAM latency and the hops of
    the farthest chiplet to its interface. 0 if nothing moves."""
    active = {c: b for c, b in bytes_by_chiplet.items() if b > 0}
    if not active:
        return 0.0
    bw = package.dram.bw_gbps * 1e9
    peak = max(interface_bytes(package, active).values()) if sharing else max(active.values())
    hops = max(int(package.dram_hops[c]) for c in active)
    return peak / bw + package.dram.latency_ns * 1e-9 + hops * package.nop.hop_latency_ns * 1e-9


def dram_energy_j(package: Package, bytes_by_chiplet: Mapping[int, float]) -> float:
    """DRAM access energy plus the NoP hops to each chiplet's interface (J)."""
    e_d = package.dram.energy_pj_per_bit * 1e-12
    e_n = package.nop.energy_pj_per_bit * 1e-12
    return sum(
        b * 8 * (e_d + e_n * int(package.dram_hops[c]))
        for c, b in bytes_by_chiplet.items()
        if b > 0
    )


Flow = tuple[int, int, float]  # (src chiplet, dst chiplet, bytes)


def link_loads(package: Package, flows: Iterable[Flow]) -> dict[tuple[int, int], float]:
    """Bytes per directed NoP link of ``flows`` routed by :meth:`Package.route`."""
    load: dict[tuple[int, int], float] = defaultdict(float)
    for s, d, b in flows:
        if s != d and b > 0:
            for lk in package.route(s, d):
                load[lk] += b
    return dict(load)


def flows_time_s(package: Package, flows: Sequence[Flow], *, link_sharing: bool) -> float:
    """Time (s) of concurrent NoP flows (see the module docstring)."""
    live = [(s, d, b) for s, d, b in flows if s != d and b > 0]
    if not live:
        return 0.0
    bw = package.nop.bw_gbps * 1e9
    hop_s = package.nop.hop_latency_ns * 1e-9
    h_max = max(int(package.hop_matrix[s, d]) for s, d, _ in live)
    if link_sharing:
        peak = max(link_loads(package, live).values())
    else:
        out: dict[int, float] = defaultdict(float)
        inc: dict[int, float] = defaultdict(float)
        for s, d, b in live:
            out[s] += b
            inc[d] += b
        peak = max(max(out.values()), max(inc.values()))
    return peak / bw + h_max * hop_s


def flows_energy_j(package: Package, flows: Iterable[Flow]) -> float:
    """NoP energy (J) of ``flows``: bytes x 8 x e_nop per hop."""
    e = package.nop.energy_pj_per_bit * 1e-12
    return sum(b * 8 * e * int(package.hop_matrix[s, d]) for s, d, b in flows if s != d and b > 0)


@dataclass(frozen=True)
class Collective:
    """A ring collective's cost: ``time_s`` (s), ``energy_j`` (J), ``bytes_moved`` (all chiplets'
    sends, bytes), ``bytes_per_chiplet`` (each chiplet's receives, bytes)."""

    time_s: float
    energy_j: float
    bytes_moved: float
    bytes_per_chiplet: float


@dataclass(frozen=True)
class RingParams:
    """A ring collective over fixed chiplets as a linear function of the tensor size S (bytes):
    ``time = s_per_byte * S + fixed_s`` (for S > 0), ``energy = j_per_byte * S``."""

    k: int
    s_per_byte: float
    fixed_s: float
    j_per_byte: float

    def collective(self, size_bytes: float) -> Collective:
        if self.k <= 1 or size_bytes <= 0:
            return Collective(0.0, 0.0, 0.0, 0.0)
        steps = self.k - 1
        return Collective(
            time_s=self.s_per_byte * size_bytes + self.fixed_s,
            energy_j=self.j_per_byte * size_bytes,
            bytes_moved=steps * size_bytes,
            bytes_per_chiplet=steps * size_bytes / self.k,
        )


def ring_params(package: Package, chiplets: Sequence[int], *, link_sharing: bool) -> RingParams:
    """:class:`RingParams` of a ring collective over ``chiplets`` (tuple order, wrapping)."""
    k = len(chiplets)
    if k <= 1:
        return RingParams(k, 0.0, 0.0, 0.0)
    step = [(chiplets[i], chiplets[(i + 1) % k], 1.0) for i in range(k)]
    bw = package.nop.bw_gbps * 1e9
    hop_s = package.nop.hop_latency_ns * 1e-9
    h_max = max(int(package.hop_matrix[s, d]) for s, d, _ in step)
    # bytes on the busiest resource per byte of piece (piece = S / k)
    # without link sharing every chiplet sends one piece and receives one piece per step
    peak = max(link_loads(package, step).values()) if link_sharing else 1.0
    steps = k - 1
    return RingParams(
        k=k,
        s_per_byte=steps * peak / (k * bw),
        fixed_s=steps * h_max * hop_s,
        j_per_byte=steps * flows_energy_j(package, step) / k,
    )


def ring_collective(
    package: Package, chiplets: Sequence[int], size_bytes: float, *, link_sharing: bool
) -> Collective:
    """An all-gather (or reduce-scatter) of ``size_bytes`` over ``chiplets`` in ring order:
    ``k - 1`` steps, each moving ``size_bytes / k`` from every chiplet to its successor;
    one step takes :func:`flows_time_s` of the k flows."""
    return ring_params(package, chiplets, link_sharing=link_sharing).collective(size_bytes)


def redistribute_flows(
    producers: Sequence[int], consumers: Sequence[int], need: Sequence[float]
) -> list[Flow]:
    """Flows that move a tensor sharded evenly over ``producers`` to ``consumers``, consumer j
    needing ``need[j]`` bytes of it, an equal part from each producer."""
    kp = len(producers)
    return [(p, c, n / kp) for c, n in zip(consumers, need, strict=True) for p in producers]


def ring_order(package: Package, chiplets: Sequence[int], lead: int) -> tuple[int, ...]:
    """``chiplets`` ordered as a ring starting at ``lead`` with short hops: a Hamiltonian cycle
    (every hop 1) when they are a whole mesh package with an even side, else nearest neighbour
    first (ties: lowest id)."""
    members = sorted(set(chiplets))
    if lead not in members:
        raise ValueError(f"lead chiplet {lead} not among {members}")
    rows, cols = package.grid_shape
    if (
        package.topology == "mesh"
        and len(members) == package.n_chiplets
        and min(rows, cols) >= 2
        and (rows % 2 == 0 or cols % 2 == 0)
    ):
        pos = {(c.row, c.col): c.id for c in package.chiplets}
        cyc = (
            _grid_cycle(rows, cols)
            if rows % 2 == 0
            else [(r, c) for c, r in _grid_cycle(cols, rows)]
        )
        ids = [pos[p] for p in cyc]
        i = ids.index(lead)
        return tuple(ids[i:] + ids[:i])
    hops = package.hop_matrix
    order = [lead]
    left = [c for c in members if c != lead]
    while left:
        cur = order[-1]
        nxt = min(left, key=lambda c: (int(hops[cur, c]), c))
        order.append(nxt)
        left.remove(nxt)
    return tuple(order)


def _grid_cycle(rows: int, cols: int) -> list[tuple[int, int]]:
    """A Hamiltonian cycle of a rows x cols grid (rows even): row 0 left to right, the other
    rows snaking over columns 1..cols-1, back up column 0."""
    out = [(0, c) for c in range(cols)]
    for r in range(1, rows):
        span = range(cols - 1, 0, -1) if r % 2 == 1 else range(1, cols)
        out.extend((r, c) for c in span)
    out.extend((r, 0) for r in range(rows - 1, 0, -1))
    return out
