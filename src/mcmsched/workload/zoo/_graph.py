"""A small helper that builds a :class:`~mcmsched.workload.model.Model` layer by layer.

Every ``add`` appends one layer (so the order of calls is the topological layer order) and one
edge from each named producer. Sizes are element counts; the conv helpers take the *unpadded*
input size and padding and store ``Y = H + 2 * pad`` as the MAESTRO convention of
:mod:`mcmsched.workload.layer` requires.
"""

from __future__ import annotations

from mcmsched.workload.layer import Layer, OpKind
from mcmsched.workload.model import Model


class GraphBuilder:
    """Collects layers and dependency edges; ``build`` returns the frozen :class:`Model`."""

    def __init__(self) -> None:
        self._layers: list[Layer] = []
        self._edges: list[tuple[int, int]] = []
        self._index: dict[str, int] = {}

    def add(self, layer: Layer, *inputs: str | None) -> str:
        """Append ``layer``, consuming the outputs of the named layers; returns its name."""
        i = len(self._layers)
        self._layers.append(layer)
        self._index[layer.name] = i
        for src in dict.fromkeys(s for s in inputs if s is not None):
            self._edges.append((self._index[src], i))
        return layer.name

    # ---- shorthands --------------------------------------------------------------------------
    def conv(
        self,
        name: str,
        c_in: int,
        c_out: int,
        size: int,
        k: int,
        *inputs: str | None,
        stride: int = 1,
        pad: int = 0,
        groups: int = 1,
    ) -> tuple[str, int]:
        """A square ``k x k`` convolution on a ``size x size`` input (unpadded) with ``pad``.

        Returns the layer name and the output size. ``groups == c_in == c_out`` gives a DWCONV.
        """
        kind = OpKind.DWCONV if groups > 1 and groups == c_in == c_out else OpKind.CONV
        padded = size + 2 * pad
        layer = Layer(
            name,
            kind,
            K=c_out,
            C=c_in,
            Y=padded,
            X=padded,
            R=k,
            S=k,
            stride_y=stride,
            stride_x=stride,
            groups=groups,
        )
        self.add(layer, *inputs)
        return name, layer.out_y

    def trconv(
        self, name: str, c_in: int, c_out: int, size: int, k: int, stride: int, *inputs: str | None
    ) -> tuple[str, int]:
        """A transposed convolution (``size`` is the input size); returns name and output size."""
        layer = Layer(
            name,
            OpKind.TRCONV,
            K=c_out,
            C=c_in,
            Y=size,
            X=size,
            R=k,
            S=k,
            stride_y=stride,
            stride_x=stride,
        )
        self.add(layer, *inputs)
        return name, layer.out_y

    def gemm(
        self, name: str, m: int, k: int, n: int, *inputs: str | None, kv_write: int = 0
    ) -> str:
        """``[m, k] x [k, n]`` with trained weights (1x1 CONV with Y = m, X = 1); ``kv_write``:
        KV-cache bytes per sample it writes."""
        return self.add(
            Layer(name, OpKind.GEMM, K=n, C=k, Y=m, X=1, kv_write_bytes=kv_write), *inputs
        )

    def matmul(
        self,
        name: str,
        m: int,
        k: int,
        n: int,
        groups: int,
        *inputs: str | None,
        kv_read: int = 0,
    ) -> str:
        """``groups`` independent activation products ``[m, k] x [k, n]``; ``kv_read``: bytes
        per sample of the second operand read from the KV cache."""
        return self.add(
            Layer(
                name,
                OpKind.MATMUL,
                K=groups * n,
                C=groups * k,
                Y=m,
                X=1,
                groups=groups,
                kv_read_bytes=kv_read,
            ),
            *inputs,
        )

    def eltwise(self, name: str, channels: int, h: int, w: int, *inputs: str | None) -> str:
        """Element-wise add of two ``channels x h x w`` tensors (residual add)."""
        return self.add(
            Layer(name, OpKind.ELTWISE, K=channels, C=channels, Y=h, X=w, groups=channels),
            *inputs,
        )

    def build(self, name: str, source: str = "zoo", cache_len: int = 0) -> Model:
        """The model (edges deduplicated, in insertion order); ``cache_len``: KV-cache tokens a
        decode step reads (:attr:`Model.cache_len`)."""
        edges = tuple(dict.fromkeys(self._edges))
        if not edges and len(self._layers) > 1:
            edges = tuple((i, i + 1) for i in range(len(self._layers) - 1))
        return Model(
            name=name, layers=tuple(self._layers), edges=edges, source=source, cache_len=cache_len
        )
