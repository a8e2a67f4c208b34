"""One experiment = model + regularization + data + training settings.

Plain dataclasses that round-trip through JSON (netlab/config/typed_json.py).
``validate()`` checks every value (netlab/config/checks.py) and raises
:class:`ConfigError` naming the field and its allowed range, so the window,
the CLI and a hand-written JSON file fail the same way.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

from netlab.base.atomic import atomic_write_text
from netlab.base.errors import ConfigError
from netlab.base.user_paths import checked_path
from netlab.config.checks import validated_space
from netlab.config.knobs import ModelConfig, RegularizationConfig
from netlab.config.search_space import DEFAULT_SPACE
from netlab.config.typed_json import decode_config_text, typed_from_dict


@dataclass
class AugmentationConfig:
    """Random changes made to training images only (Keras preprocessing layers).

    All off by default. AlexNet's (Krizhevsky et al. 2012): random crops and horizontal flips.
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
    # Early stopping (Prechelt 1998): stop when val_loss has not improved for
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
    # Every few batches, per layer: gradient norms, update ratios, dead and saturated units on a
    # fixed probe batch (netlab/training/health.py; at most 5% of the training time).
    health: bool = True


@dataclass
class FinetuneConfig:
    """Start from learned weights (Yosinski et al. 2014; netlab/models/finetune.py); off while source is None."""

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
        return typed_from_dict(cls, data, "")

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
        atomic_write_text(path, self.to_json() + "\n")

    # -- checks -----------------------------------------------------------
    def validate(self) -> Experiment:
        """Check every value; raise ConfigError naming the first bad field."""
        self.validated_space()
        return self

    def validated_space(self) -> list:
        """``validate()``, returning ``search.space`` as the Dimensions it checked
        (netlab/config/search_space.py): what a search draws from, read once."""
        return validated_space(self)
