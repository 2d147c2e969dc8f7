"""What the graph importers (ONNX, PyTorch) share: a framework convolution as a Layer."""

from __future__ import annotations

import math
from collections.abc import Sequence

from mcmsched.workload.layer import Layer, OpKind


def dilated_extent(padded: int, kernel: int, dilation: int, stride: int) -> int:
    """The input extent (elements) an undilated ``kernel`` would need to give the same output
    size as a ``dilation``-dilated one over ``padded`` inputs (our IR has no dilation: a dilated
    convolution is charged as the undilated kernel over the same outputs)."""
    if dilation <= 1:
        return padded
    out = (padded - (kernel - 1) * dilation - 1) // stride + 1
    return (out - 1) * stride + kernel


def conv_layer(
    name: str,
    *,
    transposed: bool,
    out_channels: int,
    in_channels: int,
    y: int,
    x: int,
    kernel: tuple[int, int],
    stride: tuple[int, int],
    groups: int,
    batch: int,
) -> Layer:
    """A CONV / DWCONV / TRCONV layer. ``y``, ``x``: the padded input size (TRCONV: the input
    size); a grouped convolution with one channel per group is a DWCONV."""
    if transposed:
        kind = OpKind.TRCONV
    elif groups > 1 and groups == in_channels == out_channels:
        kind = OpKind.DWCONV
    else:
        kind = OpKind.CONV
    return Layer(
        name,
        kind,
        K=out_channels,
        C=in_channels,
        Y=y,
        X=x,
        R=kernel[0],
        S=kernel[1],
        stride_y=stride[0],
        stride_x=stride[1],
        groups=groups,
        N=batch,
    )


def eltwise_layer(name: str, shape: Sequence[int]) -> Layer:
    """An ELTWISE layer over a tensor of ``shape``: NCHW for rank 4, (N, tokens, channels) for
    rank 3, (tokens, channels) for rank 2, channels for rank 1; higher ranks fold the leading
    dimensions into N over (..., H, W, C)."""
    n, c, y, x = 1, 1, 1, 1
    if len(shape) == 4:
        n, c, y, x = shape
    elif len(shape) == 3:
        n, y, c = shape
    elif len(shape) == 2:
        y, c = shape
    elif len(shape) == 1:
        c = shape[0]
    else:
        n, y, x, c = math.prod(shape[:-3]), shape[-3], shape[-2], shape[-1]
    return Layer(name, OpKind.ELTWISE, K=c, C=c, Y=y, X=x, groups=c, N=n)
