"""Inception v3 (Szegedy et al., Rethinking the Inception Architecture, CVPR16).

Laid out like the reference implementation that the released weights use
(Keras's ``applications/inception_v3.py``, TF-slim's ``inception_v3``), written
here as tables of filter counts:

- stem: 3x3/2 conv (32), 3x3 conv (32), 3x3 conv padded (64), 3x3/2 max pool,
  1x1 conv (80), 3x3 conv (192), 3x3/2 max pool: 299 -> 35x35x192. (The paper's
  own Table 1 lists a slightly different stem; the implementation's is used.)
- mixed0-2, 35x35 (Figure 5): each 5x5 convolution factorized into two 3x3
  ("3x3dbl" branch). As in the reference, these modules also keep a
  1x1 -> 5x5 branch beside it.
- mixed3: grid-size reduction 35 -> 17 (Figure 10): a 3x3/2 conv branch, a
  1x1 -> 3x3 -> 3x3/2 branch and a 3x3/2 max pool, concatenated.
- mixed4-7, 17x17 (Figure 6): n x n factorized into 1 x n followed by n x 1,
  n = 7.
- mixed8: grid-size reduction 17 -> 8.
- mixed9-10, 8x8 (Figure 7): expanded filter banks, each 3x3 ending in parallel
  1x3 and 3x1 convolutions whose outputs are concatenated.
- global average pooling, softmax.

Every convolution is followed by batch norm and ReLU; convolutions have no bias
and batch norm no scale (``blocks.norm(..., scale=False)``, as the reference:
a ReLU follows, so a scale would be redundant with the next layer's weights).
With 1000 classes the network has exactly 23,817,352 trainable parameters,
counted like the Keras reference (``params``). The auxiliary
classifier of the paper is not built (the Keras reference has none either);
the Keras reference has no dropout before the classifier (TF-slim uses 20%), so
``default_dropout`` is 0.

Layer names: module concatenations are ``mixed0`` ... ``mixed10`` like Keras,
and every layer of a module's branches starts with the module's name and an
underscore (``mixed4_7x7_1x7_conv``, ``mixed4_pool_proj_bn``), so per-module
sums can be taken by the prefix ``mixedN_``.

Stems (option ``stem``): "imagenet" needs 75x75 images, as Keras requires
(75 gives 7x7 at mixed0, 3x3 after mixed3 and 1x1 after mixed8). "small" (or "cifar") is the same five convolutions
with stride 1 and "same" padding and without the two max pools, so a 32x32
image reaches mixed0 as 32x32 and the reductions give 15x15 and 7x7 (the
299 network's 35, 17 and 8): 3.6G multiply-adds at 32x32 against 5.7G at
299x299. The reductions use unpadded 3x3/2 convolutions, so the CIFAR
stem needs 7x7 images (7 -> 3 -> 1, ``min_input``). "auto" takes the ImageNet
stem whenever it fits (75 and up): the CIFAR stem's cost grows with the square
of the side (20.6G multiply-adds at 74x74).
"""

from netlab.architectures.registry import ParamCount, choose_stem, register, stem_option

# Keras is imported inside functions: the registry and its families are imported by `netlab --help`,
# the window and Experiment.validate(), none of which loads Keras.

# 35x35 modules (Figure 5): (#1x1, #5x5 reduce, #5x5, #3x3dbl reduce, #3x3dbl, pool proj).
MODULES_35 = {
    "mixed0": (64, 48, 64, 64, 96, 32),
    "mixed1": (64, 48, 64, 64, 96, 64),
    "mixed2": (64, 48, 64, 64, 96, 64),
}
# Reduction 35 -> 17: (#3x3/2, #3x3dbl reduce, #3x3dbl).
REDUCTION_17 = ("mixed3", (384, 64, 96))
# 17x17 modules (Figure 6, n = 7): (#1x1, #7x7 reduce, #7x7 out, pool proj);
# inside the 7x7 branches the reduce width is kept until the last conv.
MODULES_17 = {
    "mixed4": (192, 128, 192, 192),
    "mixed5": (192, 160, 192, 192),
    "mixed6": (192, 160, 192, 192),
    "mixed7": (192, 192, 192, 192),
}
N = 7
# Reduction 17 -> 8: (#3x3 reduce, #3x3/2, #7x7x3 width).
REDUCTION_8 = ("mixed8", (192, 320, 192))
# 8x8 modules (Figure 7): (#1x1, #3x3 reduce, #3x3 (each of 1x3, 3x1),
# #3x3dbl reduce, #3x3dbl (3x3, then each of 1x3, 3x1), pool proj).
MODULES_8 = {
    "mixed9": (320, 384, 384, 448, 384, 192),
    "mixed10": (320, 384, 384, 448, 384, 192),
}
# (filters, kernel, stride, padding of the ImageNet stem) and where its pools sit.
STEM = (
    ("conv1", 32, 3, 2, "valid"),
    ("conv2", 32, 3, 1, "valid"),
    ("conv3", 64, 3, 1, "same"),
    ("pool1", None, 3, 2, "valid"),
    ("conv4", 80, 1, 1, "valid"),
    ("conv5", 192, 3, 1, "valid"),
    ("pool2", None, 3, 2, "valid"),
)
IMAGENET_STEM_MIN_SIDE = 75  # Keras's min_size for InceptionV3


