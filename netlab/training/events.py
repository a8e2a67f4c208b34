"""The trainer's only output channel while it runs: plain data events.

Events carry numbers and strings only, so one stream feeds the window, the
CLI's progress lines, the run's events.jsonl and the tests.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field


@dataclass
class Event:
    def to_dict(self) -> dict:
        return {"event": type(self).__name__, **dataclasses.asdict(self)}


@dataclass
class DataProgress(Event):
    """A download before training starts: a Keras built-in dataset, or ImageNet weights to fine-tune."""

    url: str
    bytes_done: int
    bytes_total: int  # -1 when unknown


@dataclass
class RunStarted(Event):
    arch: str
    dataset: str
    epochs: int
    steps_per_epoch: int
    train_samples: int
    val_samples: int
    params: int
    device: str
    run_dir: str | None = None
    initial_epoch: int = 0  # > 0 when a run resumes from its checkpoint


@dataclass
class BatchEnd(Event):
    epoch: int  # 0-based
    batch: int  # 1-based count of batches done in this epoch
    steps: int  # batches per epoch
    # Keras reports running means over the epoch so far, not the last batch.
    loss: float
    accuracy: float | None
    images_per_second: float
    eta_seconds: float


@dataclass
class Notice(Event):
    """A sanity check's result (netlab/training/sanity.py): shown, never fatal."""

    text: str
    level: str = "info"  # "info" or "warning"
    check: str = ""  # which check: first_loss, bn_batch_size, frozen_bn


@dataclass
class HealthMeasured(Event):
    """The network's health on the run's probe batch (netlab/inspect/health.py), every few batches."""

    step: int  # batches trained over the whole run (1-based)
    epoch: int  # 0-based
    values: dict = field(default_factory=dict)  # {layer: {measure: value}}


@dataclass
class HealthWarning(Notice):
    """A health measure crossed its threshold (netlab.inspect.health.MEASURES): once per layer and measure."""

    level: str = "warning"
    check: str = "health"
    layer: str = ""
    measure: str = ""
    epoch: int = 0  # 0-based: the epoch it was first seen in
    step: int = 0


@dataclass
class EpochEnd(Event):
    epoch: int  # 0-based
    epochs: int
    # loss, accuracy, val_loss, val_accuracy, lr; train_eval_loss, train_eval_accuracy,
    # train_mode_accuracy and bn_gap when training.train_eval is on (training/train_eval.py)
    metrics: dict = field(default_factory=dict)
    seconds: float = 0.0


@dataclass
class RunFinished(Event):
    epochs_completed: int
    stopped: bool  # True when the user stopped it early
    history: dict = field(default_factory=dict)
    run_dir: str | None = None
    # Early stopping (Prechelt 1998): it ended before the
    # configured epochs because val_loss stopped improving; the model holds the
    # weights of best_epoch (1-based) when restore_best is on.
    stopped_early: bool = False
    best_epoch: int | None = None
    best_val_loss: float | None = None


@dataclass
class RunPaused(Event):
    epoch: int  # 0-based
    batch: int  # batches done in this epoch


@dataclass
class RunResumed(Event):
    epoch: int
    batch: int
    paused_seconds: float = 0.0


@dataclass
class RunFailed(Event):
    message: str
    kind: str = "error"  # the NetlabError class name, or "error"


@dataclass
class RunPruned(Event):
    """A search's pruner ended this trial's run after an epoch (netlab/search/study.py):
    its validation loss was worse than the median of earlier trials' at that epoch."""

    epoch: int  # 1-based: the last epoch trained
    val_loss: float
