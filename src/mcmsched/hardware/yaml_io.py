"""Package description files (YAML), validated with pydantic; the format is in docs/HARDWARE.md.

Two forms. A full description::

    name: het-sides
    topology: mesh                 # mesh (XY routing) | graph (shortest-path routing)
    classes:
      nvd: {dataflow: nvdla, n_pes: 4096, l2_bytes: 10 MiB}
      shi: {dataflow: shidiannao}
    layout:                        # rows top to bottom; ids are row-major
      - nvd shi nvd
      - nvd shi nvd
      - nvd shi nvd
    links: mesh                    # mesh (default) | triangular | [[a, b], ...]
    nop: {bw_gbps: 100, hop_latency_ns: 35, energy_pj_per_bit: 2.04}
    dram: {interfaces: sides, bw_gbps: 64, latency_ns: 200, energy_pj_per_bit: 14.8}

(or ``chiplets: [{class: nvd, row: 0, col: 0, dram: true}, ...]`` with explicit ``links``), and a
preset with overrides::

    preset: het-sides
    pes_per_chiplet: 256

Every mistake raises one :class:`MCMSchedError` naming the file, the field path (e.g.
``classes.nvd.n_pes``) and the reason; YAML syntax errors name the line and column.
"""

from __future__ import annotations

import re
import types
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from mcmsched.errors import MCMSchedError, excerpt
from mcmsched.hardware.chiplet import ChipletClass, EnergyTable
from mcmsched.hardware.dataflow import BUILTIN_DATAFLOWS, Dataflow, get_dataflow
from mcmsched.hardware.package import (
    Chiplet,
    DRAMParams,
    NoPParams,
    Package,
    grid_chiplets,
    mesh_links,
    triangular_links,
)
from mcmsched.hardware.presets import apply_overrides, get_preset, preset_names
from mcmsched.limits import (
    MAX_BUFFER_BYTES,
    Bandwidth,
    ClockHz,
    Energy,
    LatencyNs,
    NonNegFinite,
    Pes,
    PosFinite,
)
from mcmsched.safe_io import is_file as safe_is_file
from mcmsched.safe_io import load_yaml, read_text

# ---- pydantic models ------------------------------------------------------------------------

_UNITS = {
    "": 1,
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
}
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$")


def _parse_bytes(v: Any) -> Any:
    """Accept ``10485760`` or ``"10 MiB"`` / ``"8KiB"`` / ``"4 MB"`` for byte sizes."""
    if isinstance(v, str):
        m = _SIZE_RE.match(v)
        if not m or m.group(2).lower() not in _UNITS:
            raise ValueError(f"not a byte size: {v!r} (write e.g. 10485760 or '10 MiB')")
        value = float(m.group(1)) * _UNITS[m.group(2).lower()]
        if value != int(value):
            raise ValueError(f"not a whole number of bytes: {v!r}")
        return int(value)
    return v


Bytes = Annotated[int, BeforeValidator(_parse_bytes), Field(gt=0, le=MAX_BUFFER_BYTES, strict=True)]
PosInt = Annotated[int, Field(gt=0, strict=True)]
NonNegInt = Annotated[int, Field(ge=0, le=1 << 20, strict=True)]
PosFloat = PosFinite
NonNegFloat = NonNegFinite

_FORBID = ConfigDict(extra="forbid", populate_by_name=True)


class EnergyModel(BaseModel):
    """``classes.<name>.energy``: pJ per MAC and L1/L2 access multipliers (MAESTRO's)."""

    model_config = _FORBID
    mac_pj: Energy = EnergyTable().mac_pj
    l1_factor: Energy = EnergyTable().l1_factor
    l2_factor: Energy = EnergyTable().l2_factor


class DataflowModel(BaseModel):
    """A custom dataflow: ``{name, directives, description}`` (MAESTRO directive text)."""

    model_config = _FORBID
    name: str = Field(min_length=1)
    directives: str = Field(min_length=1)
    description: str = ""


class ClassModel(BaseModel):
    """``classes.<name>``: one chiplet class (SCAR Def. 2)."""

    model_config = _FORBID
    dataflow: Any  # built-in name / alias, directive text, or a DataflowModel mapping
    n_pes: Pes = 4096
    l1_bytes: Bytes = 8 * 1024
    l2_bytes: Bytes = 10 * 1024 * 1024
    noc_bw: Bandwidth = 256.0
    mem_bw: Bandwidth = 128.0
    clock_hz: ClockHz = 500e6
    energy: EnergyModel = Field(default_factory=EnergyModel)
    mapping: Literal["fixed", "searched"] = "fixed"
    objective: Literal["edp", "latency", "energy"] = "edp"


