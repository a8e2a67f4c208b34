"""GoogLeNet, the Inception v1 network (Szegedy et al., CVPR15), Table 1 as data.

The ImageNet form is exactly the paper's Table 1: 7x7/2 conv (64), 3x3/2 max
pool, 1x1 conv (64, the "3x3 reduce") and 3x3 conv (192), 3x3/2 max pool,
inception 3a-3b, max pool, 4a-4e, max pool, 5a-5b, 7x7 average pool (global
average pooling at 224x224), dropout 40%, linear, softmax.

An inception module (the paper's Figure 2b) runs four branches side by side and
concatenates them: a 1x1 conv; a 1x1 reduce then a 3x3 conv; a 1x1 reduce then
a 5x5 conv; a 3x3/1 max pool then a 1x1 "pool proj" conv. Every layer of module
3a is named ``inception_3a_...`` (``inception_3a_1x1_conv``,
``inception_3a_3x3_reduce_conv``, ..., ``inception_3a_concat``) so per-module
sums (parameters, multiply-adds) can be taken by name prefix.

Auxiliary classifiers (section 5 of the paper) sit on the outputs of 4a and 4d:
5x5/3 average pool, 1x1 conv (128), FC 1024, dropout 70%, linear softmax. They
are built for training only (``ArchSpec.build(..., aux=True)`` gives outputs
``[predictions, aux1_predictions, aux2_predictions]``); the paper weights each
auxiliary loss by :data:`AUX_LOSS_WEIGHT` and discards them at inference.
They are a training-time device whose value a user can test:
option ``aux_classifiers`` switches them off, ``aux_weight`` sets the weight;
the trainer reads both through the registry's ``aux_heads``.

Departures from the paper, on purpose:

- The local response normalization after pool1 and after conv2 is omitted
  (later work, and torchvision, drop it; it has no parameters). The original
  has no other normalization, so ``default_norm`` is "none": convolutions keep
  their bias and are followed by ReLU. Choosing batch norm in the config gives
  a GoogLeNet-BN (bias-free convs, BN before each ReLU).
- Max pools use "same" padding, which reproduces Caffe's ceil-mode sizes of the
  table (112 -> 56 -> 28 -> 14 -> 7).
- A setting of ``regularization.dropout`` applies to every dropout layer (head
  and auxiliary heads); left unset, the paper's 40% and 70% are used.

Stems (option ``stem``): "imagenet" is the table's; "small" (or "cifar") keeps its three
convolutions but makes the first 3x3/1 and drops the two stem max pools, so a
32x32 image reaches 3a as 32x32, 4a as 16x16 (where the auxiliary 5x5/3 pool
still gives 4x4, as 14x14 does at 224) and 5a as 8x8 -- the usual CIFAR form
of GoogLeNet. The auxiliary pool needs a 4a grid of at least 5x5, so the
ImageNet stem needs 65x65 images (4a at 1/16) and the CIFAR stem 9x9
(``min_input``). "auto" takes the ImageNet stem whenever it fits (65 and up):
the CIFAR stem keeps full resolution up to 3a, so its cost grows with the
square of the side (1.56G multiply-adds at 32x32, about the 1.58G of the
224x224 network; 6.2G at 64x64).

Parameters: the table's "params" column counts weights without biases in units
of 1024 and is rounded (4c, 5a and conv1 are off; see tests/architectures/test_inception.py).
``params`` is not a figure printed by the paper (it prints no total):
it is the exact count of this inference network for 1000 classes (biased convs,
no aux heads, no LRN), computed from Table 1 by :func:`table_param_count` and
checked against Keras. torchvision's 6,624,904 is a different network (batch
norm, bias-free convs, 3x3 instead of 5x5 in the 5x5 branch) and is not used.
"""

from netlab.architectures.registry import AuxHeads, Option, ParamCount, choose_stem, register, stem_option

# Keras is imported inside functions: the registry and its families are imported by `netlab --help`,
# the window and Experiment.validate(), none of which loads Keras.

# Weight of each auxiliary classifier's loss in the training loss
# (paper section 5: total = main + 0.3 * aux1 + 0.3 * aux2); the default of
# the ``aux_weight`` option.
AUX_LOSS_WEIGHT = 0.3

