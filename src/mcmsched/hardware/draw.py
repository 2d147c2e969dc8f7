"""A text picture of a package: chiplet boxes on their grid, NoP links, DRAM interfaces.

Example (``het-sides``)::

      +-----+   +-----+   +-----+
    ==|  0  |---|  1  |---|  2  |==
    ==| NVD |   | Shi |   | NVD |==
      +-----+   +-----+   +-----+
         |         |         |
      ...

``---`` and ``|`` are NoP links between grid neighbours, ``\\`` / ``/`` / ``X`` diagonal links
(graph topologies), ``==`` a DRAM interface on the package edge and ``*`` after an id a DRAM
interface on a chiplet that is not in the left or right column. Links that cannot be drawn on the
grid are listed under the picture.
"""

from __future__ import annotations

from mcmsched.hardware.package import Package

_GAP = 3  # characters between two boxes in a row
_MARGIN = 2  # characters left and right of the grid for DRAM marks


def format_bytes(n: int) -> str:
    """``10485760`` -> ``10 MiB``; ``1536`` -> ``1.5 KiB``."""
    for unit, size in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= size:
            v = n / size
            return f"{v:.0f} {unit}" if v == int(v) else f"{v:.3g} {unit}"
    return f"{n} B"


def class_labels(pkg: Package) -> dict[str, str]:
    """A short label per class: the dataflow's (``NVD``/``Shi``/``RS``), or the class name when
    two classes share a dataflow label."""
    shorts = {n: c.short for n, c in pkg.classes.items()}
    if len(set(shorts.values())) == len(shorts):
        return shorts
    return {n: n[:8] for n in pkg.classes}


def draw_package(pkg: Package) -> str:
    """The picture, a legend and the totals (chiplets per class, PEs, L2), as text."""
    labels = class_labels(pkg)
    rows, cols = pkg.grid_shape
    pos = {(c.row, c.col): c for c in pkg.chiplets}
    edge_cols = (0, cols - 1)

    def id_text(cid: int) -> str:
        c = pkg.chiplets[cid]
        return f"{cid}*" if c.dram_interface and c.col not in edge_cols else str(cid)

    inner = max(
        5, *(len(v) + 2 for v in labels.values()), *(len(id_text(c.id)) + 2 for c in pkg.chiplets)
    )
    box = inner + 2
    links = set(pkg.links)

    def linked(a: int, b: int) -> bool:
        return (min(a, b), max(a, b)) in links

    width = _MARGIN * 2 + cols * box + (cols - 1) * _GAP
    lines: list[str] = []
    drawn: set[tuple[int, int]] = set()

    def x0(col: int) -> int:
        return _MARGIN + col * (box + _GAP)

    for r in range(rows):
        band = [[" "] * width for _ in range(4)]
        for c in range(cols):
            ch = pos.get((r, c))
            if ch is None:
                continue
            x = x0(c)
            border = "+" + "-" * inner + "+"
            band[0][x : x + box] = border
            band[3][x : x + box] = border
            band[1][x : x + box] = "|" + id_text(ch.id).center(inner) + "|"
            band[2][x : x + box] = "|" + labels[ch.cls].center(inner) + "|"
            if ch.dram_interface and c == 0:
                band[1][0:2] = band[2][0:2] = "=="
            if ch.dram_interface and c == cols - 1:
                band[1][x + box : x + box + 2] = band[2][x + box : x + box + 2] = "=="
            right = pos.get((r, c + 1))
            if right is not None and linked(ch.id, right.id):
                band[1][x + box : x + box + _GAP] = "-" * _GAP
                drawn.add((min(ch.id, right.id), max(ch.id, right.id)))
        lines.extend("".join(b).rstrip() for b in band)
        if r + 1 < rows:
            gap = [" "] * width
            for c in range(cols):
                a, b = pos.get((r, c)), pos.get((r + 1, c))
                if a is not None and b is not None and linked(a.id, b.id):
                    gap[x0(c) + box // 2] = "|"
                    drawn.add((min(a.id, b.id), max(a.id, b.id)))
                if c + 1 < cols:
                    tl, br = pos.get((r, c)), pos.get((r + 1, c + 1))
                    tr, bl = pos.get((r, c + 1)), pos.get((r + 1, c))
                    down = tl is not None and br is not None and linked(tl.id, br.id)
                    up = tr is not None and bl is not None and linked(tr.id, bl.id)
                    mark = "X" if down and up else "\\" if down else "/" if up else " "
                    gap[x0(c) + box + _GAP // 2] = mark
                    if down and tl is not None and br is not None:
                        drawn.add((min(tl.id, br.id), max(tl.id, br.id)))
                    if up and tr is not None and bl is not None:
                        drawn.add((min(tr.id, bl.id), max(tr.id, bl.id)))
            lines.append("".join(gap).rstrip())

    routing = "XY routing" if pkg.topology == "mesh" else "shortest-path routing"
    head = f"{pkg.name}: {rows}x{cols} {pkg.topology} ({routing}), {pkg.n_chiplets} chiplet" + (
        "s" if pkg.n_chiplets != 1 else ""
    )
    out = [head, ""]
    out.extend(lines)
    out.append("")
    other = sorted(set(pkg.links) - drawn)
    if other:
        out.append("other links: " + ", ".join(f"{a}-{b}" for a, b in other))
    legend = [f"{labels[n]} = class '{n}' ({c.dataflow.name})" for n, c in pkg.classes.items()]
    out.append("legend: " + "; ".join(legend))
    dram_ids = [c.id for c in pkg.chiplets if c.dram_interface]
    marks = "'==' on the package edge" + (
        ", '*' after the id elsewhere"
        if any(pkg.chiplets[i].col not in edge_cols for i in dram_ids)
        else ""
    )
    out.append(
        f"DRAM interfaces ({marks}): {len(dram_ids)} on chiplets "
        + ", ".join(str(i) for i in dram_ids)
    )
    counts = ", ".join(f"{n} {k}" for n, k in pkg.class_counts.items())
    plural = "s" if pkg.n_chiplets != 1 else ""
    out.append(
        f"totals: {pkg.n_chiplets} chiplet{plural} ({counts}), {pkg.total_pes} PEs, "
        f"L2 {format_bytes(pkg.total_l2_bytes)}"
    )
    return "\n".join(out) + "\n"


__all__ = ["class_labels", "draw_package", "format_bytes"]