def unit(x, blocks, filters, kernel, name, strides=1, padding="same"):
    """Conv (no bias) -> batch norm without scale -> ReLU, the reference's conv2d_bn."""
    x = blocks.conv(x, filters, kernel, strides, padding, name=f"{name}_conv")
    x = blocks.norm(x, name, scale=False)
    return blocks.act(x, name)


def module_35(x, blocks, name, filters):
    from keras import layers

    n1x1, n5x5_reduce, n5x5, n3x3dbl_reduce, n3x3dbl, pool_proj = filters
    branch1x1 = unit(x, blocks, n1x1, 1, f"{name}_1x1")
    branch5x5 = unit(x, blocks, n5x5_reduce, 1, f"{name}_5x5_reduce")
    branch5x5 = unit(branch5x5, blocks, n5x5, 5, f"{name}_5x5")
    branch3x3dbl = unit(x, blocks, n3x3dbl_reduce, 1, f"{name}_3x3dbl_reduce")
    branch3x3dbl = unit(branch3x3dbl, blocks, n3x3dbl, 3, f"{name}_3x3dbl_1")
    branch3x3dbl = unit(branch3x3dbl, blocks, n3x3dbl, 3, f"{name}_3x3dbl_2")
    branch_pool = blocks.pool(x, 3, 1, padding="same", name=f"{name}_pool", kind="avg")
    branch_pool = unit(branch_pool, blocks, pool_proj, 1, f"{name}_pool_proj")
    return layers.Concatenate(name=name)([branch1x1, branch5x5, branch3x3dbl, branch_pool])


def reduction_17(x, blocks, name, filters):
    from keras import layers

    n3x3, n3x3dbl_reduce, n3x3dbl = filters
    branch3x3 = unit(x, blocks, n3x3, 3, f"{name}_3x3", strides=2, padding="valid")
    branch3x3dbl = unit(x, blocks, n3x3dbl_reduce, 1, f"{name}_3x3dbl_reduce")
    branch3x3dbl = unit(branch3x3dbl, blocks, n3x3dbl, 3, f"{name}_3x3dbl_1")
    branch3x3dbl = unit(branch3x3dbl, blocks, n3x3dbl, 3, f"{name}_3x3dbl_2", strides=2, padding="valid")
    branch_pool = blocks.pool(x, 3, 2, padding="valid", name=f"{name}_pool")
    return layers.Concatenate(name=name)([branch3x3, branch3x3dbl, branch_pool])


def module_17(x, blocks, name, filters):
    from keras import layers

    n1x1, n7x7_reduce, n7x7, pool_proj = filters
    branch1x1 = unit(x, blocks, n1x1, 1, f"{name}_1x1")
    branch7x7 = unit(x, blocks, n7x7_reduce, 1, f"{name}_7x7_reduce")
    branch7x7 = unit(branch7x7, blocks, n7x7_reduce, (1, N), f"{name}_7x7_1x7")
    branch7x7 = unit(branch7x7, blocks, n7x7, (N, 1), f"{name}_7x7_7x1")
    branch7x7dbl = unit(x, blocks, n7x7_reduce, 1, f"{name}_7x7dbl_reduce")
    branch7x7dbl = unit(branch7x7dbl, blocks, n7x7_reduce, (N, 1), f"{name}_7x7dbl_7x1_1")
    branch7x7dbl = unit(branch7x7dbl, blocks, n7x7_reduce, (1, N), f"{name}_7x7dbl_1x7_1")
    branch7x7dbl = unit(branch7x7dbl, blocks, n7x7_reduce, (N, 1), f"{name}_7x7dbl_7x1_2")
    branch7x7dbl = unit(branch7x7dbl, blocks, n7x7, (1, N), f"{name}_7x7dbl_1x7_2")
    branch_pool = blocks.pool(x, 3, 1, padding="same", name=f"{name}_pool", kind="avg")
    branch_pool = unit(branch_pool, blocks, pool_proj, 1, f"{name}_pool_proj")
    return layers.Concatenate(name=name)([branch1x1, branch7x7, branch7x7dbl, branch_pool])


