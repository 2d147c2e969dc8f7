"""Built-in packages: SCAR's MCM templates (§V-A, Fig. 6), the 2x2 motivational MCM and the
monolithic baseline.

Every chiplet defaults to SCAR's datacenter chiplet: 4096 PEs, 10 MiB shared L2, 500 MHz (use
``pes_per_chiplet=256`` for the AR/VR runs); NoP and DRAM parameters are Table II's (the defaults
of :class:`NoPParams` / :class:`DRAMParams`). DRAM interfaces sit on the chiplets of the left and
right columns (SCAR Def. 3, after Tangram). Chiplet ids are row-major, rows top to bottom.

The papers do not give the heterogeneous layouts (Fig. 6 is an image); these are our choices::

    het-sides (3x3)        het-cb (3x3)           mcm-2x2
    =NVD  Shi  NVD=        =NVD  Shi  NVD=        =NVD  NVD=
    =NVD  Shi  NVD=        =Shi  NVD  Shi=        =NVD  Shi=
    =NVD  Shi  NVD=        =NVD  Shi  NVD=

    het-cross (6x6): the centre row pair and column pair NVD, the four 2x2 corner blocks Shi
    =Shi Shi NVD NVD Shi Shi=
    =Shi Shi NVD NVD Shi Shi=
    =NVD NVD NVD NVD NVD NVD=
    =NVD NVD NVD NVD NVD NVD=
    =Shi Shi NVD NVD Shi Shi=
    =Shi Shi NVD NVD Shi Shi=

(``=`` marks the DRAM interfaces.)

- **Het-Sides**: the two side columns NVDLA-like, the centre column ShiDianNao-like (6 NVD + 3
  Shi). Column neighbours share a dataflow (homogeneous pipelining: NVD-NVD on the sides, Shi-Shi
  in the centre) and row neighbours differ (heterogeneous pipelining), which is the property the
  paper states. NVD is on the sides because the transformer-heavy datacenter scenarios have NVDLA
  affinity (SCAR §V-B) so NVD gets the majority, and the side columns hold the DRAM interfaces,
  which the weight-heavy GEMM layers use most.
- **Het-CB**: a checkerboard, NVD where ``row + col`` is even (5 NVD + 4 Shi), so every
  neighbour pair is heterogeneous (only heterogeneous pipelining, as the paper says).
- **Het-Cross**: 6x6 (Simba's four 3x3 quadrants); rows 2-3 and columns 2-3 form an NVD cross (20
  NVD), the four 2x2 corner blocks are Shi (16 Shi). The cross is a connected NVD backbone that
  reaches every quadrant and both DRAM sides; each Shi block has two DRAM chiplets, homogeneous
  Shi pipelines of up to four chiplets, and heterogeneous NVD neighbours on its inner sides.
- **mcm-2x2**: SCAR's motivational 2x2 (3 NVD + 1 Shi); the Shi chiplet is id 3 (bottom right).
- **Triangular NoP** (``simba-t-*``, ``het-t``): the 3x3 grid with mesh links plus the
  top-left-to-bottom-right diagonal of every grid square; topology ``graph`` (shortest-path
  routing). ``het-t`` uses the Het-Sides layout.
- **monolithic**: one chiplet (ShiDianNao-like by default, Paper 1's OS baseline) whose PEs, L2,
  NoC and memory bandwidths are the totals of a reference package (``like``, default
  ``het-sides``); L1 per PE, clock and energies are the reference's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from mcmsched.errors import MCMSchedError
from mcmsched.hardware.chiplet import ChipletClass
from mcmsched.hardware.dataflow import get_dataflow
from mcmsched.hardware.package import (
    Chiplet,
    Package,
    grid_chiplets,
    mesh_links,
    triangular_links,
)

#: Class name used in presets for each built-in dataflow.
CLASS_NAMES = {
    "nvdla": "nvd",
    "shidiannao": "shi",
    "eyeriss": "rs",
    "nvdla-maestro": "nvd",
    "shidiannao-maestro": "shi",
}

#: Which built-in dataflow each preset class ("nvd", "shi", "rs") runs, per dataflow family.
#: ``maestro`` (default): MAESTRO's own mapping styles (``kcp_ws`` NVDLA-like, ``yxp_os``
#: ShiDianNao-like), the tool SCAR used for its per-layer costs; under these the ShiDianNao-like
#: chiplet is faster on many convolution layers and the NVDLA-like one is more energy-efficient
#: and much faster on GEMMs. ``xrbench``: XRBench's hand-written WS/OS/RS directives
#: (``nvdla``/``shidiannao``/``eyeriss``), under which the NVDLA-like chiplet is faster and
#: cheaper on almost every layer. The choice is open in the papers
#: (docs/REFERENCES.md#open-choices).
DATAFLOW_FAMILIES: dict[str, dict[str, str]] = {
    "maestro": {"nvd": "nvdla-maestro", "shi": "shidiannao-maestro", "rs": "eyeriss"},
    "xrbench": {"nvd": "nvdla", "shi": "shidiannao", "rs": "eyeriss"},
}
DEFAULT_FAMILY = "maestro"

#: Overrides every preset accepts, with what they set (units in the names).
COMMON_OVERRIDES: dict[str, str] = {
    "name": "package name",
    "dataflows": "dataflow family of the nvd/shi classes: maestro (default) or xrbench",
    "mapping": "per-layer mapping of every class: searched (default) or fixed (as written)",
    "pes_per_chiplet": "PEs of every chiplet class (SCAR: 4096 datacenter, 256 AR/VR)",
    "l1_bytes": "PE-local buffer per PE, bytes",
    "l2_bytes": "shared L2 per chiplet, bytes (default 10 MiB)",
    "noc_bw": "on-chiplet NoC bandwidth, elements/cycle",
    "mem_bw": "chiplet L2 <-> outside bandwidth, elements/cycle",
    "clock_hz": "chiplet clock, Hz (default 500 MHz)",
    "nop_bw_gbps": "NoP bandwidth per chiplet link, GB/s",
    "nop_hop_latency_ns": "NoP latency per hop, ns",
    "nop_energy_pj_per_bit": "NoP energy per bit per hop, pJ",
    "dram_bw_gbps": "DRAM bandwidth, GB/s",
    "dram_latency_ns": "DRAM access latency, ns",
    "dram_energy_pj_per_bit": "DRAM energy per bit, pJ",
}
#: Extra overrides of the ``monolithic`` preset.
MONOLITHIC_OVERRIDES: dict[str, str] = {
    "dataflow": "dataflow of the single chiplet (default: the family's ShiDianNao-like one)",
    "like": "reference preset whose total PEs / L2 / bandwidths it matches (default het-sides)",
}

_INT_OVERRIDES = {"pes_per_chiplet", "l1_bytes", "l2_bytes"}
_STR_OVERRIDES = {"name", "dataflow", "like", "dataflows", "mapping"}


@dataclass(frozen=True, slots=True)
class PresetInfo:
    """What ``list_presets`` reports: the name, a one-line description, the grid and topology."""

    name: str
    description: str
    grid: str
    topology: str


def _family(name: str) -> dict[str, str]:
    try:
        return DATAFLOW_FAMILIES[name]
    except KeyError:
        raise MCMSchedError(
            f"unknown dataflow family '{name}' (valid: {', '.join(DATAFLOW_FAMILIES)})",
            field="dataflows",
        ) from None


def _grid_package(
    name: str,
    description: str,
    layout: list[str],
    topology: str = "mesh",
    family: str = DEFAULT_FAMILY,
) -> Package:
    """A package from rows of space-separated class names (``nvd``/``shi``/``rs``), each class
    running the dataflow ``family`` gives it (:data:`DATAFLOW_FAMILIES`)."""
    grid = [row.split() for row in layout]
    used = sorted({c for row in grid for c in row})
    dataflows = _family(family)
    classes = {c: ChipletClass(c, get_dataflow(dataflows[c]), mapping="searched") for c in used}
    rows, cols = len(grid), len(grid[0])
    links = mesh_links(rows, cols) if topology == "mesh" else triangular_links(rows, cols)
    return Package(
        name=name,
        classes=classes,
        chiplets=tuple(grid_chiplets(grid, "sides")),
        links=tuple(links),
        topology=topology,
        description=description,
    )


def _uniform(cls: str, rows: int, cols: int) -> list[str]:
    return [" ".join([cls] * cols)] * rows


_SIDES = ["nvd shi nvd"] * 3
_CB = ["nvd shi nvd", "shi nvd shi", "nvd shi nvd"]
_CROSS = (
    ["shi shi nvd nvd shi shi"] * 2
    + ["nvd nvd nvd nvd nvd nvd"] * 2
    + ["shi shi nvd nvd shi shi"] * 2
)


@dataclass(frozen=True, slots=True)
class _Preset:
    info: PresetInfo
    build: Callable[[str], Package]  # dataflow family -> package


def _grid_preset(name: str, description: str, layout: list[str], topology: str = "mesh") -> _Preset:
    rows, cols = len(layout), len(layout[0].split())
    return _Preset(
        PresetInfo(name, description, f"{rows}x{cols}", topology),
        lambda family: _grid_package(name, description, layout, topology, family),
    )


_PRESETS: dict[str, _Preset] = {
    p.info.name: p
    for p in (
        _grid_preset(
            "simba-3x3-nvd", "Simba-like 3x3 mesh, all NVDLA-like (WS)", _uniform("nvd", 3, 3)
        ),
        _grid_preset(
            "simba-3x3-shi",
            "Simba-like 3x3 mesh, all ShiDianNao-like (OS)",
            _uniform("shi", 3, 3),
        ),
        _grid_preset(
            "simba-6x6-nvd", "Simba-like 6x6 mesh, all NVDLA-like (WS)", _uniform("nvd", 6, 6)
        ),
        _grid_preset(
            "simba-6x6-shi",
            "Simba-like 6x6 mesh, all ShiDianNao-like (OS)",
            _uniform("shi", 6, 6),
        ),
        _grid_preset(
            "het-sides", "3x3 mesh: NVD side columns, Shi centre column (6 NVD + 3 Shi)", _SIDES
        ),
        _grid_preset("het-cb", "3x3 mesh checkerboard (5 NVD + 4 Shi)", _CB),
        _grid_preset(
            "het-cross", "6x6 mesh: NVD cross (rows/cols 2-3), Shi 2x2 corners (20 + 16)", _CROSS
        ),
        _grid_preset(
            "mcm-2x2", "SCAR's motivational 2x2 mesh: 3 NVD + 1 Shi (id 3)", ["nvd nvd", "nvd shi"]
        ),
        _grid_preset(
            "simba-t-nvd",
            "3x3 triangular NoP (mesh + diagonals), all NVD",
            _uniform("nvd", 3, 3),
            "graph",
        ),
        _grid_preset(
            "simba-t-shi",
            "3x3 triangular NoP (mesh + diagonals), all Shi",
            _uniform("shi", 3, 3),
            "graph",
        ),
        _grid_preset(
            "het-t", "3x3 triangular NoP (mesh + diagonals), Het-Sides layout", _SIDES, "graph"
        ),
    )
}
_MONOLITHIC = PresetInfo(
    "monolithic",
    "one chiplet (Shi by default) with the total PEs/L2/bandwidths of 'like' (het-sides)",
    "1x1",
    "mesh",
)


def preset_names() -> list[str]:
    """All preset names, in listing order."""
    return [*_PRESETS, _MONOLITHIC.name]


def list_presets() -> list[PresetInfo]:
    """Every built-in preset with a one-line description."""
    return [p.info for p in _PRESETS.values()] + [_MONOLITHIC]


def _check_overrides(preset: str, overrides: dict[str, Any], allowed: Iterable[str]) -> None:
    allowed = list(allowed)
    for key, value in overrides.items():
        if key not in allowed:
            raise MCMSchedError(
                f"unknown override '{key}' for preset '{preset}' (valid: {', '.join(allowed)})",
                field=key,
            )
        if key in _STR_OVERRIDES:
            ok = isinstance(value, str) and bool(value)
            kind = "a non-empty string"
        elif key in _INT_OVERRIDES:
            ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
            kind = "a positive integer"
        else:
            ok = isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
            kind = "a non-negative number"
        if not ok:
            raise MCMSchedError(f"override must be {kind}, got {value!r}", field=key)


def apply_overrides(pkg: Package, /, **overrides: Any) -> Package:
    """``pkg`` with the :data:`COMMON_OVERRIDES` applied (chiplet-class fields to every class)."""
    _check_overrides(pkg.name, overrides, COMMON_OVERRIDES)
    if "dataflows" in overrides:
        raise MCMSchedError(
            "the dataflow family is chosen when a preset is built (get_preset(..., dataflows=))",
            field="dataflows",
        )
    cls_fields = {
        "pes_per_chiplet": "n_pes",
        "l1_bytes": "l1_bytes",
        "l2_bytes": "l2_bytes",
        "noc_bw": "noc_bw",
        "mem_bw": "mem_bw",
        "clock_hz": "clock_hz",
    }
    cls_changes = {cls_fields[k]: v for k, v in overrides.items() if k in cls_fields}
    if "mapping" in overrides:
        cls_changes["mapping"] = overrides["mapping"]
    nop_changes = {k[4:]: v for k, v in overrides.items() if k.startswith("nop_")}
    dram_changes = {k[5:]: v for k, v in overrides.items() if k.startswith("dram_")}
    if "clock_hz" in cls_changes:
        cls_changes["clock_hz"] = float(cls_changes["clock_hz"])
    for k in ("noc_bw", "mem_bw"):
        if k in cls_changes:
            cls_changes[k] = float(cls_changes[k])
    classes = pkg.classes
    if cls_changes:
        classes = {n: replace(c, **cls_changes) for n, c in pkg.classes.items()}
    nop = replace(pkg.nop, **{k: float(v) for k, v in nop_changes.items()})
    dram = replace(pkg.dram, **{k: float(v) for k, v in dram_changes.items()})
    return replace(pkg, name=overrides.get("name", pkg.name), classes=classes, nop=nop, dram=dram)


def family_of(pkg: Package) -> str:
    """The dataflow family (:data:`DATAFLOW_FAMILIES`) ``pkg``'s classes come from: the first
    family holding one of their dataflows that no other family shares, else
    :data:`DEFAULT_FAMILY`."""
    used = {c.dataflow.name for c in pkg.classes.values()}
    members = {name: set(fam.values()) for name, fam in DATAFLOW_FAMILIES.items()}
    shared = set.intersection(*members.values())
    for name, dataflows in members.items():
        if used & (dataflows - shared):
            return name
    return DEFAULT_FAMILY


def family_dataflow(pkg: Package, short: str) -> str:
    """The dataflow a ``short`` class (``nvd``/``shi``/``rs``) runs in ``pkg``: its own class of
    that name if it has one, else the member of ``pkg``'s family (:func:`family_of`)."""
    own = pkg.classes.get(short)
    return own.dataflow.name if own is not None else _family(family_of(pkg))[short]


