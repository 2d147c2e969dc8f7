"""mcmsched: schedules for multi-model AI inference on heterogeneous chiplet MCM accelerators.

Layers (data flows one way): ``workload`` / ``hardware`` -> ``cost`` -> ``schedule`` -> ``search``
-> ``explore`` / ``report`` / ``cli``. See docs/DESIGN.md.
"""

from mcmsched.errors import MCMSchedError

__version__ = "0.1.0"
__all__ = ["MCMSchedError", "__version__"]
