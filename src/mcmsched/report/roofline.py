"""Roofline figure: per chiplet class, each placed layer's cycles against its roofline bound."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

#: Marker colour of the bound that holds.
BOUND_COLOURS = {"compute": "#4c72b0", "noc": "#dd8452", "memory": "#55a868"}


def roofline_figure(
    rows: Sequence[Mapping[str, object]], *, title: str = "", width_in: float = 11.0
) -> Figure:
    """One panel per chiplet class of the rows (``layers.csv`` rows with ``chiplet_class``,
    ``cycles``, ``bound_cycles``, ``bound``, ``macs``): achieved cycles (y) against the
    roofline lower bound (x), log-log, with the lines y = x (at the bound) and y = 1.5 x.
    The panel title gives the MAC-weighted share of layers within 1.5x of their bound."""
    by_cls: dict[str, list[Mapping[str, object]]] = {}
    for r in rows:
        if r.get("chiplet_class") is None or r.get("bound_cycles") is None:
            continue
        by_cls.setdefault(str(r["chiplet_class"]), []).append(r)
    n = max(1, len(by_cls))
    fig = Figure(figsize=(width_in, 3.6), layout="constrained")
    axes = fig.subplots(1, n, squeeze=False)[0]
    for ax, (cname, rs) in zip(axes, sorted(by_cls.items()), strict=False):
        x = np.array([float(str(r["bound_cycles"])) for r in rs])
        y = np.array([float(str(r["cycles"])) for r in rs])
        w = np.array([float(str(r.get("macs") or 0)) for r in rs])
        kinds = [str(r.get("bound")) for r in rs]
        for kind, colour in BOUND_COLOURS.items():
            sel = np.array([k == kind for k in kinds])
            if sel.any():
                ax.scatter(x[sel], y[sel], s=12, color=colour, label=f"{kind} bound", alpha=0.8)
        lo = float(max(min(x.min(), y.min()), 1.0))
        hi = float(max(x.max(), y.max()))
        line = np.array([lo, hi])
        ax.plot(line, line, color="#333333", lw=0.8, label="at the bound")
        ax.plot(line, 1.5 * line, color="#999999", lw=0.8, ls="--", label="1.5x the bound")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("roofline bound (cycles)")
        ax.set_ylabel("achieved (cycles)")
        near = float(w[y <= 1.5 * x].sum() / w.sum()) if w.sum() > 0 else 0.0
        ax.set_title(f"{cname}: {near:.0%} of MACs within 1.5x", fontsize=10, loc="left")
        ax.grid(color="#d0d5dd", lw=0.5)
        ax.legend(fontsize=7, frameon=False)
    fig.suptitle(title or "roofline per chiplet class", fontsize=11, x=0.01, ha="left")
    return fig
