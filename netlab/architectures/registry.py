"""The architecture registry: every variant registered once, read by all.

A family module defines a *body* ``fn(x, num_classes, blocks, **variant,
**options) -> outputs`` and registers each variant with :func:`register`; the
window, the CLI, ``config.validate()`` and the tests list architectures only
through :func:`arch_names`, :func:`all_archs` and :func:`get_arch`, so a new
variant appears (and is tested) everywhere the moment it is registered.

An architecture's options carry a schema (:class:`Option`: type, choices or
range, help text), so the window's widgets, the CLI's choices and the config
check all read the same one. Like timm's ``_registry.py`` this module imports
no family: ``netlab/architectures/__init__.py`` imports the families, and they
import this module, so nothing imports in a circle (an import-linter contract
in pyproject.toml keeps it so).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from netlab.base.errors import ConfigError, TrainingError
from netlab.config.knobs import ModelConfig, RegularizationConfig

# Keras, TensorFlow and netlab.architectures.blocks (which imports Keras) are imported inside build:
# the registry and its families are imported by `netlab --help`, the window and
# Experiment.validate(), none of which loads Keras.

# The values of every family's ``stem`` option (resolved by blocks.choose_stem).
STEMS = ("auto", "imagenet", "small")


@dataclass(frozen=True)
class Option:
    """One architecture option: its default, what it means and the values it takes.

    The type is the default's (bool, int, float or str). A str option has
    ``choices``; a number may have a range, ``minimum`` excluded when
    ``minimum_open``. ``aliases`` map older names still accepted in a config
    to the choice they mean (the window and the CLI offer only ``choices``).
    """

    default: bool | int | float | str
    help: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    minimum_open: bool = False
    aliases: dict[str, str] = field(default_factory=dict)

    @property
    def kind(self) -> type:
        return type(self.default)

    def canonical(self, value):
        """The choice an older name means ("cifar" -> "small"); other values unchanged."""
        return self.aliases.get(value, value) if isinstance(value, str) else value

    def range_text(self) -> str:
        lo = "-inf" if self.minimum is None else f"{self.minimum:g}"
        hi = "inf" if self.maximum is None else f"{self.maximum:g}"
        return f"{'(' if self.minimum_open else '['}{lo}, {hi}]"

    def values_text(self) -> str:
        """What the option takes, in words: "auto, imagenet, small", "true or false", "[1, 512]"."""
        if self.choices:
            return ", ".join(self.choices)
        if self.kind is bool:
            return "true or false"
        return f"{self.kind.__name__} in {self.range_text()}"

    def parse(self, name: str, text: str):
        """The value a command-line ``KEY=TEXT`` means, checked; ConfigError names what it takes."""
        kind = self.kind
        try:
            if kind is bool:
                value = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}[
                    text.strip().lower()]
            elif kind in (int, float):
                value = kind(text)
            else:
                value = text
        except (KeyError, ValueError):
            raise ConfigError(f"{name} must be {self.values_text()} (got {text!r})") from None
        self.check(name, value)
        return value

    def to_dict(self) -> dict:
        """The schema as plain data (the CLI's ``archs --json``)."""
        return {"type": self.kind.__name__, "default": self.default, "help": self.help,
                "choices": list(self.choices), "minimum": self.minimum, "maximum": self.maximum,
                "minimum_open": self.minimum_open}

    def check(self, name: str, value) -> None:
        """Raise ConfigError naming ``name`` unless ``value`` is one this option takes."""
        kind = self.kind
        if kind is bool:
            ok = isinstance(value, bool)
        elif kind is int:
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif kind is float:
            ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        else:
            ok = isinstance(value, str)
        if not ok:
            raise ConfigError(f"{name} must be of type {kind.__name__} (got {value!r})")
        if self.choices and value not in self.choices and value not in self.aliases:
            raise ConfigError(f"{name} must be one of {', '.join(self.choices)} (got {value!r})")
        if kind in (int, float):
            low = self.minimum is not None and (
                value <= self.minimum if self.minimum_open else value < self.minimum)
            high = self.maximum is not None and value > self.maximum
            if low or high:
                raise ConfigError(f"{name} must be in {self.range_text()} (got {value})")


def stem_option(help: str) -> Option:
    """The ``stem`` option every family shares ("cifar": ResNet's older name of "small")."""
    return Option("auto", help, choices=STEMS, aliases={"cifar": "small"})


def choose_stem(stem: str, side: int, arch: str, imagenet_min: int, auto_from: int | None = None) -> str:
    """Resolve a family's ``stem`` option to "imagenet" or "small".

    "auto" takes the paper's (ImageNet) stem from ``auto_from`` pixels up (by
    default from the smallest side it accepts) and the small-input stem below;
    "cifar" is accepted as an older name of "small". Asking for the ImageNet
    stem on too small an input is a ConfigError, never a Keras shape error.
    """
    stem = "small" if stem == "cifar" else stem
    if stem not in STEMS:
        raise ConfigError(f"model.options.stem must be one of {', '.join(STEMS)} (got {stem!r})")
    if stem == "auto":
        return "imagenet" if side >= (imagenet_min if auto_from is None else auto_from) else "small"
    if stem == "imagenet" and side < imagenet_min:
        raise ConfigError(
            f"{arch} with stem 'imagenet' needs inputs of at least {imagenet_min}x{imagenet_min} "
            f"(got {side}x{side}); use stem 'small' or 'auto'"
        )
    return stem


@dataclass(frozen=True)
class ParamCount:
    """A parameter count and where it comes from.

    ``computed``: NetLab's own count (from the paper's layer table), not a
    figure anyone published. ``printed``: how the source prints it when it
    rounds ("133M"); the count is then that rounding, not an exact figure.
    """

    count: int
    source: str
    computed: bool = False
    printed: str = ""

    @property
    def label(self) -> str:
        return "computed" if self.computed else "published"


@dataclass(frozen=True)
class AuxHeads:
    """Auxiliary classifiers used in training only, their on/off and weight options.

    The training loss is ``main + weight * each auxiliary loss``; the trainer
    reads this for any architecture (GoogLeNet's section 5).
    """

    switch: str  # bool option: build them (for training) or not
    weight: str  # float option: the weight of each one's loss


@dataclass(frozen=True)
class ArchSpec:
    name: str
    family: str
    paper: str
    body: Callable
    default_input: tuple[int, int, int]
    # Smallest square side the network accepts (each pooling halves it).
    min_input: int
    # Exact trainable parameters of the ImageNet configuration (default input,
    # 1000 classes), with the reference it comes from; None for NetLab's own
    # networks and those nobody published a count for.
    params: ParamCount | None = None
    # The total the paper itself prints, usually rounded (VGG's Table 2: 138M).
    paper_params: ParamCount | None = None
    default_dropout: float = 0.0
    # Normalization used when the config says "default" (batch/group/layer/none).
    default_norm: str = "batch"
    # Per-part figures printed in the paper's own table, for the summary to show
    # beside the computed ones: layer-name prefix -> (params, multiply-adds),
    # either may be None. GoogLeNet's Table 1 (Szegedy et al. 2015) is one.
    published_table: dict = field(default_factory=dict)
    # The option schema: name -> Option.
    options: dict[str, Option] = field(default_factory=dict)
    # Fixed arguments of the family body that make this variant (depths, ...).
    variant: dict = field(default_factory=dict)
    aux_heads: AuxHeads | None = None
    description: str = ""

    @property
    def option_defaults(self) -> dict:
        return {key: option.default for key, option in self.options.items()}

    def check_options(self, options: dict) -> None:
        for key, value in options.items():
            if key not in self.options:
                known = ", ".join(sorted(self.options)) or "none"
                raise ConfigError(
                    f"model.options.{key} is not an option of {self.name} (its options: {known})"
                )
            self.options[key].check(f"model.options.{key}", value)

    def resolved_options(self, options: dict | None = None) -> dict:
        """The defaults overridden by ``options`` (checked)."""
        options = options or {}
        self.check_options(options)
        return {**self.option_defaults, **options}

    def aux_loss_weight(self, options: dict | None = None) -> float:
        """Weight of each auxiliary loss in the training loss; 0 without auxiliary heads."""
        if self.aux_heads is None:
            return 0.0
        resolved = self.resolved_options(options)
        return float(resolved[self.aux_heads.weight]) if resolved[self.aux_heads.switch] else 0.0

    def build(self, input_shape, num_classes, regularization=None, model_config=None,
              preprocessing=(), aux=False, seed=None):
        """Build the Keras model; ``preprocessing`` layers run first, inside the model.

        ``seed`` makes the initial weights (and dropout masks) a function of the
        seed alone; without it they come from Keras's global random state.

        A body returns its output tensor, or ``(output, [aux outputs])`` when the
        architecture has auxiliary classifiers (GoogLeNet). They exist for
        training only: ``aux=True`` returns a model with outputs
        ``[main, *aux]``; the default (inference) model has the main output only.
        """
        import keras
        import tensorflow as tf

        from netlab.architectures.blocks import Blocks

        model_config = model_config or ModelConfig(arch=self.name)
        options = self.resolved_options(model_config.options)
        side = min(input_shape[0], input_shape[1])
        if side < self.min_input:
            raise ConfigError(
                f"input {input_shape[0]}x{input_shape[1]} is too small for {self.name}: "
                f"it needs at least {self.min_input}x{self.min_input}"
            )
        if num_classes < 2:
            raise ConfigError(f"a classifier needs at least 2 classes (got {num_classes})")
        blocks = Blocks(regularization or RegularizationConfig(), model_config, self.default_dropout,
                        self.default_norm, seed=seed)
        inputs = keras.Input(shape=tuple(input_shape), name="image")
        x = inputs
        for layer in preprocessing:
            x = layer(x)
        try:
            outputs = self.body(x, num_classes, blocks, **self.variant, **options)
        except (MemoryError, tf.errors.ResourceExhaustedError):  # the weights are made as layers are built
            raise _too_large(self.name, input_shape) from None
        aux_outputs = []
        if isinstance(outputs, tuple):
            outputs, aux_outputs = outputs
        if aux and aux_outputs:
            return keras.Model(inputs, [outputs, *aux_outputs], name=self.name)
        return keras.Model(inputs, outputs, name=self.name)


def _too_large(name: str, input_shape) -> TrainingError:
    """A model whose weights do not fit in memory (a huge width option or input with a dense head)."""
    return TrainingError(f"{name} at {'x'.join(map(str, input_shape))} does not fit in memory (its weights "
                         "alone): choose a smaller data.image_size, a narrower model (its options) or a "
                         "global-average-pooling head (model.head gap)")


_REGISTRY: dict[str, ArchSpec] = {}


def register(name: str, body: Callable, **meta) -> ArchSpec:
    """Register ``body`` as architecture ``name``; ``meta`` are the :class:`ArchSpec` fields.

    The one way to register: a family with several variants calls it once per
    variant with the variant's fixed arguments in ``variant``.
    """
    if name in _REGISTRY:
        raise ValueError(f"architecture {name!r} is registered twice")
    spec = ArchSpec(name=name, body=body, **meta)
    _REGISTRY[name] = spec
    return spec


def get_arch(name: str) -> ArchSpec:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ConfigError(
            f"model.arch: unknown architecture {name!r} (known: {', '.join(arch_names())})"
        ) from None


def arch_names() -> list[str]:
    return list(_REGISTRY)


def all_archs() -> list[ArchSpec]:
    return list(_REGISTRY.values())


def build_model(experiment, input_shape, num_classes, preprocessing=(), aux=False):
    """Build the model an experiment describes, its weights seeded by training.seed."""
    spec = get_arch(experiment.model.arch)
    return spec.build(input_shape, num_classes, experiment.regularization, experiment.model,
                      preprocessing, aux=aux, seed=experiment.training.seed)
