"""MAESTRO model description files (``.m``): ``Network NAME { Layer ... }`` blocks.

The format (MAESTRO's DFSL, also used by XRBench's usage scenarios)::

    Constant Seq_Len 128;               // symbolic constant, usable as a dimension value
    Network Resnet50 {
        FPS: 45                         // XRBench: frames per second of this model
        Probability: 0.5                // XRBench: cascade probability (kept, not used)
        Dependency: { KD_res8_narrow }  // XRBench: upstream model of a cascade (kept)
        Layer CONV1 {
            Type: CONV
            Stride { X: 2, Y: 2 }
            Dimensions { K: 64, C: 3, R: 7, S: 7, Y: 224, X: 224 }   // or "Dimensions: { ... }"
            Dataflow { SpatialMap(1,1) K; ... }                       // optional, per layer
        }
    }

Comments are ``// ...`` and ``/* ... */``. A file may hold several networks; each becomes one
:class:`~mcmsched.workload.model.Model`. Layers of a network form a chain (the format has no edges).

Mapping of MAESTRO layer types to :class:`~mcmsched.workload.layer.OpKind` (after MAESTRO's
``cost-model`` sources: the tensor couplings in ``API_user-interface-v2.hpp`` and the parser in
``DFSL_parser.hpp``):

- ``CONV`` -> ``CONV``, dimensions as written.
- ``DSCONV`` (depthwise) -> ``DWCONV`` with ``K = C = groups = C``. MAESTRO couples every DSCONV
  tensor to ``C`` only and ignores ``K`` (the files write ``K: 1``); ``K`` must be 1 or ``C``.
- ``NGCONV`` (grouped) -> ``CONV`` with ``groups = G``, ``K = G * K`` and ``C = G * C``: MAESTRO
  reads ``K`` and ``C`` per group (every dimension, ``G`` included, is a loop of the layer; its
  MAC count is ``G K C R S Y' X'``, ``API_user-interface-v2.hpp``), and so do we. A layer's
  directives may map ``G`` (``SpatialMap(1,1) G;``); without a ``G`` map the groups run one after
  another (see ``mcmsched.cost.analysis.to_problem``). Note: MAESTRO's ResNeXt50 file writes
  ``G: 32, K: 4, C: 128`` for ResNeXt's 128 -> 128 channel 32-group 3x3 conv, i.e. ``C`` as the
  total input channels; read as MAESTRO reads it, those layers have 32 times the MACs of
  ResNeXt-50 (32x4d)'s grouped convolutions (``zoo:resnext50`` has the real network).
- ``TRCONV`` -> ``TRCONV``, dimensions as written (``Y``, ``X`` are the input size). MAESTRO itself
  analyses TRCONV as a plain CONV of the same dimensions, so its MAC counts differ from ours.
- ``GEMM`` with dimensions ``M``, ``N``, ``K`` (MAESTRO's GEMM: input ``M x K``, weight
  ``K x N``) -> ``GEMM`` with ``Y = M``, ``X = 1``, ``C = K``, ``K = N``.

Missing dimensions default to ``N = 1``, ``R = S = 1`` and stride 1; ``K``, ``C``, ``Y``, ``X`` are
required. A layer whose kernel is larger than its written input (``R > Y`` or ``S > X``; XRBench's
files have a few, e.g. a 3x3 kernel on a 2x2 map, which MAESTRO would give a non-positive output
size) is read as a "same"-padded convolution: ``Y += R - 1`` and ``X += S - 1``, so its output is
the written ``Y x X``; :attr:`MaestroNetwork.padded_layers` lists them. ``FPS`` becomes the model's
``default_batch`` (SCAR uses a model's FPS as its batch per scenario pass); without ``FPS`` it is
1. A layer's ``Dataflow { ... }`` block is stored verbatim in :attr:`Layer.dataflow` after
parse-checking its directives; as in MAESTRO, a layer without its own block inherits the previous
layer's. Duplicate layer names inside a network (they occur in the
MAESTRO reference files) are made unique by appending ``_2``, ``_3``, ... to later occurrences.

A MAESTRO *hardware* file (``num_pes: ...``) is recognised and rejected with a clear message.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from mcmsched.errors import MCMSchedError
from mcmsched.hardware.dataflow import parse_directives
from mcmsched.workload.layer import Layer, OpKind
from mcmsched.workload.model import Model

__all__ = [
    "MaestroNetwork",
    "find_layer",
    "load_maestro",
    "load_maestro_networks",
    "parse_maestro",
    "parse_maestro_networks",
    "printed_name",
]

_TOKEN = re.compile(
    r"(?P<comment>//[^\n]*|/\*.*?\*/)"
    r"|(?P<open_comment>/\*)"
    r"|(?P<ws>\s+)"
    r"|(?P<num>-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)"
    r"|(?P<ident>[A-Za-z_][A-Za-z0-9_.'\-]*)"
    r"|(?P<punct>[{}:;,()])"
    r"|(?P<other>.)",
    re.S,
)

_HARDWARE_KEYS = ("num_pes", "l1_size_cstr", "l2_size_cstr", "noc_bw_cstr", "offchip_bw_cstr")
_CONV_DIMS = ("N", "K", "C", "R", "S", "Y", "X", "G")
_GEMM_DIMS = ("M", "N", "K")
_TYPES = ("CONV", "DSCONV", "NGCONV", "TRCONV", "GEMM")


@dataclass(frozen=True)
class MaestroNetwork:
    """One ``Network`` block: the model plus the XRBench scenario annotations it carried.

    ``fps`` is frames per second (``None`` if absent), ``probability`` the cascade probability
    (``None`` if absent), ``dependencies`` the names of networks this one is cascaded after.
    ``padded_layers`` names the layers whose kernel was larger than the written input and that were
    read as "same"-padded (see the module docstring).
    """

    model: Model
    fps: int | None = None
    probability: float | None = None
    dependencies: tuple[str, ...] = field(default=())
    padded_layers: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # "num", "ident", "punct", "other"
    text: str
    start: int
    end: int


def _show(text: str, limit: int = 24) -> str:
    """A short excerpt of a token for error messages."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe(tok: _Tok) -> str:
    """What a token is, without its text (for files that may not be model files at all)."""
    what = {"num": "number", "ident": "word", "punct": "punctuation"}.get(tok.kind, "symbol")
    return f"{what} ({len(tok.text)} character{'s' if len(tok.text) != 1 else ''})"


