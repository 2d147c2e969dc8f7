"""mcmsched: schedules for multi-model AI inference on heterogeneous chiplet MCM accelerators.

Layers (data flows one way): ``workload`` / ``hardware`` -> ``cost`` -> ``schedule`` -> ``search``
-> ``explore`` / ``report`` / ``runner`` / ``cli``. See docs/DESIGN.md.

The notebook API is re-exported lazily so that ``import mcmsched`` stays light::

    import mcmsched
    result = mcmsched.run("examples/paper1.yaml")
    result.metrics.latency_s, result.metrics.energy_j
    result.timeline_figure(); html = result.to_html()
"""

from __future__ import annotations

import sys

if sys.argv and sys.argv[0].endswith(("mcmsched", "__main__.py")):  # the CLI, as early as can be
    from mcmsched import interrupt as _interrupt

    if _interrupt.running_as_cli():
        _interrupt.install()

from typing import Any  # (after the interrupt handler, so an early Ctrl-C is clean)

from mcmsched.errors import MCMSchedError

__version__ = "0.1.0"
__all__ = ["ComparisonResult", "MCMSchedError", "Result", "__version__", "compare", "run"]


def __getattr__(name: str) -> Any:
    if name in ("run", "compare"):
        from mcmsched.runner import run as _run

        return getattr(_run, name)
    if name in ("Result", "ComparisonResult"):
        from mcmsched.runner import result as _result

        return getattr(_result, name)
    raise AttributeError(f"module 'mcmsched' has no attribute {name!r}")