# Table 1 of the paper: module -> (#1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj).
INCEPTION_MODULES = {
    "3a": (64, 96, 128, 16, 32, 32),
    "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64),
    "4b": (160, 112, 224, 24, 64, 64),
    "4c": (128, 128, 256, 24, 64, 64),
    "4d": (112, 144, 288, 32, 64, 64),
    "4e": (256, 160, 320, 32, 128, 128),
    "5a": (256, 160, 320, 32, 128, 128),
    "5b": (384, 192, 384, 48, 128, 128),
}
# The table's "params" and "ops" columns as printed (params: weights without
# biases, K = 1024; ops: multiply-adds at 224x224). The summary shows them
# beside the computed figures; conv1, 4c and 5a are off in the printed table.
PRINTED_TABLE = {
    "conv1": (2.7 * 1024, 34e6),
    "conv2": (112 * 1024, 360e6),
    "inception_3a": (159 * 1024, 128e6),
    "inception_3b": (380 * 1024, 304e6),
    "inception_4a": (364 * 1024, 73e6),
    "inception_4b": (437 * 1024, 88e6),
    "inception_4c": (463 * 1024, 100e6),
    "inception_4d": (580 * 1024, 119e6),
    "inception_4e": (840 * 1024, 170e6),
    "inception_5a": (1072 * 1024, 54e6),
    "inception_5b": (1388 * 1024, 71e6),
    "predictions": (1000 * 1024, 1e6),
}
# Stages of modules, separated by 3x3/2 max pools.
STAGES = (("3a", "3b"), ("4a", "4b", "4c", "4d", "4e"), ("5a", "5b"))
# Auxiliary classifiers: module they branch from -> name (paper section 5).
AUX_AFTER = {"4a": "aux1", "4d": "aux2"}
STEM = {"conv1": 64, "conv2_3x3_reduce": 64, "conv2_3x3": 192}
AUX_CONV, AUX_FC, AUX_DROPOUT = 128, 1024, 0.7
# Smallest side for the ImageNet stem: ceil(side / 16) >= 5 at 4a for the aux pool.
IMAGENET_STEM_MIN_SIDE = 65


def inception_module(x, blocks, name, filters):
    """Figure 2b: 1x1 | 1x1 -> 3x3 | 1x1 -> 5x5 | 3x3 max pool -> 1x1, concatenated."""
    from keras import layers

    n1x1, n3x3_reduce, n3x3, n5x5_reduce, n5x5, pool_proj = filters
    branch1x1 = blocks.conv_norm_act(x, n1x1, 1, name=f"{name}_1x1")
    branch3x3 = blocks.conv_norm_act(x, n3x3_reduce, 1, name=f"{name}_3x3_reduce")
    branch3x3 = blocks.conv_norm_act(branch3x3, n3x3, 3, name=f"{name}_3x3")
    branch5x5 = blocks.conv_norm_act(x, n5x5_reduce, 1, name=f"{name}_5x5_reduce")
    branch5x5 = blocks.conv_norm_act(branch5x5, n5x5, 5, name=f"{name}_5x5")
    branch_pool = blocks.pool(x, 3, 1, padding="same", name=f"{name}_pool")
    branch_pool = blocks.conv_norm_act(branch_pool, pool_proj, 1, name=f"{name}_pool_proj")
    return layers.Concatenate(name=f"{name}_concat")([branch1x1, branch3x3, branch5x5, branch_pool])


def aux_classifier(x, num_classes, blocks, name):
    """Paper section 5: 5x5/3 avg pool, 1x1 conv 128, FC 1024, dropout 70%, softmax."""
    from keras import layers

    x = blocks.pool(x, 5, 3, padding="valid", name=f"{name}_pool", kind="avg")
    x = blocks.conv_norm_act(x, AUX_CONV, 1, name=f"{name}_1x1")
    x = layers.Flatten(name=f"{name}_flatten")(x)
    x = blocks.dense(x, AUX_FC, name=f"{name}_fc")
    rate = AUX_DROPOUT if blocks.reg.dropout is None else blocks.dropout_rate
    x = blocks.dropout(x, name=f"{name}_dropout", rate=rate)
    return blocks.classifier(x, num_classes, name=f"{name}_predictions")


