"""ResNet-18/34/50/101/152 (He et al., CVPR16), with a ``plain`` switch.

Basic blocks (two 3x3 convs) for 18/34, bottleneck blocks (1x1, 3x3, 1x1 with
4x expansion) for 50/101/152; a projection shortcut (1x1 conv + norm) whenever
the shape changes and batch norm after every convolution (the paper's Sec. 3.3-3.4).
``plain=True`` removes every shortcut, giving the plain networks of the paper's
Figure 4 with the same layers and the same parameter count (minus projections).

Stems: the ImageNet stem (7x7/2 conv, 3x3/2 max pool) for inputs of 128 pixels
and more; below that the CIFAR-style stem (one 3x3/1 conv, no pooling), so a
32x32 image still reaches the last stage as a 4x4 map instead of 1x1.
Parameter counts follow the torchvision reference (bias-free convs, BN with
scale and shift, stride on the 3x3 conv of a bottleneck).

``layout="keras"`` builds ResNet-50/101/152 as keras.applications does (the
Caffe ResNet v1 the ImageNet weights come from): a bias on every conv, the
stride on a bottleneck's first 1x1 conv, explicit zero padding before the 7x7
conv and the max pool, batch-norm epsilon 1.001e-5, and the same order of
layers, so ``imagenet:resnet50`` weights load into it position by position.
"""

from netlab.architectures.registry import Option, ParamCount, choose_stem, register, stem_option
from netlab.base.errors import ConfigError

# Keras is imported inside functions: the registry and its families are imported by `netlab --help`,
# the window and Experiment.validate(), none of which loads Keras.

KERAS_EPSILON = 1.001e-5  # keras.applications ResNet's batch norm


def keras_bottleneck(x, filters, stride, blocks, name, shortcut_conv):
    """keras.applications' ``block1``: stride on the first 1x1, biases, projection built first."""
    from keras import layers

    shortcut = x
    if shortcut_conv:
        shortcut = blocks.conv(x, 4 * filters, 1, strides=stride, padding="valid", use_bias=True,
                               name=f"{name}_0_conv")
        shortcut = blocks.norm(shortcut, f"{name}_0", epsilon=KERAS_EPSILON)
    y = x
    for part, (size, units, strides) in enumerate(((1, filters, stride), (3, filters, 1), (1, 4 * filters, 1)), 1):
        y = blocks.conv(y, units, size, strides=strides, padding="same" if size == 3 else "valid",
                        use_bias=True, name=f"{name}_{part}_conv")
        y = blocks.norm(y, f"{name}_{part}", epsilon=KERAS_EPSILON)
        if part < 3:
            y = blocks.act(y, f"{name}_{part}")
    y = layers.Add(name=f"{name}_add")([shortcut, y])
    return blocks.act(y, f"{name}_out")


def keras_resnet(x, num_classes, blocks, depths):
    """ResNet v1 as keras.applications.ResNet50/101/152 lays it out (imagenet stem only)."""
    from keras import layers

    x = layers.ZeroPadding2D(3, name="conv1_pad")(x)
    x = blocks.conv(x, 64, 7, strides=2, padding="valid", use_bias=True, name="conv1_conv")
    x = blocks.act(blocks.norm(x, "conv1", epsilon=KERAS_EPSILON), "conv1")
    x = layers.ZeroPadding2D(1, name="pool1_pad")(x)
    x = blocks.pool(x, 3, 2, name="pool1")
    for stage, (filters, count) in enumerate(zip((64, 128, 256, 512), depths, strict=True)):
        for i in range(count):
            stride = 2 if stage > 0 and i == 0 else 1
            x = keras_bottleneck(x, filters, stride, blocks, f"conv{stage + 2}_block{i + 1}", i == 0)
        x = blocks.stage_end(x, name=f"conv{stage + 2}")
    return blocks.head(x, num_classes, paper_head="gap")


