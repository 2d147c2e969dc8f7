"""The multi-chip module: chiplets on a package network (NoP) with DRAM interfaces.

Defaults are SCAR's Table II (Simba's parameters scaled to 28 nm): NoP 100 GB/s per chiplet,
35 ns per hop, 2.04 pJ/bit; DRAM 64 GB/s, 200 ns, 14.8 pJ/bit.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

import networkx as nx
import numpy as np

from mcmsched.errors import MCMSchedError
from mcmsched.hardware.chiplet import ChipletClass


@dataclass(frozen=True, slots=True)
class NoPParams:
    """Network-on-package link parameters."""

    bw_gbps: float = 100.0  # GB/s per chiplet link
    hop_latency_ns: float = 35.0
    energy_pj_per_bit: float = 2.04  # per bit per hop

    def __post_init__(self) -> None:
        if self.bw_gbps <= 0:
            raise MCMSchedError("NoP bandwidth must be positive", field="nop.bw_gbps")
        if self.hop_latency_ns < 0 or self.energy_pj_per_bit < 0:
            raise MCMSchedError("NoP latency/energy must not be negative", field="nop")


@dataclass(frozen=True, slots=True)
class DRAMParams:
    """Off-chip memory parameters."""

    bw_gbps: float = 64.0
    latency_ns: float = 200.0
    energy_pj_per_bit: float = 14.8

    def __post_init__(self) -> None:
        if self.bw_gbps <= 0:
            raise MCMSchedError("DRAM bandwidth must be positive", field="dram.bw_gbps")
        if self.latency_ns < 0 or self.energy_pj_per_bit < 0:
            raise MCMSchedError("DRAM latency/energy must not be negative", field="dram")


@dataclass(frozen=True, slots=True)
class Chiplet:
    """A chiplet instance: its class name, grid position (row, col) and DRAM interface flag."""

    id: int
    cls: str
    row: int
    col: int
    dram_interface: bool = False


@dataclass(frozen=True)
class Package:
    """An MCM (Def. 3 of SCAR). ``links`` is the NoP adjacency; if ``topology == "mesh"`` routing is
    XY (dimension-ordered) and hop counts are Manhattan distances, otherwise shortest paths."""

    name: str
    classes: dict[str, ChipletClass]
    chiplets: tuple[Chiplet, ...]
    links: tuple[tuple[int, int], ...]
    topology: str = "mesh"
    nop: NoPParams = field(default_factory=NoPParams)
    dram: DRAMParams = field(default_factory=DRAMParams)
    description: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "chiplets", tuple(self.chiplets))
        object.__setattr__(self, "links", tuple(tuple(sorted(lk)) for lk in self.links))
        if not self.chiplets:
            raise MCMSchedError(f"package '{self.name}' has no chiplets", field="chiplets")
        ids = [c.id for c in self.chiplets]
        if ids != list(range(len(ids))):
            raise MCMSchedError(
                f"package '{self.name}': chiplet ids must be 0..{len(ids) - 1} in order",
                field="chiplets",
            )
        for c in self.chiplets:
            if c.cls not in self.classes:
                raise MCMSchedError(
                    f"package '{self.name}': chiplet {c.id} uses unknown class "
                    f"'{c.cls}' (known: {', '.join(self.classes)})",
                    field="chiplets",
                )
        positions = {(c.row, c.col) for c in self.chiplets}
        if len(positions) != len(self.chiplets):
            raise MCMSchedError(
                f"package '{self.name}': two chiplets share a grid position", field="chiplets"
            )
        for a, b in self.links:
            if not (0 <= a < len(ids) and 0 <= b < len(ids)) or a == b:
                raise MCMSchedError(f"package '{self.name}': bad link ({a}, {b})", field="links")
        if len(self.chiplets) > 1 and not nx.is_connected(self.graph):
            parts = [sorted(p) for p in nx.connected_components(self.graph)]
            raise MCMSchedError(
                f"package '{self.name}': the NoP graph is disconnected (components {parts})",
                field="links",
            )
        if not any(c.dram_interface for c in self.chiplets):
            raise MCMSchedError(
                f"package '{self.name}': no chiplet has a DRAM interface", field="chiplets"
            )
        if self.topology == "mesh":
            for a, b in self.links:
                ca, cb = self.chiplets[a], self.chiplets[b]
                if abs(ca.row - cb.row) + abs(ca.col - cb.col) != 1:
                    raise MCMSchedError(
                        f"package '{self.name}': mesh link ({a}, {b}) joins "
                        "chiplets that are not grid neighbours",
                        field="links",
                    )

    # ---- structure ---------------------------------------------------------------------------
    @cached_property
    def graph(self) -> nx.Graph:
        """The NoP as an undirected graph over chiplet ids."""
        g = nx.Graph()
        g.add_nodes_from(range(len(self.chiplets)))
        g.add_edges_from(self.links)
        return g

    @property
    def n_chiplets(self) -> int:
        return len(self.chiplets)

    def chiplet_class(self, chiplet_id: int) -> ChipletClass:
        """The class of chiplet ``chiplet_id``."""
        return self.classes[self.chiplets[chiplet_id].cls]

    @cached_property
    def class_names(self) -> tuple[str, ...]:
        """Class names in a fixed order (the order of ``classes``)."""
        return tuple(self.classes)

    @cached_property
    def class_index(self) -> np.ndarray:
        """For each chiplet, the index of its class in ``class_names``."""
        order = {n: i for i, n in enumerate(self.class_names)}
        return np.array([order[c.cls] for c in self.chiplets], dtype=np.int64)

    @cached_property
    def class_counts(self) -> dict[str, int]:
        """How many chiplets of each class (n_df_i of SCAR's Eq. 1)."""
        out = dict.fromkeys(self.class_names, 0)
        for c in self.chiplets:
            out[c.cls] += 1
        return out

    def neighbours(self, chiplet_id: int) -> list[int]:
        """Chiplets directly linked to ``chiplet_id``, sorted."""
        return sorted(self.graph.neighbors(chiplet_id))

    # ---- distances ---------------------------------------------------------------------------
    @cached_property
    def hop_matrix(self) -> np.ndarray:
        """``hops[a, b]``: NoP hops from a to b (Manhattan distance on a mesh, else shortest
        path)."""
        n = self.n_chiplets
        hops = np.zeros((n, n), dtype=np.int64)
        if self.topology == "mesh":
            rows = np.array([c.row for c in self.chiplets])
            cols = np.array([c.col for c in self.chiplets])
            hops = np.abs(rows[:, None] - rows[None, :]) + np.abs(cols[:, None] - cols[None, :])
        else:
            lengths = dict(nx.all_pairs_shortest_path_length(self.graph))
            for a in range(n):
                for b in range(n):
                    hops[a, b] = lengths[a][b]
        return hops

    @cached_property
    def dram_hops(self) -> np.ndarray:
        """For each chiplet, hops to the nearest chiplet with a DRAM interface (0 if it has one)."""
        ifs = [c.id for c in self.chiplets if c.dram_interface]
        out: np.ndarray = self.hop_matrix[:, ifs].min(axis=1)
        return out

    def route(self, a: int, b: int) -> list[tuple[int, int]]:
        """The directed links a transfer from ``a`` to ``b`` crosses (XY routing on a mesh: along
        the row (X) first, then the column; shortest path otherwise)."""
        if a == b:
            return []
        if self.topology == "mesh":
            pos = {(c.row, c.col): c.id for c in self.chiplets}
            ca, cb = self.chiplets[a], self.chiplets[b]
            path = [a]
            r, c = ca.row, ca.col
            while c != cb.col:
                c += 1 if cb.col > c else -1
                path.append(pos[(r, c)])
            while r != cb.row:
                r += 1 if cb.row > r else -1
                path.append(pos[(r, c)])
        else:
            path = nx.shortest_path(self.graph, a, b)
        return list(itertools.pairwise(path))

    # ---- derived -----------------------------------------------------------------------------
    @property
    def total_pes(self) -> int:
        return sum(self.chiplet_class(c.id).n_pes for c in self.chiplets)

    @property
    def total_l2_bytes(self) -> int:
        return sum(self.chiplet_class(c.id).l2_bytes for c in self.chiplets)

    @property
    def is_homogeneous(self) -> bool:
        return len({self.chiplet_class(c.id).dataflow.name for c in self.chiplets}) == 1

    @property
    def grid_shape(self) -> tuple[int, int]:
        """(rows, cols) of the bounding grid."""
        return (max(c.row for c in self.chiplets) + 1, max(c.col for c in self.chiplets) + 1)


def mesh_links(rows: int, cols: int) -> list[tuple[int, int]]:
    """Links of a rows x cols 2D mesh with row-major chiplet ids."""
    out: list[tuple[int, int]] = []
    for r in range(rows):
        for c in range(cols):
            i = r * cols + c
            if c + 1 < cols:
                out.append((i, i + 1))
            if r + 1 < rows:
                out.append((i, i + cols))
    return out


def grid_chiplets(layout: Iterable[Iterable[str]], dram_cols: str = "sides") -> list[Chiplet]:
    """Chiplets from a grid of class names (row-major). ``dram_cols``: ``sides`` puts DRAM
    interfaces on the left and right columns (SCAR/Tangram), ``all`` on every chiplet."""
    rows = [list(r) for r in layout]
    n_cols = len(rows[0])
    out: list[Chiplet] = []
    for r, row in enumerate(rows):
        if len(row) != n_cols:
            raise MCMSchedError("layout rows must have equal length", field="layout")
        for c, cls in enumerate(row):
            dram = dram_cols == "all" or c in (0, n_cols - 1)
            out.append(Chiplet(id=len(out), cls=cls, row=r, col=c, dram_interface=dram))
    return out
