"""Hardware: dataflows, chiplet classes, packages (MCMs), presets and YAML I/O."""

from mcmsched.hardware.chiplet import ChipletClass, EnergyTable
from mcmsched.hardware.dataflow import Dataflow, Directive, DirectiveKind, get_dataflow
from mcmsched.hardware.package import Chiplet, DRAMParams, NoPParams, Package

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
    "get_dataflow",
]
