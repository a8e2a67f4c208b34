"""Measuring a lesson's runs alike: inference-mode accuracies, the probes, the spread over seeds.

Accuracies are recomputed in inference mode after training (the training-mode
running mean mixes dropout's noise into the fit), and a probe (batch-norm
statistics recomputed, activation statistics at initialization) runs on every
arm alike. Keras is imported where it is used: importing the lessons must not
start TensorFlow.
"""

from __future__ import annotations

import math

import numpy as np

from netlab.inspect.activations import activation_layers, activation_statistics
from netlab.inspect.batchnorm import bn_layers, recompute_bn_statistics
from netlab.inspect.layers import flat_graph

# Keras is imported inside functions: `netlab --help` imports this module (netlab experiment's)
# and shows before TensorFlow loads.


def accuracy(model, data, split: str) -> float:
    """Inference-mode accuracy of ``model`` on a split (no augmentation, no dropout)."""
    labels = data.labels(split)
    predicted = np.concatenate([np.argmax(np.asarray(model(b, training=False)), axis=-1)
                                for b in data.batches(split, 128)])
    return float(np.mean(predicted == labels))


def run_metrics(result, data, restored: bool = False) -> dict:
    """Inference-mode accuracies of the model as returned; losses of the epoch it comes from
    (the best one when ``restored``, with the best and the last epoch), else of the last epoch."""
    history = result.history
    at = result.best_epoch - 1 if restored and result.best_epoch else -1
    metrics = {key: float(history[key][at]) for key in ("loss", "val_loss") if history.get(key)}
    metrics["train_accuracy"] = accuracy(result.model, data, "train")
    metrics["val_accuracy"] = accuracy(result.model, data, "val")
    metrics["gap"] = metrics["train_accuracy"] - metrics["val_accuracy"]
    metrics["params"] = float(result.model.count_params())
    if restored:
        metrics["best_epoch"] = float(result.best_epoch or len(history.get("loss", [])))
        metrics["stop_epoch"] = float(len(history.get("loss", [])))
    return metrics


def bn_recompute_metrics(model, data, images: int = 2048) -> dict:
    """Accuracies after the moving statistics are recomputed on (up to ``images``) training images, in place."""
    if bn_layers(model):  # one pass: a couple of thousand images pin the statistics down
        recompute_bn_statistics(model, data.x_train[:images])
    train, val = accuracy(model, data, "train"), accuracy(model, data, "val")
    return {"train_accuracy_recomputed": train, "val_accuracy_recomputed": val,
            "gap_recomputed": train - val}


def activation_metrics(trainer, data, images: int = 256) -> dict:
    """The fresh model's activation spread (std) at its first and last activation layer."""
    import keras

    keras.utils.set_random_seed(trainer.experiment.training.seed)
    steps = math.ceil(data.train_size / trainer.experiment.training.batch_size)
    _, model, _ = trainer.build_model(data, steps)
    # The convolutions' feature maps: the classifier's softmax (zero-initialized) says nothing of depth.
    graph = flat_graph(model)
    names = [n for n in activation_layers(model) if len(graph.objects[n].output.shape) == 4]
    stds = activation_statistics(model, data.x_train[:images], layer_names=names or None).stds
    first, last = stds[0], stds[-1]
    return {"act_std_first": first, "act_std_last": last, "act_std_ratio": last / first if first else 0.0}


def summarize(values: list[float]) -> tuple[float, float]:
    """Mean and standard deviation (0 for one seed)."""
    a = np.asarray(values, dtype=np.float64)
    return float(a.mean()), float(a.std(ddof=1)) if len(a) > 1 else 0.0


def epochs_to(history: dict, target: float, key: str = "accuracy") -> float:
    """The first epoch (1-based) whose training accuracy reached ``target`` (Krizhevsky et al. 2012,
    Fig. 1: epochs to 25% training error); epochs trained + 1 when none did."""
    values = history.get(key, [])
    return float(next((i for i, v in enumerate(values, start=1) if v >= target), len(values) + 1))


def health_metrics(run_dir, model, data, seed: int) -> dict:
    """Gradients and units by netlab.inspect.health on the run's fixed probe batch: the first weighted
    layer's gradient norm over the classifier's, as health.csv saw it first (after one step) and as
    the trained model has it; its gradient norm; the mean dead fraction of the hidden activations."""
    from netlab.data.subset import train_subset
    from netlab.inspect.health import activation_kind, measure, weighted_layers
    from netlab.runs.health_log import read_health
    from netlab.training.health import PROBE_IMAGES

    x, y = train_subset(data, min(PROBE_IMAGES, data.train_size), seed)
    sample = measure(model, x, y)
    first = weighted_layers(model)[0]
    graph = flat_graph(model)
    dead = [v["dead_fraction"] for name, v in sample.values.items()
            if "dead_fraction" in v and activation_kind(graph.objects[name]) != "softmax"]
    metrics = {"grad_norm_first": sample[first]["gradient_norm"],
               "grad_ratio_first_end": sample[first]["gradient_ratio"],
               "dead_fraction": float(np.mean(dead)) if dead else 0.0}
    try:
        start = next(r for r in read_health(run_dir) if r["layer"] == first)
        metrics["grad_ratio_first_start"] = start["gradient_ratio"]
    except (FileNotFoundError, StopIteration, KeyError):  # health off, or no step measured
        pass
    return metrics