class ChipletModel(BaseModel):
    """One entry of ``chiplets``: class, grid position and DRAM interface flag."""

    model_config = _FORBID
    id: NonNegInt | None = None
    cls: str = Field(alias="class", min_length=1)
    row: NonNegInt
    col: NonNegInt
    dram: bool = False


class NoPModel(BaseModel):
    """``nop``: network-on-package link parameters (SCAR Table II defaults)."""

    model_config = _FORBID
    bw_gbps: Bandwidth = 100.0
    hop_latency_ns: LatencyNs = 35.0
    energy_pj_per_bit: Energy = 2.04


class DRAMModel(BaseModel):
    """``dram``: where the interfaces are (layout form only) and the DRAM parameters."""

    model_config = _FORBID
    interfaces: Any = None  # "sides" | "all" | [chiplet ids]; layout form only
    bw_gbps: Bandwidth = 64.0
    latency_ns: LatencyNs = 200.0
    energy_pj_per_bit: Energy = 14.8


class PackageModel(BaseModel):
    """A full package description."""

    model_config = _FORBID
    name: str | None = None
    description: str = ""
    topology: Literal["mesh", "graph"] = "mesh"
    classes: dict[str, ClassModel] = Field(min_length=1)
    layout: list[Any] | None = None
    chiplets: list[ChipletModel] | None = None
    links: Any = None
    nop: NoPModel = Field(default_factory=NoPModel)
    dram: DRAMModel = Field(default_factory=DRAMModel)


class PresetFileModel(BaseModel):
    """A preset plus overrides (the keyword arguments of :func:`get_preset`)."""

    model_config = _FORBID
    preset: str
    name: str | None = None
    pes_per_chiplet: Pes | None = None
    l1_bytes: Bytes | None = None
    l2_bytes: Bytes | None = None
    noc_bw: Bandwidth | None = None
    mem_bw: Bandwidth | None = None
    clock_hz: ClockHz | None = None
    nop_bw_gbps: Bandwidth | None = None
    nop_hop_latency_ns: LatencyNs | None = None
    nop_energy_pj_per_bit: Energy | None = None
    dram_bw_gbps: Bandwidth | None = None
    dram_latency_ns: LatencyNs | None = None
    dram_energy_pj_per_bit: Energy | None = None
    dataflows: Literal["maestro", "xrbench"] | None = None
    dataflow: str | None = None
    like: str | None = None


# ---- error translation ----------------------------------------------------------------------


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _unwrap(tp: Any) -> Any:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return args[0] if len(args) == 1 else tp
    return tp


