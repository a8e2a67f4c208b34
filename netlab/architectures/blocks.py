"""The one set of block builders every family uses.

Regularization knobs (normalization, activation, initializer, L1/L2, dropout,
pooling kind, head) reach the layers only through :class:`Blocks`, so a knob
works the same in every family. Blocks are plain functions of a tensor, the
way Keras's own applications are written; every layer gets a stable, readable
name (``conv2_block1_1_conv``) because names are what the inspection views show.
"""

from __future__ import annotations

import keras
from keras import layers

from netlab.base.abort import abort_point
from netlab.config.knobs import ModelConfig, RegularizationConfig


def _largest_divisor_at_most(channels: int, groups: int) -> int:
    for g in range(min(groups, channels), 0, -1):
        if channels % g == 0:
            return g
    return 1


class Blocks:
    """Layer builders configured by one experiment's regularization settings."""

    def __init__(
        self,
        regularization: RegularizationConfig | None = None,
        model: ModelConfig | None = None,
        default_dropout: float = 0.0,
        default_norm: str = "batch",
        seed: int | None = None,
    ):
        self.reg = regularization or RegularizationConfig()
        self.model = model or ModelConfig()
        self.dropout_rate = self.reg.dropout if self.reg.dropout is not None else default_dropout
        self.norm_kind = self.reg.norm if self.reg.norm != "default" else default_norm
        # With a seed every random layer gets its own seed (seed, seed + 1, ...),
        # so the same config builds the same weights whatever else the process
        # draws from Keras's global random state meanwhile (the window builds
        # summaries and previews in other threads while a run starts).
        self._seed = seed

    def next_seed(self) -> int | None:
        if self._seed is None:
            return None
        self._seed += 1
        return self._seed

    # -- weights ------------------------------------------------------------
    def initializer(self):
        # Every layer with weights asks for its initializer first: the cheapest
        # place for a worker's abort to stop a build (VGG-16's fc1 alone is 102M weights).
        abort_point()
        kind = self.reg.initializer
        if kind == "zeros":
            return "zeros"
        if kind == "small_gaussian":  # w = 0.01 * randn, the CS231n notes' "small random numbers"
            return keras.initializers.RandomNormal(stddev=0.01, seed=self.next_seed())
        # glorot_uniform, glorot_normal, he_normal, he_uniform
        return keras.initializers.get({"class_name": kind, "config": {"seed": self.next_seed()}})

    def regularizer(self):
        l1, l2 = self.reg.l1, self.reg.l2
        if l1 == 0 and l2 == 0:
            return None
        return keras.regularizers.L1L2(l1=l1, l2=l2)  # L1, L2 or elastic net

    @property
    def normalized(self) -> bool:
        return self.norm_kind != "none"

    # -- layers --------------------------------------------------------------
    def conv(self, x, filters, kernel_size, strides=1, padding="same", name=None,
             use_bias=None, groups=1):
        """A convolution; without bias when a normalization follows (its shift replaces it)."""
        if use_bias is None:
            use_bias = not self.normalized
        return layers.Conv2D(
            filters, kernel_size, strides=strides, padding=padding, use_bias=use_bias,
            groups=groups, kernel_initializer=self.initializer(),
            kernel_regularizer=self.regularizer(), name=name,
        )(x)

    def depthwise_conv(self, x, kernel_size=3, strides=1, padding="same", name=None, use_bias=None):
        if use_bias is None:
            use_bias = not self.normalized
        return layers.DepthwiseConv2D(
            kernel_size, strides=strides, padding=padding, use_bias=use_bias,
            depthwise_initializer=self.initializer(),
            depthwise_regularizer=self.regularizer(), name=name,
        )(x)

    def norm(self, x, name, scale=True, epsilon=None):
        """Batch / group / layer normalization, or nothing (``norm="none"``).

        ``epsilon``: a layout's own (the one its published weights were trained with), else the knob's.
        """
        kind = self.norm_kind
        epsilon = self.reg.bn_epsilon if epsilon is None else epsilon
        if kind == "batch":
            return layers.BatchNormalization(
                momentum=self.reg.bn_momentum, epsilon=epsilon, scale=scale,
                name=f"{name}_bn",
            )(x)
        if kind in ("group", "layer"):
            channels = x.shape[-1]
            # Layer norm for conv maps normalizes over (H, W, C) per sample with
            # a per-channel affine: group norm with one group (Wu & He, ECCV18).
            groups = 1 if kind == "layer" else _largest_divisor_at_most(channels, self.reg.groups)
            return layers.GroupNormalization(
                groups=groups, epsilon=epsilon, scale=scale,
                name=f"{name}_{'gn' if kind == 'group' else 'ln'}",
            )(x)
        return x

    def act(self, x, name):
        kind, alpha = self.reg.activation, self.reg.activation_alpha
        name = f"{name}_{kind}"
        if kind == "relu":
            return layers.ReLU(name=name)(x)
        if kind == "leaky_relu":  # max(0.01x, x) (Maas et al. 2013)
            return layers.LeakyReLU(negative_slope=0.01 if alpha is None else alpha, name=name)(x)
        if kind == "prelu":  # one learned slope per channel
            shared = list(range(1, len(x.shape) - 1)) or None
            return layers.PReLU(shared_axes=shared, name=name)(x)
        if kind == "elu":
            return layers.ELU(alpha=1.0 if alpha is None else alpha, name=name)(x)
        return layers.Activation(kind, name=name)(x)

    def conv_norm_act(self, x, filters, kernel_size, strides=1, padding="same", name=None):
        """Conv -> Norm -> Act, the unit of VGG-BN, ResNet, GoogLeNet-BN, the simple CNN."""
        x = self.conv(x, filters, kernel_size, strides, padding, name=f"{name}_conv")
        x = self.norm(x, name)
        return self.act(x, name)

    def norm_act_conv(self, x, filters, kernel_size, strides=1, padding="same", name=None, epsilon=None):
        """Norm -> Act -> Conv, the pre-activation unit of DenseNet (its Table 1 note)."""
        x = self.norm(x, name, epsilon=epsilon)
        x = self.act(x, name)
        return self.conv(x, filters, kernel_size, strides, padding, name=f"{name}_conv")

    def pool(self, x, pool_size, strides, padding="valid", name=None, kind="max"):
        """Spatial pooling; the ``model.pooling`` knob overrides the paper's kind."""
        if self.model.pooling != "default":
            kind = self.model.pooling
        cls = layers.MaxPooling2D if kind == "max" else layers.AveragePooling2D
        return cls(pool_size, strides=strides, padding=padding, name=name)(x)

    def stage_end(self, x, name):
        """Optional spatial dropout after a conv stage (drops whole feature maps)."""
        if self.reg.spatial_dropout > 0:
            return layers.SpatialDropout2D(self.reg.spatial_dropout, seed=self.next_seed(), name=f"{name}_spatial_dropout")(x)
        return x

    def dense(self, x, units, name, activation=True):
        x = layers.Dense(
            units, kernel_initializer=self.initializer(),
            kernel_regularizer=self.regularizer(), name=name,
        )(x)
        return self.act(x, name) if activation else x

    def dropout(self, x, name, rate=None):
        rate = self.dropout_rate if rate is None else rate
        return layers.Dropout(rate, seed=self.next_seed(), name=name)(x) if rate > 0 else x

    def classifier(self, x, num_classes, name="predictions"):
        """The final softmax; float32 so mixed precision keeps honest probabilities.

        Its weights start at zero whatever the ``initializer`` knob (which sets
        the hidden layers): an untrained classifier then predicts 1/C for every
        class and its first loss is log(C), the sanity check a practitioner
        makes. The classification layer of Fixup (Zhang, Dauphin & Ma, ICLR
        2019) starts the same way; the hidden layers still break the symmetry.
        Measured before this (digits, 10 classes, log(C) = 2.30): a fresh
        simple_cnn under He init started at 3.6 in inference mode and 9.5 in
        training mode, ResNet-18 at 13.9 in inference mode.
        """
        abort_point()
        return layers.Dense(
            num_classes, activation="softmax", kernel_initializer="zeros",
            kernel_regularizer=self.regularizer(), dtype="float32", name=name,
        )(x)

    def head(self, x, num_classes, paper_head="gap", fc_units=(), global_pool="avg"):
        """Classifier head: the paper's FC stack, or global pooling then softmax.

        ``paper_head`` is what the architecture's paper uses: "fc" flattens and
        runs ``fc_units`` fully connected layers, each followed by dropout
        (AlexNet, VGG); "gap" pools each map to one number, then dropout and
        ``fc_units`` (GoogLeNet, ResNet, the simple CNN). The
        ``model.head`` knob swaps one for the other (Lin et al. 2014); a swapped-in
        head keeps no FC layers of the paper's.
        """
        kind = paper_head if self.model.head == "default" else self.model.head
        units = fc_units if kind == paper_head else ()
        if kind == "fc":
            x = layers.Flatten(name="flatten")(x)
            if not units:
                x = self.dropout(x, name="head_dropout")
        else:
            # Asked for by name, "gap" is global *average* pooling even where the paper pools by max.
            average = global_pool != "max" or self.model.head == "gap"
            pooling = layers.GlobalAveragePooling2D if average else layers.GlobalMaxPooling2D
            x = pooling(name="global_pool")(x)
            x = self.dropout(x, name="head_dropout")
        for i, n in enumerate(units, start=1):
            x = self.dense(x, n, name=f"fc{i}")
            x = self.dropout(x, name=f"fc{i}_dropout")
        return self.classifier(x, num_classes)
