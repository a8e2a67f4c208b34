"""DenseNet-121/169/201/264 and DenseNet-161 (Huang et al., CVPR17).

Within a dense block every layer sees the feature maps of all the layers
before it: its ``k`` new maps (the growth rate) are concatenated to its input.
Every "conv" of the paper's Table 1 is the pre-activation unit
BN-ReLU-Conv (:meth:`Blocks.norm_act_conv`). Between blocks a transition layer
(BN-ReLU-1x1 conv, 2x2/2 average pool) halves the map; after the last block
come BN-ReLU, global average pooling and the fully connected classifier.

Options (DenseNet-BC, the paper's ImageNet networks, by default):

- ``growth_rate``: k, the channels each layer adds (32; 48 for DenseNet-161).
  The first convolution has 2k channels (64; 96 for DenseNet-161).
- ``bottleneck`` (the B): a 1x1 conv with 4k channels before each 3x3 conv.
  Without it a layer is a single BN-ReLU-3x3 conv.
- ``compression`` (the C): a transition keeps ``floor(theta * m)`` of its
  ``m`` channels; 0.5 for DenseNet-BC, 1.0 switches compression off.
- ``stem``: "imagenet" is Table 1's 7x7/2 conv (BN-ReLU) and 3x3/2 max pool;
  "small" is the paper's CIFAR stem, one 3x3/1 conv with 2k channels and no
  pooling (the first dense layer's own BN-ReLU follows it). "auto" takes the
  ImageNet stem from 128 pixels up, the small one below, so a 32x32 image
  passes the four blocks at 32, 16, 8 and 4 pixels (28x28: 28, 14, 7, 3). The
  paper's CIFAR networks have three blocks; NetLab keeps Table 1's four so a
  variant stays the same network on small images. "cifar" is accepted as a
  synonym of "small" (ResNet's name for its small stem).

Names follow Keras's ``applications/densenet.py``: ``conv1_conv``, ``pool1``,
``conv2_block1_1_conv`` (the 1x1 bottleneck), ``conv2_block1_2_conv`` (the 3x3,
``_2`` with or without bottleneck), ``conv2_block1_concat``, ``pool2_conv``,
``pool2_pool``. The closing BN-ReLU is ``post_bn``/``post_relu`` (Keras's
ResNetV2 name for a pre-activation net's last norm): :class:`Blocks` appends
the kind of norm and activation to every name, so a bare ``bn`` cannot occur.

Trainable parameter counts (224x224x3, 1000 classes, bias-free convs, BN with
scale and shift) match torchvision and Keras exactly; DenseNet-264 has no
reference implementation to cite, so its count is left unpublished.

``layout="keras"`` is keras.applications' DenseNet exactly, what
``imagenet:densenetNNN`` weights load into: explicit zero padding before the
7x7/2 conv and the max pool (where "same" pads one side less) and batch-norm
epsilon 1.001e-5; same layers and counts.
"""

from netlab.architectures.registry import Option, ParamCount, choose_stem, register, stem_option
from netlab.base.errors import ConfigError

# Keras is imported inside functions: the registry and its families are imported by `netlab --help`,
# the window and Experiment.validate(), none of which loads Keras.

# Inputs of at least this side get the ImageNet stem under stem="auto" (as ResNet).
IMAGENET_STEM_FROM = 128
# 7x7/2 and 3x3/2 ("same") leave ceil(side / 4); the three 2x2 average pools
# then need 8 pixels to leave a 1x1 map: 29 -> 8 -> 1.
IMAGENET_STEM_MIN_SIDE = 29
# Channels of the 1x1 bottleneck conv, in multiples of k (Section 3, "Bottleneck layers").
BOTTLENECK_WIDTH = 4
KERAS_EPSILON = 1.001e-5  # keras.applications DenseNet's batch norm


def dense_layer(x, growth_rate, bottleneck, blocks, name, epsilon=None):
    """One layer of a dense block: k new maps, concatenated to everything before."""
    from keras import layers

    y = x
    if bottleneck:
        y = blocks.norm_act_conv(y, BOTTLENECK_WIDTH * growth_rate, 1, name=f"{name}_1", epsilon=epsilon)
    y = blocks.norm_act_conv(y, growth_rate, 3, name=f"{name}_2", epsilon=epsilon)
    return layers.Concatenate(name=f"{name}_concat")([x, y])


def dense_block(x, count, growth_rate, bottleneck, blocks, name, epsilon=None):
    for i in range(count):
        x = dense_layer(x, growth_rate, bottleneck, blocks, name=f"{name}_block{i + 1}", epsilon=epsilon)
    return x


