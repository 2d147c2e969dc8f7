"""Convolutional models written from their published architectures.

All sizes are element counts at batch 1. MAC totals at 224x224 (see ``tests/test_zoo.py`` for the
independent counts they are checked against):

- ``resnet50``: torchvision's ResNet-50 v1.5 (stride 2 on the 3x3 conv of the first block of a
  stage; 1x1 projection shortcuts). 53 CONV + 1 GEMM (fc) = 4,089,184,256 MACs, plus 16 ELTWISE
  residual adds kept as separate layers (70 layers). Pooling layers are not layers here.
- ``resnext50``: torchvision's ResNeXt-50 (32x4d): ResNet-50 v1.5 with bottleneck widths
  128/256/512/1024 and 32-group 3x3 convolutions (CONV with ``groups = 32``). 53 CONV + 1 GEMM =
  4,230,479,872 MACs (fc and the 4 projection convs included; torchvision lists 4.23 GFLOPS),
  plus 16 ELTWISE residual adds (70 layers).
- ``scar-resnet50``: the 66-layer layout of MAESTRO's ``Resnet50_model.m`` that SCAR used:
  conv1, 16 bottlenecks of three convs each (ResNet v1: stride 2 on the first 1x1 conv of a
  stage), one residual add per bottleneck and the classifier; no projection-shortcut convs
  (50 weight layers + 16 adds). Written from the architecture, with two deliberate departures
  from the MAESTRO file: the first 1x1 conv of blocks conv3_2..conv3_4 reads 512 channels (the
  file says 256, which does not match the 512-channel output of the preceding block) and the
  classifier is a 2048 -> 1000 GEMM after global average pooling (the file writes it as a 7x7
  conv over the 7x7 map). conv1 is padded (Y = 230) so its output is 112x112.
- ``googlenet``: GoogLeNet / Inception v1 as in Table 1 of Szegedy et al. (CVPR 2015), with the
  5x5 convolutions of the paper (torchvision uses 3x3 there), no auxiliary classifiers and no
  LRN; 57 CONV + 1 GEMM = 58 layers, 1,582,671,872 MACs. The paper's "ops" column sums to 1586 M;
  every row agrees within 1% except inception 5a, which the paper lists as 54 M although its own
  channel columns give 51.1 M.
- ``mobilenetv2``: MobileNetV2 1.0 (Sandler et al., CVPR 2018, Table 2): 52 CONV/DWCONV + 1 GEMM
  = 300,774,272 MACs (the paper's 300 M multiply-adds) plus 10 ELTWISE residual adds (63 layers).
"""

from __future__ import annotations

from mcmsched.errors import MCMSchedError
from mcmsched.workload.model import Model
from mcmsched.workload.zoo._graph import GraphBuilder

# (bottleneck width, blocks, stride of the first block) per ResNet-50 stage.
RESNET50_STAGES: tuple[tuple[int, int, int], ...] = (
    (64, 3, 1),
    (128, 4, 2),
    (256, 6, 2),
    (512, 3, 2),
)


def _check_image(image: int, minimum: int, model: str) -> None:
    if image < minimum:
        raise MCMSchedError(
            f"model '{model}': image size {image} is too small (at least {minimum})",
            field="image",
        )


def resnet50(image: int = 224, num_classes: int = 1000) -> Model:
    """ResNet-50 v1.5 (torchvision layout), square ``image`` x ``image`` x 3 input."""
    _check_image(image, 32, "resnet50")
    g = GraphBuilder()
    prev, h = g.conv("conv1", 3, 64, image, 7, stride=2, pad=3)
    h = (h + 2 - 3) // 2 + 1  # max pool 3x3 / 2, pad 1
    c_in = 64
    for stage, (width, blocks, stride) in enumerate(RESNET50_STAGES, start=1):
        for b in range(blocks):
            s = stride if b == 0 else 1
            p = f"layer{stage}.{b}"
            c1, _ = g.conv(f"{p}.conv1", c_in, width, h, 1, prev)
            c2, ho = g.conv(f"{p}.conv2", width, width, h, 3, c1, stride=s, pad=1)
            c3, _ = g.conv(f"{p}.conv3", width, 4 * width, ho, 1, c2)
            shortcut = prev
            if b == 0:
                shortcut, _ = g.conv(f"{p}.downsample", c_in, 4 * width, h, 1, prev, stride=s)
            prev = g.eltwise(f"{p}.add", 4 * width, ho, ho, c3, shortcut)
            c_in, h = 4 * width, ho
    g.gemm("fc", 1, c_in, num_classes, prev)
    return g.build("resnet50")


