"""MobileNet v1 (Howard et al., 2017) and MobileNet v2 (Sandler et al., CVPR18).

**v1**: a 3x3/2 conv, then the 13 depthwise separable convolutions of the
paper's Table 1, each a 3x3 depthwise conv + BN + ReLU followed by a 1x1
pointwise conv + BN + ReLU (Figure 3), global average pooling and the FC
classifier. Table 1 prints the 13th depthwise conv as "s2" but its input and
output are both 7x7: it has stride 1, as in every released model. The paper
uses plain ReLU (the Keras and TF-slim code use ReLU6); here the
``regularization.activation`` knob decides, as in every family.

**v2**: a 3x3/2 conv (32), the 17 inverted residual blocks of Table 2 (t, c, n,
s) and a last 1x1 conv to 1280 channels. A block expands the channels t times
with a 1x1 conv + BN + ReLU6 (not for t=1), filters them with a 3x3 depthwise
conv + BN + ReLU6 and projects back with a *linear* 1x1 conv + BN; the input
is added when the stride is 1 and the channels agree. ReLU6 (min(max(x, 0),
6)) belongs to the architecture (Section 3.4: robust in low precision), so it
is used wherever the activation knob says "relu"; any other activation
replaces it through :meth:`Blocks.act`. Channel counts are rounded to
multiples of 8; the last conv keeps 1280 channels for ``alpha`` <= 1.

Options:

- ``alpha``: the width multiplier (v1 Section 4.2): every layer gets
  ``alpha`` times its channels (v1: ``int(alpha * c)``; v2: rounded to a
  multiple of 8). The paper's values are 1.0, 0.75, 0.5 and 0.25 (v2 also 0.35,
  1.3, 1.4).
- ``stem``: "imagenet" has the paper's total stride 32 (224 -> 7). "small",
  for CIFAR-sized images, gives the first conv stride 1 and takes the stride
  out of the first strided block (v1: ``conv_dw_2``; v2: the first block of
  the 24-channel stage, as in the common CIFAR ports), for a total stride 8:
  32x32 ends as a 4x4 map (28x28 as 4x4 too), like ResNet's CIFAR stem. "auto"
  (default) takes the ImageNet form from 128 pixels up. "cifar" is accepted
  as a synonym of "small".

Head and dropout: global average pooling, dropout, then a Dense softmax
classifier. Keras's MobileNet v1 classifies with a 1x1 conv with bias on the
pooled vector, which has exactly the parameters of a Dense layer, so the
counts agree. Default dropout: 1e-3 for v1 (Keras's default, TF-slim's
keep_prob 0.999: the paper says small models need little regularization), 0.2
for v2 (torchvision's classifier, TF-slim's keep_prob 0.8).

Names follow Keras's applications, lowercased and with :class:`Blocks`'s
kind suffixes: ``conv1``, ``conv_dw_1``, ``conv_dw_1_bn``, ``conv_pw_1_relu``
(v1); ``block_1_expand``, ``block_1_depthwise_bn``, ``block_1_project``,
``block_2_add``, ``conv_last`` (v2; Keras's ``expanded_conv`` is ``block_0``).

Trainable parameters at 224x224x3, 1000 classes: v1 1.0 4,231,976 and v2 1.0
3,504,872, the trainable counts of Keras's ``MobileNet`` and ``MobileNetV2``
(bias-free convs, BN with scale and shift); v1 Table 8 rounds to 4.2 million.
"""

from netlab.architectures.registry import Option, ParamCount, choose_stem, register, stem_option

# Keras is imported inside functions: the registry and its families are imported by `netlab --help`,
# the window and Experiment.validate(), none of which loads Keras.

IMAGENET_STEM_FROM = 128