class _Parser:
    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self._newlines = [i for i, ch in enumerate(text) if ch == "\n"]
        self.toks: list[_Tok] = []
        for m in _TOKEN.finditer(text):
            kind = m.lastgroup or "other"
            if kind in ("comment", "ws"):
                continue
            if kind == "open_comment":
                raise self.error("unterminated '/*' comment", m.start())
            self.toks.append(_Tok(kind, m.group(), m.start(), m.end()))
        self.pos = 0
        self.constants: dict[str, int] = {}

    # ---- helpers -------------------------------------------------------------------------------
    def line_of(self, offset: int) -> int:
        return bisect.bisect_left(self._newlines, offset) + 1

    def error(
        self, reason: str, offset: int | None = None, fld: str | None = None
    ) -> MCMSchedError:
        if offset is None:
            offset = self.toks[self.pos].start if self.pos < len(self.toks) else len(self.text)
        return MCMSchedError(f"line {self.line_of(offset)}: {reason}", file=self.source, field=fld)

    def peek(self) -> _Tok | None:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def next(self, what: str) -> _Tok:
        tok = self.peek()
        if tok is None:
            raise self.error(f"unexpected end of file, expected {what} (unbalanced braces?)")
        self.pos += 1
        return tok

    def expect(self, text: str, context: str) -> _Tok:
        tok = self.next(f"'{text}' {context}")
        if tok.text != text:
            raise self.error(f"expected '{text}' {context}, found '{_show(tok.text)}'", tok.start)
        return tok

    def accept(self, text: str) -> bool:
        tok = self.peek()
        if tok is not None and tok.text == text:
            self.pos += 1
            return True
        return False

    def int_value(self, context: str, fld: str) -> int:
        tok = self.next(f"a value for {context}")
        if tok.kind == "ident":
            if tok.text not in self.constants:
                known = ", ".join(sorted(self.constants)) or "none defined"
                raise self.error(
                    f"{context}: unknown constant '{_show(tok.text)}' (constants: {known})",
                    tok.start,
                    fld,
                )
            value = self.constants[tok.text]
        elif tok.kind == "num":
            if len(tok.text) > 15:
                raise self.error(
                    f"{context}: number with {len(tok.text)} digits is too large", tok.start, fld
                )
            try:
                value = int(tok.text)
            except ValueError:
                raise self.error(
                    f"{context}: expected an integer, got '{_show(tok.text)}'", tok.start, fld
                ) from None
        else:
            raise self.error(
                f"{context}: expected a number, found '{_show(tok.text)}'", tok.start, fld
            )
        if value <= 0:
            raise self.error(f"{context}: must be a positive integer, got {value}", tok.start, fld)
        return value

    # ---- grammar ------------------------------------------------------------------------------
    def parse(self) -> list[MaestroNetwork]:
        networks: list[MaestroNetwork] = []
        while (tok := self.peek()) is not None:
            if tok.text == "Constant":
                self.pos += 1
                self.parse_constant()
            elif tok.text == "Network":
                self.pos += 1
                networks.append(self.parse_network(tok))
            elif tok.text in _HARDWARE_KEYS:
                raise self.error(
                    f"this is a MAESTRO hardware description ('{tok.text}: ...'), not a model "
                    "file; give a file with 'Network NAME { Layer ... }' blocks",
                    tok.start,
                )
            elif tok.text in ("Layer", "Accelerator"):
                raise self.error(f"'{_show(tok.text)}' outside a 'Network {{ }}' block", tok.start)
            else:  # not a model file: never echo its content (it may hold anything)
                shown = f"'{tok.text}'" if tok.kind == "punct" else _describe(tok)
                raise self.error(
                    f"unexpected {shown} at top level (expected 'Network' or 'Constant'; "
                    "not a MAESTRO model file?)",
                    tok.start,
                )
        if not networks:
            raise self.error("no 'Network NAME { ... }' block found", 0)
        return networks

    def parse_constant(self) -> None:
        name = self.next("a constant name")
        if name.kind != "ident":
            raise self.error(f"expected a constant name, found '{_show(name.text)}'", name.start)
        self.accept(":")
        self.accept("=")
        value = self.int_value(f"constant '{_show(name.text)}'", "Constant")
        self.constants[name.text] = value
        self.accept(";")

    def parse_network(self, start_tok: _Tok) -> MaestroNetwork:
        name = "network"
        tok = self.next("a network name or '{'")
        if tok.text != "{":
            if tok.kind != "ident":
                raise self.error(f"expected a network name, found '{_show(tok.text)}'", tok.start)
            name = tok.text
            self.expect("{", f"after 'Network {name}'")
        fps: int | None = None
        probability: float | None = None
        deps: list[str] = []
        layers: list[Layer] = []
        padded: list[str] = []
        used_names: set[str] = set()
        prev_dataflow: str | None = None
        while True:
            tok = self.next(f"'}}' closing network '{name}'")
            if tok.text == "}":
                break
            if tok.text == "Layer":
                layer, was_padded = self.parse_layer(name, prev_dataflow)
                prev_dataflow = layer.dataflow
                unique = layer.name
                k = 2
                while unique in used_names:
                    unique = f"{layer.name}_{k}"
                    k += 1
                used_names.add(unique)
                if unique != layer.name:
                    layer = replace(layer, name=unique)
                layers.append(layer)
                if was_padded:
                    padded.append(layer.name)
            elif tok.text == "FPS":
                self.accept(":")
                fps = self.int_value(f"network '{name}': FPS", "FPS")
                self.accept(";")
            elif tok.text == "Probability":
                self.accept(":")
                ptok = self.next("a probability")
                try:
                    probability = float(ptok.text)
                except ValueError:
                    probability = -1.0
                if not 0.0 <= probability <= 1.0 or ptok.kind != "num":
                    raise self.error(
                        f"network '{name}': Probability must be a number in [0, 1], "
                        f"got '{_show(ptok.text)}'",
                        ptok.start,
                        "Probability",
                    )
                self.accept(";")
            elif tok.text == "Dependency":
                self.accept(":")
                self.expect("{", f"after 'Dependency' in network '{name}'")
                while not self.accept("}"):
                    dtok = self.next(f"'}}' closing Dependency of network '{name}'")
                    if dtok.text in (",", ";"):
                        continue
                    if dtok.kind != "ident":
                        raise self.error(
                            f"network '{name}': expected a network name in Dependency, "
                            f"found '{_show(dtok.text)}'",
                            dtok.start,
                            "Dependency",
                        )
                    deps.append(dtok.text)
            else:
                raise self.error(
                    f"network '{name}': unexpected '{_show(tok.text)}' (expected 'Layer', 'FPS', "
                    "'Probability', 'Dependency' or '}')",
                    tok.start,
                )
        if not layers:
            raise self.error(f"network '{name}' has no layers", start_tok.start, "Layer")
        model = Model(
            name=name,
            layers=tuple(layers),
            default_batch=fps if fps is not None else 1,
            source=self.source,
        )
        return MaestroNetwork(model, fps, probability, tuple(deps), tuple(padded))

    def parse_dims(self, where: str, block: str) -> tuple[dict[str, int], dict[str, int]]:
        """``{ D: v, ... }`` -> (values, offsets of each key)."""
        self.accept(":")
        self.expect("{", f"after '{block}' in {where}")
        values: dict[str, int] = {}
        offsets: dict[str, int] = {}
        while True:
            tok = self.next(f"'}}' closing '{block}' in {where}")
            if tok.text == "}":
                return values, offsets
            if tok.text in (",", ";"):
                continue
            if tok.kind != "ident":
                raise self.error(
                    f"{where}: expected a dimension name in '{block}', found '{_show(tok.text)}'",
                    tok.start,
                    block,
                )
            self.accept(":")  # optional: MAESTRO treats ':' as a separator
            if tok.text in values:
                raise self.error(
                    f"{where}: '{_show(tok.text)}' given twice in '{block}'", tok.start, block
                )
            values[tok.text] = self.int_value(f"{where}: {block} {tok.text}", tok.text)
            offsets[tok.text] = tok.start

    def parse_dataflow(self, where: str, start: _Tok) -> str:
        self.expect("{", f"after 'Dataflow' in {where}")
        depth = 1
        while depth:
            tok = self.next(f"'}}' closing 'Dataflow' in {where}")
            if tok.text == "{":
                depth += 1
            elif tok.text == "}":
                depth -= 1
        text = self.text[start.start : self.toks[self.pos - 1].end]
        try:
            parse_directives(text, source=self.source)
        except MCMSchedError as err:
            raise self.error(f"{where}: {err.reason}", start.start, "Dataflow") from None
        return text

    def parse_layer(self, network: str, inherited_dataflow: str | None) -> tuple[Layer, bool]:
        name_tok = self.next("a layer name")
        if name_tok.kind != "ident":
            raise self.error(
                f"expected a layer name, found '{_show(name_tok.text)}'", name_tok.start
            )
        name = name_tok.text
        where = f"layer '{name}' of network '{network}'"
        self.expect("{", f"after 'Layer {name}'")
        kind: str | None = None
        dims: dict[str, int] | None = None
        dim_offsets: dict[str, int] = {}
        stride: dict[str, int] = {}
        dataflow: str | None = None
        while True:
            tok = self.next(f"'}}' closing {where}")
            if tok.text == "}":
                break
            if tok.text == "Type":
                self.accept(":")
                ttok = self.next(f"a layer type in {where}")
                if ttok.text.upper() not in _TYPES:
                    raise self.error(
                        f"{where}: unknown layer type '{_show(ttok.text)}' (supported: "
                        f"{', '.join(_TYPES)})",
                        ttok.start,
                        "Type",
                    )
                kind = ttok.text.upper()
            elif tok.text == "Stride":
                stride, soff = self.parse_dims(where, "Stride")
                for key in stride:
                    if key not in ("X", "Y"):
                        raise self.error(
                            f"{where}: Stride has unknown dimension '{key}' (use X and Y)",
                            soff[key],
                            "Stride",
                        )
            elif tok.text == "Dimensions":
                dims, dim_offsets = self.parse_dims(where, "Dimensions")
            elif tok.text == "Dataflow":
                dataflow = self.parse_dataflow(where, tok)
            else:
                raise self.error(
                    f"{where}: unexpected '{_show(tok.text)}' (expected Type, Stride, Dimensions, "
                    "Dataflow or '}')",
                    tok.start,
                )
        if kind is None:
            raise self.error(f"{where}: missing 'Type'", name_tok.start, "Type")
        if dims is None:
            raise self.error(f"{where}: missing 'Dimensions'", name_tok.start, "Dimensions")
        allowed = _GEMM_DIMS if kind == "GEMM" else _CONV_DIMS
        for key, off in dim_offsets.items():
            if key not in allowed:
                raise self.error(
                    f"{where}: unknown dimension '{key}' for type {kind} "
                    f"(valid: {', '.join(allowed)})",
                    off,
                    "Dimensions",
                )
        if "G" in dims and kind != "NGCONV":
            raise self.error(
                f"{where}: dimension 'G' (groups) is only valid for NGCONV",
                dim_offsets["G"],
                "Dimensions",
            )
        required = _GEMM_DIMS if kind == "GEMM" else ("K", "C", "Y", "X")
        for key in required:
            if key not in dims:
                raise self.error(f"{where}: Dimensions lacks '{key}'", name_tok.start, "Dimensions")
        if dataflow is None:
            dataflow = inherited_dataflow
        padded = False
        if kind != "GEMM" and kind != "TRCONV":
            r, s = dims.get("R", 1), dims.get("S", 1)
            if r > dims["Y"] or s > dims["X"]:
                dims = {**dims, "Y": dims["Y"] + r - 1, "X": dims["X"] + s - 1}
                padded = True
        try:
            return _make_layer(name, kind, dims, stride, dataflow), padded
        except MCMSchedError as err:
            raise self.error(f"{where}: {err.reason}", name_tok.start, err.field) from None


