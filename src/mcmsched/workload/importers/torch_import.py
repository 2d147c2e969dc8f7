"""PyTorch modules and Hugging Face configs -> :class:`~mcmsched.workload.model.Model`, without
weights (needs ``pip install mcmsched[torch]``).

The module runs once on *fake* tensors (``torch._subclasses.fake_tensor.FakeTensorMode``): shapes
propagate, no weight or activation memory is allocated and nothing is downloaded. A
``TorchDispatchMode`` logs every aten operator and turns the compute ones into layers:

- ``aten.convolution`` -> ``CONV`` (``DWCONV`` when ``groups == C == K > 1``; ``TRCONV`` when
  transposed). Padding is added to ``Y``/``X``; a dilated convolution gets
  ``Y = (out - 1) * stride + R`` (right output size and MACs; the IR has no dilation).
- ``mm``, ``addmm``, ``bmm``, ``baddbmm``, ``matmul``, ``linear``: ``GEMM`` when one operand is
  derived from parameters or constants only (a weight, possibly transposed or reshaped), with
  ``Y`` = rows (leading dimensions folded in), ``X = 1``, ``C`` = inner size, ``K`` = columns;
  ``MATMUL`` when both operands derive from the inputs, with a batched product's batch (attention
  heads) as ``groups``.
- ``torch.matmul`` / ``@`` is caught before it is flattened to ``bmm``, so for operands
  ``[B, H, M, k] x [B, H, k, n]`` the batch ``B`` becomes ``N`` and the heads ``H`` ``groups``
  (a rank-3 product's batch becomes ``groups``).
- ``torch.nn.functional.scaled_dot_product_attention`` (caught before it decomposes) -> two
  ``MATMUL`` layers, ``qk`` (``Q K^T``) and ``av`` (``A V``), with ``N`` = batch and
  ``groups`` = heads.
- ``add`` / ``add_`` of two activation tensors of equal shape that come from *different* compute
  layers (a residual join) -> ``ELTWISE`` when ``include_eltwise`` is true. Arithmetic inside one
  branch (e.g. a tanh-GELU written in Python) is not a layer. With ``include_eltwise=False`` a
  residual add is folded into the most recent layer feeding it, which gets an edge from the other
  addend's producers (the zoo's transformer convention: a skip edge from the block input to
  ``proj`` and from ``proj`` to ``fc2``).

Everything else (normalisation, activations, pooling, views, softmax, embeddings) is skipped, but
dependency edges pass through it: each tensor remembers which compute layers it derives from
(tracked by tensor identity), and a layer depends on the layers its operands derive from.

Layer names are the dotted path of the innermost module running when the operator is called
(``h.0.attn.c_attn``), made unique with ``_2``, ``_3`` suffixes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcmsched.errors import MCMSchedError
from mcmsched.workload.importers._common import conv_layer, dilated_extent, eltwise_layer
from mcmsched.workload.layer import Layer, OpKind
from mcmsched.workload.model import Model

__all__ = ["load_hf_config", "trace_torch"]


def _import_torch() -> Any:
    try:
        import torch
        import torch._subclasses.fake_tensor
        import torch.utils._python_dispatch
    except ImportError:
        raise MCMSchedError(
            "tracing PyTorch modules needs torch: pip install mcmsched[torch]"
        ) from None
    return torch


@dataclass(frozen=True, slots=True)
class _Info:
    act: bool  # derives from a model input (else: from parameters/constants only)
    producers: frozenset[int]  # compute layers it derives from


class _Recorder:
    """Shared state of the dispatch and function modes."""

    def __init__(self, include_eltwise: bool) -> None:
        self.include_eltwise = include_eltwise
        self.info: dict[int, _Info] = {}
        self.keep: list[Any] = []  # references keep ids stable
        self.layers: list[Layer] = []
        self.edges: set[tuple[int, int]] = set()
        self.names: set[str] = set()
        self.module_stack: list[str] = []
        self.suppress = 0

    def set(self, tensor: Any, info: _Info) -> None:
        self.info[id(tensor)] = info
        self.keep.append(tensor)

    def get(self, tensor: Any) -> _Info:
        return self.info.get(id(tensor), _Info(False, frozenset()))

    def name(self, suffix: str | None) -> str:
        if self.module_stack:
            base = f"{self.module_stack[-1]}.{suffix}" if suffix else self.module_stack[-1]
        else:
            base = suffix or "model"
        unique, k = base, 2
        while unique in self.names:
            unique = f"{base}_{k}"
            k += 1
        self.names.add(unique)
        return unique

    def fold_add(self, a: frozenset[int], b: frozenset[int]) -> frozenset[int]:
        """A residual add that is not a layer: fold it into the most recent layer feeding it
        (the producer of the branch output), which gains edges from the other addend's
        producers; the sum then derives from that layer alone."""
        last = max(a | b)
        target = b if last in b else a
        other = a if target is b else b
        for t in target:
            self.edges.update((o, t) for o in other if o < t)
        return target

    def add_layer(self, layer: Layer, deps: frozenset[int]) -> int:
        idx = len(self.layers)
        self.layers.append(layer)
        self.edges.update((d, idx) for d in deps)
        return idx


def _tensors(torch: Any, obj: Any) -> Iterator[Any]:
    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            yield from _tensors(torch, o)
    elif isinstance(obj, dict):
        for o in obj.values():
            yield from _tensors(torch, o)


def _shape(t: Any) -> list[int]:
    return [int(d) for d in t.shape]


def _gemm_or_matmul(
    name: Callable[[str | None], str], a: Any, b: Any, a_act: bool, b_act: bool
) -> Layer | None:
    """``a @ b`` with torch matmul broadcasting (a: [..., M, k], b: [..., k, n])."""
    sa, sb = _shape(a), _shape(b)
    if len(sa) == 1:
        sa = [1, *sa]
    if len(sb) == 1:
        sb = [*sb, 1]
    k_in, n_out = sa[-1], sb[-1]
    if a_act and not b_act:
        return Layer(name(None), OpKind.GEMM, K=n_out, C=k_in, Y=math.prod(sa[:-1]), X=1)
    if b_act and not a_act:  # weight @ activation: the activation's columns are the rows
        return Layer(name(None), OpKind.GEMM, K=sa[-2], C=k_in, Y=math.prod(sb[:-2]) * n_out, X=1)
    if not (a_act or b_act):
        return None
    batch = sa[:-2] if len(sa) >= len(sb) else sb[:-2]
    heads, n = 1, 1
    if len(batch) == 1:
        heads = batch[0]
    elif len(batch) >= 2:
        heads, n = batch[-1], math.prod(batch[:-1])
    return Layer(
        name("matmul"),
        OpKind.MATMUL,
        K=heads * n_out,
        C=heads * k_in,
        Y=sa[-2],
        X=1,
        groups=heads,
        N=n,
    )


def _conv_layer(name: str, args: Sequence[Any]) -> Layer:
    x, w = args[0], args[1]
    stride, padding, dilation = list(args[3]), list(args[4]), list(args[5])
    transposed, groups = bool(args[6]), int(args[8])
    xs, ws = _shape(x), _shape(w)
    if len(xs) == 3:  # 1-D: a 1 x L image
        xs, ws = [xs[0], xs[1], 1, xs[2]], [ws[0], ws[1], 1, ws[2]]
        stride, padding, dilation = [1, *stride], [0, *padding], [1, *dilation]
    if len(xs) != 4:
        raise MCMSchedError(f"layer '{name}': only 1-D and 2-D convolutions are supported")
    if len(stride) == 1:
        stride = stride * 2
    if len(padding) == 1:
        padding = padding * 2
    if len(dilation) == 1:
        dilation = dilation * 2
    n, c, h, wd = xs
    kh, kw = ws[2], ws[3]
    if transposed:
        k, y, x = ws[1] * groups, h, wd
    else:
        k = ws[0]
        y, x = (
            dilated_extent(size + 2 * padding[ax], kern, dilation[ax], stride[ax])
            for ax, (size, kern) in enumerate(((h, kh), (wd, kw)))
        )
    return conv_layer(
        name,
        transposed=transposed,
        out_channels=k,
        in_channels=c,
        y=y,
        x=x,
        kernel=(kh, kw),
        stride=(stride[0], stride[1]),
        groups=groups,
        batch=n,
    )


def _make_modes(torch: Any, rec: _Recorder) -> tuple[Any, Any]:
    dispatch_base: Any = torch.utils._python_dispatch.TorchDispatchMode
    function_base: Any = torch.overrides.TorchFunctionMode

    aten = torch.ops.aten
    conv_ops = {aten.convolution.default}
    mm_ops = {aten.mm.default, aten.bmm.default, aten.matmul.default}
    addmm_ops = {aten.addmm.default, aten.baddbmm.default}
    add_ops = {aten.add.Tensor, aten.add_.Tensor}
    linear_ops = {aten.linear.default}
    matmul_funcs = {torch.matmul, torch.Tensor.matmul, torch.Tensor.__matmul__}

    class Dispatch(dispatch_base):  # type: ignore[misc]
        def __torch_dispatch__(
            self, func: Any, types: Any, args: Any = (), kwargs: Any = None
        ) -> Any:
            out = func(*args, **(kwargs or {}))
            if rec.suppress:
                return out
            ins = list(_tensors(torch, args)) + list(_tensors(torch, kwargs or {}))
            infos = [rec.get(t) for t in ins]
            deps: frozenset[int] = frozenset().union(*(i.producers for i in infos))
            act = any(i.act for i in infos)
            layer: Layer | None = None
            if func in conv_ops:
                if rec.get(args[0]).act:
                    layer = _conv_layer(rec.name(None), args)
            elif func in mm_ops or func in addmm_ops or func in linear_ops:
                if func in linear_ops:  # input [..., in], weight [out, in]
                    a, b = args[0], args[1]
                    if rec.get(a).act and not rec.get(b).act:
                        sa, sb = _shape(a), _shape(b)
                        layer = Layer(
                            rec.name(None),
                            OpKind.GEMM,
                            K=sb[0],
                            C=sb[1],
                            Y=math.prod(sa[:-1]),
                            X=1,
                        )
                else:
                    a, b = (args[1], args[2]) if func in addmm_ops else (args[0], args[1])
                    layer = _gemm_or_matmul(rec.name, a, b, rec.get(a).act, rec.get(b).act)
                if layer is not None:
                    deps = rec.get(a).producers | rec.get(b).producers
            elif func in add_ops and len(args) >= 2:
                a, b = args[0], args[1]
                if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
                    ia, ib = rec.get(a), rec.get(b)
                    if (
                        ia.act
                        and ib.act
                        and _shape(a) == _shape(b)
                        and a.dim() > 0
                        and ia.producers != ib.producers
                    ):
                        if rec.include_eltwise:
                            layer = eltwise_layer(rec.name("add"), _shape(a))
                        else:
                            deps = rec.fold_add(ia.producers, ib.producers)
            if layer is not None:
                idx = rec.add_layer(layer, deps)
                result = _Info(True, frozenset({idx}))
            else:
                result = _Info(act, deps)
            for t in _tensors(torch, out):
                rec.set(t, result)
            return out

    class Function(function_base):  # type: ignore[misc]
        def __torch_function__(
            self, func: Any, types: Any, args: Any = (), kwargs: Any = None
        ) -> Any:
            kwargs = kwargs or {}
            if rec.suppress:
                return func(*args, **kwargs)
            if func in matmul_funcs and len(args) == 2 and not kwargs:
                return self.matmul(func, args[0], args[1])
            if func is not torch.nn.functional.scaled_dot_product_attention:
                return func(*args, **kwargs)
            q = args[0] if len(args) > 0 else kwargs["query"]
            k = args[1] if len(args) > 1 else kwargs["key"]
            v = args[2] if len(args) > 2 else kwargs["value"]
            rec.suppress += 1
            try:
                out = func(*args, **kwargs)
            finally:
                rec.suppress -= 1
            qs, ks, vs = _shape(q), _shape(k), _shape(v)
            batch = qs[:-2]
            heads = batch[-1] if batch else 1
            n = math.prod(batch[:-1]) if len(batch) > 1 else 1
            m, e, length, ev = qs[-2], qs[-1], ks[-2], vs[-1]
            # grouped-query attention: query heads that share a key/value head are stacked on M
            kv_heads = ks[-3] if len(ks) >= 3 else heads
            g = kv_heads if kv_heads and heads % kv_heads == 0 else heads
            rows = m * (heads // g)
            qk = Layer(
                rec.name("qk"), OpKind.MATMUL, K=g * length, C=g * e, Y=rows, X=1, groups=g, N=n
            )
            iq, ik, iv = rec.get(q), rec.get(k), rec.get(v)
            qk_idx = rec.add_layer(qk, iq.producers | ik.producers)
            av = Layer(
                rec.name("av"), OpKind.MATMUL, K=g * ev, C=g * length, Y=rows, X=1, groups=g, N=n
            )
            av_idx = rec.add_layer(av, frozenset({qk_idx}) | iv.producers)
            for t in _tensors(torch, out):
                rec.set(t, _Info(True, frozenset({av_idx})))
            return out

        def matmul(self, func: Any, a: Any, b: Any) -> Any:
            """``torch.matmul`` before it is flattened to ``bmm`` (keeps batch vs heads)."""
            rec.suppress += 1
            try:
                out = func(a, b)
            finally:
                rec.suppress -= 1
            ia, ib = rec.get(a), rec.get(b)
            layer = _gemm_or_matmul(rec.name, a, b, ia.act, ib.act)
            deps = ia.producers | ib.producers
            if layer is not None:
                info = _Info(True, frozenset({rec.add_layer(layer, deps)}))
            else:
                info = _Info(ia.act or ib.act, deps)
            for t in _tensors(torch, out):
                rec.set(t, info)
            return out

    return Dispatch(), Function()


@contextmanager
def _module_names(torch: Any, module: Any, rec: _Recorder) -> Iterator[None]:
    handles = []
    for path, sub in module.named_modules():
        if not path:
            continue

        def pre(_m: Any, _a: Any, path: str = path) -> None:
            rec.module_stack.append(path)

        def post(_m: Any, _a: Any, _o: Any) -> None:
            if rec.module_stack:
                rec.module_stack.pop()

        handles.append(sub.register_forward_pre_hook(pre))
        handles.append(sub.register_forward_hook(post))
    try:
        yield
    finally:
        for h in handles:
            h.remove()


def _fake_like(torch: Any, t: Any) -> Any:
    device = "cpu" if t.device.type == "meta" else t.device
    return torch.empty_strided(tuple(t.shape), tuple(t.stride()), dtype=t.dtype, device=device)


def trace_torch(
    module: Any,
    example_inputs: Any,
    *,
    name: str,
    include_eltwise: bool = True,
) -> Model:
    """Trace ``module(*example_inputs)`` on fake tensors and return its layers (module docstring).

    ``module`` may hold real weights, live on the ``meta`` device, or have been built under a
    ``FakeTensorMode``; no weight memory is allocated either way. ``example_inputs`` is a tensor,
    a tuple of positional inputs or a dict of keyword inputs; only their shapes and dtypes matter.
    """
    torch = _import_torch()
    from torch._subclasses.fake_tensor import FakeTensor, FakeTensorMode

    if not isinstance(module, torch.nn.Module):
        raise MCMSchedError(f"expected a torch.nn.Module, got {type(module).__name__}")
    rec = _Recorder(include_eltwise)
    params = dict(module.named_parameters())  # tied weights once (functional_call re-ties)
    buffers = dict(module.named_buffers())
    existing = [t for t in [*params.values(), *buffers.values()] if isinstance(t, FakeTensor)]
    mode = existing[0].fake_mode if existing else FakeTensorMode(allow_non_fake_inputs=True)
    if isinstance(example_inputs, dict):
        args: tuple[Any, ...] = ()
        kwargs: dict[str, Any] = dict(example_inputs)
    elif isinstance(example_inputs, (tuple, list)):
        args, kwargs = tuple(example_inputs), {}
    else:
        args, kwargs = (example_inputs,), {}
    was_training = module.training
    module.eval()
    try:
        with mode:
            if existing:
                replacement = None
            else:
                replacement = {n: _fake_like(torch, t) for n, t in {**params, **buffers}.items()}

            def fake_input(x: Any) -> Any:
                if isinstance(x, torch.Tensor) and not isinstance(x, FakeTensor):
                    return _fake_like(torch, x)
                return x

            args = tuple(fake_input(a) for a in args)
            kwargs = {k: fake_input(v) for k, v in kwargs.items()}
        for t in (replacement or {**params, **buffers}).values():
            rec.set(t, _Info(False, frozenset()))
        for t in _tensors(torch, (args, kwargs)):
            rec.set(t, _Info(True, frozenset()))
        dispatch, function = _make_modes(torch, rec)
        with torch.no_grad(), _module_names(torch, module, rec), mode, function, dispatch:
            if replacement is not None:
                torch.func.functional_call(module, replacement, args, kwargs)
            else:
                module(*args, **kwargs)
    except MCMSchedError:
        raise
    except Exception as err:
        first = str(err).splitlines()[0] if str(err) else ""
        raise MCMSchedError(f"tracing '{name}' failed: {type(err).__name__}: {first}") from err
    finally:
        module.train(was_training)
    if not rec.layers:
        raise MCMSchedError(f"module '{name}' has no compute layers (conv, matmul, linear)")
    return Model(
        name=name,
        layers=tuple(rec.layers),
        edges=tuple(sorted(rec.edges)),
        source=f"torch:{type(module).__name__}",
    )


def load_hf_config(
    config_name_or_obj: Any,
    *,
    seq_len: int = 128,
    batch: int = 1,
    image_size: int | None = None,
    name: str | None = None,
    include_eltwise: bool = True,
) -> Model:
    """Build a Hugging Face model from its configuration (no weights, no download) and trace it.

    ``config_name_or_obj`` is a ``transformers`` config object (``GPT2Config()``), a path to a
    local ``config.json`` (or its directory), or a model type known to ``transformers`` (``"gpt2"``,
    ``"bert"``, ``"resnet"``, ...) for that architecture's default configuration. Hub names are
    never downloaded. The base model is used (``AutoModel``: no LM or classification head), built
    on the ``meta`` device. Encoder-decoder models get ``decoder_input_ids`` of the same shape. Text
    models get ``input_ids`` of shape ``[batch, seq_len]``; vision models ``pixel_values`` of shape
    ``[batch, channels, image_size, image_size]`` (``image_size`` from the config, else 224).
    """
    torch = _import_torch()
    try:
        import transformers as _transformers
    except ImportError:
        raise MCMSchedError(
            "building Hugging Face models needs transformers: pip install mcmsched[torch]"
        ) from None
    transformers: Any = _transformers
    if seq_len <= 0 or batch <= 0:
        raise MCMSchedError("seq_len and batch must be positive", field="seq_len")
    config = config_name_or_obj
    if isinstance(config, (str, Path)):
        text = str(config)
        path = Path(text)
        if path.exists():
            try:
                config = transformers.AutoConfig.from_pretrained(str(path), local_files_only=True)
            except Exception as err:
                raise MCMSchedError(f"cannot read the config: {err}", file=text) from None
        else:
            mapping = transformers.CONFIG_MAPPING
            if text not in mapping:
                raise MCMSchedError(
                    f"'{text}' is neither a local config file nor a transformers model type "
                    "(e.g. gpt2, bert, resnet, vit); hub names are not downloaded",
                    field="config",
                )
            config = mapping[text]()
    if not isinstance(config, transformers.PretrainedConfig):
        raise MCMSchedError(
            f"expected a transformers config, got {type(config).__name__}", field="config"
        )
    model_name = name or f"{config.model_type}"
    try:
        with torch.device("meta"):  # no weight memory; trace_torch swaps in fake tensors
            model = transformers.AutoModel.from_config(config)
    except Exception as err:
        raise MCMSchedError(
            f"cannot build a model for config type '{config.model_type}': {err}"
        ) from None
    main = getattr(model, "main_input_name", "input_ids")
    if main == "pixel_values":
        size = image_size or getattr(config, "image_size", None) or 224
        if isinstance(size, (list, tuple)):
            size = int(size[0])
        channels = int(getattr(config, "num_channels", 3))
        inputs: dict[str, Any] = {main: torch.empty(batch, channels, size, size, device="meta")}
    else:
        inputs = {main: torch.zeros(batch, seq_len, dtype=torch.long, device="meta")}
        if getattr(config, "is_encoder_decoder", False):
            inputs["decoder_input_ids"] = torch.zeros(
                batch, seq_len, dtype=torch.long, device="meta"
            )
    if "use_cache" in config.to_dict():
        inputs["use_cache"] = False
    return trace_torch(model, inputs, name=model_name, include_eltwise=include_eltwise)
