"""Chiplet classes: a dataflow on a PE array with its buffers, bandwidths, clock and energies."""

from __future__ import annotations

from dataclasses import dataclass, field

from mcmsched.errors import MCMSchedError
from mcmsched.hardware.dataflow import Dataflow
from mcmsched.limits import check_number


@dataclass(frozen=True, slots=True)
class EnergyTable:
    """Per-access energies, MAESTRO's activity-count convention: a MAC costs ``mac_pj`` (pJ); an L1
    / L2 access costs ``l1_factor`` / ``l2_factor`` times a MAC (dimensionless).

    The defaults are MAESTRO's own constants (``BASE_constants.hpp``: L1 1.68x, L2 18.61x; a MAC
    0.23 pJ, the 0.00023 nJ its CSV writer multiplies by), which the cost model is validated
    against. :data:`XRBENCH_ENERGY` holds the alternative taken from XRBench's
    scripts (2.88 pJ, 0.55x, 6.0x).
    """

    mac_pj: float = 0.23
    l1_factor: float = 1.68
    l2_factor: float = 18.61

    def __post_init__(self) -> None:
        for name in ("mac_pj", "l1_factor", "l2_factor"):
            try:
                check_number(getattr(self, name), name, what="energy")
            except MCMSchedError as err:
                raise MCMSchedError(err.reason, field=f"energy.{name}") from None


MAPPING_MODES = ("fixed", "searched")
"""How a chiplet class maps a layer: its dataflow as written, or searched per layer."""
MAPPING_OBJECTIVES = ("edp", "latency", "energy")
"""What the per-layer mapping search minimises."""

XRBENCH_ENERGY = EnergyTable(mac_pj=2.88, l1_factor=0.55, l2_factor=6.0)
"""Energy constants of XRBench's MAESTRO scripts (docs/REFERENCES.md#xrbench; SCAR states none)."""


@dataclass(frozen=True, slots=True)
class ChipletClass:
    """A kind of chiplet (Def. 2 of SCAR: df, N_PE, BW_noc, BW_mem, Sz_mem).

    - ``n_pes``: processing elements,
    - ``l1_bytes``: PE-local buffer per PE, ``l2_bytes``: chiplet-level shared buffer,
    - ``noc_bw``: on-chiplet NoC bandwidth, elements per cycle (L2 <-> PEs),
    - ``mem_bw``: bandwidth of the chiplet's L2 towards the outside, elements per cycle
      (MAESTRO's ``offchip_bw``),
    - ``clock_hz``: clock frequency (SCAR: 500 MHz),
    - ``mapping``: ``"fixed"`` runs the dataflow's directives as written; ``"searched"`` lets the
      mapper (:mod:`mcmsched.cost.mapper`) pick, per layer, the best tile sizes / cluster sizes
      the dataflow allows (its stationarity and directive order stay),
    - ``objective``: what the mapper minimises per layer: ``"edp"`` (energy x cycles, default),
      ``"latency"`` (cycles) or ``"energy"``; ties go to fewer cycles, then less energy.
    """

    name: str
    dataflow: Dataflow
    n_pes: int = 4096
    l1_bytes: int = 8 * 1024
    l2_bytes: int = 10 * 1024 * 1024
    noc_bw: float = 256.0
    mem_bw: float = 128.0
    clock_hz: float = 500e6
    energy: EnergyTable = field(default_factory=EnergyTable)
    mapping: str = "fixed"
    objective: str = "edp"

    def __post_init__(self) -> None:
        if self.mapping not in MAPPING_MODES:
            raise MCMSchedError(
                f"chiplet class '{self.name}': unknown mapping {self.mapping!r} "
                f"(valid: {', '.join(MAPPING_MODES)})",
                field="mapping",
            )
        if self.objective not in MAPPING_OBJECTIVES:
            raise MCMSchedError(
                f"chiplet class '{self.name}': unknown mapping objective {self.objective!r} "
                f"(valid: {', '.join(MAPPING_OBJECTIVES)})",
                field="objective",
            )
        if self.mapping == "fixed" and self.dataflow.tunable:
            raise MCMSchedError(
                f"chiplet class '{self.name}': dataflow '{self.dataflow.name}' has tunable sizes "
                "('?'), which need mapping: searched",
                field="mapping",
            )
        for name in ("n_pes", "l1_bytes", "l2_bytes"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
                raise MCMSchedError(
                    f"chiplet class '{self.name}': must be a positive integer, got {v!r}",
                    field=name,
                )
        for name in ("noc_bw", "mem_bw", "clock_hz"):
            if not getattr(self, name) > 0:
                raise MCMSchedError(f"chiplet class '{self.name}': must be positive", field=name)
        for name in ("n_pes", "l1_bytes", "l2_bytes", "noc_bw", "mem_bw", "clock_hz"):
            check_number(getattr(self, name), name, what=f"chiplet class '{self.name}'")

    @property
    def short(self) -> str:
        """A short label for drawings ("NVD", "Shi", ...)."""
        return {
            "nvdla": "NVD",
            "shidiannao": "Shi",
            "eyeriss": "RS",
            "nvdla-maestro": "NVD",
            "shidiannao-maestro": "Shi",
        }.get(self.dataflow.name, self.dataflow.name[:3])
