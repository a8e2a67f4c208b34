"""Tiny real models for the inspection tests: Sequential, Functional with branches, nested backbone."""

import keras
import numpy as np
from keras import layers

SIDE = 16


def images(n=4, seed=0, side=SIDE, channels=3):
    return np.random.default_rng(seed).uniform(0, 1, (n, side, side, channels)).astype(np.float32)


def sequential(classes=3, seed=1):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([
        keras.Input((SIDE, SIDE, 3)),
        layers.Conv2D(6, 3, padding="same", name="conv1"),
        layers.BatchNormalization(name="bn1"),
        layers.ReLU(name="relu1"),
        layers.Conv2D(8, 3, strides=2, padding="same", activation="relu", name="conv2"),
        layers.GlobalAveragePooling2D(name="gap"),
        layers.Dense(classes, activation="softmax", name="predictions"),
    ], name="seq")


def _branching_body(inp):
    """An inception-like concat and a residual add: the graphs naive tools mishandle."""
    x = layers.Conv2D(8, 3, padding="same", name="stem_conv")(inp)
    x = layers.BatchNormalization(name="stem_bn")(x)
    x = layers.ReLU(name="stem_relu")(x)
    a = layers.Conv2D(4, 1, padding="same", name="branch_1x1")(x)
    b = layers.Conv2D(4, 3, padding="same", name="branch_3x3")(x)
    x2 = layers.Concatenate(name="concat")([a, b])
    x2 = layers.BatchNormalization(name="concat_bn")(x2)
    x = layers.Add(name="residual_add")([x, x2])
    return layers.ReLU(name="out_relu")(x)


def branching_backbone(name="backbone", seed=2):
    keras.utils.set_random_seed(seed)
    inp = keras.Input((SIDE, SIDE, 3))
    return keras.Model(inp, _branching_body(inp), name=name)


def functional(classes=3, separate_softmax=False, seed=3):
    keras.utils.set_random_seed(seed)
    inp = keras.Input((SIDE, SIDE, 3))
    x = layers.GlobalAveragePooling2D(name="gap")(_branching_body(inp))
    if separate_softmax:
        x = layers.Dense(classes, name="logits")(x)
        out = layers.Softmax(name="predictions")(x)
    else:
        out = layers.Dense(classes, activation="softmax", name="predictions")(x)
    return keras.Model(inp, out, name="functional")


def nested(classes=3, seed=4):
    """A backbone as one layer, called with training=False, the way fine-tuning builds it."""
    backbone = branching_backbone()
    inp = keras.Input((SIDE, SIDE, 3))
    x = layers.Rescaling(1.0, name="rescale")(inp)
    x = backbone(x, training=False)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dropout(0.5, name="dropout")(x)
    out = layers.Dense(classes, activation="softmax", name="predictions")(x)
    return keras.Model(inp, out, name="nested")