def transition(x, compression, blocks, name, epsilon=None):
    """BN-ReLU-1x1 conv keeping ``floor(theta * m)`` channels, then 2x2/2 average pooling."""
    channels = max(1, int(x.shape[-1] * compression))
    x = blocks.norm_act_conv(x, channels, 1, name=name, epsilon=epsilon)
    return blocks.pool(x, 2, 2, name=f"{name}_pool", kind="avg")


def keras_stem(x, filters, blocks):
    """keras.applications' stem: zero padding 3, 7x7/2 conv, BN-ReLU, zero padding 1, 3x3/2 max pool."""
    from keras import layers

    x = layers.ZeroPadding2D(3, name="zero_padding2d")(x)
    x = blocks.conv(x, filters, 7, strides=2, padding="valid", name="conv1_conv")
    x = blocks.act(blocks.norm(x, "conv1", epsilon=KERAS_EPSILON), "conv1")
    x = layers.ZeroPadding2D(1, name="zero_padding2d_1")(x)
    return blocks.pool(x, 3, 2, name="pool1")


def densenet(x, num_classes, blocks, depths, growth_rate=32, bottleneck=True, compression=0.5,
             stem="auto", layout="netlab"):
    epsilon = None
    if layout == "keras":
        if stem == "small":
            raise ConfigError("model.options.layout 'keras' is keras.applications' DenseNet, with its "
                              "imagenet stem: not with stem 'small'")
        stem, epsilon = "imagenet", KERAS_EPSILON
    stem = choose_stem(stem, min(x.shape[1], x.shape[2]), "densenet", IMAGENET_STEM_MIN_SIDE,
                       auto_from=IMAGENET_STEM_FROM)
    if layout == "keras":
        x = keras_stem(x, 2 * growth_rate, blocks)
    elif stem == "imagenet":
        x = blocks.conv_norm_act(x, 2 * growth_rate, 7, strides=2, name="conv1")
        x = blocks.pool(x, 3, 2, padding="same", name="pool1")
    else:
        x = blocks.conv(x, 2 * growth_rate, 3, name="conv1_conv")
    for stage, count in enumerate(depths, start=2):
        x = dense_block(x, count, growth_rate, bottleneck, blocks, name=f"conv{stage}", epsilon=epsilon)
        x = blocks.stage_end(x, name=f"conv{stage}")
        if stage < len(depths) + 1:
            x = transition(x, compression, blocks, name=f"pool{stage}", epsilon=epsilon)
    x = blocks.norm(x, "post", epsilon=epsilon)
    x = blocks.act(x, "post")
    return blocks.head(x, num_classes, paper_head="gap")


def options(growth_rate: int) -> dict[str, Option]:
    return {
        "growth_rate": Option(growth_rate, "k, the channels each layer adds (the first conv has 2k)",
                              minimum=1, maximum=512),
        "bottleneck": Option(True, "The B of DenseNet-BC: a 1x1 conv with 4k channels before each 3x3"),
        "compression": Option(0.5, "The C: a transition keeps this fraction of its channels "
                                   "(0.5 DenseNet-BC, 1.0 no compression)",
                              minimum=0.0, maximum=1.0, minimum_open=True),
        "stem": stem_option("imagenet: Table 1's 7x7/2 conv and 3x3/2 max pool (from 29 pixels); small: "
                            "the paper's CIFAR 3x3/1 conv; auto: imagenet from 128 pixels up"),
        "layout": Option("netlab", "keras: keras.applications' DenseNet exactly (zero padding in the stem, "
                         "BN epsilon 1.001e-5), what imagenet:densenetNNN weights load into",
                         choices=("netlab", "keras")),
    }


# Layers per dense block from Table 1 (k=32); DenseNet-161 (k=48) is the
# fourth ImageNet model the authors released. Counts: torchvision and Keras agree.
VARIANTS = (
    ("densenet121", (6, 12, 24, 16), 32, 7_978_856),
    ("densenet169", (6, 12, 32, 32), 32, 14_149_480),
    ("densenet201", (6, 12, 48, 32), 32, 20_013_928),
    ("densenet264", (6, 12, 64, 48), 32, None),
    ("densenet161", (6, 12, 36, 24), 48, 28_681_000),
)

for _name, _depths, _growth_rate, _count in VARIANTS:
    register(
        _name,
        densenet,
        variant={"depths": _depths},
        family="DenseNet",
        paper="Huang et al., Densely Connected Convolutional Networks, CVPR 2017",
        default_input=(224, 224, 3),
        # Small stem (auto below 128 pixels) and three 2x2/2 transitions: 8 -> 1.
        min_input=8,
        params=None if _count is None else ParamCount(_count, f"torchvision {_name}"),
        options=options(_growth_rate),
        description=f"DenseNet-BC, dense blocks {list(_depths)}, growth rate {_growth_rate}.",
    )
