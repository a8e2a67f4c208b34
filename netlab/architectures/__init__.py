"""The architecture registry: every variant is registered once, here read by all.

A family module defines a *body* ``fn(x, num_classes, blocks, **options) ->
outputs`` and registers each variant with :func:`register`; the window, the
CLI and the tests list architectures only through :func:`arch_names` and
:func:`get_arch`, so a new variant appears (and is tested) everywhere the
moment it is registered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from netlab.errors import ConfigError


@dataclass(frozen=True)
class ArchSpec:
    name: str
    family: str
    paper: str
    body: Callable
    default_input: tuple[int, int, int]
    # Smallest square side the network accepts (each pooling halves it).
    min_input: int
    # Trainable parameters published for the ImageNet configuration (None if the
    # architecture is NetLab's own, like the simple CNN).
    published_params: int | None = None
    default_dropout: float = 0.0
    # Normalization used when the config says "default" (batch/group/layer/none).
    default_norm: str = "batch"
    # Per-part figures printed in the paper's own table, for the summary to show
    # beside the computed ones: layer-name prefix -> (params, multiply-adds),
    # either may be None. GoogLeNet's Table 1 is the one the lectures print.
    published_table: dict = field(default_factory=dict)
    # Family switches and their defaults, e.g. {"plain": False}.
    options: dict = field(default_factory=dict)
    description: str = ""

    def check_options(self, options: dict) -> None:
        for key, value in options.items():
            if key not in self.options:
                known = ", ".join(sorted(self.options)) or "none"
                raise ConfigError(
                    f"model.options.{key} is not an option of {self.name} (its options: {known})"
                )
            default = self.options[key]
            if default is not None and not isinstance(value, type(default)):
                if not (isinstance(default, float) and isinstance(value, int)):
                    raise ConfigError(
                        f"model.options.{key} must be of type {type(default).__name__} (got {value!r})"
                    )

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

        from netlab.architectures.blocks import Blocks
        from netlab.config import ModelConfig, RegularizationConfig

        model_config = model_config or ModelConfig(arch=self.name)
        options = {**self.options, **model_config.options}
        self.check_options(model_config.options)
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
        outputs = self.body(x, num_classes, blocks, **options)
        aux_outputs = []
        if isinstance(outputs, tuple):
            outputs, aux_outputs = outputs
        if aux and aux_outputs:
            return keras.Model(inputs, [outputs, *aux_outputs], name=self.name)
        return keras.Model(inputs, outputs, name=self.name)


_REGISTRY: dict[str, ArchSpec] = {}


def register(name: str, **meta) -> Callable:
    """Decorator: register ``fn`` as the body of architecture ``name``."""

    def decorator(fn: Callable) -> Callable:
        if name in _REGISTRY:
            raise ValueError(f"architecture {name!r} is registered twice")
        _REGISTRY[name] = ArchSpec(name=name, body=fn, **meta)
        return fn

    return decorator


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


# Family modules register their variants on import; import order is list order
# (the window's and the CLI's), roughly the order the lectures teach them.
from netlab.architectures import (  # noqa: E402, F401, I001
    simple_cnn, alexnet, vgg, googlenet, inception_v3, resnet, densenet, mobilenet,
)
