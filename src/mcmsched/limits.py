"""Validated numbers: finite, range-checked, with upper limits that keep run time bounded.

Every number a user gives (scenario, package and sweep files, CLI options, preset overrides,
imported models) is checked twice: by the pydantic types below where a file is read (so the error
names the file and key), and by :func:`check_number` in the data objects themselves
(``ChipletClass``, ``EnergyTable``, ``NoPParams``, ``DRAMParams``, ``ScenarioModel``, ``Layer``),
so no path around a file (a preset override, a sweep grid value, an API call) skips the check.

Rules: a boolean is never a number (``energy_pj_per_bit: false`` is refused, not read as 0);
floats must be finite (``.inf`` / ``.nan`` refused); each quantity has a stated range
(:data:`LIMITS`), whose upper ends are far beyond any real design but keep the cost model's
integer arithmetic exact and the search's loops short (e.g. a batch of 10^9 would enumerate
mini-batch sizes for minutes; it is refused at once with the limit in the message).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from mcmsched.errors import MCMSchedError, excerpt


@dataclass(frozen=True)
class Limit:
    """A closed or half-open range ``[lo, hi]`` (``lo_open``: ``lo < v``); ``integer``: the
    value must be an ``int``; ``unit`` is named in messages."""

    lo: float
    hi: float
    lo_open: bool = False
    integer: bool = False
    unit: str = ""


#: Most samples of one model in a scenario.
MAX_BATCH = 1 << 16
#: Most PEs of one chiplet class.
MAX_PES = 1 << 22
#: Largest buffer (bytes): 1 TiB.
MAX_BUFFER_BYTES = 1 << 40
#: Largest layer dimension (elements) and the largest MAC count of one layer.
MAX_LAYER_DIM = 1 << 24
MAX_LAYER_MACS = 1 << 53
#: Largest seed (numpy generators take 64-bit seeds).
MAX_SEED = (1 << 63) - 1

#: Ranges by quantity name (the name used in the data objects and files).
LIMITS: dict[str, Limit] = {
    "batch": Limit(1, MAX_BATCH, integer=True),
    "n_pes": Limit(1, MAX_PES, integer=True),
    "pes_per_chiplet": Limit(1, MAX_PES, integer=True),
    "l1_bytes": Limit(1, MAX_BUFFER_BYTES, integer=True, unit="bytes"),
    "l2_bytes": Limit(1, MAX_BUFFER_BYTES, integer=True, unit="bytes"),
    "noc_bw": Limit(0, 1e9, lo_open=True, unit="elements/cycle"),
    "mem_bw": Limit(0, 1e9, lo_open=True, unit="elements/cycle"),
    "clock_hz": Limit(0, 1e12, lo_open=True, unit="Hz"),
    "bw_gbps": Limit(0, 1e9, lo_open=True, unit="GB/s"),
    "hop_latency_ns": Limit(0, 1e9, unit="ns"),
    "latency_ns": Limit(0, 1e9, unit="ns"),
    "energy_pj_per_bit": Limit(0, 1e6, unit="pJ/bit"),
    "mac_pj": Limit(0, 1e6, unit="pJ"),
    "l1_factor": Limit(0, 1e6),
    "l2_factor": Limit(0, 1e6),
    "latency_target_s": Limit(0, 1e9, lo_open=True, unit="s"),
    "seed": Limit(0, MAX_SEED, integer=True),
    "layer_dim": Limit(1, MAX_LAYER_DIM, integer=True, unit="elements"),
}


def _range_text(lim: Limit) -> str:
    lo = f"> {lim.lo:g}" if lim.lo_open else f">= {lim.lo:g}"
    unit = f" {lim.unit}" if lim.unit else ""
    return f"{lo} and <= {lim.hi:g}{unit}"


def check_number(value: Any, name: str, *, what: str = "", limit: Limit | None = None) -> None:
    """Raise :class:`MCMSchedError` (field ``name``) unless ``value`` is a finite number in the
    range of :data:`LIMITS` ``[name]`` (or ``limit``). Booleans are not numbers."""
    lim = limit or LIMITS[name]
    prefix = f"{what}: " if what else ""
    kind = "an integer" if lim.integer else "a number"
    ok_type = isinstance(value, int) if lim.integer else isinstance(value, int | float)
    if isinstance(value, bool) or not ok_type:
        raise MCMSchedError(
            f"{prefix}must be {kind} {_range_text(lim)}, got {excerpt(value)}", field=name
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise MCMSchedError(f"{prefix}must be finite, got {value}", field=name)
    too_low = value <= lim.lo if lim.lo_open else value < lim.lo
    if too_low or value > lim.hi:
        raise MCMSchedError(f"{prefix}must be {_range_text(lim)}, got {excerpt(value)}", field=name)


# ---- pydantic types -------------------------------------------------------------------------


def _no_bool(v: Any) -> Any:
    if isinstance(v, bool):
        raise ValueError("a boolean is not a number")
    return v


_NoBool = BeforeValidator(_no_bool)


def _batch_value(v: Any) -> Any:
    """A batch written as ``1e9`` (YAML reads it as text) or ``1.0e30`` is refused with the limit
    in the message, at once."""
    if isinstance(v, (bool, int)):
        return v
    try:
        f = float(v)
    except (TypeError, ValueError, OverflowError):
        return v  # the strict int check reports it
    if not math.isfinite(f) or f > MAX_BATCH:
        raise ValueError(f"a batch is at most {MAX_BATCH:,} samples")
    if f != int(f):
        raise ValueError("a batch is a whole number of samples")
    return v


#: ``batch``: 1 .. MAX_BATCH samples.
Batch = Annotated[int, BeforeValidator(_batch_value), Field(gt=0, le=MAX_BATCH, strict=True)]
#: ``n_pes`` / ``pes_per_chiplet``: 1 .. MAX_PES.
Pes = Annotated[int, Field(gt=0, le=MAX_PES, strict=True)]
#: A seed: 0 .. 2^63 - 1.
Seed = Annotated[int, Field(ge=0, le=MAX_SEED, strict=True)]
#: Bandwidths in elements/cycle or GB/s: finite, > 0, <= 1e9.
Bandwidth = Annotated[float, _NoBool, Field(gt=0, le=1e9, allow_inf_nan=False)]
#: Clock (Hz): finite, > 0, <= 1e12.
ClockHz = Annotated[float, _NoBool, Field(gt=0, le=1e12, allow_inf_nan=False)]
#: Latencies in ns: finite, 0 .. 1e9 (one second).
LatencyNs = Annotated[float, _NoBool, Field(ge=0, le=1e9, allow_inf_nan=False)]
#: Energies (pJ, pJ/bit) and energy factors: finite, 0 .. 1e6.
Energy = Annotated[float, _NoBool, Field(ge=0, le=1e6, allow_inf_nan=False)]
#: Seconds (latency targets): finite, > 0, <= 1e9.
Seconds = Annotated[float, _NoBool, Field(gt=0, le=1e9, allow_inf_nan=False)]
#: A finite positive float (<= 1e12): generic.
PosFinite = Annotated[float, _NoBool, Field(gt=0, le=1e12, allow_inf_nan=False)]
#: A finite non-negative float (<= 1e12): generic.
NonNegFinite = Annotated[float, _NoBool, Field(ge=0, le=1e12, allow_inf_nan=False)]
#: A small option integer (search options, zoo options): 0 .. 2^20.
OptionInt = Annotated[int, Field(ge=0, le=1 << 20, strict=True)]

__all__ = [
    "LIMITS",
    "MAX_BATCH",
    "MAX_LAYER_DIM",
    "MAX_LAYER_MACS",
    "MAX_PES",
    "Bandwidth",
    "Batch",
    "ClockHz",
    "Energy",
    "LatencyNs",
    "Limit",
    "NonNegFinite",
    "OptionInt",
    "Pes",
    "PosFinite",
    "Seconds",
    "Seed",
    "check_number",
]
