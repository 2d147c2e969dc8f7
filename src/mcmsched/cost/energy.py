"""Energy constants of the cost model and MAESTRO hardware files.

MAESTRO's activity-count energy (``cost-model/include/base/BASE_constants.hpp`` and the DSE cost
database) charges every L1 access ``1.68`` and every L2 access ``18.61`` times the energy of one
MAC, and a MAC ``0.23 pJ`` (it prints ``(L1 + L2 weighted accesses) * 0.00023 nJ``; its printed
energy leaves the MAC energy itself out). :data:`MAESTRO_ENERGY` holds these numbers as an
:class:`~mcmsched.hardware.chiplet.EnergyTable` (``mac_pj`` in pJ, factors dimensionless).
"""

from __future__ import annotations

import re
from pathlib import Path

from mcmsched.errors import MCMSchedError
from mcmsched.hardware.chiplet import ChipletClass, EnergyTable
from mcmsched.hardware.dataflow import Dataflow, get_dataflow

MAESTRO_ENERGY = EnergyTable()  # the EnergyTable defaults are MAESTRO's constants
MAESTRO_MAC_PJ = MAESTRO_ENERGY.mac_pj
MAESTRO_L1_FACTOR = MAESTRO_ENERGY.l1_factor
MAESTRO_L2_FACTOR = MAESTRO_ENERGY.l2_factor

_HW_KEYS = ("num_pes", "l1_size_cstr", "l2_size_cstr", "noc_bw_cstr", "offchip_bw_cstr")


def load_maestro_hw(path: str | Path, dataflow: Dataflow | None = None) -> ChipletClass:
    """A chiplet class from a MAESTRO hardware file (``num_pes``, ``l1_size_cstr``,
    ``l2_size_cstr``, ``noc_bw_cstr``, ``offchip_bw_cstr``; sizes in bytes, bandwidths in
    elements/cycle) with MAESTRO's energy constants. MAESTRO only warns when a mapping needs more
    L1/L2 than the constraints; pass ``check_buffers=False`` to ``layer_cost`` to do the same."""
    from mcmsched.errors import excerpt
    from mcmsched.safe_io import read_text

    p = Path(path)
    text = read_text(p)
    values: dict[str, int] = {}
    for i, raw in enumerate(text.splitlines(), 1):
        line = raw.split("//")[0].strip()
        if not line:
            continue
        m = re.match(r"^([A-Za-z_0-9]+)\s*:\s*(\d{1,15})\s*;?$", line)
        if not m:
            raise MCMSchedError(
                f"line {i}: not 'key: integer' (e.g. num_pes: 256): {excerpt(line)}", file=str(p)
            )
        key = m.group(1)
        if key not in _HW_KEYS:
            raise MCMSchedError(
                f"line {i}: unknown key {excerpt(key)} (valid: {', '.join(_HW_KEYS)})",
                file=str(p),
            )
        if key in values:
            raise MCMSchedError(f"line {i}: '{key}' given twice", file=str(p), field=key)
        values[key] = int(m.group(2))
    for key in ("num_pes", "noc_bw_cstr", "offchip_bw_cstr"):
        if key not in values:
            raise MCMSchedError("missing in MAESTRO hardware file", file=str(p), field=key)
    return ChipletClass(
        name=p.stem,
        dataflow=dataflow if dataflow is not None else get_dataflow("nvdla"),
        n_pes=values["num_pes"],
        l1_bytes=values.get("l1_size_cstr", 8 * 1024),
        l2_bytes=values.get("l2_size_cstr", 10 * 1024 * 1024),
        noc_bw=float(values["noc_bw_cstr"]),
        mem_bw=float(values["offchip_bw_cstr"]),
        energy=MAESTRO_ENERGY,
    )


__all__ = [
    "MAESTRO_ENERGY",
    "MAESTRO_L1_FACTOR",
    "MAESTRO_L2_FACTOR",
    "MAESTRO_MAC_PJ",
    "load_maestro_hw",
]
