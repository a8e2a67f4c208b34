"""The model's knobs: which architecture and how it is regularized.

Part of an experiment's configuration (``netlab.config`` re-exports both
classes), kept in a module of their own because the architecture layer reads
them: blocks and the registry import this module, never ``netlab.config``,
whose ``validate()`` reads the registry. Plain dataclasses, no imports.
"""

from __future__ import annotations

from dataclasses import dataclass, field

NORMALIZATIONS = ("default", "batch", "group", "layer", "none")
ACTIVATIONS = ("relu", "leaky_relu", "prelu", "elu", "selu", "sigmoid", "tanh")
# Weight initialization: zeros, small Gaussian (std 0.01), Xavier (Glorot & Bengio 2010), He (He et al. 2015).
INITIALIZERS = ("zeros", "small_gaussian", "glorot_uniform", "glorot_normal", "he_normal", "he_uniform")
HEADS = ("default", "fc", "gap")
POOLINGS = ("default", "max", "avg")


@dataclass
class ModelConfig:
    arch: str = "simple_cnn"
    # "default" keeps the paper's head; "fc" / "gap" force fully connected
    # layers or global average pooling (Lin et al. 2014).
    head: str = "default"
    pooling: str = "default"
    # Family-specific switches (e.g. ResNet's "plain", DenseNet's growth rate);
    # the registry lists which ones each architecture accepts.
    options: dict = field(default_factory=dict)


@dataclass
class RegularizationConfig:
    # None means the architecture's own default (0.5 for AlexNet/VGG FC layers,
    # 0.4 for GoogLeNet, 0.3 for the simple CNN).
    dropout: float | None = None
    spatial_dropout: float = 0.0
    # "default" = the architecture's own: none for AlexNet/VGG (their papers
    # predate batch norm; VGG-BN variants are registered separately), batch
    # norm for the simple CNN, ResNet, Inception v3, DenseNet and MobileNet.
    norm: str = "default"
    groups: int = 8
    # Keras defaults to momentum 0.99. With small datasets (digits: ~45 steps
    # per epoch) the moving mean/variance then still remember the random
    # initial statistics after several epochs, and validation accuracy sits at
    # chance while training accuracy is high: the training-vs-inference
    # difference of batch norm (Ioffe & Szegedy 2015). 0.9 (PyTorch's 0.1) forgets
    # the start within ~50 steps and is as good on large datasets.
    bn_momentum: float = 0.9
    bn_epsilon: float = 1e-3
    activation: str = "relu"
    # Negative slope for leaky ReLU, alpha for ELU; None = the usual default.
    activation_alpha: float | None = None
    initializer: str = "he_normal"
    l1: float = 0.0
    l2: float = 0.0