def reduction_8(x, blocks, name, filters):
    from keras import layers

    n3x3_reduce, n3x3, n7x7x3 = filters
    branch3x3 = unit(x, blocks, n3x3_reduce, 1, f"{name}_3x3_reduce")
    branch3x3 = unit(branch3x3, blocks, n3x3, 3, f"{name}_3x3", strides=2, padding="valid")
    branch7x7x3 = unit(x, blocks, n7x7x3, 1, f"{name}_7x7x3_reduce")
    branch7x7x3 = unit(branch7x7x3, blocks, n7x7x3, (1, N), f"{name}_7x7x3_1x7")
    branch7x7x3 = unit(branch7x7x3, blocks, n7x7x3, (N, 1), f"{name}_7x7x3_7x1")
    branch7x7x3 = unit(branch7x7x3, blocks, n7x7x3, 3, f"{name}_7x7x3_3x3", strides=2, padding="valid")
    branch_pool = blocks.pool(x, 3, 2, padding="valid", name=f"{name}_pool")
    return layers.Concatenate(name=name)([branch3x3, branch7x7x3, branch_pool])


def _split_1x3_3x1(x, blocks, filters, name):
    """Figure 7's expanded bank: parallel 1x3 and 3x1 convolutions, concatenated."""
    from keras import layers

    a = unit(x, blocks, filters, (1, 3), f"{name}_1x3")
    b = unit(x, blocks, filters, (3, 1), f"{name}_3x1")
    return layers.Concatenate(name=f"{name}_concat")([a, b])


def module_8(x, blocks, name, filters):
    from keras import layers

    n1x1, n3x3_reduce, n3x3, n3x3dbl_reduce, n3x3dbl, pool_proj = filters
    branch1x1 = unit(x, blocks, n1x1, 1, f"{name}_1x1")
    branch3x3 = unit(x, blocks, n3x3_reduce, 1, f"{name}_3x3_reduce")
    branch3x3 = _split_1x3_3x1(branch3x3, blocks, n3x3, f"{name}_3x3")
    branch3x3dbl = unit(x, blocks, n3x3dbl_reduce, 1, f"{name}_3x3dbl_reduce")
    branch3x3dbl = unit(branch3x3dbl, blocks, n3x3dbl, 3, f"{name}_3x3dbl_1")
    branch3x3dbl = _split_1x3_3x1(branch3x3dbl, blocks, n3x3dbl, f"{name}_3x3dbl_2")
    branch_pool = blocks.pool(x, 3, 1, padding="same", name=f"{name}_pool", kind="avg")
    branch_pool = unit(branch_pool, blocks, pool_proj, 1, f"{name}_pool_proj")
    return layers.Concatenate(name=name)([branch1x1, branch3x3, branch3x3dbl, branch_pool])


def inception_v3(x, num_classes, blocks, stem="auto"):
    stem = choose_stem(stem, min(x.shape[1], x.shape[2]), "inception_v3", IMAGENET_STEM_MIN_SIDE)
    for name, filters, kernel, strides, padding in STEM:
        if stem == "small":
            if filters is None:
                continue  # the CIFAR stem keeps full resolution
            strides, padding = 1, "same"
        if filters is None:
            x = blocks.pool(x, kernel, strides, padding=padding, name=name)
        else:
            x = unit(x, blocks, filters, kernel, name, strides=strides, padding=padding)

    for name, filters in MODULES_35.items():
        x = module_35(x, blocks, name, filters)
    x = blocks.stage_end(x, name="stage1")
    x = reduction_17(x, blocks, *REDUCTION_17)
    for name, filters in MODULES_17.items():
        x = module_17(x, blocks, name, filters)
    x = blocks.stage_end(x, name="stage2")
    x = reduction_8(x, blocks, *REDUCTION_8)
    for name, filters in MODULES_8.items():
        x = module_8(x, blocks, name, filters)
    x = blocks.stage_end(x, name="stage3")
    return blocks.head(x, num_classes, paper_head="gap")


register(
    "inception_v3",
    inception_v3,
    family="Inception",
    paper="Szegedy et al., Rethinking the Inception Architecture for Computer Vision, CVPR 2016",
    default_input=(299, 299, 3),
    min_input=7,  # CIFAR stem: two unpadded 3x3/2 reductions, 7 -> 3 -> 1
    params=ParamCount(23_817_352, "keras.applications InceptionV3 (trainable; bias-free convs, BN "
                                  "without scale)"),
    default_dropout=0.0,
    default_norm="batch",
    options={"stem": stem_option("imagenet: the reference stem with its two max pools (from 75 pixels); "
                                 "small: stride 1 and no stem pools, for CIFAR-sized images; auto: "
                                 "imagenet whenever it fits")},
    description="Factorized inception modules (5x5 as two 3x3, 7x7 as 1x7 + 7x1), batch norm.",
)