def _make_layer(
    name: str, kind: str, dims: dict[str, int], stride: dict[str, int], dataflow: str | None
) -> Layer:
    if kind == "GEMM":
        return Layer(
            name, OpKind.GEMM, K=dims["N"], C=dims["K"], Y=dims["M"], X=1, dataflow=dataflow
        )
    y, x, r, s = dims["Y"], dims["X"], dims.get("R", 1), dims.get("S", 1)
    sy, sx, n = stride.get("Y", 1), stride.get("X", 1), dims.get("N", 1)
    if kind == "DSCONV":
        c = dims["C"]
        if dims["K"] not in (1, c):
            raise MCMSchedError(
                f"DSCONV output channels follow C (MAESTRO ignores K); write K: 1 or K: {c}, "
                f"not K: {dims['K']}",
                field="K",
            )
        op, k, groups = OpKind.DWCONV, c, c
    elif kind == "NGCONV":
        groups = dims.get("G", 1)
        op, k, c = OpKind.CONV, groups * dims["K"], groups * dims["C"]
    else:
        op = OpKind.TRCONV if kind == "TRCONV" else OpKind.CONV
        k, c, groups = dims["K"], dims["C"], 1
    return Layer(
        name,
        op,
        K=k,
        C=c,
        Y=y,
        X=x,
        R=r,
        S=s,
        stride_y=sy,
        stride_x=sx,
        groups=groups,
        N=n,
        dataflow=dataflow,
    )