# v1 Table 1: (pointwise filters, depthwise stride) of the 13 separable convs.
V1_LAYOUT = (
    (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
    (512, 1), (512, 1), (512, 1), (512, 1), (512, 1),
    (1024, 2), (1024, 1),
)
# v2 Table 2: expansion t, output channels c, repeats n, stride s of the first repeat.
V2_LAYOUT = (
    (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
    (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
)
V2_LAST_CONV = 1280


def _small(x, stem, arch):
    """The small (total stride 8) form? The ImageNet form runs from 8 pixels, like the small one."""
    side = min(x.shape[1], x.shape[2])
    return choose_stem(stem, side, arch, imagenet_min=8, auto_from=IMAGENET_STEM_FROM) == "small"


def make_divisible(value, divisor=8):
    """Round to the nearest multiple of ``divisor``, losing at most 10% (v2 reference code)."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


# -- v1 -------------------------------------------------------------------------
def depthwise_separable(x, filters, stride, blocks, index):
    """3x3 depthwise + BN + act, then 1x1 pointwise + BN + act (v1 Figure 3, right)."""
    name = f"conv_dw_{index}"
    x = blocks.depthwise_conv(x, 3, strides=stride, name=name)
    x = blocks.norm(x, name)
    x = blocks.act(x, name)
    name = f"conv_pw_{index}"
    x = blocks.conv(x, filters, 1, name=name)
    x = blocks.norm(x, name)
    return blocks.act(x, name)


def mobilenet_v1(x, num_classes, blocks, alpha=1.0, stem="auto"):
    small = _small(x, stem, "mobilenet_v1")
    layout = [(f, 1 if small and i == 1 else s) for i, (f, s) in enumerate(V1_LAYOUT)]
    x = blocks.conv(x, max(1, int(32 * alpha)), 3, strides=1 if small else 2, name="conv1")
    x = blocks.norm(x, "conv1")
    x = blocks.act(x, "conv1")
    for i, (filters, stride) in enumerate(layout):
        x = depthwise_separable(x, max(1, int(filters * alpha)), stride, blocks, i + 1)
        if i + 1 == len(layout) or layout[i + 1][1] == 2:  # the last block at this resolution
            x = blocks.stage_end(x, name=f"conv_pw_{i + 1}")
    return blocks.head(x, num_classes, paper_head="gap")


# -- v2 -------------------------------------------------------------------------
def relu6(x, blocks, name):
    """ReLU6 where the activation knob says "relu" (v2's own nonlinearity), else the knob's."""
    from keras import layers

    if blocks.reg.activation == "relu":
        return layers.ReLU(max_value=6.0, name=f"{name}_relu6")(x)
    return blocks.act(x, name)


def inverted_residual(x, expansion, filters, stride, blocks, index):
    """1x1 expand + BN + ReLU6, 3x3 depthwise + BN + ReLU6, linear 1x1 project + BN (v2 Table 1)."""
    from keras import layers

    name = f"block_{index}"
    in_channels = x.shape[-1]
    y = x
    if expansion != 1:
        y = blocks.conv(y, expansion * in_channels, 1, name=f"{name}_expand")
        y = blocks.norm(y, f"{name}_expand")
        y = relu6(y, blocks, f"{name}_expand")
    y = blocks.depthwise_conv(y, 3, strides=stride, name=f"{name}_depthwise")
    y = blocks.norm(y, f"{name}_depthwise")
    y = relu6(y, blocks, f"{name}_depthwise")
    # Linear bottleneck: no activation after the projection (Section 3.2).
    y = blocks.conv(y, filters, 1, name=f"{name}_project")
    y = blocks.norm(y, f"{name}_project")
    if stride == 1 and in_channels == filters:
        y = layers.Add(name=f"{name}_add")([x, y])
    return y


def mobilenet_v2(x, num_classes, blocks, alpha=1.0, stem="auto"):
    small = _small(x, stem, "mobilenet_v2")
    x = blocks.conv(x, make_divisible(32 * alpha), 3, strides=1 if small else 2, name="conv1")
    x = blocks.norm(x, "conv1")
    x = relu6(x, blocks, "conv1")
    layout = []  # one (t, c, s) per block
    for row, (expansion, channels, repeats, stride) in enumerate(V2_LAYOUT):
        if small and row == 1:
            stride = 1
        filters = make_divisible(int(channels * alpha))
        layout += [(expansion, filters, stride if i == 0 else 1) for i in range(repeats)]
    for i, (expansion, filters, stride) in enumerate(layout):
        x = inverted_residual(x, expansion, filters, stride, blocks, i)
        if i + 1 < len(layout) and layout[i + 1][2] == 2:  # the last block at this resolution
            x = blocks.stage_end(x, name=f"block_{i}")
    # Section 4: the width multiplier is not applied to the last conv below 1.0.
    last = make_divisible(V2_LAST_CONV * alpha) if alpha > 1.0 else V2_LAST_CONV
    x = blocks.conv(x, last, 1, name="conv_last")
    x = blocks.norm(x, "conv_last")
    x = relu6(x, blocks, "conv_last")
    x = blocks.stage_end(x, name="conv_last")
    return blocks.head(x, num_classes, paper_head="gap")


OPTIONS = {
    "alpha": Option(1.0, "Width multiplier: every layer gets alpha times its channels (the papers use "
                         "0.25-1.4)", minimum=0.0, maximum=4.0, minimum_open=True),
    "stem": stem_option("imagenet: the paper's total stride 32; small: total stride 8, for CIFAR-sized "
                        "images; auto: imagenet from 128 pixels up"),
}
FAMILY = dict(family="MobileNet", default_input=(224, 224, 3), min_input=8, options=OPTIONS)

register(
    "mobilenet_v1",
    mobilenet_v1,
    paper="Howard et al., MobileNets: Efficient Convolutional Neural Networks for Mobile Vision "
          "Applications, arXiv:1704.04861, 2017",
    params=ParamCount(4_231_976, "keras.applications MobileNet (trainable)"),
    paper_params=ParamCount(4_200_000, "paper, Table 8 (millions)", printed="4.2M"),
    default_dropout=1e-3,
    description="13 depthwise separable convolutions; width multiplier alpha.",
    **FAMILY,
)
register(
    "mobilenet_v2",
    mobilenet_v2,
    paper="Sandler et al., MobileNetV2: Inverted Residuals and Linear Bottlenecks, CVPR 2018",
    params=ParamCount(3_504_872, "keras.applications MobileNetV2 (trainable)"),
    paper_params=ParamCount(3_400_000, "paper, Table 4 (millions)", printed="3.4M"),
    default_dropout=0.2,
    description="17 inverted residual blocks with linear bottlenecks; width multiplier alpha.",
    **FAMILY,
)
