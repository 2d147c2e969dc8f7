"""One layer of a model, in MAESTRO's dimension convention.

Dimensions (all counts of elements, not bytes):

- ``N``: batch inside the layer (normally 1; a scenario's batch multiplies it at cost time),
- ``K``: output channels, ``C``: input channels,
- ``Y``, ``X``: input height and width **including any padding**, so that the output size of a
  convolution is ``(Y - R) // stride_y + 1`` as in MAESTRO,
- ``R``, ``S``: kernel height and width,
- ``stride_y``, ``stride_x``, ``groups``.

Operation kinds:

- ``CONV``: convolution; ``groups`` > 1 is a grouped convolution (each group maps C/groups input
  channels to K/groups output channels; MAESTRO's ``NGCONV`` with ``G = groups`` and ``K``, ``C``
  per group: ``macs = G * (K/G) * (C/G) * R * S * Y' * X'``). A dataflow may map ``G``.
- ``DWCONV``: depthwise convolution; ``K == C == groups``.
- ``TRCONV``: transposed convolution; ``Y``, ``X`` are the input size, the output is
  ``(Y - 1) * stride + R``; every input pixel is multiplied by the whole kernel.
- ``GEMM``: ``[M, k] x [k, n]`` with trained weights, written as a 1x1 CONV with ``Y = M``,
  ``X = 1``, ``C = k``, ``K = n``.
- ``MATMUL``: the same shape but both operands are activations (attention's ``Q K^T`` and
  ``A V``); heads are ``groups``: ``C = heads * k``, ``K = heads * n``. The "weight" tensor is the
  second activation operand and counts as zero parameters.
- ``ELTWISE``: element-wise op of two equal tensors (residual add); ``K == C == groups``,
  ``R == S == 1``; one operation per output element is counted as one MAC.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from mcmsched.errors import MCMSchedError
from mcmsched.limits import LIMITS, check_number


class OpKind(StrEnum):
    """Operation kind of a layer."""

    CONV = "CONV"
    DWCONV = "DWCONV"
    TRCONV = "TRCONV"
    GEMM = "GEMM"
    MATMUL = "MATMUL"
    ELTWISE = "ELTWISE"


@dataclass(frozen=True, slots=True)
class Layer:
    """A layer: operation kind and dimensions (see module docstring for the convention).

    ``dataflow`` optionally carries the layer's own MAESTRO ``Dataflow { ... }`` directive text (as
    in MAESTRO mapping files, which tune tile sizes per layer); the cost model uses it instead of
    the chiplet's dataflow when asked to.
    """

    name: str
    kind: OpKind
    K: int
    C: int
    Y: int
    X: int
    R: int = 1
    S: int = 1
    stride_y: int = 1
    stride_x: int = 1
    groups: int = 1
    N: int = 1
    bytes_per_element: int = 1
    dataflow: str | None = None
    #: KV-cache bytes per sample this layer reads from memory (DRAM, or L2 where it stays
    #: resident) and writes to it: set on decode attention MATMULs (read) and on the K/V
    #: projection (write). Not part of the cost-model shape: the on-chip cost of the operands
    #: is already in the layer's work; these bytes are charged as memory traffic by the
    #: scheduler's costing (mcmsched.schedule.costing).
    kv_read_bytes: int = 0
    kv_write_bytes: int = 0

    def __post_init__(self) -> None:
        for field_name in ("kv_read_bytes", "kv_write_bytes"):
            value = getattr(self, field_name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise MCMSchedError(
                    f"layer '{self.name}': must be a non-negative integer, got {value!r}",
                    field=field_name,
                )
        for field_name in (
            "K",
            "C",
            "Y",
            "X",
            "R",
            "S",
            "stride_y",
            "stride_x",
            "groups",
            "N",
            "bytes_per_element",
        ):
            value = getattr(self, field_name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise MCMSchedError(
                    f"layer '{self.name}': must be a positive integer, got {value!r}",
                    field=field_name,
                )
            check_number(value, field_name, what=f"layer '{self.name}'", limit=LIMITS["layer_dim"])
        if not isinstance(self.kind, OpKind):
            object.__setattr__(self, "kind", _parse_kind(self.kind, self.name))
        if self.C % self.groups or self.K % self.groups:
            raise MCMSchedError(
                f"layer '{self.name}': groups={self.groups} must divide C={self.C} and K={self.K}",
                field="groups",
            )
        if self.kind in (OpKind.DWCONV, OpKind.ELTWISE) and not (self.K == self.C == self.groups):
            raise MCMSchedError(
                f"layer '{self.name}': {self.kind} needs K == C == groups, got K={self.K}, "
                f"C={self.C}, groups={self.groups}",
                field="groups",
            )
        if self.kind is not OpKind.TRCONV and (self.R > self.Y or self.S > self.X):
            raise MCMSchedError(
                f"layer '{self.name}': kernel {self.R}x{self.S} larger than input "
                f"{self.Y}x{self.X}",
                field="R",
            )

    # ---- output size -------------------------------------------------------------------------
    @property
    def out_y(self) -> int:
        """Output height (elements)."""
        if self.kind is OpKind.TRCONV:
            return (self.Y - 1) * self.stride_y + self.R
        return (self.Y - self.R) // self.stride_y + 1

    @property
    def out_x(self) -> int:
        """Output width (elements)."""
        if self.kind is OpKind.TRCONV:
            return (self.X - 1) * self.stride_x + self.S
        return (self.X - self.S) // self.stride_x + 1

    # ---- derived counts (per layer batch N) --------------------------------------------------
    @property
    def macs(self) -> int:
        """Multiply-accumulate operations (an ELTWISE op counts one per output element)."""
        if self.kind is OpKind.ELTWISE:
            return self.N * self.K * self.out_y * self.out_x
        if self.kind is OpKind.TRCONV:
            return self.N * self.K * (self.C // self.groups) * self.Y * self.X * self.R * self.S
        return self.N * self.K * (self.C // self.groups) * self.out_y * self.out_x * self.R * self.S

    @property
    def input_elements(self) -> int:
        """Elements of the (first) input activation tensor."""
        return self.N * self.C * self.Y * self.X

    @property
    def weight_elements(self) -> int:
        """Elements of the second operand: weights, the second activation of a MATMUL, or the
        second addend of an ELTWISE."""
        if self.kind is OpKind.ELTWISE:
            return self.N * self.C * self.Y * self.X
        return (
            self.K
            * (self.C // self.groups)
            * self.R
            * self.S
            * (self.N if self.kind is OpKind.MATMUL else 1)
        )

    @property
    def output_elements(self) -> int:
        """Elements of the output activation tensor."""
        return self.N * self.K * self.out_y * self.out_x

    @property
    def params(self) -> int:
        """Trained parameters (weights only, no bias): zero for MATMUL and ELTWISE."""
        if self.kind in (OpKind.MATMUL, OpKind.ELTWISE):
            return 0
        return self.K * (self.C // self.groups) * self.R * self.S

    @property
    def has_weights(self) -> bool:
        """True if the second operand is a trained weight tensor (loaded from DRAM)."""
        return self.params > 0

    def input_bytes(self) -> int:
        """Bytes of the input activation tensor(s), including an activation second operand."""
        extra = 0 if self.has_weights else self.weight_elements
        return (self.input_elements + extra) * self.bytes_per_element

    def weight_bytes(self) -> int:
        """Bytes of trained weights."""
        return self.params * self.bytes_per_element

    def output_bytes(self) -> int:
        """Bytes of the output activation tensor."""
        return self.output_elements * self.bytes_per_element

    @property
    def shape_key(self) -> tuple[object, ...]:
        """Everything that determines the layer's cost (not its name): for deduplication."""
        return (
            self.kind.value,
            self.K,
            self.C,
            self.Y,
            self.X,
            self.R,
            self.S,
            self.stride_y,
            self.stride_x,
            self.groups,
            self.N,
            self.bytes_per_element,
            self.dataflow,
        )

    def transposed(self) -> Layer:
        """The same layer with its two spatial axes swapped (Y<->X, R<->S, strides): identical
        work and tensors, laid out the other way round. A mapper may run either orientation."""
        return replace(
            self,
            Y=self.X,
            X=self.Y,
            R=self.S,
            S=self.R,
            stride_y=self.stride_x,
            stride_x=self.stride_y,
        )

    def with_batch(self, n: int) -> Layer:
        """The same layer with layer batch ``n``."""
        return replace(self, N=n)


def _parse_kind(value: object, layer_name: str) -> OpKind:
    try:
        return OpKind(str(value).upper())
    except ValueError:
        valid = ", ".join(k.value for k in OpKind)
        raise MCMSchedError(
            f"layer '{layer_name}': unknown op kind {value!r} (valid: {valid})", field="kind"
        ) from None
