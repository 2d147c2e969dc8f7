"""Importers that turn model descriptions into :class:`~mcmsched.workload.model.Model` objects.

- :mod:`.maestro`: MAESTRO / XRBench ``.m`` description files (no extra dependencies).
- :mod:`.onnx_import`: ONNX graphs (needs ``pip install mcmsched[onnx]``).
- :mod:`.torch_import`: PyTorch modules and Hugging Face configs traced without weights (needs
  ``pip install mcmsched[torch]``).

The optional libraries are imported inside the functions, so importing this package never needs
them; a missing one raises :class:`~mcmsched.errors.MCMSchedError` naming the extra to install.
"""

from mcmsched.workload.importers.maestro import (
    MaestroNetwork,
    find_layer,
    load_maestro,
    load_maestro_networks,
    parse_maestro,
    parse_maestro_networks,
    printed_name,
)
from mcmsched.workload.importers.onnx_import import load_onnx
from mcmsched.workload.importers.torch_import import load_hf_config, trace_torch

__all__ = [
    "MaestroNetwork",
    "find_layer",
    "load_hf_config",
    "load_maestro",
    "load_maestro_networks",
    "load_onnx",
    "parse_maestro",
    "parse_maestro_networks",
    "printed_name",
    "trace_torch",
]
