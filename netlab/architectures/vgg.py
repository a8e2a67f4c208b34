"""VGG configurations A, A-LRN, B, C, D, E (Simonyan & Zisserman, ICLR 2015), plus BN.

The tables below are Table 1 of the paper, column by column, in
its own notation: ``conv3-64`` is a 3x3 convolution with 64 filters, ``LRN``
AlexNet's local response normalization. Each of the five blocks ends in 2x2/2
max pooling; the head is FC 4096, 4096 (dropout 0.5 on both, as the paper)
and the softmax. Convolutions are 'same'-padded and keep their bias in every
variant, the BN ones included: that is torchvision's ``vgg*_bn``, whose
published counts the registry carries (batch norm is added between conv and
ReLU). A-LRN and C have no torchvision model: their counts are NetLab's own
(LRN has no weights, so A-LRN equals A). The paper's Table 2 prints the
totals in millions (A, A-LRN, B 133; C 134; D 138; E 144). With 224x224x3
inputs and 1000 classes:

    A 132,863,336   B 133,047,848   C 133,638,952   D 138,357,544   E 143,667,240
    A-BN 132,868,840   B-BN 133,053,736   D-BN 138,365,992   E-BN 143,678,248

``stem`` option: "imagenet" is the paper's network and runs from 32x32 (five
poolings: 32 -> 1, the usual CIFAR VGG, with the FC head on 1x1x512).
"small" drops block 1's pooling, as a CIFAR ResNet drops its stem's
downsampling, so 28x28 ends at 1x1 (28 -> 14 -> 7 -> 3 -> 1) and 16x16 is the
smallest that runs. "auto" picks the paper's network wherever it runs (from
32) and the small form below, e.g. for 28x28 digits.
"""

from netlab.architectures.registry import ParamCount, choose_stem, register, stem_option

# Keras, and netlab.architectures.layers that imports it, are imported inside functions: the
# registry and its families are imported by `netlab --help`, the window and Experiment.validate(),
# none of which loads Keras.

# Table 1, one tuple per block (between poolings).
CONFIGS = {
    "A": (
        ("conv3-64",),
        ("conv3-128",),
        ("conv3-256", "conv3-256"),
        ("conv3-512", "conv3-512"),
        ("conv3-512", "conv3-512"),
    ),
    "A-LRN": (
        ("conv3-64", "LRN"),
        ("conv3-128",),
        ("conv3-256", "conv3-256"),
        ("conv3-512", "conv3-512"),
        ("conv3-512", "conv3-512"),
    ),
    "B": (
        ("conv3-64", "conv3-64"),
        ("conv3-128", "conv3-128"),
        ("conv3-256", "conv3-256"),
        ("conv3-512", "conv3-512"),
        ("conv3-512", "conv3-512"),
    ),
    "C": (
        ("conv3-64", "conv3-64"),
        ("conv3-128", "conv3-128"),
        ("conv3-256", "conv3-256", "conv1-256"),
        ("conv3-512", "conv3-512", "conv1-512"),
        ("conv3-512", "conv3-512", "conv1-512"),
    ),
    "D": (
        ("conv3-64", "conv3-64"),
        ("conv3-128", "conv3-128"),
        ("conv3-256", "conv3-256", "conv3-256"),
        ("conv3-512", "conv3-512", "conv3-512"),
        ("conv3-512", "conv3-512", "conv3-512"),
    ),
    "E": (
        ("conv3-64", "conv3-64"),
        ("conv3-128", "conv3-128"),
        ("conv3-256", "conv3-256", "conv3-256", "conv3-256"),
        ("conv3-512", "conv3-512", "conv3-512", "conv3-512"),
        ("conv3-512", "conv3-512", "conv3-512", "conv3-512"),
    ),
}
IMAGENET_MIN = 32  # five 2x2 poolings: 32 -> 1
SMALL_MIN = 16  # four: 16 -> 1


def parse_layer(layer):
    """``"conv3-256"`` -> ``(3, 256)`` (kernel size, filters)."""
    kernel, filters = layer.removeprefix("conv").split("-")
    return int(kernel), int(filters)


def vgg(x, num_classes, blocks, config, arch, stem="auto"):
    from netlab.architectures.layers import LocalResponseNormalization

    stem = choose_stem(stem, min(x.shape[1], x.shape[2]), arch, IMAGENET_MIN)
    for number, block in enumerate(CONFIGS[config], start=1):
        convs = 0
        for layer in block:
            if layer == "LRN":
                x = LocalResponseNormalization(name=f"block{number}_lrn")(x)
                continue
            kernel, filters = parse_layer(layer)
            convs += 1
            name = f"block{number}_conv{convs}"
            x = blocks.conv(x, filters, kernel, name=name, use_bias=True)
            x = blocks.norm(x, name)
            x = blocks.act(x, name)
        if not (stem == "small" and number == 1):
            x = blocks.pool(x, 2, 2, name=f"block{number}_pool")
        x = blocks.stage_end(x, name=f"block{number}")
    return blocks.head(x, num_classes, paper_head="fc", fc_units=(4096, 4096))


STEM = stem_option("imagenet: the paper's five poolings (from 32x32); small: no pooling after "
                   "block 1, for 16-31 pixel images; auto: the paper's wherever it runs")
PAPER = "Simonyan & Zisserman, Very Deep Convolutional Networks for Large-Scale Image Recognition, ICLR 2015"
# Table 2 of the paper: number of parameters in millions.
TABLE_2_MILLIONS = {"A": 133, "A-LRN": 133, "B": 133, "C": 134, "D": 138, "E": 144}

# name, configuration, batch norm, trainable parameters and their source.
VARIANTS = (
    ("vgg11", "A", False, 132_863_336, "torchvision vgg11"),
    ("vgg11_lrn", "A-LRN", False, 132_863_336, None),
    ("vgg13", "B", False, 133_047_848, "torchvision vgg13"),
    ("vgg16_c", "C", False, 133_638_952, None),
    ("vgg16", "D", False, 138_357_544, "torchvision vgg16"),
    ("vgg19", "E", False, 143_667_240, "torchvision vgg19"),
    ("vgg11_bn", "A", True, 132_868_840, "torchvision vgg11_bn"),
    ("vgg13_bn", "B", True, 133_053_736, "torchvision vgg13_bn"),
    ("vgg16_bn", "D", True, 138_365_992, "torchvision vgg16_bn"),
    ("vgg19_bn", "E", True, 143_678_248, "torchvision vgg19_bn"),
)

for _name, _config, _batch_norm, _count, _source in VARIANTS:
    _convs = sum(layer != "LRN" for block in CONFIGS[_config] for layer in block)
    _title = f"VGG configuration {_config}" + (" with batch norm" if _batch_norm else "")
    register(
        _name,
        vgg,
        variant={"config": _config, "arch": _name},
        family="VGG",
        paper=PAPER,
        default_input=(224, 224, 3),
        min_input=SMALL_MIN,
        params=ParamCount(_count, _source or f"NetLab's count of configuration {_config} (Table 1)",
                          computed=_source is None),
        paper_params=None if _batch_norm else ParamCount(
            TABLE_2_MILLIONS[_config] * 1_000_000, "paper, Table 2 (millions)",
            printed=f"{TABLE_2_MILLIONS[_config]}M"),
        default_dropout=0.5,
        default_norm="batch" if _batch_norm else "none",
        options={"stem": STEM},
        description=f"{_title}: {_convs} convolutions and 3 FC layers (Table 1).",
    )
