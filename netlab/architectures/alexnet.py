"""AlexNet (Krizhevsky et al., NIPS 2012) and ZFNet (Zeiler & Fergus, ECCV 2014).

AlexNet is the single-tower network as CS231n's notes draw it: 227x227x3 input, conv1
96 11x11/4, 3x3/2 max pooling and local response normalization (LRN) after
conv1 and conv2, conv3-5 (384, 384, 256) of 3x3, a last 3x3/2 max pooling to
6x6x256, then FC 4096, 4096 with dropout 0.5 and the softmax. Convolutions
keep their bias as in the paper, giving 62,378,344 parameters for 1000
classes, NetLab's own count (the paper prints only "60 million parameters"
for its two-GPU version with grouped conv2/4/5; torchvision's 61,100,840 is
another single-tower variant, 64-192-384-256-256 filters and no LRN).

ZFNet is AlexNet with Zeiler & Fergus's changes: conv1 7x7 stride 2 pad 3
and conv3-5 of 512, 1024, 512 filters (the larger model of the ZF paper's
Table 2). Conv2 also gets stride 2, as in the ZF paper's Figure 3: without
it pool5 is 13x13 instead of 6x6 and FC6 alone would hold 354M weights.
Default input 224x224x3 (the ZF paper's). 1000 classes give 107,627,624
parameters; no figure is published for this configuration, so the registry
carries none.

Options:

- ``lrn`` (default True): the LRN layers after pool1 and pool2. The
  ``regularization.norm`` knob (batch/group/layer) independently adds that
  normalization after every convolution, which is how batch norm replaced LRN
  (Ioffe & Szegedy 2015); set ``lrn`` to false for the modern form.
- ``stem``: "imagenet" is the paper's network; "small" makes conv1 a 3x3/1
  convolution and every convolution stride 1, keeping the three 3x3/2
  poolings, so 32x32 ends at 3x3x256 and 28x28 at 2x2x256 (15x15 is the
  smallest that runs). "auto" picks the paper's network whenever it runs
  (sides from 67 for AlexNet, 53 for ZFNet) and the small form below.
"""

from netlab.architectures.registry import Option, ParamCount, choose_stem, register, stem_option

# Keras, and netlab.architectures.layers that imports it, are imported inside functions: the
# registry and its families are imported by `netlab --help`, the window and Experiment.validate(),
# none of which loads Keras.

# Per stage, its convolutions as (filters, kernel, stride, pad); every stage
# ends in 3x3/2 max pooling, the first two also in LRN (Krizhevsky et al. 2012, Sec. 3.5).
ALEXNET = (
    ((96, 11, 4, 0),),
    ((256, 5, 1, 2),),
    ((384, 3, 1, 1), (384, 3, 1, 1), (256, 3, 1, 1)),
)
ZFNET = (
    ((96, 7, 2, 3),),
    ((256, 5, 2, 2),),
    ((512, 3, 1, 1), (1024, 3, 1, 1), (512, 3, 1, 1)),
)
# Smallest side each form runs at (pool5 still 1x1): AlexNet 67 -> 15 -> 7 ->
# 3 -> 1; ZFNet 53 -> 27 -> 13 -> 7 -> 3 -> 1; small 15 -> 7 -> 3 -> 1.
IMAGENET_MIN = {"alexnet": 67, "zfnet": 53}
SMALL_MIN = 15


def small_form(table):
    """conv1 as 3x3/1 and every stride 1: only the poolings shrink the image."""
    (first, *rest), *stages = table
    stages = [(first[0], 3, 1, 1), *rest], *stages
    return tuple(tuple((f, k, 1, p) for f, k, _, p in stage) for stage in stages)


def conv_layer(x, blocks, filters, kernel, stride, pad, name):
    """Conv (with bias unless a normalization follows) -> norm knob -> activation."""
    from keras import layers

    if pad == 0:
        padding = "valid"
    elif stride == 1 and pad == kernel // 2:
        padding = "same"
    else:  # explicit symmetric padding: "same" pads unevenly at stride 2
        x = layers.ZeroPadding2D(pad, name=f"{name}_pad")(x)
        padding = "valid"
    x = blocks.conv(x, filters, kernel, strides=stride, padding=padding, name=name)
    x = blocks.norm(x, name)
    return blocks.act(x, name)


def alexnet_family(x, num_classes, blocks, table, arch, lrn=True, stem="auto"):
    from netlab.architectures.layers import LocalResponseNormalization

    side = min(x.shape[1], x.shape[2])
    if choose_stem(stem, side, arch, IMAGENET_MIN[arch]) == "small":
        table = small_form(table)
    number = 0
    for stage, convs in enumerate(table, start=1):
        for filters, kernel, stride, pad in convs:
            number += 1
            x = conv_layer(x, blocks, filters, kernel, stride, pad, name=f"conv{number}")
        x = blocks.pool(x, 3, 2, name=f"pool{stage}")
        if lrn and stage < len(table):
            x = LocalResponseNormalization(name=f"lrn{stage}")(x)
        x = blocks.stage_end(x, name=f"stage{stage}")
    return blocks.head(x, num_classes, paper_head="fc", fc_units=(4096, 4096))


OPTIONS = {
    "lrn": Option(True, "Local response normalization after pool1 and pool2 (the paper's; "
                        "batch norm replaced it)"),
    "stem": stem_option("imagenet: the paper's 11x11/4 (ZFNet 7x7/2) first convolution; small: 3x3/1 "
                        "and stride 1 everywhere, for small images; auto: the paper's wherever it runs"),
}
FAMILY = dict(default_dropout=0.5, default_norm="none", min_input=SMALL_MIN, options=OPTIONS)

register(
    "alexnet",
    alexnet_family,
    variant={"table": ALEXNET, "arch": "alexnet"},
    family="AlexNet",
    paper="Krizhevsky, Sutskever & Hinton, ImageNet Classification with Deep Convolutional "
          "Neural Networks, NIPS 2012",
    default_input=(227, 227, 3),
    params=ParamCount(62_378_344, "NetLab's count of the single-tower network, 227x227 input (biases "
                                  "included)", computed=True),
    paper_params=ParamCount(60_000_000, "paper, abstract (two-GPU network)", printed="60 million"),
    description="Five convolutions (11x11/4 first), LRN, three max poolings, FC 4096-4096.",
    **FAMILY,
)
register(
    "zfnet",
    alexnet_family,
    variant={"table": ZFNET, "arch": "zfnet"},
    family="ZFNet",
    paper="Zeiler & Fergus, Visualizing and Understanding Convolutional Networks, ECCV 2014",
    default_input=(224, 224, 3),
    description="AlexNet with a 7x7/2 conv1 and 512-1024-512 filters in conv3-5.",
    **FAMILY,
)
