"""Dataflows as MAESTRO-style directive lists (TemporalMap, SpatialMap, Cluster).

A dataflow is a loop nest written outer-to-inner as directives over the dimensions
``N G K C Y X R S`` (``Y'`` and ``X'`` name output rows/columns; ``G`` is the group of a grouped
convolution, MAESTRO ``NGCONV``, with ``K`` and ``C`` counted per group). ``Cluster(n, P)``
groups ``n`` units of the level above into one unit of a new, inner level. Sizes and offsets are
integers, ``Sz(D)`` (the full size of dimension ``D``) or ``Sz(D)+n`` / ``Sz(D)-n``.

Built-ins follow the XRBench/SCAR choices: ``nvdla`` (weight-stationary, spatial over K and C),
``shidiannao`` (output-stationary, spatial over output Y' and X'), ``eyeriss`` (row-stationary);
and MAESTRO's per-network mapping styles for any layer: ``nvdla-maestro`` (``kcp_ws``) and
``shidiannao-maestro`` (``yxp_os``), which carry a separate directive list for depthwise and
element-wise layers (MAESTRO ``DSCONV``), :attr:`Dataflow.depthwise`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from mcmsched.errors import MCMSchedError

DIMS = ("N", "G", "K", "C", "Y", "X", "R", "S", "Y'", "X'")


class DirectiveKind(StrEnum):
    TEMPORAL = "TemporalMap"
    SPATIAL = "SpatialMap"
    CLUSTER = "Cluster"


Size = int | str
"""An int, or a size expression over a dimension: ``"S"`` means ``Sz(S)``, ``"S+7"`` means
``Sz(S)+7`` and ``"S-1"`` means ``Sz(S)-1`` (see :func:`size_parts`)."""

_EXPR = re.compile(r"^([A-Z]'?)(?:([+-])(\d+))?$")


@lru_cache(maxsize=1024)
def size_parts(v: str) -> tuple[str, int]:
    """``(dimension, addend)`` of a size expression: ``"S+7"`` -> ``("S", 7)``, ``"R"`` ->
    ``("R", 0)``, ``"X'-1"`` -> ``("X'", -1)``."""
    m = _EXPR.match(v)
    if m is None:
        raise MCMSchedError(f"bad size expression {v!r} (expected D, D+n or D-n)", field="Dataflow")
    dim, sign, num = m.groups()
    add = int(num) if num else 0
    return dim, -add if sign == "-" else add


def size_expr(dim: str, add: int = 0) -> str:
    """The :data:`Size` string of ``Sz(dim) + add`` (``"S+7"``; ``"S"`` when ``add == 0``)."""
    if add == 0:
        return dim
    return f"{dim}{add:+d}"


_TUNABLE = re.compile(r"^\?([A-Za-z0-9_]*)(?:\{(\d+)\.\.(\d+)\})?$")


def is_tunable(v: Size) -> bool:
    """Whether a size is a tunable mark (``?``, ``?name``, ``?name{lo..hi}``) the mapper fills."""
    return isinstance(v, str) and v.startswith("?")


@lru_cache(maxsize=1024)
def tunable_parts(v: str) -> tuple[str, int, int]:
    """``(name, lo, hi)`` of a tunable mark: ``"?k{1..64}"`` -> ``("k", 1, 64)``; without a
    range ``lo = 1`` and ``hi = 0`` (no upper limit besides the dimension or the PEs)."""
    m = _TUNABLE.match(v)
    if m is None:
        raise MCMSchedError(
            f"bad tunable size {v!r} (expected ?, ?name or ?name{{lo..hi}})", field="Dataflow"
        )
    name, lo, hi = m.groups()
    return name, int(lo) if lo else 1, int(hi) if hi else 0


def format_size(v: Size) -> str:
    """MAESTRO syntax of a size: ``7``, ``Sz(S)``, ``Sz(S)+7``, ``Sz(R)-1``; a tunable mark as
    written (``?k{1..64}``)."""
    if isinstance(v, int):
        return str(v)
    if is_tunable(v):
        return v
    dim, add = size_parts(v)
    return f"Sz({dim})" + (f"{add:+d}" if add else "")


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
        fmt = format_size
        if self.kind is DirectiveKind.CLUSTER:
            return f"Cluster({fmt(self.size)},{self.cluster_type});"
        return f"{self.kind.value}({fmt(self.size)},{fmt(self.offset)}) {self.dim};"


@dataclass(frozen=True, slots=True)
class Dataflow:
    """A named directive list (outermost first).

    ``depthwise``: an optional second directive list for the layers MAESTRO analyses as
    ``DSCONV`` (depthwise convolutions and element-wise layers, whose tensors all follow ``C``
    and which have no ``K``); ``None`` uses ``directives`` for every layer."""

    name: str
    directives: tuple[Directive, ...]
    description: str = ""
    depthwise: tuple[Directive, ...] | None = None

    def __post_init__(self) -> None:
        if not self.directives:
            raise MCMSchedError(f"dataflow '{self.name}' has no directives", field="directives")
        if self.depthwise is not None and not self.depthwise:
            raise MCMSchedError(
                f"dataflow '{self.name}' has an empty depthwise directive list", field="depthwise"
            )

    @property
    def tunable(self) -> bool:
        """Whether any directive has a tunable size (``?``): such a dataflow needs ``mapping:
        searched``."""
        return any(
            is_tunable(d.size) or is_tunable(d.offset)
            for ds in (self.directives, self.depthwise or ())
            for d in ds
        )

    def directives_for(self, depthwise: bool) -> tuple[Directive, ...]:
        """The directive list for a layer: :attr:`depthwise` for a depthwise/element-wise layer
        (MAESTRO ``DSCONV``) when the dataflow has one, else :attr:`directives`."""
        if depthwise and self.depthwise is not None:
            return self.depthwise
        return self.directives

    def to_text(self) -> str:
        """MAESTRO syntax: ``Dataflow { ... }``. A :attr:`depthwise` list follows as a comment
        (so the text identifies the whole dataflow; :meth:`parse` reads the main list only)."""
        body = "\n".join(f"  {d}" for d in self.directives)
        text = f"Dataflow {{\n{body}\n}}"
        if self.depthwise is not None:
            dw = "\n".join(f"//   {d}" for d in self.depthwise)
            text += f"\n// DSCONV (depthwise and element-wise layers):\n// Dataflow {{\n{dw}\n// }}"
        return text

    @staticmethod
    def parse(text: str, name: str = "custom", *, source: str | None = None) -> Dataflow:
        """Parse MAESTRO directive text (with or without the ``Dataflow { }`` wrapper)."""
        return Dataflow(name=name, directives=parse_directives(text, source=source))


_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
_SIZE = (
    r"\s*(?:Sz\s*\(\s*([A-Za-z]'?)\s*\)(?:\s*([+-])\s*(\d+))?|(\d+)"
    r"|(\?[A-Za-z0-9_]*(?:\s*\{\s*\d+\s*\.\.\s*\d+\s*\})?))\s*"
)
_MAP = re.compile(r"^(TemporalMap|SpatialMap)\s*\(" + _SIZE + "," + _SIZE + r"\)\s*([A-Za-z]'?)$")
_CLUSTER = re.compile(r"^Cluster\s*\(" + _SIZE + r"(?:,\s*([PL])\s*)?\)$")


def _size_of(groups: tuple[str | None, ...]) -> Size:
    """A :data:`Size` from the ``_SIZE`` groups (dimension, sign, addend, number, tunable)."""
    sz_dim, sign, num, plain, tun = groups
    if tun is not None:
        return "".join(tun.split())
    for digits in (num, plain):
        if digits is not None and len(digits.lstrip("0")) > 8:  # sizes up to 10^8 - 1
            raise MCMSchedError(
                f"directive size {digits[:12]}{'...' if len(digits) > 12 else ''} is too large "
                "(limit 99,999,999)",
                field="Dataflow",
            )
    if sz_dim is None:
        assert plain is not None
        return int(plain)
    add = int(num) if num else 0
    return size_expr(sz_dim.upper(), -add if sign == "-" else add)


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
            g = mm.groups()
            kind, dim = g[0], g[11].upper()
            size = _size_of(g[1:6])
            offset = _size_of(g[6:11])
            if dim not in DIMS:
                raise MCMSchedError(
                    f"unknown dimension '{dim}' in '{stmt}' (valid: {', '.join(DIMS)})",
                    file=source,
                    field="Dataflow",
                )
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
            csize = _size_of(mc.groups()[0:5])
            ctype = mc.groups()[5]
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
    return _name_tunables(out, source)


def _name_tunables(ds: list[Directive], source: str | None) -> tuple[Directive, ...]:
    """Give every anonymous ``?`` size a fresh name (``?_1``, ...), make an anonymous ``?``
    offset the same variable as its size, and check that the ranges of a named variable are
    valid and agree wherever it is written."""
    ranges: dict[str, tuple[int, int]] = {}
    fresh = 0
    out: list[Directive] = []

    def check(v: str, stmt: str) -> str:
        nonlocal fresh
        try:
            name, lo, hi = tunable_parts(v)
        except MCMSchedError as err:
            raise MCMSchedError(
                f"{err.reason} in '{stmt}'", file=source, field="Dataflow"
            ) from None
        if hi and not 1 <= lo <= hi:
            raise MCMSchedError(
                f"tunable range {{{lo}..{hi}}} must satisfy 1 <= lo <= hi in '{stmt}'",
                file=source,
                field="Dataflow",
            )
        if not name:
            fresh += 1
            name = f"_{fresh}"
        rng = (lo, hi)
        if name in ranges and rng != (1, 0) and ranges[name] != (1, 0) and ranges[name] != rng:
            raise MCMSchedError(
                f"tunable ?{name} has two different ranges (in '{stmt}')",
                file=source,
                field="Dataflow",
            )
        if name not in ranges or ranges[name] == (1, 0):
            ranges[name] = rng
        return f"?{name}"

    for d in ds:
        stmt = str(d).rstrip(";")
        size, ofs = d.size, d.offset
        if is_tunable(size):
            assert isinstance(size, str)
            size = check(size, stmt)
        if is_tunable(ofs):
            assert isinstance(ofs, str)
            if tunable_parts(ofs)[0] == "":
                if not is_tunable(size):
                    raise MCMSchedError(
                        f"an anonymous '?' offset needs a tunable size in '{stmt}' (it means "
                        "'the same as the size')",
                        file=source,
                        field="Dataflow",
                    )
                ofs = size
            else:
                ofs = check(ofs, stmt)
        out.append(Directive(d.kind, size, ofs, d.dim, d.cluster_type))
    # write every variable's range on each of its occurrences (one canonical form)
    canon: list[Directive] = []

    def full(v: Size) -> Size:
        if not is_tunable(v):
            return v
        assert isinstance(v, str)
        lo, hi = ranges[v[1:]]
        return v if hi == 0 else f"{v}{{{lo}..{hi}}}"

    for d in out:
        canon.append(Directive(d.kind, full(d.size), full(d.offset), d.dim, d.cluster_type))
    return tuple(canon)


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

# MAESTRO's per-network mapping styles (maestro-project/maestro data/mapping/*_kcp_ws.m and
# *_yxp_os.m) written once for any layer; DSCONV: depthwise and element-wise layers.
KCP_WS_TEXT = """
SpatialMap(1,1) K; TemporalMap(64,64) C; TemporalMap(Sz(R),Sz(R)) R; TemporalMap(Sz(S),Sz(S)) S;
TemporalMap(Sz(R),1) Y; TemporalMap(Sz(S),1) X; Cluster(64,P); SpatialMap(1,1) C;
TemporalMap(Sz(R),1) Y; TemporalMap(Sz(S),1) X; TemporalMap(Sz(R),Sz(R)) R;
TemporalMap(Sz(S),Sz(S)) S;
"""
KCP_WS_DSCONV_TEXT = """
SpatialMap(1,1) C; TemporalMap(Sz(R),1) Y; TemporalMap(Sz(S),1) X; TemporalMap(Sz(R),Sz(R)) R;
TemporalMap(Sz(S),Sz(S)) S;
"""
# The mapping files write the X tile as 8 + Sz(S) - 1 (8 output columns per step) and mostly
# ``TemporalMap(Sz(R),Sz(R)) S``; every layer there has R = S, so ``Sz(S)`` is used here (right
# for non-square kernels too).
YXP_OS_TEXT = """
TemporalMap(1,1) K; TemporalMap(1,1) C; SpatialMap(Sz(R),1) Y; TemporalMap(Sz(S)+7,8) X;
Cluster(8,P); SpatialMap(Sz(S),1) X; TemporalMap(Sz(R),Sz(R)) R; TemporalMap(Sz(S),Sz(S)) S;
"""
YXP_OS_DSCONV_TEXT = """
TemporalMap(1,1) C; SpatialMap(Sz(R),1) Y; TemporalMap(Sz(S)+7,8) X;
Cluster(8,P); SpatialMap(Sz(S),1) X; TemporalMap(Sz(R),Sz(R)) R; TemporalMap(Sz(S),Sz(S)) S;
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
    "nvdla-maestro": Dataflow(
        "nvdla-maestro",
        parse_directives(KCP_WS_TEXT),
        "NVDLA-like weight-stationary, MAESTRO kcp_ws mapping style",
        parse_directives(KCP_WS_DSCONV_TEXT),
    ),
    "shidiannao-maestro": Dataflow(
        "shidiannao-maestro",
        parse_directives(YXP_OS_TEXT),
        "ShiDianNao-like output-stationary, MAESTRO yxp_os mapping style",
        parse_directives(YXP_OS_DSCONV_TEXT),
    ),
}
ALIASES = {
    "nvd": "nvdla",
    "ws": "nvdla",
    "shi": "shidiannao",
    "os": "shidiannao",
    "rs": "eyeriss",
    "kcp_ws": "nvdla-maestro",
    "yxp_os": "shidiannao-maestro",
}


def get_dataflow(name: str) -> Dataflow:
    """A built-in dataflow by name or alias (``nvd``/``ws``, ``shi``/``os``, ``rs``,
    ``kcp_ws`` = ``nvdla-maestro``, ``yxp_os`` = ``shidiannao-maestro``)."""
    key = ALIASES.get(name.lower(), name.lower())
    try:
        return BUILTIN_DATAFLOWS[key]
    except KeyError:
        valid = ", ".join(sorted([*BUILTIN_DATAFLOWS, *ALIASES]))
        raise MCMSchedError(
            f"unknown dataflow '{name}' (valid: {valid}, or directive text)", field="dataflow"
        ) from None
