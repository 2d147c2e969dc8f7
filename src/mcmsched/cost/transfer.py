"""Package-level data movement: chiplet-to-chiplet over the NoP and chiplet to/from DRAM.

SCAR §III-E / Table II:

- same chiplet: 0,
- chiplet -> chiplet: ``t = S / BW_nop + hops * t_hop + delta``; ``e = bits * e_nop * hops``,
- DRAM <-> chiplet: ``t = S / BW_dram + hops_to_if * t_hop + t_dram + delta``;
  ``e = bits * e_dram + bits * e_nop * hops_to_if`` (hops to the nearest DRAM interface).

``delta`` (NoP contention) is passed in by the caller; see ``mcmsched.schedule`` for the
contention options. All times in seconds, energies in joules, sizes in bytes.
"""

from __future__ import annotations

from mcmsched.hardware.package import Package


def nop_transfer_s(
    package: Package, src: int, dst: int, size_bytes: float, contention_s: float = 0.0
) -> float:
    """Latency (s) to move ``size_bytes`` from chiplet ``src`` to chiplet ``dst``."""
    if src == dst or size_bytes <= 0:
        return 0.0
    hops = int(package.hop_matrix[src, dst])
    return (
        size_bytes / (package.nop.bw_gbps * 1e9)
        + hops * package.nop.hop_latency_ns * 1e-9
        + contention_s
    )


def nop_transfer_j(package: Package, src: int, dst: int, size_bytes: float) -> float:
    """Energy (J) to move ``size_bytes`` from ``src`` to ``dst`` (per bit per hop)."""
    if src == dst or size_bytes <= 0:
        return 0.0
    hops = int(package.hop_matrix[src, dst])
    return size_bytes * 8 * package.nop.energy_pj_per_bit * 1e-12 * hops


def dram_transfer_s(
    package: Package, chiplet: int, size_bytes: float, contention_s: float = 0.0
) -> float:
    """Latency (s) to move ``size_bytes`` between DRAM and ``chiplet`` (either direction)."""
    if size_bytes <= 0:
        return 0.0
    hops = int(package.dram_hops[chiplet])
    return (
        size_bytes / (package.dram.bw_gbps * 1e9)
        + hops * package.nop.hop_latency_ns * 1e-9
        + package.dram.latency_ns * 1e-9
        + contention_s
    )


def dram_transfer_j(package: Package, chiplet: int, size_bytes: float) -> float:
    """Energy (J) to move ``size_bytes`` between DRAM and ``chiplet``: DRAM access energy plus NoP
    energy over the hops to the nearest DRAM interface."""
    if size_bytes <= 0:
        return 0.0
    bits = size_bytes * 8
    hops = int(package.dram_hops[chiplet])
    return bits * (package.dram.energy_pj_per_bit + package.nop.energy_pj_per_bit * hops) * 1e-12
