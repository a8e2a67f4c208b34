"""One experiment = model + regularization + data + training settings.

Plain dataclasses that round-trip through JSON. ``validate()`` checks every
value and raises :class:`ConfigError` naming the field and its allowed range,
so the window, the CLI and a hand-written JSON file fail the same way.
"""

from __future__ import annotations

import codecs
import copy
import dataclasses
import json
import typing
from dataclasses import dataclass, field
from pathlib import Path

from netlab.base.errors import ConfigError, shown
from netlab.base.user_paths import checked_path
from netlab.config.knobs import (  # noqa: F401  (re-exported: part of an experiment's config)
    ACTIVATIONS,
    HEADS,
    INITIALIZERS,
    NORMALIZATIONS,
    POOLINGS,
    ModelConfig,
    RegularizationConfig,
)
from netlab.config.limits import Limit, in_range, one_of
from netlab.config.paths import config_value  # (also read from here: gui/forms/bindings.py)
from netlab.config.search_space import DEFAULT_SPACE, search_dimensions

OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")
# seeds/002 "learning rate decay"; "plateau" cuts the rate when val_loss stalls.
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


# seeds/002 "Data preprocessing": /255 only, zero-centering, per-channel
# standardization, PCA whitening (statistics of the training split only).
PREPROCESSINGS = ("scale", "center", "standardize", "pca_whiten")


@dataclass
class AugmentationConfig:
    """Random changes made to training images only (Keras preprocessing layers).

    All off by default. seeds/003 (AlexNet): random crops and horizontal flips.
    """

    flip: bool = False  # random horizontal flips
    # Random crops as in AlexNet / CIFAR ResNets: shift by up to this many pixels,
    # filling with black (= pad and crop back); a value below 1 is a fraction of the side.
    crop: float = 0.0
    rotation: float = 0.0  # up to +-this many degrees
    zoom: float = 0.0  # zoom in or out by up to this fraction
    contrast: float = 0.0  # scale contrast by a factor in [1 - contrast, 1 + contrast]
    translation: float = 0.0  # shift by up to this fraction of the side (reflected border)

    def active(self) -> bool:
        return bool(self.flip or self.crop or self.rotation or self.zoom or self.contrast
                    or self.translation)


@dataclass
class DataConfig:
    # A built-in dataset's name, or the path of a folder with one sub-folder per class.
    dataset: str = "digits"
    # Side of the square images fed to the network; None = the dataset's own
    # (64 for an image folder).
    image_size: int | None = None
    # Number of images the synthetic "shapes" set generates.
    samples: int = 1200
    # Use at most this many images of any dataset (None = all); handy for quick runs.
    max_samples: int | None = None
    # Learn only these classes of a built-in dataset (by name; label i is classes[i]); None = all.
    classes: list[str] | None = None
    # Keep at most this many training images per class (seeded; validation and test keep
    # theirs): learning from a few labeled images. None = all.
    train_per_class: int | None = None
    # An epoch passes over the training split this many times: 5 images still make 20 steps
    # an epoch, not 200 epochs of one step, each with its validation and checkpoint.
    train_repeat: int = 1
    validation_split: float = 0.2
    # Fraction held out as a test set, never seen in training (a source's own
    # test set -- Keras's built-ins, a folder's test/ -- is used instead).
    test_split: float = 0.0
    # 1 (grayscale) or 3 (RGB); None = the dataset's own (a folder: 1 only when
    # every image is grayscale).
    channels: int | None = None
    preprocessing: str = "scale"
    augmentation: AugmentationConfig = field(default_factory=AugmentationConfig)
    seed: int = 0


