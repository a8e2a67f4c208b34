"""Evaluate a saved model on a dataset: accuracy, loss, per-class accuracy, confusion matrix."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from netlab.errors import ConfigError


def evaluate_arrays(model, x: np.ndarray, y: np.ndarray, class_names: list[str],
                    batch_size: int = 64) -> dict:
    """Metrics of ``model`` (softmax outputs) on images ``x`` with integer labels ``y``."""
    return evaluate_batches(model, ((x[i:i + batch_size], y[i:i + batch_size])
                                    for i in range(0, len(x), batch_size)), class_names)


def evaluate_batches(model, batches, class_names: list[str]) -> dict:
    """Metrics over (images, labels) batches: arrays or a tf.data pipeline (image folders)."""
    parts, labels = [], []
    for x, y in batches:
        parts.append(np.asarray(model.predict_on_batch(x), dtype="float64"))
        labels.append(np.asarray(y, dtype="int64"))
    probabilities = np.concatenate(parts) if parts else np.zeros((0, len(class_names)))
    y = np.concatenate(labels) if labels else np.zeros(0, dtype="int64")
    predicted = probabilities.argmax(axis=1)
    n = len(class_names)
    confusion = np.zeros((n, n), dtype="int64")  # rows: true class, columns: predicted
    np.add.at(confusion, (y, predicted), 1)
    picked = probabilities[np.arange(len(y)), y] if len(y) else np.zeros(0)
    per_class = {}
    for index, name in enumerate(class_names):
        total = confusion[index].sum()
        per_class[name] = float(confusion[index, index] / total) if total else None
    return {
        "samples": int(len(y)),
        "accuracy": float((predicted == y).mean()) if len(y) else float("nan"),
        "loss": float(-np.log(np.clip(picked, 1e-7, 1.0)).mean()) if len(y) else float("nan"),
        "per_class_accuracy": per_class,
        "class_names": list(class_names),
        "confusion_matrix": confusion.tolist(),
    }


def _resolve(model_or_run: str | Path, best: bool) -> tuple[Path, Path | None]:
    """(model file, run folder or None)."""
    path = Path(model_or_run)
    if path.is_dir():
        from netlab.training.runs import BEST_FILE, MODEL_FILE

        name = BEST_FILE if best else MODEL_FILE
        if not (path / name).is_file():
            raise ConfigError(f"{path} has no {name}: is it a finished NetLab run folder?")
        return path / name, path
    return path, path.parent if (path.parent / "config.json").is_file() else None


def evaluate(model_or_run: str | Path, dataset: str | None = None, best: bool = False,
             batch_size: int = 64) -> dict:
    """Evaluate a model file, or a run folder's model.keras (best.keras with ``best``).

    The data settings come from the run's config.json (so its validation split
    is the one the run never trained on) with ``dataset`` overriding the
    source; images are sized to the model's input. A held-out test split is
    used when the dataset has one, else the validation split.
    """
    from netlab.config import DataConfig, Experiment
    from netlab.data import load_dataset
    from netlab.predict import load_model, model_input_shape

    model_path, run_dir = _resolve(model_or_run, best)
    model = load_model(model_path)
    data_config = Experiment.load(run_dir / "config.json").data if run_dir is not None else DataConfig()
    if dataset is not None:
        data_config.dataset = dataset
    elif run_dir is None:
        raise ConfigError("evaluate: give --dataset (the model file has no run folder with a config.json)")
    height, _, channels = model_input_shape(model)
    data_config.image_size = height
    if hasattr(data_config, "channels"):
        data_config.channels = channels
    data = load_dataset(data_config)
    if data.input_shape[-1] != channels:
        raise ConfigError(f"evaluate: the model takes {channels}-channel images but "
                          f"{data_config.dataset} has {data.input_shape[-1]}")
    if data.test_size:
        split, batches = "test", data.test_pipeline(batch_size)
    else:
        split, batches = "validation", data.val_pipeline(batch_size)
    result = evaluate_batches(model, batches, data.class_names)
    return {"model": str(model_path), "dataset": data_config.dataset, "split": split, **result}