# MAESTRO's DFSL parser splits every line on these characters (boost::char_separator in
# DFSL_parser.hpp) and names a layer by the last token before its '{'.
_MAESTRO_SEPARATORS = re.compile(r"[ ,\->():\t;]+")


def printed_name(name: str) -> str:
    """The name MAESTRO prints for a layer written ``name``: the last token of the name split on
    space, ``,``, ``-``, ``>``, ``(``, ``)``, ``:``, tab and ``;`` (``"Conv2d-12"`` -> ``"12"``,
    ``"CONV2_1_2"`` unchanged)."""
    tokens = [t for t in _MAESTRO_SEPARATORS.split(name) if t]
    return tokens[-1] if tokens else name


def find_layer(model: Model, name: str) -> Layer:
    """The layer of ``model`` named ``name``: its own name first, else MAESTRO's printed name
    (:func:`printed_name`, as in MAESTRO's outputs). Raises :class:`MCMSchedError` if no layer
    or more than one layer has that printed name."""
    for ly in model.layers:
        if ly.name == name:
            return ly
    key = printed_name(name)
    hits = [ly for ly in model.layers if printed_name(ly.name) == key]
    if len(hits) == 1:
        return hits[0]
    if not hits:
        raise MCMSchedError(
            f"model '{model.name}' has no layer named '{name}' (nor one MAESTRO prints as '{key}')",
            field="layer",
        )
    names = ", ".join(ly.name for ly in hits[:5])
    raise MCMSchedError(
        f"model '{model.name}': MAESTRO prints {len(hits)} layers as '{key}' ({names}); "
        "give the full layer name",
        field="layer",
    )


def parse_maestro_networks(text: str, source: str) -> list[MaestroNetwork]:
    """Parse MAESTRO description text into networks with their XRBench annotations.

    ``source`` names the text in error messages (normally the file path)."""
    return _Parser(text, source).parse()


def parse_maestro(text: str, source: str) -> list[Model]:
    """Parse MAESTRO description text: one :class:`Model` per ``Network`` block, in file order.

    ``Model.default_batch`` is the network's ``FPS`` (1 if absent)."""
    return [n.model for n in parse_maestro_networks(text, source)]


def _read(path: str | Path) -> tuple[str, str]:
    from mcmsched.safe_io import read_text

    p = Path(path)
    return read_text(p), str(p)


def load_maestro_networks(path: str | Path) -> list[MaestroNetwork]:
    """Read a MAESTRO file: networks with FPS, probability and dependencies."""
    text, source = _read(path)
    return parse_maestro_networks(text, source)


def load_maestro(path: str | Path) -> list[Model]:
    """Read a MAESTRO ``.m`` model file: one :class:`Model` per ``Network`` block."""
    text, source = _read(path)
    return parse_maestro(text, source)
