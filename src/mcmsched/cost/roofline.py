"""Roofline lower bound of a layer on a chiplet class (independent of the mapping).

For the problem the analysis sees (:func:`mcmsched.cost.analysis.to_problem`, times its
``repeats`` groups/heads), with ``MACs`` its multiply-accumulates, ``I``, ``W``, ``O`` the
elements of its input, second operand (weights) and output tensors:

- compute: ``MACs / (PEs x SIMD lanes)`` cycles,
- NoC (L2 <-> PEs, ``noc_bw`` elements/cycle): every input and weight element crosses the NoC
  into the PEs at least once and every output element back; the analysis overlaps ingress and
  egress (a step lasts the longer of the two), so ``max(I + W, O) / noc_bw``,
- memory (the chiplet's L2 <-> outside, ``mem_bw`` elements/cycle, MAESTRO's ``offchip_bw``):
  the same tensors cross the chiplet boundary at least once, ``max(I + W, O) / mem_bw``.

Bandwidths are rounded down to whole elements per cycle (at least 1), as the analysis does
(:func:`mcmsched.cost.analysis.hardware_of`). The bound is the maximum of the three and the
``bound`` label names the one that holds (``compute``, ``noc`` or ``memory``).
"""

from __future__ import annotations

import numpy as np

from mcmsched.cost.analysis import hardware_of, to_problem
from mcmsched.cost.directives_analysis import Problem
from mcmsched.hardware.chiplet import ChipletClass
from mcmsched.workload.layer import Layer

BOUNDS = ("compute", "noc", "memory")


def problem_counts(p: Problem, repeats: int) -> tuple[int, int, int, int]:
    """``(MACs, input, weight, output elements)`` of the analysed problem times ``repeats``
    (output rows/columns with the stride; MAESTRO's view: Y/X include padding)."""
    d = dict(p.dims)
    oy = (d["Y"] - d["R"]) // p.stride_y + 1
    ox = (d["X"] - d["S"]) // p.stride_x + 1
    n, c, r, s = d["N"], d["C"], d["R"], d["S"]
    k = 1 if p.depthwise else d["K"]
    ch_out = c if p.depthwise else k
    macs = n * ch_out * (1 if p.depthwise else c) * r * s * oy * ox
    inp = n * c * d["Y"] * d["X"]
    wgt = (c if p.depthwise else k * c) * r * s
    out = n * ch_out * oy * ox
    return macs * repeats, inp * repeats, wgt * repeats, out * repeats


def roofline(layers: list[Layer], cls: ChipletClass) -> tuple[np.ndarray, np.ndarray]:
    """``(bound cycles, which bound)`` per layer on ``cls`` (float array, object array of
    :data:`BOUNDS` labels)."""
    hw = hardware_of(cls)
    n = len(layers)
    comp = np.zeros(n)
    noc = np.zeros(n)
    mem = np.zeros(n)
    for i, ly in enumerate(layers):
        p, g = to_problem(ly)
        macs, inp, wgt, out = problem_counts(p, g)
        traffic = max(inp + wgt, out)
        comp[i] = macs / (hw.n_pes * hw.simd_lanes)
        noc[i] = traffic / hw.noc_bw
        mem[i] = traffic / hw.offchip_bw
    stack = np.stack([comp, noc, mem])
    which = np.array(BOUNDS, dtype=object)[np.argmax(stack, axis=0)]
    return stack.max(axis=0), which