@dataclass
class TrainingConfig:
    epochs: int = 10
    batch_size: int = 32
    learning_rate: float = 1e-3
    optimizer: str = "adam"
    seed: int = 0
    momentum: float = 0.9  # SGD's (and RMSprop's) momentum
    nesterov: bool = False  # SGD only
    weight_decay: float = 1e-4  # AdamW's decoupled weight decay
    schedule: str = "constant"
    # step: rate x decay_rate every decay_epochs; exponential: the same, smoothly;
    # plateau: rate x decay_rate after plateau_patience epochs without a better val_loss.
    decay_rate: float = 0.1
    decay_epochs: int = 10
    warmup_epochs: int = 0  # cosine: linear warm-up from 0 to learning_rate
    min_learning_rate: float = 0.0  # floor of cosine and plateau
    plateau_patience: int = 3
    # seeds/002 "how long to train": stop when val_loss has not improved for
    # `patience` epochs and keep the best epoch's weights.
    early_stopping: bool = False
    patience: int = 5
    restore_best: bool = True
    mixed_precision: str = "off"  # float16 / bfloat16 compute, float32 weights
    xla: bool = False  # jit_compile the training step
    # TensorFlow's op determinism while the run trains: the same config gives the
    # same numbers to the last bit, a resumed run included (slower, above all on a GPU).
    deterministic: bool = False
    tensorboard: bool = True  # event logs in RUN_DIR/tensorboard
    # Per epoch, a fixed tenth of the training split in inference mode (train_eval_loss,
    # train_eval_accuracy) and batch norm's train/inference gap (netlab/training/train_eval.py).
    train_eval: bool = True


@dataclass
class FinetuneConfig:
    """Start from learned weights (seeds/001, netlab/models/finetune.py); off while source is None."""

    # A NetLab run folder, a .keras file, or imagenet:ARCH (e.g. imagenet:mobilenetv2).
    source: str | None = None
    # "base" (feature extraction), "none", or a layer name: everything below it is frozen.
    freeze: str = "base"
    load_up_to: str | None = None  # load the source's weights up to this layer (None: all that fit)
    base_lr_mult: float = 0.1  # the unfrozen base's rate relative to the head's
    head_epochs: int = 0  # two phases: the head alone this many epochs, then unfreeze to `freeze`
    into_arch: bool = False  # load into model.arch (by position and shape), not a copy of the source
    cache_features: bool = False  # the frozen base runs once; the head trains on its outputs


@dataclass
class SearchConfig:
    """A hyperparameter search over this experiment (``netlab search``, the Search tab).

    Each trial trains the experiment for ``trial_epochs`` with the settings of
    ``space`` drawn by the sampler (netlab/config/search_space.py: dotted path ->
    range or choices); the median pruner stops a trial whose validation loss at
    an epoch is worse than the median of earlier trials at that epoch.
    """

    space: dict = field(default_factory=lambda: copy.deepcopy(DEFAULT_SPACE))
    trials: int = 8  # the budget: finished trials (complete, pruned or failed) over every process
    trial_epochs: int = 2
    sampler: str = "tpe"  # tpe (Bayesian), random, grid
    pruner: str = "median"  # median or none
    prune_after_trials: int = 2  # no pruning before this many trials have finished
    prune_after_epochs: int = 0  # nor before this many epochs of a trial
    grid_points: int = 3  # grid: values per range that has no step
    seed: int | None = None  # the sampler's seed; null when several processes join one study