def monolithic_like(
    pkg: Package, dataflow: str | None = None, *, name: str | None = None
) -> Package:
    """One chiplet with ``dataflow`` whose PEs, L2 bytes, NoC bandwidth and memory bandwidth are
    the sums over ``pkg``'s chiplets (equal total compute and SRAM). L1 bytes per PE, clock and
    energy table come from ``pkg``'s first chiplet's class; NoP and DRAM parameters from ``pkg``.
    The single chiplet has the DRAM interface. ``dataflow`` defaults to the ShiDianNao-like
    (output-stationary) dataflow of ``pkg``'s family: the dataflow of its ``shi`` class if it has
    one, else the default family's."""
    if dataflow is None:
        shi = pkg.classes.get("shi")
        dataflow = (
            shi.dataflow.name if shi is not None else DATAFLOW_FAMILIES[DEFAULT_FAMILY]["shi"]
        )
    df = get_dataflow(dataflow)
    classes = [pkg.chiplet_class(c.id) for c in pkg.chiplets]
    first = classes[0]
    cname = CLASS_NAMES.get(df.name, df.name)
    mono = ChipletClass(
        name=cname,
        dataflow=df,
        n_pes=sum(c.n_pes for c in classes),
        l1_bytes=first.l1_bytes,
        l2_bytes=sum(c.l2_bytes for c in classes),
        noc_bw=sum(c.noc_bw for c in classes),
        mem_bw=sum(c.mem_bw for c in classes),
        clock_hz=first.clock_hz,
        energy=first.energy,
        mapping=first.mapping,
        objective=first.objective,
    )
    return Package(
        name=name or "monolithic",
        classes={cname: mono},
        chiplets=(Chiplet(0, cname, 0, 0, dram_interface=True),),
        links=(),
        topology="mesh",
        nop=pkg.nop,
        dram=pkg.dram,
        description=(
            f"monolithic {df.name} accelerator with the total PEs, L2 and bandwidths of "
            f"'{pkg.name}' ({pkg.n_chiplets} chiplets)"
        ),
    )