def googlenet(x, num_classes, blocks, stem="auto", aux_classifiers=True, aux_weight=AUX_LOSS_WEIGHT):
    """GoogLeNet; ``aux_weight`` is the trainer's (through ``ArchSpec.aux_heads``), not the graph's."""
    # The ImageNet stem needs 65 pixels: the auxiliary classifiers pool 5x5 at 1/16 of the input.
    stem = choose_stem(stem, min(x.shape[1], x.shape[2]), "googlenet", IMAGENET_STEM_MIN_SIDE)
    if stem == "imagenet":
        x = blocks.conv_norm_act(x, STEM["conv1"], 7, strides=2, name="conv1")
        x = blocks.pool(x, 3, 2, padding="same", name="pool1")
    else:
        x = blocks.conv_norm_act(x, STEM["conv1"], 3, strides=1, name="conv1")
    x = blocks.conv_norm_act(x, STEM["conv2_3x3_reduce"], 1, name="conv2_3x3_reduce")
    x = blocks.conv_norm_act(x, STEM["conv2_3x3"], 3, name="conv2_3x3")
    if stem == "imagenet":
        x = blocks.pool(x, 3, 2, padding="same", name="pool2")

    aux_outputs = []
    for stage, modules in enumerate(STAGES, start=3):
        if stage > 3:  # pool3 after 3b, pool4 after 4e (the paper's Caffe names)
            x = blocks.pool(x, 3, 2, padding="same", name=f"pool{stage - 1}")
        for module in modules:
            x = inception_module(x, blocks, f"inception_{module}", INCEPTION_MODULES[module])
            if aux_classifiers and module in AUX_AFTER:
                aux_outputs.append(aux_classifier(x, num_classes, blocks, AUX_AFTER[module]))
        x = blocks.stage_end(x, name=f"inception_{stage}")
    return blocks.head(x, num_classes, paper_head="gap"), aux_outputs


def table_param_count(num_classes=1000, in_channels=3, aux=False, bias=True):
    """Trainable parameters of GoogLeNet (no normalization) computed from Table 1 alone."""
    b = 1 if bias else 0

    def conv(k, cin, cout):
        return k * k * cin * cout + b * cout

    total = conv(7, in_channels, 64) + conv(1, 64, 64) + conv(3, 64, 192)
    channels = 192
    for modules in STAGES:
        for module in modules:
            n1, r3, n3, r5, n5, pp = INCEPTION_MODULES[module]
            total += conv(1, channels, n1) + conv(1, channels, r3) + conv(3, r3, n3)
            total += conv(1, channels, r5) + conv(5, r5, n5) + conv(1, channels, pp)
            if aux and module in AUX_AFTER:
                # 4x4 grid after the 5x5/3 pool of a 14x14 map.
                total += conv(1, n1 + n3 + n5 + pp, AUX_CONV) + conv(1, 4 * 4 * AUX_CONV, AUX_FC)
                total += conv(1, AUX_FC, num_classes)
            channels = n1 + n3 + n5 + pp
    return total + conv(1, channels, num_classes)


register(
    "googlenet",
    googlenet,
    family="Inception",
    paper="Szegedy et al., Going Deeper with Convolutions, CVPR 2015",
    default_input=(224, 224, 3),
    min_input=9,  # CIFAR stem: the aux 5x5 pool needs a 4a grid of ceil(side / 2) >= 5
    # 6,998,552: the paper prints no total; see the module docstring.
    params=ParamCount(table_param_count(), "NetLab's count from Table 1 (biased convs, no LRN, no "
                                           "auxiliary heads)", computed=True),
    published_table=PRINTED_TABLE,
    default_dropout=0.4,
    default_norm="none",
    options={
        "stem": stem_option("imagenet: Table 1's 7x7/2 conv and two 3x3/2 max pools (from 65 pixels); "
                            "small: 3x3/1 and no stem pools, for CIFAR-sized images; auto: imagenet "
                            "whenever it fits"),
        "aux_classifiers": Option(True, "Train with the two auxiliary classifiers on 4a and 4d "
                                        "(section 5); they are dropped at inference either way"),
        "aux_weight": Option(AUX_LOSS_WEIGHT, "Weight of each auxiliary classifier's loss: "
                                              "loss = main + w x (aux1 + aux2); the paper's is 0.3",
                             minimum=0.0, maximum=1.0),
    },
    aux_heads=AuxHeads(switch="aux_classifiers", weight="aux_weight"),
    description="Inception v1: nine inception modules, two auxiliary classifiers for training.",
)