@dataclass
class Experiment:
    model: ModelConfig = field(default_factory=ModelConfig)
    regularization: RegularizationConfig = field(default_factory=RegularizationConfig)
    data: DataConfig = field(default_factory=DataConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    finetune: FinetuneConfig = field(default_factory=FinetuneConfig)
    search: SearchConfig = field(default_factory=SearchConfig)

    # -- JSON -------------------------------------------------------------
    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, data: dict) -> Experiment:
        return _from_dict(cls, data, "")

    @classmethod
    def from_json(cls, text: str) -> Experiment:
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:  # RecursionError: nested thousands deep
            raise ConfigError(f"the configuration is not valid JSON: {exc}") from None
        return cls.from_dict(data)

    @classmethod
    def load(cls, path: str | Path) -> Experiment:
        """The experiment a JSON settings file holds (a run's folder: netlab.runs.run.load_settings)."""
        path = checked_path(path, "configuration")
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise ConfigError(f"cannot read configuration {path}: {exc.strerror}") from None
        return cls.from_json(decode_config_text(raw, path))

    def save(self, path: str | Path) -> None:
        from netlab.base.atomic import atomic_write_text

        atomic_write_text(path, self.to_json() + "\n")

    # -- checks -----------------------------------------------------------
    def validate(self) -> Experiment:
        """Check every value; raise ConfigError naming the first bad field."""
        self.validated_space()
        return self

    def validated_space(self) -> list:
        """``validate()``, returning ``search.space`` as the Dimensions it checked
        (netlab/config/search_space.py): what a search draws from, read once."""
        r, t = self.regularization, self.training
        for path, limit in LIMITS.items():
            value = config_value(self, path)
            if value is not None and not path.startswith("data."):  # the data's: validate_data
                limit.check(path, value)
        one_of("model.head", self.model.head, HEADS)
        one_of("model.pooling", self.model.pooling, POOLINGS)
        one_of("regularization.norm", r.norm, NORMALIZATIONS)
        one_of("regularization.activation", r.activation, ACTIVATIONS)
        one_of("regularization.initializer", r.initializer, INITIALIZERS)
        size = validate_data(self.data)

        one_of("training.optimizer", t.optimizer, OPTIMIZERS)
        one_of("training.schedule", t.schedule, SCHEDULES)
        in_range("training.warmup_epochs", t.warmup_epochs, 0, t.epochs - 1)
        in_range("training.min_learning_rate", t.min_learning_rate, 0.0, t.learning_rate, hi_open=True)
        one_of("training.mixed_precision", t.mixed_precision, MIXED_PRECISIONS)
        _check_finetune(self.finetune, t, self.data.augmentation)
        one_of("search.sampler", self.search.sampler, SAMPLERS)
        one_of("search.pruner", self.search.pruner, PRUNERS)

        # The architecture checks need the registry (which imports Keras).
        from netlab.architectures import get_arch

        spec = get_arch(self.model.arch)
        spec.check_options(self.model.options)
        if size < spec.min_input:
            raise ConfigError(
                f"data.image_size: {self.model.arch} needs inputs of at least "
                f"{spec.min_input}x{spec.min_input} (got {size}x{size})"
            )
        return search_dimensions(self, LIMITS)


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
    # The dataset checks need the source registry (which imports Keras).
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


def decode_config_text(raw: bytes, path) -> str:
    """A JSON file's text: UTF-8, or UTF-8/UTF-16/UTF-32 with a byte-order mark.

    Windows editors (Notepad, PowerShell's ``>``) save with a BOM or as UTF-16.
    """
    # UTF-32's marks start with UTF-16's: test the longer ones first.
    marks = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
             (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
    encoding = next((name for bom, name in marks if raw.startswith(bom)), "utf-8")
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"configuration {path} is not {encoding.upper().replace('-SIG', '')} text "
            f"(undecodable byte at position {exc.start}); save it as UTF-8"
        ) from None


# -- typed from_dict --------------------------------------------------------
def _from_dict(cls, data, prefix: str):
    if not isinstance(data, dict):
        raise ConfigError(f"{prefix.rstrip('.') or 'configuration'} must be a JSON object")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ConfigError(
            f"unknown setting {prefix}{unknown[0]} (known: {', '.join(sorted(names))})"
        )
    kwargs = {}
    for name, value in data.items():
        kwargs[name] = _coerce(hints[name], value, prefix + name)
    return cls(**kwargs)


def _coerce(hint, value, name: str):
    if dataclasses.is_dataclass(hint):
        return _from_dict(hint, value, name + ".")
    args = typing.get_args(hint)
    if type(None) in args:  # Optional[X]
        if value is None:
            return None
        hint = next(a for a in args if a is not type(None))
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    origin = typing.get_origin(hint) or hint
    if origin is float and isinstance(value, float):
        return value
    if origin in (int, str, bool, dict) and type(value) is origin:
        return value
    if origin is list and isinstance(value, list) and all(type(v) is str for v in value):
        return list(value)
    expected = {float: "a number", int: "an integer", str: "a string", bool: "true or false",
                dict: "an object", list: "a list of names"}.get(origin, str(origin))
    raise ConfigError(f"{name} must be {expected} (got {shown(value)})")