def resnext50(image: int = 224, num_classes: int = 1000, groups: int = 32, width: int = 4) -> Model:
    """ResNeXt-50 (``groups`` x ``width``d, default 32x4d; torchvision layout, like
    :func:`resnet50` with grouped 3x3 convolutions): a stage with ResNet width ``w`` has
    ``w * width * groups / 64`` bottleneck channels and a ``groups``-group 3x3 conv."""
    _check_image(image, 32, "resnext50")
    g = GraphBuilder()
    prev, h = g.conv("conv1", 3, 64, image, 7, stride=2, pad=3)
    h = (h + 2 - 3) // 2 + 1  # max pool 3x3 / 2, pad 1
    c_in = 64
    for stage, (planes, blocks, stride) in enumerate(RESNET50_STAGES, start=1):
        inner = planes * width // 64 * groups
        for b in range(blocks):
            s = stride if b == 0 else 1
            p = f"layer{stage}.{b}"
            c1, _ = g.conv(f"{p}.conv1", c_in, inner, h, 1, prev)
            c2, ho = g.conv(f"{p}.conv2", inner, inner, h, 3, c1, stride=s, pad=1, groups=groups)
            c3, _ = g.conv(f"{p}.conv3", inner, 4 * planes, ho, 1, c2)
            shortcut = prev
            if b == 0:
                shortcut, _ = g.conv(f"{p}.downsample", c_in, 4 * planes, h, 1, prev, stride=s)
            prev = g.eltwise(f"{p}.add", 4 * planes, ho, ho, c3, shortcut)
            c_in, h = 4 * planes, ho
    g.gemm("fc", 1, c_in, num_classes, prev)
    return g.build("resnext50")


def scar_resnet50(image: int = 224, num_classes: int = 1000) -> Model:
    """The 66-layer ResNet-50 of MAESTRO's model file (no projection convs), see module doc."""
    _check_image(image, 32, "scar-resnet50")
    g = GraphBuilder()
    prev, h = g.conv("CONV1", 3, 64, image, 7, stride=2, pad=3)
    h = (h + 2 - 3) // 2 + 1  # max pool 3x3 / 2, pad 1
    c_in = 64
    for stage, (width, blocks, stride) in enumerate(RESNET50_STAGES, start=2):
        for b in range(blocks):
            s = stride if b == 0 else 1
            p = f"CONV{stage}_{b + 1}"
            c1, ho = g.conv(f"{p}_1", c_in, width, h, 1, prev, stride=s)
            c2, _ = g.conv(f"{p}_2", width, width, ho, 3, c1, pad=1)
            c3, _ = g.conv(f"{p}_3", width, 4 * width, ho, 1, c2)
            prev = g.eltwise(f"{p}_Residual", 4 * width, ho, ho, c3, prev)
            c_in, h = 4 * width, ho
    g.gemm("FC1000", 1, c_in, num_classes, prev)
    return g.build("scar-resnet50")


