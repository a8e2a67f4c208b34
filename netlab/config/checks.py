"""What every setting of an experiment may be, and the checks that say so.

The choices of each named setting (``OPTIMIZERS``, ``SCHEDULES``, ...), the
range of each number (``LIMITS``: dotted path -> :class:`Limit`; the forms read
it too), and the checks behind ``Experiment.validate()``, each raising
:class:`ConfigError` naming the field and what it may be. The checks that need
the architecture or dataset registries import them when they run: those import
Keras, and the registries read this package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from netlab.base.errors import ConfigError, shown
from netlab.base.user_paths import checked_path
from netlab.config.knobs import ACTIVATIONS, HEADS, INITIALIZERS, NORMALIZATIONS, POOLINGS
from netlab.config.limits import Limit, in_range, one_of
from netlab.config.paths import config_value
from netlab.config.search_space import search_dimensions

if TYPE_CHECKING:
    from netlab.config.experiment import (
        AugmentationConfig,
        DataConfig,
        Experiment,
        FinetuneConfig,
        TrainingConfig,
    )

OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")
# Learning-rate decay (step as in He et al. 2016, cosine as in Loshchilov & Hutter 2017);
# "plateau" cuts the rate when val_loss stalls.
SCHEDULES = ("constant", "step", "exponential", "cosine", "plateau")
MIXED_PRECISIONS = ("off", "float16", "bfloat16")
# netlab search (netlab/search/study.py): Optuna's samplers and pruners by name.
SAMPLERS = ("tpe", "random", "grid")
PRUNERS = ("median", "none")


_FRACTION = Limit(0.0, 1.0, hi_open=True)  # [0, 1): a rate that must leave something
# Dotted config path -> its range. Settings that may be None are checked when set.
# Ranges that depend on another setting (warm-up below the epochs, the floor
# below the rate) are checked in validate() on top of these.
LIMITS: dict[str, Limit] = {
    "regularization.dropout": _FRACTION,
    "regularization.spatial_dropout": _FRACTION,
    "regularization.groups": Limit(1),
    "regularization.bn_momentum": _FRACTION,
    "regularization.bn_epsilon": Limit(0.0, lo_open=True),
    "regularization.activation_alpha": Limit(0.0),
    "regularization.l1": Limit(0.0),
    "regularization.l2": Limit(0.0),
    # An upper end so that a stray digit is refused in words, not as numpy's "array is too
    # big": a 1024x1024 RGB batch of 32 is 400 MB of float32 before the first layer.
    "data.image_size": Limit(1, 1024),
    "data.samples": Limit(10, 100_000),  # shapes drawn in memory (the lessons draw up to 20,000)
    "data.max_samples": Limit(10),
    "data.train_per_class": Limit(1),
    "data.train_repeat": Limit(1),
    "data.validation_split": Limit(0.0, 1.0, lo_open=True, hi_open=True),
    "data.test_split": _FRACTION,
    "data.channels": Limit(1, 3),  # and not 2: see validate()
    "data.seed": Limit(0, 2**32 - 1),  # NumPy's and TensorFlow's seeds are unsigned 32-bit
    "data.augmentation.crop": Limit(0.0),
    "data.augmentation.rotation": Limit(0.0, 180.0),
    "data.augmentation.zoom": _FRACTION,
    "data.augmentation.contrast": Limit(0.0, 1.0),
    "data.augmentation.translation": Limit(0.0, 0.5),
    "training.epochs": Limit(1),
    "training.batch_size": Limit(1),
    "training.learning_rate": Limit(0.0, lo_open=True),
    "training.momentum": _FRACTION,
    "training.weight_decay": Limit(0.0),
    "training.decay_rate": Limit(0.0, 1.0, lo_open=True, hi_open=True),
    "training.decay_epochs": Limit(1),
    "training.warmup_epochs": Limit(0),
    "training.min_learning_rate": Limit(0.0),
    "training.plateau_patience": Limit(1),
    "training.patience": Limit(1),
    "training.health_every": Limit(1),
    "training.seed": Limit(0, 2**32 - 1),
    "finetune.base_lr_mult": Limit(0.0),
    "finetune.head_epochs": Limit(0),
    "search.trials": Limit(1),
    "search.trial_epochs": Limit(1),
    "search.prune_after_trials": Limit(0),
    "search.prune_after_epochs": Limit(0),
    "search.grid_points": Limit(2),
    "search.seed": Limit(0, 2**32 - 1),
}


# Data preprocessing (CS231n notes, "Data Preprocessing"): /255 only, zero-centering, per-channel
# standardization, PCA whitening (statistics of the training split only).
PREPROCESSINGS = ("scale", "center", "standardize", "pca_whiten")


def validated_space(experiment: Experiment) -> list:
    """``Experiment.validate()``, returning ``search.space`` as the Dimensions it checked
    (netlab/config/search_space.py): what a search draws from, read once."""
    r, t = experiment.regularization, experiment.training
    for path, limit in LIMITS.items():
        value = config_value(experiment, path)
        if value is not None and not path.startswith("data."):  # the data's: validate_data
            limit.check(path, value)
    one_of("model.head", experiment.model.head, HEADS)
    one_of("model.pooling", experiment.model.pooling, POOLINGS)
    one_of("regularization.norm", r.norm, NORMALIZATIONS)
    one_of("regularization.activation", r.activation, ACTIVATIONS)
    one_of("regularization.initializer", r.initializer, INITIALIZERS)
    size = validate_data(experiment.data)

    one_of("training.optimizer", t.optimizer, OPTIMIZERS)
    one_of("training.schedule", t.schedule, SCHEDULES)
    in_range("training.warmup_epochs", t.warmup_epochs, 0, t.epochs - 1)
    in_range("training.min_learning_rate", t.min_learning_rate, 0.0, t.learning_rate, hi_open=True)
    one_of("training.mixed_precision", t.mixed_precision, MIXED_PRECISIONS)
    _check_finetune(experiment.finetune, t, experiment.data.augmentation)
    one_of("search.sampler", experiment.search.sampler, SAMPLERS)
    one_of("search.pruner", experiment.search.pruner, PRUNERS)

    # Imported here, not at the top: netlab.architectures sits above config and imports it (a
    # circle at import time); pyproject.toml's layers contract names this edge.
    from netlab.architectures import get_arch

    spec = get_arch(experiment.model.arch)
    spec.check_options(experiment.model.options)
    if size < spec.min_input:
        raise ConfigError(
            f"data.image_size: {experiment.model.arch} needs inputs of at least "
            f"{spec.min_input}x{spec.min_input} (got {size}x{size})"
        )
    return search_dimensions(experiment, LIMITS)


def validate_data(d: DataConfig) -> int:
    """Check the data settings alone (``Experiment.validate()`` runs this among its checks): every
    ``data.*`` value, the dataset, and what depends on its images' side. Returns that side.

    What uses the data settings before Train (the augmentation preview) asks this, so a value
    Train refuses is refused there in the same words, never drawn with.
    """
    for path, limit in LIMITS.items():
        if path.startswith("data."):
            value = config_value(d, path.removeprefix("data."))
            if value is not None:
                limit.check(path, value)
    if d.validation_split + d.test_split >= 1.0:
        raise ConfigError(
            f"data.validation_split + data.test_split must be below 1 so images are left to train on "
            f"(got {d.validation_split} + {d.test_split})"
        )
    # Imported here, not at the top: netlab.data sits above config and imports it (a circle at
    # import time); pyproject.toml's layers contract names these edges.
    from netlab.data import get_source
    from netlab.data.input_spec import check_selection
    from netlab.data.preprocessing import PCA_MAX_DIMS

    check_selection(d)
    if d.channels is not None and d.channels not in (1, 3):
        raise ConfigError(f"data.channels must be 1, 3 or null (got {shown(d.channels)})")
    one_of("data.preprocessing", d.preprocessing, PREPROCESSINGS)
    a = d.augmentation
    if a.crop >= 1 and a.crop != int(a.crop):
        raise ConfigError(f"data.augmentation.crop must be whole pixels or a fraction below 1 (got {a.crop})")
    source = get_source(d.dataset)
    size = d.image_size if d.image_size is not None else source.image_size
    if a.crop >= 1 and a.crop * 2 >= size:
        raise ConfigError(f"data.augmentation.crop must be less than half the image side {size} (got {a.crop:g})")
    # A folder's channels are known after its scan; count the fewest it can have.
    channels = d.channels or (1 if source.is_folder else source.channels)
    if d.preprocessing == "pca_whiten" and size * size * channels > PCA_MAX_DIMS:
        raise ConfigError(
            f"data.preprocessing: pca_whiten is for small inputs (at most {PCA_MAX_DIMS} values, "
            f"e.g. 32x32x3); {size}x{size}x{channels} = {size * size * channels}. "
            "Use a smaller data.image_size or 'standardize'"
        )
    return size


def _check_finetune(ft: FinetuneConfig, t: TrainingConfig, augmentation: AugmentationConfig) -> None:
    if ft.source is None:
        return
    if not isinstance(ft.source, str) or not ft.source.strip():
        raise ConfigError(f"finetune.source must be a run folder, a .keras file or imagenet:ARCH (got {shown(ft.source)})")
    if not ft.source.startswith("imagenet:"):  # netlab/models/sources.py's IMAGENET_PREFIX
        checked_path(ft.source, "finetune.source")
    if not isinstance(ft.freeze, str) or not ft.freeze.strip():
        raise ConfigError(f"finetune.freeze must be base, none or a layer name (got {shown(ft.freeze)})")
    if ft.head_epochs >= t.epochs:
        raise ConfigError(f"finetune.head_epochs must be below training.epochs {t.epochs} so the base "
                          f"trains at all (got {ft.head_epochs})")
    if ft.head_epochs and ft.freeze == "base":
        raise ConfigError("finetune.head_epochs needs finetune.freeze none or a layer: with the whole base "
                          "frozen there is no second phase")
    if ft.cache_features and ft.freeze != "base" and not ft.head_epochs:
        raise ConfigError(f"finetune.cache_features needs finetune.freeze base (got {shown(ft.freeze)}), or two "
                          "phases (finetune.head_epochs: the head-only epochs use the cache): features are "
                          "computed once only while nothing below the head trains")
    if ft.cache_features and augmentation.active():
        raise ConfigError("finetune.cache_features needs data augmentation off: augmented images give "
                          "new features every epoch, so they cannot be computed once")
    if t.mixed_precision != "off":
        # The copied base keeps the source's float32 layers; a loss-scaled optimizer around the
        # base-rate one is untested. Refused rather than silently run in float32.
        raise ConfigError("training.mixed_precision must be off when fine-tuning (finetune.source is set)")
