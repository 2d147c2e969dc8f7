"""U-Net (Ronneberger et al., MICCAI 2015), written from the paper's Fig. 1.

Four encoder levels and a bottleneck of two 3x3 convolutions each (64, 128, 256, 512, 1024
channels, unpadded by default), 2x2 max pooling between levels, four decoder levels of a 2x2 / 2
up-convolution (TRCONV halving the channels), concatenation with the cropped encoder feature map
(a skip edge in the DAG) and two 3x3 convolutions, then a 1x1 convolution to 2 classes:
19 CONV + 4 TRCONV = 23 layers, the layer count SCAR reports (Table VI) and the layout of MAESTRO's
``UNet_model.m``. One departure from the MAESTRO file: the second up-convolution maps 512 -> 256
channels as in the paper (the file says 512 -> 512).

``unet`` is the original 572x572x1 network (output 388x388x2). ``scar-unet`` is the same network
at SCAR's 512x512x1 input (Table III; docs/REFERENCES.md#open-choices item 14): with unpadded
convolutions and
floor pooling the maps shrink to 324x324 at the output. ``same_padding=True`` pads every 3x3
convolution by 1 instead (output = input size when the input is a multiple of 16).
"""

from __future__ import annotations

from mcmsched.errors import MCMSchedError
from mcmsched.workload.model import Model
from mcmsched.workload.zoo._graph import GraphBuilder

UNET_CHANNELS: tuple[int, ...] = (64, 128, 256, 512, 1024)


def unet(
    image: int = 572,
    in_channels: int = 1,
    num_classes: int = 2,
    same_padding: bool = False,
    name: str = "unet",
) -> Model:
    """U-Net on an ``image`` x ``image`` x ``in_channels`` input."""
    for key, value in (("in_channels", in_channels), ("num_classes", num_classes)):
        if value <= 0:
            raise MCMSchedError(f"model '{name}': {key} must be positive", field=key)
    minimum = 16 if same_padding else 188
    if image < minimum:
        raise MCMSchedError(
            f"model '{name}': image size {image} is too small for U-Net (at least {minimum})",
            field="image",
        )
    pad = 1 if same_padding else 0
    g = GraphBuilder()
    prev: str | None = None
    h = image
    c_in = in_channels
    skips: list[tuple[str, int]] = []
    levels = len(UNET_CHANNELS)
    for lvl, ch in enumerate(UNET_CHANNELS, start=1):
        a, h = g.conv(f"conv{lvl}_1", c_in, ch, h, 3, prev, pad=pad)
        prev, h = g.conv(f"conv{lvl}_2", ch, ch, h, 3, a, pad=pad)
        c_in = ch
        if lvl < levels:
            skips.append((prev, ch))
            h //= 2  # max pool 2x2 / 2
    for up_idx, lvl in enumerate(range(levels - 1, 0, -1), start=1):
        skip, ch = skips[lvl - 1]
        up, h = g.trconv(f"trconv{up_idx}", c_in, ch, h, 2, 2, prev)
        a, h = g.conv(f"conv{lvl}_3", 2 * ch, ch, h, 3, up, skip, pad=pad)
        prev, h = g.conv(f"conv{lvl}_4", ch, ch, h, 3, a, pad=pad)
        c_in = ch
    g.conv("conv1_5", c_in, num_classes, h, 1, prev)
    return g.build(name)


def scar_unet(image: int = 512, same_padding: bool = False) -> Model:
    """SCAR's U-Net: the original network at 512x512x1 (Table III)."""
    return unet(image=image, same_padding=same_padding, name="scar-unet")