def residual_block(x, filters, stride, blocks, name, bottleneck, plain):
    from keras import layers

    out_channels = filters * 4 if bottleneck else filters
    shortcut = x
    if bottleneck:
        y = blocks.conv_norm_act(x, filters, 1, name=f"{name}_1")
        y = blocks.conv_norm_act(y, filters, 3, strides=stride, name=f"{name}_2")
        y = blocks.conv(y, out_channels, 1, name=f"{name}_3_conv")
        y = blocks.norm(y, f"{name}_3")
    else:
        y = blocks.conv_norm_act(x, filters, 3, strides=stride, name=f"{name}_1")
        y = blocks.conv(y, filters, 3, name=f"{name}_2_conv")
        y = blocks.norm(y, f"{name}_2")
    if plain:
        return blocks.act(y, f"{name}_out")
    if stride != 1 or x.shape[-1] != out_channels:
        # Linear projection when the number of filters changes (the paper's option B, Sec. 3.3).
        shortcut = blocks.conv(x, out_channels, 1, strides=stride, name=f"{name}_0_conv")
        shortcut = blocks.norm(shortcut, f"{name}_0")
    y = layers.Add(name=f"{name}_add")([shortcut, y])
    return blocks.act(y, f"{name}_out")


def resnet(x, num_classes, blocks, depths, bottleneck, plain=False, stem="auto", width=64,
           layout="netlab"):
    if layout == "keras":
        if plain or stem == "small" or width != 64:
            raise ConfigError("model.options.layout 'keras' is keras.applications' ResNet-50/101/152, "
                              "with shortcuts, the imagenet stem and width 64: not with plain, stem "
                              "'small' or another width")
        choose_stem("imagenet", min(x.shape[1], x.shape[2]), "resnet", imagenet_min=32)
        return keras_resnet(x, num_classes, blocks, depths)
    stem = choose_stem(stem, min(x.shape[1], x.shape[2]), "resnet", imagenet_min=32, auto_from=128)
    if stem == "imagenet":
        x = blocks.conv_norm_act(x, width, 7, strides=2, name="conv1")
        x = blocks.pool(x, 3, 2, padding="same", name="pool1")
    else:
        x = blocks.conv_norm_act(x, width, 3, strides=1, name="conv1")
    stages = (width, 2 * width, 4 * width, 8 * width)
    for stage, (filters, count) in enumerate(zip(stages, depths, strict=True)):
        for i in range(count):
            stride = 2 if stage > 0 and i == 0 else 1
            x = residual_block(x, filters, stride, blocks, f"conv{stage + 2}_block{i + 1}",
                               bottleneck, plain)
        x = blocks.stage_end(x, name=f"conv{stage + 2}")
    return blocks.head(x, num_classes, paper_head="gap")


OPTIONS = {
    "plain": Option(False, "Remove every shortcut: the plain network of the paper's Figure 4, same layers"),
    "stem": stem_option("imagenet: 7x7/2 conv and 3x3/2 max pool; small: one 3x3/1 conv, for CIFAR-sized "
                        "images; auto: imagenet from 128 pixels up"),
    # Narrow ResNets train on a CPU in minutes (the lessons' residual experiment); 64 is the paper's.
    "width": Option(64, "Filters of the first stage (the stages have 1, 2, 4 and 8 times as many); "
                        "64 is the paper's", minimum=1),
}
BOTTLENECK_OPTIONS = {
    **OPTIONS,
    "layout": Option("netlab", "netlab: torchvision's counts (no conv bias, stride on the 3x3); keras: "
                     "keras.applications' ResNet-50/101/152 (conv biases, stride on the first 1x1, zero "
                     "padding, BN epsilon 1.001e-5), what imagenet:resnetNN weights load into",
                     choices=("netlab", "keras")),
}

# Depths per stage from Table 1 of the ResNet paper; counts from torchvision.
VARIANTS = (
    ("resnet18", (2, 2, 2, 2), False, 11_689_512),
    ("resnet34", (3, 4, 6, 3), False, 21_797_672),
    ("resnet50", (3, 4, 6, 3), True, 25_557_032),
    ("resnet101", (3, 4, 23, 3), True, 44_549_160),
    ("resnet152", (3, 8, 36, 3), True, 60_192_808),
)

for _name, _depths, _bottleneck, _count in VARIANTS:
    register(
        _name,
        resnet,
        variant={"depths": _depths, "bottleneck": _bottleneck},
        family="ResNet",
        paper="He et al., Deep Residual Learning for Image Recognition, CVPR 2016",
        default_input=(224, 224, 3),
        min_input=32,
        params=ParamCount(_count, f"torchvision {_name}"),
        options=BOTTLENECK_OPTIONS if _bottleneck else OPTIONS,
        description=f"{'Bottleneck' if _bottleneck else 'Basic'} blocks {list(_depths)}.",
    )
