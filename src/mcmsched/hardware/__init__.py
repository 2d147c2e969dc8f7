"""Hardware: dataflows, chiplet classes, packages (MCMs), presets and YAML I/O."""

from mcmsched.hardware.chiplet import ChipletClass, EnergyTable
from mcmsched.hardware.dataflow import Dataflow, Directive, DirectiveKind, get_dataflow
from mcmsched.hardware.draw import draw_package
from mcmsched.hardware.package import (
    Chiplet,
    DRAMParams,
    NoPParams,
    Package,
    grid_chiplets,
    mesh_links,
    triangular_links,
)
from mcmsched.hardware.presets import (
    PresetInfo,
    apply_overrides,
    get_preset,
    list_presets,
    monolithic_like,
    preset_names,
)
from mcmsched.hardware.yaml_io import (
    load_package,
    package_from_dict,
    package_from_spec,
    package_to_dict,
    save_package,
)

__all__ = [
    "Chiplet",
    "ChipletClass",
    "DRAMParams",
    "Dataflow",
    "Directive",
    "DirectiveKind",
    "EnergyTable",
    "NoPParams",
    "Package",
    "PresetInfo",
    "apply_overrides",
    "draw_package",
    "get_dataflow",
    "get_preset",
    "grid_chiplets",
    "list_presets",
    "load_package",
    "mesh_links",
    "monolithic_like",
    "package_from_dict",
    "package_from_spec",
    "package_to_dict",
    "preset_names",
    "save_package",
    "triangular_links",
]