# GoogLeNet inception modules (Szegedy et al. Table 1):
# name, #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj, max pool 3x3/2 before the module.
GOOGLENET_INCEPTION: tuple[tuple[str, int, int, int, int, int, int, bool], ...] = (
    ("3a", 64, 96, 128, 16, 32, 32, False),
    ("3b", 128, 128, 192, 32, 96, 64, False),
    ("4a", 192, 96, 208, 16, 48, 64, True),
    ("4b", 160, 112, 224, 24, 64, 64, False),
    ("4c", 128, 128, 256, 24, 64, 64, False),
    ("4d", 112, 144, 288, 32, 64, 64, False),
    ("4e", 256, 160, 320, 32, 128, 128, False),
    ("5a", 256, 160, 320, 32, 128, 128, True),
    ("5b", 384, 192, 384, 48, 128, 128, False),
)


def _pool_ceil(h: int) -> int:
    """Max pool 3x3 / 2 in ceil mode (GoogLeNet)."""
    return -(-(h - 3) // 2) + 1


def googlenet(image: int = 224, num_classes: int = 1000) -> Model:
    """GoogLeNet (Inception v1) from the paper's Table 1, no auxiliary classifiers."""
    _check_image(image, 64, "googlenet")
    g = GraphBuilder()
    stem, h = g.conv("conv1", 3, 64, image, 7, stride=2, pad=3)
    h = _pool_ceil(h)
    red, _ = g.conv("conv2_reduce", 64, 64, h, 1, stem)
    c2, h = g.conv("conv2", 64, 192, h, 3, red, pad=1)
    h = _pool_ceil(h)
    inputs: tuple[str, ...] = (c2,)
    c_in = 192
    for name, n1, n3r, n3, n5r, n5, npool, pool_before in GOOGLENET_INCEPTION:
        if pool_before:
            h = _pool_ceil(h)
        p = f"inception{name}"
        b1, _ = g.conv(f"{p}.1x1", c_in, n1, h, 1, *inputs)
        b2r, _ = g.conv(f"{p}.3x3_reduce", c_in, n3r, h, 1, *inputs)
        b2, _ = g.conv(f"{p}.3x3", n3r, n3, h, 3, b2r, pad=1)
        b3r, _ = g.conv(f"{p}.5x5_reduce", c_in, n5r, h, 1, *inputs)
        b3, _ = g.conv(f"{p}.5x5", n5r, n5, h, 5, b3r, pad=2)
        b4, _ = g.conv(f"{p}.pool_proj", c_in, npool, h, 1, *inputs)  # after max pool 3x3 / 1
        inputs = (b1, b2, b3, b4)
        c_in = n1 + n3 + n5 + npool
    g.gemm("fc", 1, c_in, num_classes, *inputs)
    return g.build("googlenet")


# MobileNetV2 bottleneck settings (Sandler et al. Table 2): expansion t, channels c, repeats n,
# stride s of the first repeat.
MOBILENETV2_BLOCKS: tuple[tuple[int, int, int, int], ...] = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)


def mobilenetv2(image: int = 224, num_classes: int = 1000) -> Model:
    """MobileNetV2 (width 1.0): inverted residual blocks, residual adds as ELTWISE layers."""
    _check_image(image, 32, "mobilenetv2")
    g = GraphBuilder()
    prev, h = g.conv("conv_stem", 3, 32, image, 3, stride=2, pad=1)
    c_in = 32
    idx = 0
    for t, c, n, s in MOBILENETV2_BLOCKS:
        for r in range(n):
            stride = s if r == 0 else 1
            p = f"block{idx}"
            hidden = c_in * t
            x = prev
            if t != 1:
                x, _ = g.conv(f"{p}.expand", c_in, hidden, h, 1, x)
            x, ho = g.conv(f"{p}.dw", hidden, hidden, h, 3, x, stride=stride, pad=1, groups=hidden)
            x, _ = g.conv(f"{p}.project", hidden, c, ho, 1, x)
            if stride == 1 and c_in == c:
                x = g.eltwise(f"{p}.add", c, ho, ho, x, prev)
            prev, c_in, h = x, c, ho
            idx += 1
    prev, _ = g.conv("conv_head", c_in, 1280, h, 1, prev)
    g.gemm("fc", 1, 1280, num_classes, prev)
    return g.build("mobilenetv2")
