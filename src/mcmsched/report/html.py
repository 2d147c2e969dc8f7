"""Self-contained HTML pages: inline CSS, figures as inline SVG, no scripts from the network.

Figures are matplotlib ``Figure`` s rendered to SVG and placed in ``<figure id=...>`` elements,
so the page needs nothing but itself (no JavaScript at all).
"""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.figure import Figure

from mcmsched.report.tables import Table

CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 24px auto;
       max-width: 1240px; color: #1a202c; padding: 0 16px; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
h2 { font-size: 1.15em; border-bottom: 1px solid #e2e8f0; padding-bottom: 4px; margin-top: 1.8em; }
p.meta { color: #4a5568; margin-top: 0; }
table.data { border-collapse: collapse; margin: 8px 0 16px; font-size: 0.86em; }
table.data caption { text-align: left; font-weight: 600; padding: 4px 0; }
table.data th, table.data td { border: 1px solid #e2e8f0; padding: 3px 8px; vertical-align: top; }
table.data th { background: #f7fafc; text-align: left; }
table.data td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 8px 0 20px; }
figure svg, figure img { width: 100%; max-width: 1150px; height: auto; }
figcaption { color: #4a5568; font-size: 0.86em; }
details summary { cursor: pointer; color: #2b6cb0; }
code { background: #f7fafc; padding: 1px 4px; }
"""


def figure_svg(fig: Figure) -> str:
    """The figure as an inline ``<svg>`` element (XML prolog and DOCTYPE removed)."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    start = text.find("<svg")
    return text[start:] if start >= 0 else text


def figure_png(fig: Figure, dpi: int = 110) -> bytes:
    """The figure as PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def figure_img(fig: Figure, alt: str, dpi: int = 110) -> str:
    """The figure as an ``<img>`` with a base64 PNG data URI."""
    data = base64.b64encode(figure_png(fig, dpi)).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


_ID = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass(frozen=True)
class FigureBlock:
    """A figure for a page: ``key`` becomes the element id ``fig-<key>``."""

    key: str
    caption: str
    figure: Figure


Block = str | Table | FigureBlock


def render_block(block: Block) -> str:
    if isinstance(block, Table):
        return block.to_html()
    if isinstance(block, FigureBlock):
        key = _ID.sub("-", block.key)
        return (
            f'<figure id="fig-{key}" class="figure">{figure_svg(block.figure)}'
            f"<figcaption>{html.escape(block.caption)}</figcaption></figure>"
        )
    return block


def page(title: str, subtitle: str, sections: Sequence[tuple[str, Sequence[Block]]]) -> str:
    """A complete HTML document: ``sections`` are ``(heading, blocks)``; a block is a
    :class:`Table`, a :class:`FigureBlock` or raw HTML."""
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="meta">{html.escape(subtitle)}</p>',
    ]
    for heading, blocks in sections:
        sid = _ID.sub("-", heading.lower()).strip("-")
        out.append(f'<section id="sec-{sid}"><h2>{html.escape(heading)}</h2>')
        out.extend(render_block(b) for b in blocks)
        out.append("</section>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def collapsible(summary: str, table: Table) -> str:
    """A table inside a closed ``<details>`` element (for long tables)."""
    return f"<details><summary>{html.escape(summary)}</summary>{table.to_html()}</details>"
