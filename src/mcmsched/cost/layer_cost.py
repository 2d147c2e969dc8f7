"""The result type of the per-layer cost model (what the scheduler needs from a layer)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LayerCost:
    """Cost of one layer (at its batch ``N``) on one chiplet class.

    - ``cycles``: runtime in chiplet clock cycles (compute plus on-chiplet ingress/egress stalls),
    - ``mac_energy_pj``, ``l1_energy_pj``, ``l2_energy_pj``: on-chiplet energy by component (pJ),
    - ``macs``: multiply-accumulates, ``utilization``: average busy PEs / PEs (0..1],
    - ``l1_bytes_needed``: per-PE buffer, ``l2_bytes_needed``: chiplet buffer the mapping needs.
    """

    cycles: float
    mac_energy_pj: float
    l1_energy_pj: float
    l2_energy_pj: float
    macs: int
    utilization: float
    l1_bytes_needed: int
    l2_bytes_needed: int

    @property
    def energy_pj(self) -> float:
        """Total on-chiplet energy (pJ)."""
        return self.mac_energy_pj + self.l1_energy_pj + self.l2_energy_pj
