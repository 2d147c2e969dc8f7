"""Dataflows as MAESTRO-style directive lists (TemporalMap, SpatialMap, Cluster).

A dataflow is a loop nest written outer-to-inner as directives over the dimensions
``N K C Y X R S`` (``Y'`` and ``X'`` name output rows/columns). ``Cluster(n, P)`` groups ``n``
units of the level above into one unit of a new, inner level. Sizes and offsets are integers or
``Sz(D)`` (the full size of dimension ``D``).

Built-ins follow the XRBench/SCAR choices: ``nvdla`` (weight-stationary, spatial over K and C),
``shidiannao`` (output-stationary, spatial over output Y' and X'), ``eyeriss`` (row-stationary).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from mcmsched.errors import MCMSchedError

DIMS = ("N", "K", "C", "Y", "X", "R", "S", "Y'", "X'")


class DirectiveKind(StrEnum):
    TEMPORAL = "TemporalMap"
    SPATIAL = "SpatialMap"
    CLUSTER = "Cluster"


Size = int | str  # an int, or the name of a dimension meaning Sz(dim)


@dataclass(frozen=True, slots=True)
class Directive:
    """One directive. For maps: ``size``/``offset`` and ``dim``; for Cluster: ``size`` and
    ``cluster_type`` ('P' physical or 'L' logical); ``dim`` is empty for Cluster."""

    kind: DirectiveKind
    size: Size
    offset: Size = 1
    dim: str = ""
    cluster_type: str = "P"

    def __str__(self) -> str:
        def fmt(v: Size) -> str:
            return f"Sz({v})" if isinstance(v, str) else str(v)

        if self.kind is DirectiveKind.CLUSTER:
            return f"Cluster({fmt(self.size)},{self.cluster_type});"
        return f"{self.kind.value}({fmt(self.size)},{fmt(self.offset)}) {self.dim};"


@dataclass(frozen=True, slots=True)
class Dataflow:
    """A named directive list (outermost first)."""

    name: str
    directives: tuple[Directive, ...]
    description: str = ""

    def __post_init__(self) -> None:
        if not self.directives:
            raise MCMSchedError(f"dataflow '{self.name}' has no directives", field="directives")

    def to_text(self) -> str:
        """MAESTRO syntax: ``Dataflow { ... }``."""
        body = "\n".join(f"  {d}" for d in self.directives)
        return f"Dataflow {{\n{body}\n}}"

    @staticmethod
    def parse(text: str, name: str = "custom", *, source: str | None = None) -> Dataflow:
        """Parse MAESTRO directive text (with or without the ``Dataflow { }`` wrapper)."""
        return Dataflow(name=name, directives=parse_directives(text, source=source))


_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
_SIZE = r"\s*(?:Sz\s*\(\s*([A-Za-z]'?)\s*\)|(\d+))\s*"
_MAP = re.compile(r"^(TemporalMap|SpatialMap)\s*\(" + _SIZE + "," + _SIZE + r"\)\s*([A-Za-z]'?)$")
_CLUSTER = re.compile(r"^Cluster\s*\(" + _SIZE + r"(?:,\s*([PL])\s*)?\)$")


def parse_directives(text: str, *, source: str | None = None) -> tuple[Directive, ...]:
    """Parse directive statements separated by ``;``. Raises :class:`MCMSchedError` on any
    statement that is not a TemporalMap, SpatialMap or Cluster over a known dimension."""
    body = _COMMENT.sub("", text).strip()
    m = re.match(r"^Dataflow\s*\{(.*)\}\s*$", body, re.S)
    if m:
        body = m.group(1)
    out: list[Directive] = []
    for raw in body.split(";"):
        stmt = " ".join(raw.split())
        if not stmt:
            continue
        mm = _MAP.match(stmt)
        if mm:
            kind, sz_dim, sz_num, off_dim, off_num, dim = mm.groups()
            dim = dim.upper()
            if dim not in DIMS:
                raise MCMSchedError(
                    f"unknown dimension '{dim}' in '{stmt}' (valid: {', '.join(DIMS)})",
                    file=source,
                    field="Dataflow",
                )
            size: Size = sz_dim.upper() if sz_dim else int(sz_num)
            offset: Size = off_dim.upper() if off_dim else int(off_num)
            for v in (size, offset):
                if isinstance(v, int) and v <= 0:
                    raise MCMSchedError(
                        f"size and offset must be positive in '{stmt}'",
                        file=source,
                        field="Dataflow",
                    )
            out.append(Directive(DirectiveKind(kind), size, offset, dim))
            continue
        mc = _CLUSTER.match(stmt)
        if mc:
            sz_dim, sz_num, ctype = mc.groups()
            csize: Size = sz_dim.upper() if sz_dim else int(sz_num)
            if isinstance(csize, int) and csize <= 0:
                raise MCMSchedError(
                    f"cluster size must be positive in '{stmt}'", file=source, field="Dataflow"
                )
            out.append(Directive(DirectiveKind.CLUSTER, csize, 1, "", ctype or "P"))
            continue
        raise MCMSchedError(
            f"cannot parse directive '{stmt}' (expected TemporalMap(a,b) D; "
            "SpatialMap(a,b) D; or Cluster(n,P);)",
            file=source,
            field="Dataflow",
        )
    if not out:
        raise MCMSchedError("dataflow has no directives", file=source, field="Dataflow")
    return tuple(out)


# Built-in dataflows (directives as in XRBench's dataflows/single/*.m).
NVDLA_TEXT = """
TemporalMap(16,16) C; TemporalMap(16,16) K; TemporalMap(1,1) Y'; SpatialMap(1,1) X';
Cluster(16,P); SpatialMap(1,1) K; TemporalMap(64,64) C; TemporalMap(1,1) Y';
TemporalMap(1,1) X'; Cluster(16,P); SpatialMap(1,1) C;
"""
SHIDIANNAO_TEXT = """
TemporalMap(1,1) K; SpatialMap(1,1) Y'; TemporalMap(4,4) X'; TemporalMap(16,16) C;
Cluster(4,P); SpatialMap(1,1) X'; Cluster(16,P); SpatialMap(1,1) C;
"""
EYERISS_TEXT = """
TemporalMap(1,1) Y'; TemporalMap(16,16) X'; TemporalMap(4,4) C; SpatialMap(1,1) K;
Cluster(16,P); TemporalMap(1,1) Y'; SpatialMap(1,1) X'; TemporalMap(4,4) C; TemporalMap(1,1) K;
Cluster(4,P); SpatialMap(1,1) Y; SpatialMap(1,1) R;
"""

BUILTIN_DATAFLOWS: dict[str, Dataflow] = {
    "nvdla": Dataflow(
        "nvdla", parse_directives(NVDLA_TEXT), "NVDLA-like weight-stationary (spatial over K and C)"
    ),
    "shidiannao": Dataflow(
        "shidiannao",
        parse_directives(SHIDIANNAO_TEXT),
        "ShiDianNao-like output-stationary (spatial over output Y and X)",
    ),
    "eyeriss": Dataflow("eyeriss", parse_directives(EYERISS_TEXT), "Eyeriss-like row-stationary"),
}
ALIASES = {"nvd": "nvdla", "ws": "nvdla", "shi": "shidiannao", "os": "shidiannao", "rs": "eyeriss"}


def get_dataflow(name: str) -> Dataflow:
    """A built-in dataflow by name or alias (``nvd``/``ws``, ``shi``/``os``, ``rs``)."""
    key = ALIASES.get(name.lower(), name.lower())
    try:
        return BUILTIN_DATAFLOWS[key]
    except KeyError:
        valid = ", ".join(sorted([*BUILTIN_DATAFLOWS, *ALIASES]))
        raise MCMSchedError(
            f"unknown dataflow '{name}' (valid: {valid}, or directive text)", field="dataflow"
        ) from None
