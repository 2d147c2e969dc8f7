"""Energy breakdown figure: by component (compute / NoP / DRAM) and by model."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from mcmsched.safe_io import no_mathtext
from mcmsched.schedule.metrics import Metrics
from mcmsched.workload.scenario import Scenario

#: Colours of the energy components.
COMPONENT_COLOURS = {"compute": "#4c72b0", "NoP": "#dd8452", "DRAM": "#55a868"}


def energy_unit(energy_j: float) -> tuple[float, str]:
    """``(scale, unit)`` to show energies up to ``energy_j`` joules."""
    if energy_j < 1e-3:
        return 1e6, "µJ"
    if energy_j < 1.0:
        return 1e3, "mJ"
    return 1.0, "J"


@no_mathtext
def energy_figure(
    metrics: Metrics, scenario: Scenario, *, title: str | None = None, width_in: float = 11.0
) -> Figure:
    """Two panels: the scenario's energy by component (one stacked bar, with shares) and each
    model's energy stacked by component."""
    n_m = len(scenario.entries)
    fig = Figure(figsize=(width_in, max(3.2, 1.6 + 0.35 * n_m)), layout="constrained")
    ax_total, ax_models = fig.subplots(1, 2, width_ratios=[1, 2.2])
    scale, unit = energy_unit(metrics.energy_j)
    parts = {
        "compute": metrics.energy.compute_j,
        "NoP": metrics.energy.nop_j,
        "DRAM": metrics.energy.dram_j,
    }
    total = sum(parts.values())
    left = 0.0
    for name, v in parts.items():
        ax_total.barh(
            0, v * scale, left=left, color=COMPONENT_COLOURS[name], label=name, height=0.5
        )
        share = v / total if total > 0 else 0.0
        if share > 0.12:
            ax_total.text(
                left + v * scale / 2,
                0,
                f"{name}\n{share:.0%}",
                ha="center",
                va="center",
                fontsize=8,
                color="white",
            )
        left += v * scale
    ax_total.set_yticks([0], ["total"])
    ax_total.set_ylim(-0.6, 0.6)
    ax_total.set_xlabel(f"energy ({unit})")
    ax_total.set_title(f"by component: {total * scale:.4g} {unit}", fontsize=10, loc="left")
    ax_total.legend(
        loc="upper center", bbox_to_anchor=(0.5, -0.28), ncol=3, fontsize=8, frameon=False
    )

    names = [e.model.name for e in scenario.entries]
    y = np.arange(n_m)
    lefts = np.zeros(n_m)
    for name in ("compute", "NoP", "DRAM"):
        attr = {"compute": "compute_j", "NoP": "nop_j", "DRAM": "dram_j"}[name]
        vals = np.array([getattr(me, attr) for me in metrics.model_energy]) * scale
        ax_models.barh(y, vals, left=lefts, color=COMPONENT_COLOURS[name], label=name, height=0.6)
        lefts += vals
    for i, v in enumerate(lefts):
        ax_models.text(v, i, f" {v:.3g}", va="center", fontsize=8)
    ax_models.set_yticks(y, names, fontsize=8)
    ax_models.invert_yaxis()
    ax_models.set_xlim(0, float(lefts.max()) * 1.15 if n_m and lefts.max() > 0 else 1.0)
    ax_models.set_xlabel(f"energy ({unit})")
    ax_models.set_title("by model", fontsize=10, loc="left")
    ax_models.grid(axis="x", color="#d0d5dd", lw=0.5)
    ax_models.set_axisbelow(True)
    fig.suptitle(title or f"{scenario.name}: energy", fontsize=11, x=0.01, ha="left")
    return fig
