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
from mcmsched.limits import check_number

TOPOLOGIES = ("mesh", "graph")


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
        check_number(self.bw_gbps, "bw_gbps", what="nop")
        check_number(self.hop_latency_ns, "hop_latency_ns", what="nop")
        check_number(self.energy_pj_per_bit, "energy_pj_per_bit", what="nop")


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
        check_number(self.bw_gbps, "bw_gbps", what="dram")
        check_number(self.latency_ns, "latency_ns", what="dram")
        check_number(self.energy_pj_per_bit, "energy_pj_per_bit", what="dram")


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
        if self.topology not in TOPOLOGIES:
            raise MCMSchedError(
                f"package '{self.name}': unknown topology '{self.topology}' "
                f"(valid: {', '.join(TOPOLOGIES)})",
                field="topology",
            )
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
            self._check_full_mesh()

    def _check_full_mesh(self) -> None:
        """A mesh is routed XY with Manhattan hop counts, which is only right when the chiplets
        fill their bounding grid and every pair of grid neighbours is linked."""
        rows = max(c.row for c in self.chiplets) + 1
        cols = max(c.col for c in self.chiplets) + 1
        if min(min(c.row, c.col) for c in self.chiplets) < 0 or len(self.chiplets) != rows * cols:
            raise MCMSchedError(
                f"package '{self.name}': a mesh needs chiplets on every position of a "
                f"rows x cols grid from (0, 0) ({len(self.chiplets)} chiplets in a "
                f"{rows}x{cols} box); use topology 'graph' for other shapes",
                field="chiplets",
            )
        pos = {(c.row, c.col): c.id for c in self.chiplets}
        have = set(self.links)
        for c in self.chiplets:
            for nr, nc in ((c.row, c.col + 1), (c.row + 1, c.col)):
                other = pos.get((nr, nc))
                if other is not None and tuple(sorted((c.id, other))) not in have:
                    raise MCMSchedError(
                        f"package '{self.name}': mesh link ({c.id}, {other}) between grid "
                        "neighbours is missing (XY routing needs the full mesh); use topology "
                        "'graph' for other link sets",
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


def triangular_links(rows: int, cols: int) -> list[tuple[int, int]]:
    """A triangular NoP on a rows x cols grid (row-major ids): the mesh links plus one diagonal
    per grid square, from its top-left to its bottom-right chiplet (SCAR's "-T" ablation)."""
    out = mesh_links(rows, cols)
    for r in range(rows - 1):
        for c in range(cols - 1):
            i = r * cols + c
            out.append((i, i + cols + 1))
    return sorted(out)


def grid_chiplets(
    layout: Iterable[Iterable[str]], dram_cols: str | Iterable[int] = "sides"
) -> list[Chiplet]:
    """Chiplets from a grid of class names (row-major, rows top to bottom). ``dram_cols``:
    ``sides`` puts DRAM interfaces on the left and right columns (SCAR/Tangram), ``all`` on every
    chiplet, or an iterable of chiplet ids (row-major) that have one."""
    rows = [list(r) for r in layout]
    if not rows or not rows[0]:
        raise MCMSchedError("layout must have at least one row and one column", field="layout")
    n_cols = len(rows[0])
    n = sum(len(r) for r in rows)
    ids: set[int] | None = None
    if isinstance(dram_cols, str):
        if dram_cols not in ("sides", "all"):
            raise MCMSchedError(
                f"unknown DRAM interface placement '{dram_cols}' (valid: sides, all, or a list "
                "of chiplet ids)",
                field="dram.interfaces",
            )
    else:
        ids = set()
        for i in dram_cols:
            if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < n:
                raise MCMSchedError(
                    f"DRAM interface id {i!r} is not a chiplet id (0..{n - 1})",
                    field="dram.interfaces",
                )
            ids.add(i)
    out: list[Chiplet] = []
    for r, row in enumerate(rows):
        if len(row) != n_cols:
            raise MCMSchedError(
                f"layout rows must have equal length (row 0 has {n_cols}, row {r} has {len(row)})",
                field="layout",
            )
        for c, cls in enumerate(row):
            i = len(out)
            sides = dram_cols == "all" or c in (0, n_cols - 1)
            dram = (i in ids) if ids is not None else sides
            out.append(Chiplet(id=i, cls=cls, row=r, col=c, dram_interface=dram))
    return out