def _model_at(root: type[BaseModel], loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The pydantic model that validates the value at ``loc`` (None if not a model)."""
    cur: Any = root
    for part in loc:
        cur = _unwrap(cur)
        origin = typing.get_origin(cur)
        if isinstance(cur, type) and issubclass(cur, BaseModel):
            nxt = None
            for fname, finfo in cur.model_fields.items():
                if part in (fname, finfo.alias):
                    nxt = finfo.annotation
            if nxt is None:
                return None
            cur = nxt
        elif origin is dict:
            cur = typing.get_args(cur)[1]
        elif origin is list:
            cur = typing.get_args(cur)[0]
        else:
            return None
    cur = _unwrap(cur)
    return cur if isinstance(cur, type) and issubclass(cur, BaseModel) else None


def _keys(model: type[BaseModel]) -> list[str]:
    return [f.alias or n for n, f in model.model_fields.items()]


def _from_validation(
    err: ValidationError, root: type[BaseModel], source: str | None, prefix: str = ""
) -> MCMSchedError:
    """One MCMSchedError for a pydantic error: the first problem's field path and reason, plus a
    count (and list) of the others."""

    def one(e: Any) -> tuple[str, str]:
        loc = tuple(e["loc"])
        field = _path(loc)
        if e["type"] == "extra_forbidden":
            parent = _model_at(root, loc[:-1])
            valid = f" (valid: {', '.join(_keys(parent))})" if parent else ""
            return field, f"unknown key '{loc[-1]}'{valid}"
        if e["type"] == "missing":
            return field, "required key is missing"
        msg = str(e["msg"])
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        return field, f"{msg}, got {excerpt(e['input'])}"

    errors = err.errors()
    field, reason = one(errors[0])
    if len(errors) > 1:
        rest = "; ".join(f"{f}: {r}" for f, r in (one(e) for e in errors[1:4]))
        more = f" ... ({len(errors) - 4} more)" if len(errors) > 4 else ""
        reason += f" (and {len(errors) - 1} more: {rest}{more})"
    full = f"{prefix}.{field}" if prefix and field else (prefix or field)
    return MCMSchedError(reason, file=source, field=full or None)


def _prefixed(err: MCMSchedError, prefix: str, source: str | None) -> MCMSchedError:
    field = f"{prefix}.{err.field}" if err.field else prefix
    return MCMSchedError(err.reason, file=err.file or source, field=field)


# ---- YAML text ------------------------------------------------------------------------------


def parse_yaml(text: str, source: str | None = None) -> Any:
    """Parse YAML text safely (:func:`mcmsched.safe_io.load_yaml`: nesting, alias and integer
    limits, unique scalar keys); a syntax error becomes an MCMSchedError naming the line and
    column."""
    return load_yaml(text, source)


class _Dumper(yaml.SafeDumper):
    """Writes lists of numbers (and lists of pairs) in flow style: ``[0, 1]``; layouts stay one
    row per line."""


def _represent_list(dumper: _Dumper, data: list[Any]) -> yaml.SequenceNode:
    flow = all(isinstance(x, int | float) for x in data) or all(
        isinstance(x, list) and all(isinstance(y, int | float) for y in x) for x in data
    )
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow and bool(data))


def _represent_dict(dumper: _Dumper, data: dict[Any, Any]) -> yaml.MappingNode:
    flow = bool(data) and all(not isinstance(v, dict | list) for v in data.values())
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=flow)


_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(dict, _represent_dict)


# ---- dict <-> Package -----------------------------------------------------------------------


def _dataflow_from(value: Any, cls_name: str, source: str | None) -> Dataflow:
    field = f"classes.{cls_name}.dataflow"
    if isinstance(value, str):
        text = value.strip()
        if "(" in text:  # directive text
            try:
                return Dataflow.parse(text, name=cls_name, source=source)
            except MCMSchedError as err:
                raise MCMSchedError(err.reason, file=source, field=field) from None
        try:
            return get_dataflow(text)
        except MCMSchedError as err:
            raise MCMSchedError(err.reason, file=source, field=field) from None
    if isinstance(value, dict):
        try:
            m = DataflowModel.model_validate(value)
        except ValidationError as err:
            raise _from_validation(err, DataflowModel, source, field) from None
        try:
            d = Dataflow.parse(m.directives, name=m.name, source=source)
        except MCMSchedError as err:
            raise MCMSchedError(err.reason, file=source, field=f"{field}.directives") from None
        return Dataflow(d.name, d.directives, m.description)
    raise MCMSchedError(
        f"must be a built-in dataflow name, directive text or a mapping with name and "
        f"directives, got {excerpt(value)}",
        file=source,
        field=field,
    )


def _layout_rows(layout: list[Any], source: str | None) -> list[list[str]]:
    rows: list[list[str]] = []
    for i, row in enumerate(layout):
        if isinstance(row, str):
            cells = row.split()
        elif isinstance(row, list) and all(isinstance(c, str) for c in row):
            cells = [c.strip() for c in row]
        else:
            raise MCMSchedError(
                f"a layout row is a string of class names ('nvd shi nvd') or a list of them, "
                f"got {excerpt(row)}",
                file=source,
                field=f"layout[{i}]",
            )
        if not cells:
            raise MCMSchedError("empty layout row", file=source, field=f"layout[{i}]")
        rows.append(cells)
    if not rows:
        raise MCMSchedError("layout has no rows", file=source, field="layout")
    return rows


def _links_from(
    value: Any, chiplets: list[Chiplet], grid: tuple[int, int] | None, source: str | None
) -> list[tuple[int, int]]:
    n = len(chiplets)
    if isinstance(value, str) or value is None:
        kind = value or "mesh"
        if grid is None:
            raise MCMSchedError(
                "with an explicit 'chiplets' list, 'links' must be a list of [a, b] pairs",
                file=source,
                field="links",
            )
        if kind == "mesh":
            return mesh_links(*grid)
        if kind == "triangular":
            return triangular_links(*grid)
        raise MCMSchedError(
            f"unknown link pattern '{kind}' (valid: mesh, triangular, or a list of [a, b] pairs)",
            file=source,
            field="links",
        )
    if not isinstance(value, list):
        raise MCMSchedError(
            f"must be 'mesh', 'triangular' or a list of [a, b] pairs, got {excerpt(value)}",
            file=source,
            field="links",
        )
    out: list[tuple[int, int]] = []
    seen: set[tuple[int, int]] = set()
    for i, lk in enumerate(value):
        ok = (
            isinstance(lk, list)
            and len(lk) == 2
            and all(isinstance(x, int) and not isinstance(x, bool) for x in lk)
        )
        if not ok:
            raise MCMSchedError(
                f"a link is a pair of chiplet ids [a, b], got {excerpt(lk)}",
                file=source,
                field=f"links[{i}]",
            )
        a, b = lk
        if not (0 <= a < n and 0 <= b < n):
            raise MCMSchedError(
                f"link [{a}, {b}] names a chiplet that does not exist (ids 0..{n - 1})",
                file=source,
                field=f"links[{i}]",
            )
        if a == b:
            raise MCMSchedError(
                f"link [{a}, {b}] joins a chiplet to itself", file=source, field=f"links[{i}]"
            )
        key = (min(a, b), max(a, b))
        if key in seen:
            raise MCMSchedError(f"duplicate link [{a}, {b}]", file=source, field=f"links[{i}]")
        seen.add(key)
        out.append(key)
    return out


def _package_from_model(m: PackageModel, source: str | None) -> Package:
    classes: dict[str, ChipletClass] = {}
    for cname, cm in m.classes.items():
        if not cname or any(ch.isspace() for ch in cname):
            raise MCMSchedError(
                f"class name {cname!r} must be non-empty without spaces",
                file=source,
                field=f"classes.{cname}",
            )
        df = _dataflow_from(cm.dataflow, cname, source)
        try:
            energy = EnergyTable(cm.energy.mac_pj, cm.energy.l1_factor, cm.energy.l2_factor)
            classes[cname] = ChipletClass(
                name=cname,
                dataflow=df,
                n_pes=cm.n_pes,
                l1_bytes=cm.l1_bytes,
                l2_bytes=cm.l2_bytes,
                noc_bw=cm.noc_bw,
                mem_bw=cm.mem_bw,
                clock_hz=cm.clock_hz,
                energy=energy,
                mapping=cm.mapping,
                objective=cm.objective,
            )
        except MCMSchedError as err:
            raise _prefixed(err, f"classes.{cname}", source) from None

    if (m.layout is None) == (m.chiplets is None):
        raise MCMSchedError(
            "give exactly one of 'layout' (a grid of class names) or 'chiplets' (a list)",
            file=source,
            field="layout" if m.layout is not None else None,
        )
    grid: tuple[int, int] | None = None
    if m.layout is not None:
        rows = _layout_rows(m.layout, source)
        for r, row in enumerate(rows):
            if len(row) != len(rows[0]):
                raise MCMSchedError(
                    f"layout rows must have equal length (row 0 has {len(rows[0])} chiplets, "
                    f"row {r} has {len(row)})",
                    file=source,
                    field=f"layout[{r}]",
                )
            for cname in row:
                if cname not in classes:
                    raise MCMSchedError(
                        f"unknown chiplet class '{cname}' (classes: {', '.join(classes)})",
                        file=source,
                        field=f"layout[{r}]",
                    )
        interfaces = m.dram.interfaces if m.dram.interfaces is not None else "sides"
        if not (
            isinstance(interfaces, str)
            or (
                isinstance(interfaces, list)
                and all(isinstance(i, int) and not isinstance(i, bool) for i in interfaces)
            )
        ):
            raise MCMSchedError(
                f"must be 'sides', 'all' or a list of chiplet ids, got {excerpt(interfaces)}",
                file=source,
                field="dram.interfaces",
            )
        try:
            chiplets = grid_chiplets(rows, interfaces)
        except MCMSchedError as err:
            raise MCMSchedError(err.reason, file=source, field=err.field) from None
        grid = (len(rows), len(rows[0]))
    else:
        assert m.chiplets is not None
        if m.dram.interfaces is not None:
            raise MCMSchedError(
                "with an explicit 'chiplets' list, mark DRAM interfaces with 'dram: true' on "
                "each chiplet",
                file=source,
                field="dram.interfaces",
            )
        chiplets = []
        for i, cm_ in enumerate(m.chiplets):
            if cm_.id is not None and cm_.id != i:
                raise MCMSchedError(
                    f"chiplet ids must be 0, 1, 2, ... in list order; entry {i} has id {cm_.id}",
                    file=source,
                    field=f"chiplets[{i}].id",
                )
            if cm_.cls not in classes:
                raise MCMSchedError(
                    f"unknown chiplet class '{cm_.cls}' (classes: {', '.join(classes)})",
                    file=source,
                    field=f"chiplets[{i}].class",
                )
            chiplets.append(Chiplet(i, cm_.cls, cm_.row, cm_.col, cm_.dram))
    if not any(c.dram_interface for c in chiplets):
        raise MCMSchedError(
            "no chiplet has a DRAM interface (the package could not reach memory)",
            file=source,
            field="dram.interfaces" if grid is not None else "chiplets",
        )
    links = _links_from(m.links, chiplets, grid, source)
    if m.topology == "mesh":
        for i, (a, b) in enumerate(links):
            ca, cb = chiplets[a], chiplets[b]
            if abs(ca.row - cb.row) + abs(ca.col - cb.col) != 1:
                where = f"links[{i}]" if isinstance(m.links, list) else "links"
                raise MCMSchedError(
                    f"mesh link [{a}, {b}] joins chiplets at ({ca.row}, {ca.col}) and "
                    f"({cb.row}, {cb.col}), which are not grid neighbours (use topology: graph "
                    "for other links)",
                    file=source,
                    field=where,
                )
    name = m.name or (Path(source).stem if source else "package")
    try:
        return Package(
            name=name,
            classes=classes,
            chiplets=tuple(chiplets),
            links=tuple(links),
            topology=m.topology,
            nop=NoPParams(m.nop.bw_gbps, m.nop.hop_latency_ns, m.nop.energy_pj_per_bit),
            dram=DRAMParams(m.dram.bw_gbps, m.dram.latency_ns, m.dram.energy_pj_per_bit),
            description=m.description,
        )
    except MCMSchedError as err:
        raise err.with_file(source) if source else err from None


def package_from_dict(d: Any, source: str | None = None) -> Package:
    """A Package from a parsed description (full form, or ``preset:`` plus overrides).
    ``source`` names the file in error messages."""
    if not isinstance(d, dict):
        raise MCMSchedError(
            f"a package description must be a mapping of keys, got {type(d).__name__}",
            file=source,
        )
    if "preset" in d:
        try:
            pm = PresetFileModel.model_validate(d)
        except ValidationError as err:
            raise _from_validation(err, PresetFileModel, source) from None
        overrides = pm.model_dump(exclude_none=True)
        preset = overrides.pop("preset")
        try:
            return get_preset(preset, **overrides)
        except MCMSchedError as err:
            raise MCMSchedError(err.reason, file=source, field=err.field) from None
    try:
        model = PackageModel.model_validate(d)
    except ValidationError as err:
        raise _from_validation(err, PackageModel, source) from None
    return _package_from_model(model, source)


def load_package(path: str | Path) -> Package:
    """Read and validate a package YAML file."""
    p = Path(path)
    return package_from_dict(parse_yaml(read_text(p), str(p)), str(p))


def package_from_spec(spec: str | Path, /, **overrides: Any) -> Package:
    """A package from a preset name or a YAML file path (a path that exists, or any name ending
    in ``.yaml`` / ``.yml``), with optional preset overrides (for a file: applied to every class,
    see :func:`mcmsched.hardware.presets.apply_overrides`)."""
    p = Path(spec)
    if p.suffix.lower() in (".yaml", ".yml") or safe_is_file(p):
        pkg = load_package(p)
        if overrides:
            try:
                pkg = apply_overrides(pkg, **overrides)
            except MCMSchedError as err:
                raise MCMSchedError(err.reason, file=str(p), field=err.field) from None
        return pkg
    name = str(spec)
    if name not in preset_names():
        raise MCMSchedError(
            f"{excerpt(name, 40)} is neither a preset nor a YAML file "
            f"(presets: {', '.join(preset_names())})"
        )
    return get_preset(name, **overrides)


def _dataflow_to(df: Dataflow) -> Any:
    if BUILTIN_DATAFLOWS.get(df.name) == df:
        return df.name
    out: dict[str, Any] = {"name": df.name, "directives": " ".join(str(d) for d in df.directives)}
    if df.description:
        out["description"] = df.description
    return out


def _grid_of(pkg: Package) -> tuple[int, int] | None:
    """(rows, cols) if the chiplets fill a grid in row-major id order, else None."""
    rows, cols = pkg.grid_shape
    if len(pkg.chiplets) != rows * cols:
        return None
    for c in pkg.chiplets:
        if c.id != c.row * cols + c.col:
            return None
    if any(any(ch.isspace() for ch in n) or not n for n in pkg.classes):
        return None
    return rows, cols


def package_to_dict(pkg: Package) -> dict[str, Any]:
    """The full-form description of ``pkg`` (plain dicts, lists and scalars)."""
    d: dict[str, Any] = {"name": pkg.name}
    if pkg.description:
        d["description"] = pkg.description
    d["topology"] = pkg.topology
    classes: dict[str, Any] = {}
    for name, c in pkg.classes.items():
        classes[name] = {
            "dataflow": _dataflow_to(c.dataflow),
            "n_pes": c.n_pes,
            "l1_bytes": c.l1_bytes,
            "l2_bytes": c.l2_bytes,
            "noc_bw": float(c.noc_bw),
            "mem_bw": float(c.mem_bw),
            "clock_hz": float(c.clock_hz),
            "energy": {
                "mac_pj": float(c.energy.mac_pj),
                "l1_factor": float(c.energy.l1_factor),
                "l2_factor": float(c.energy.l2_factor),
            },
            "mapping": c.mapping,
            "objective": c.objective,
        }
    d["classes"] = classes
    dram: dict[str, Any] = {}
    grid = _grid_of(pkg)
    links = [tuple(lk) for lk in pkg.links]  # keep the order: Package equality sees it
    if grid is not None:
        rows, cols = grid
        d["layout"] = [
            " ".join(pkg.chiplets[r * cols + c].cls for c in range(cols)) for r in range(rows)
        ]
        if links == mesh_links(rows, cols):
            d["links"] = "mesh"
        elif links == triangular_links(rows, cols):
            d["links"] = "triangular"
        else:
            d["links"] = [list(lk) for lk in links]
        flags = [c.dram_interface for c in pkg.chiplets]
        if flags == [c.col in (0, cols - 1) for c in pkg.chiplets]:
            dram["interfaces"] = "sides"
        elif all(flags):
            dram["interfaces"] = "all"
        else:
            dram["interfaces"] = [c.id for c in pkg.chiplets if c.dram_interface]
    else:
        d["chiplets"] = [
            {"id": c.id, "class": c.cls, "row": c.row, "col": c.col, "dram": c.dram_interface}
            for c in pkg.chiplets
        ]
        d["links"] = [list(lk) for lk in links]
    d["nop"] = {
        "bw_gbps": float(pkg.nop.bw_gbps),
        "hop_latency_ns": float(pkg.nop.hop_latency_ns),
        "energy_pj_per_bit": float(pkg.nop.energy_pj_per_bit),
    }
    dram.update(
        bw_gbps=float(pkg.dram.bw_gbps),
        latency_ns=float(pkg.dram.latency_ns),
        energy_pj_per_bit=float(pkg.dram.energy_pj_per_bit),
    )
    d["dram"] = dram
    return d


def dump_package(pkg: Package) -> str:
    """The YAML text of ``pkg`` (what :func:`save_package` writes)."""
    header = "# mcmsched package description (format: docs/HARDWARE.md)\n"
    body: str = yaml.dump(
        package_to_dict(pkg), Dumper=_Dumper, sort_keys=False, width=100, allow_unicode=True
    )
    return header + body


def save_package(pkg: Package, path: str | Path) -> None:
    """Write ``pkg`` as YAML; :func:`load_package` reads back an equal Package."""
    p = Path(path)
    try:
        p.write_text(dump_package(pkg), encoding="utf-8")
    except OSError as err:
        raise MCMSchedError(f"cannot write file: {err.strerror or err}", file=str(p)) from None


__all__ = [
    "PackageModel",
    "PresetFileModel",
    "dump_package",
    "load_package",
    "package_from_dict",
    "package_from_spec",
    "package_to_dict",
    "parse_yaml",
    "save_package",
]
