"""ONNX graphs -> :class:`~mcmsched.workload.model.Model` (needs ``pip install mcmsched[onnx]``).

Only shapes are read (``onnx.shape_inference``); weight values and external data are never loaded.
Graph inputs with symbolic or unknown dimensions (e.g. a batch ``N``) get 1, unless
``input_shapes`` gives them.

Mapping of ONNX operators to layers (dimensions per :mod:`mcmsched.workload.layer`):

- ``Conv`` (2-D; 1-D as a 1 x L image) -> ``CONV`` with ``groups`` from the attribute, or
  ``DWCONV`` when ``group == C == K > 1``. Explicit ``pads`` (or ``auto_pad`` SAME_*) are added to
  the input size ``Y``/``X``; a dilated convolution gets ``Y = (out - 1) * stride + R`` so that the
  output size and MAC count are right (the IR has no dilation).
- ``ConvTranspose`` -> ``TRCONV`` with the input size as ``Y``/``X`` and ``K = W.shape[1] * group``.
- ``Gemm``, and ``MatMul`` with a constant operand (an initializer, or anything computed only from
  constants, such as a transposed weight) -> ``GEMM`` with ``Y`` = rows (all leading dimensions of
  the activation folded in), ``X = 1``, ``C`` = inner size, ``K`` = columns.
- ``MatMul``/``Gemm`` of two activations -> ``MATMUL``: for operands ``[..., H, M, k]`` and
  ``[..., H, k, n]`` the dimension just before the matrix (``H``, attention heads) becomes
  ``groups``, any earlier ones multiply into ``N``; a rank-3 batched product uses its batch as
  ``groups``.
- ``Add``, ``Sum``, ``Mul`` of exactly two activations of equal shape -> ``ELTWISE`` (residual adds)
  when ``include_eltwise`` is true (default). The channel dimension is axis 1 of a rank-4 tensor
  and the last axis otherwise. Element-wise ops with a constant or broadcast operand (bias adds,
  scaling) are skipped.
- Everything else (activations, normalisation, pooling, reshapes, softmax, ...) is skipped, but the
  dependency edges pass through it: a layer depends on every compute layer whose output reaches
  one of its inputs through skipped operators only.

Layers are in a topological order of the graph; names are the node names (or ``op_index``), made
unique with ``_2``, ``_3`` suffixes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mcmsched.errors import MCMSchedError
from mcmsched.workload.importers._common import conv_layer, dilated_extent, eltwise_layer
from mcmsched.workload.layer import Layer, OpKind
from mcmsched.workload.model import Model

__all__ = ["load_onnx"]

_ELTWISE_OPS = ("Add", "Sum", "Mul")
#: Most nodes an ONNX graph may have.
MAX_NODES = 200_000
#: Largest tensor dimension accepted from a graph (elements).
MAX_DIM = 2**31


def _check_ints(values: Sequence[Any], what: str, *, low: int, count: int | None = None) -> None:
    """Refuse an attribute whose values are not integers >= ``low`` (or not ``count`` of them)."""
    if count is not None and len(values) != count:
        raise MCMSchedError(f"'{what}' needs {count} values, got {len(values)}")
    for v in values:
        if not isinstance(v, int) or v < low or v > MAX_DIM:
            raise MCMSchedError(
                f"'{what}' values must be integers >= {low}, got {list(values)[:8]}"
            )


def _check_shape(shape: Sequence[int], what: str) -> None:
    if any(d > MAX_DIM for d in shape):
        raise MCMSchedError(f"{what} has a dimension larger than {MAX_DIM:,}: {list(shape)[:8]}")


def _import_onnx() -> Any:
    try:
        import onnx
        import onnx.shape_inference
    except ImportError:
        raise MCMSchedError(
            "reading ONNX files needs the 'onnx' package: pip install mcmsched[onnx]"
        ) from None
    return onnx


def _attrs(node: Any, onnx: Any) -> dict[str, Any]:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _dims(type_proto: Any) -> list[int] | None:
    if not type_proto.HasField("tensor_type") or not type_proto.tensor_type.HasField("shape"):
        return None
    out = []
    for d in type_proto.tensor_type.shape.dim:
        out.append(d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else 1)
    return out


def load_onnx(
    path: str | Path,
    *,
    name: str | None = None,
    input_shapes: dict[str, list[int]] | None = None,
    include_eltwise: bool = True,
) -> Model:
    """Read an ONNX model file into a :class:`Model` (see the module docstring for the mapping).

    ``input_shapes`` overrides the shapes of named graph inputs (e.g. ``{"x": [1, 3, 224, 224]}``);
    ``include_eltwise`` keeps residual adds as ``ELTWISE`` layers. Raises :class:`MCMSchedError`
    for a missing or malformed file, an unknown input name, or a compute node whose shapes cannot
    be inferred."""
    onnx = _import_onnx()
    p = Path(path)
    source = str(p)
    from mcmsched.safe_io import MAX_BINARY_BYTES, read_bytes

    data = read_bytes(p, max_bytes=MAX_BINARY_BYTES)
    try:
        proto = onnx.load_model_from_string(data)
    except Exception as err:  # protobuf DecodeError and friends
        raise MCMSchedError(
            f"not a valid ONNX model ({type(err).__name__}: {err})", file=source
        ) from None
    if len(proto.graph.node) == 0:
        raise MCMSchedError("not a valid ONNX model (the graph has no nodes)", file=source)
    if len(proto.graph.node) > MAX_NODES:
        raise MCMSchedError(
            f"the graph has {len(proto.graph.node):,} nodes (limit {MAX_NODES:,})", file=source
        )
    return _convert(
        onnx, proto, name or proto.graph.name or p.stem, source, input_shapes, include_eltwise
    )


def _convert(
    onnx: Any,
    proto: Any,
    name: str,
    source: str,
    input_shapes: dict[str, list[int]] | None,
    include_eltwise: bool,
) -> Model:
    graph = proto.graph
    initializers = {t.name for t in graph.initializer}
    graph_inputs = {i.name: i for i in graph.input}
    # concrete input shapes: overrides, symbolic dims -> 1
    for in_name, shape in (input_shapes or {}).items():
        if in_name not in graph_inputs:
            valid = ", ".join(n for n in graph_inputs if n not in initializers)
            raise MCMSchedError(
                f"no graph input named '{in_name}' (inputs: {valid})",
                file=source,
                field="input_shapes",
            )
        if not shape or any((not isinstance(d, int)) or d <= 0 for d in shape):
            raise MCMSchedError(
                f"input '{in_name}': shape must be positive integers, got {shape!r}",
                file=source,
                field="input_shapes",
            )
    for inp in graph.input:
        if inp.name in initializers or not inp.type.HasField("tensor_type"):
            continue
        tt = inp.type.tensor_type
        if input_shapes and inp.name in input_shapes:
            tt.ClearField("shape")
            for d in input_shapes[inp.name]:
                tt.shape.dim.add().dim_value = int(d)
        elif tt.HasField("shape"):
            for d in tt.shape.dim:
                if not (d.HasField("dim_value") and d.dim_value > 0):
                    d.Clear()
                    d.dim_value = 1
    try:
        inferred = onnx.shape_inference.infer_shapes(proto, strict_mode=False, data_prop=True)
    except Exception as err:
        raise MCMSchedError(f"ONNX shape inference failed: {err}", file=source) from None
    g = inferred.graph
    shapes: dict[str, list[int] | None] = {}
    for vi in list(g.input) + list(g.value_info) + list(g.output):
        shapes[vi.name] = _dims(vi.type)
    for t in g.initializer:
        shapes[t.name] = [int(d) for d in t.dims]

    nodes = _topological(list(g.node), {i.name for i in g.input} | initializers, source)

    # constant tensors: initializers and anything computed from constants only
    constant: set[str] = set(initializers)
    for node in nodes:
        ins = [i for i in node.input if i]
        if all(i in constant for i in ins):
            constant.update(o for o in node.output if o)

    producers: dict[str, frozenset[int]] = {}
    layers: list[Layer] = []
    edges: set[tuple[int, int]] = set()
    used: set[str] = set()

    def shape_of(tensor: str, node: Any) -> list[int]:
        s = shapes.get(tensor)
        if s is None:
            raise MCMSchedError(
                f"node '{node.name or node.op_type}' ({node.op_type}): the shape of '{tensor}' "
                "could not be inferred (give input_shapes?)",
                file=source,
            )
        return s

    for idx, node in enumerate(nodes):
        ins = [i for i in node.input if i]
        deps: set[int] = set()
        for i in ins:
            deps |= producers.get(i, frozenset())
        layer: Layer | None = None
        if node.op_type in ("Conv", "ConvTranspose", "Gemm", "MatMul") or (
            include_eltwise and node.op_type in _ELTWISE_OPS
        ):
            base = node.name or f"{node.op_type}_{idx}"
            unique = base
            k = 2
            while unique in used:
                unique = f"{base}_{k}"
                k += 1
            try:
                layer = _layer_for(onnx, node, unique, ins, constant, shape_of)
            except MCMSchedError as err:
                if err.file:
                    raise
                raise MCMSchedError(
                    f"node '{base}' ({node.op_type}): {err.reason}", file=source, field=err.field
                ) from None
        if layer is not None:
            used.add(layer.name)
            me = len(layers)
            layers.append(layer)
            edges.update((d, me) for d in deps)
            out_prod = frozenset({me})
        else:
            out_prod = frozenset(deps)
        for o in node.output:
            if o:
                producers[o] = out_prod
    if not layers:
        raise MCMSchedError(
            "the graph has no compute layers (Conv, ConvTranspose, Gemm, MatMul)", file=source
        )
    return Model(name=name, layers=tuple(layers), edges=tuple(sorted(edges)), source=source)


def _topological(nodes: list[Any], available: set[str], source: str) -> list[Any]:
    """Stable topological order (ONNX requires one, but be tolerant of unsorted files)."""
    ready = set(available)
    pending = list(nodes)
    out: list[Any] = []
    while pending:
        rest = []
        progressed = False
        for node in pending:
            if all((not i) or i in ready for i in node.input):
                out.append(node)
                ready.update(node.output)
                progressed = True
            else:
                rest.append(node)
        if not progressed:
            missing = sorted({i for n in rest for i in n.input if i and i not in ready})
            raise MCMSchedError(
                f"the graph is not a DAG or uses undefined tensors: {', '.join(missing[:5])}",
                file=source,
            )
        pending = rest
    return out


def _layer_for(
    onnx: Any,
    node: Any,
    name: str,
    ins: Sequence[str],
    constant: set[str],
    shape_of: Any,
) -> Layer | None:
    op = node.op_type
    at = _attrs(node, onnx)
    if op in ("Conv", "ConvTranspose"):
        return _conv(node, name, op, at, ins, shape_of)
    if op in ("Gemm", "MatMul"):
        return _matmul(node, name, op, at, ins, constant, shape_of)
    # element-wise
    if len(ins) != 2 or ins[0] in constant or ins[1] in constant:
        return None
    a, b = shape_of(ins[0], node), shape_of(ins[1], node)
    if a != b or not a:
        return None
    return eltwise_layer(name, a)


def _conv(
    node: Any, name: str, op: str, at: dict[str, Any], ins: Sequence[str], shape_of: Any
) -> Layer:
    if len(ins) < 2:
        raise MCMSchedError("needs an input and a weight")
    xs, ws = shape_of(ins[0], node), shape_of(ins[1], node)
    rank = len(xs) - 2
    if rank not in (1, 2) or len(ws) != len(xs):
        raise MCMSchedError(f"only 1-D and 2-D convolutions are supported (input shape {xs})")
    if rank == 1:  # a 1 x L image
        xs = [xs[0], xs[1], 1, xs[2]]
        ws = [ws[0], ws[1], 1, ws[2]]
    _check_shape(xs, "input")
    _check_shape(ws, "weight")
    n, c, h, w = xs
    kh, kw = ws[2], ws[3]
    g = at.get("group", 1)
    _check_ints([g], "group", low=1)
    for key in ("strides", "dilations"):
        if key in at:
            _check_ints(list(at[key]), key, low=1, count=rank)
    if "pads" in at:
        _check_ints(list(at["pads"]), "pads", low=0, count=2 * rank)
    if op == "Conv" and (c % g or ws[1] * g != c):
        raise MCMSchedError(f"weight shape {ws} does not match {c} input channels in {g} group(s)")

    def pair(key: str, default: int) -> list[int]:
        v = [int(t) for t in at.get(key, [default] * rank)]
        return [default, *v] if rank == 1 else v

    strides, dil = pair("strides", 1), pair("dilations", 1)
    transposed = op == "ConvTranspose"
    if transposed:
        k, padded = ws[1] * g, [h, w]
    else:
        k = ws[0]
        pads = [int(t) for t in at.get("pads", [0] * (2 * rank))]
        if rank == 1:
            pads = [0, pads[0], 0, pads[1]]
        auto = at.get("auto_pad", b"NOTSET")
        auto = auto.decode() if isinstance(auto, bytes) else str(auto)
        padded = []
        for ax, (size, kern) in enumerate(((h, kh), (w, kw))):
            eff_k = (kern - 1) * dil[ax] + 1
            if auto in ("SAME_UPPER", "SAME_LOWER"):
                out = -(-size // strides[ax])
                total = max((out - 1) * strides[ax] + eff_k - size, 0)
            elif auto == "VALID":
                total = 0
            else:
                total = pads[ax] + pads[ax + 2]
            padded.append(dilated_extent(size + total, kern, dil[ax], strides[ax]))
    return conv_layer(
        name,
        transposed=transposed,
        out_channels=k,
        in_channels=c,
        y=padded[0],
        x=padded[1],
        kernel=(kh, kw),
        stride=(strides[0], strides[1]),
        groups=g,
        batch=n,
    )


def _matmul(
    node: Any,
    name: str,
    op: str,
    at: dict[str, Any],
    ins: Sequence[str],
    constant: set[str],
    shape_of: Any,
) -> Layer | None:
    if len(ins) < 2:
        raise MCMSchedError("needs two operands")
    a, b = list(shape_of(ins[0], node)), list(shape_of(ins[1], node))
    a_const, b_const = ins[0] in constant, ins[1] in constant
    if a_const and b_const:
        return None  # folded at export time; no runtime work
    if op == "Gemm":
        if at.get("transA", 0):
            a = a[::-1]
        if at.get("transB", 0):
            b = b[::-1]
    if not a or not b:
        raise MCMSchedError(f"operands must have rank >= 1, got shapes {a} and {b}")
    _check_shape(a, "operand A")
    _check_shape(b, "operand B")
    if op == "Gemm" and (len(a) != 2 or len(b) != 2):
        raise MCMSchedError(f"Gemm operands must be 2-D, got shapes {a} and {b}")
    if len(a) == 1:
        a = [1, *a]
    if len(b) == 1:
        b = [*b, 1]
    if a[-1] != b[-2]:
        raise MCMSchedError(
            f"inner dimensions do not match: A {a} has {a[-1]} columns, B {b} has {b[-2]} rows"
        )
    m, k_in = math.prod(a[:-1]) if b_const else a[-2], a[-1]
    n_out = b[-1]
    if b_const:
        return Layer(name, OpKind.GEMM, K=n_out, C=k_in, Y=m, X=1)
    if a_const:  # weight x activation: the activation's columns are the rows of the result
        return Layer(name, OpKind.GEMM, K=a[-2], C=k_in, Y=math.prod(b[:-2]) * b[-1], X=1)
    batch = a[:-2] if len(a) >= len(b) else b[:-2]
    heads, n = 1, 1
    if len(batch) == 1:
        heads = batch[0]
    elif len(batch) >= 2:
        heads, n = batch[-1], math.prod(batch[:-1])
    return Layer(
        name, OpKind.MATMUL, K=heads * n_out, C=heads * k_in, Y=a[-2], X=1, groups=heads, N=n
    )