def get_preset(name: str, /, **overrides: Any) -> Package:
    """A built-in package by name (see :func:`list_presets`), with optional overrides
    (:data:`COMMON_OVERRIDES`; ``monolithic`` also takes :data:`MONOLITHIC_OVERRIDES`, and its
    other overrides apply to the reference package before the totals are taken).

    Raises :class:`MCMSchedError` for an unknown preset or override, naming the valid ones."""
    if name == _MONOLITHIC.name:
        _check_overrides(name, overrides, [*COMMON_OVERRIDES, *MONOLITHIC_OVERRIDES])
        rest = dict(overrides)
        like = rest.pop("like", "het-sides")
        dataflow = rest.pop("dataflow", None)
        new_name = rest.pop("name", None)
        if like == _MONOLITHIC.name or like not in _PRESETS:
            raise MCMSchedError(
                f"unknown reference preset '{like}' (valid: {', '.join(_PRESETS)})", field="like"
            )
        try:
            return monolithic_like(get_preset(like, **rest), dataflow, name=new_name)
        except MCMSchedError as err:
            if err.field == "dataflow":
                raise MCMSchedError(err.reason, field="dataflow") from None
            raise
    preset = _PRESETS.get(name)
    if preset is None:
        raise MCMSchedError(
            f"unknown preset '{name}' (valid: {', '.join(preset_names())})", field="preset"
        )
    rest = dict(overrides)
    pkg = preset.build(str(rest.pop("dataflows", DEFAULT_FAMILY)))
    return apply_overrides(pkg, **rest) if rest else pkg


__all__ = [
    "COMMON_OVERRIDES",
    "DATAFLOW_FAMILIES",
    "DEFAULT_FAMILY",
    "MONOLITHIC_OVERRIDES",
    "PresetInfo",
    "apply_overrides",
    "family_dataflow",
    "family_of",
    "get_preset",
    "list_presets",
    "monolithic_like",
    "preset_names",
]
