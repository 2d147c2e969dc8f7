"""Per-layer analysis of a dataflow on a chiplet class.

PLACEHOLDER roofline model, to be replaced by the data-centric (MAESTRO-style) analysis. The
public function ``layer_cost(layer, cls)`` keeps its signature.
"""

from __future__ import annotations

from mcmsched.cost.layer_cost import LayerCost
from mcmsched.hardware.chiplet import ChipletClass
from mcmsched.workload.layer import Layer


def layer_cost(layer: Layer, cls: ChipletClass, *, use_layer_dataflow: bool = False) -> LayerCost:
    """Cost of ``layer`` (at its batch N) on a chiplet of class ``cls``."""
    macs = layer.macs
    util = 0.8 if cls.dataflow.name == "nvdla" else 0.6
    compute = macs / (cls.n_pes * util)
    traffic = layer.input_elements + layer.weight_elements + layer.output_elements
    cycles = max(compute, traffic / cls.noc_bw)
    e = cls.energy
    return LayerCost(
        cycles=cycles,
        mac_energy_pj=macs * e.mac_pj,
        l1_energy_pj=3 * macs * e.mac_pj * e.l1_factor,
        l2_energy_pj=traffic * e.mac_pj * e.l2_factor,
        macs=macs,
        utilization=util,
        l1_bytes_needed=64,
        l2_bytes_needed=traffic * layer.bytes_per_element,
    )
