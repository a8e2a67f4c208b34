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


def evaluate_batches(model, batches, class_names: list[str], model_index=None) -> dict:
    """Metrics over (images, labels) batches: arrays or a tf.data pipeline (image folders).

    ``class_names`` name the labels; ``model_index[label]`` is the model output
    of that class (``class_match.match_classes``; default: the label itself).
    The confusion matrix and per-class accuracy cover the classes the labels
    name, in the model's order; when those are only some of the model's
    classes, ``other_predictions`` counts per row the images predicted as a
    class the dataset lacks (wrong, like any other miss).
    """
    n_outputs = int(model.output_shape[-1])
    model_index = np.arange(len(class_names)) if model_index is None else np.asarray(model_index)
    parts, labels = [], []
    for x, y in batches:
        parts.append(np.asarray(model.predict_on_batch(x), dtype="float64"))
        labels.append(np.asarray(y, dtype="int64"))
    probabilities = np.concatenate(parts) if parts else np.zeros((0, n_outputs))
    y = model_index[np.concatenate(labels)] if labels else np.zeros(0, dtype="int64")
    predicted = probabilities.argmax(axis=1)
    present = np.sort(model_index)  # the dataset's classes as model outputs, in the model's order
    names = [class_names[int(np.flatnonzero(model_index == m)[0])] for m in present]
    row_of = np.full(n_outputs, -1)
    row_of[present] = np.arange(len(present))
    rows, columns = row_of[y], row_of[predicted]
    inside = columns >= 0
    confusion = np.zeros((len(present), len(present)), dtype="int64")  # rows: true, columns: predicted
    np.add.at(confusion, (rows[inside], columns[inside]), 1)
    other = np.bincount(rows[~inside], minlength=len(present))
    picked = probabilities[np.arange(len(y)), y] if len(y) else np.zeros(0)
    per_class = {}
    for index, name in enumerate(names):
        total = confusion[index].sum() + other[index]
        per_class[name] = float(confusion[index, index] / total) if total else None
    result = {
        "samples": int(len(y)),
        "accuracy": float((predicted == y).mean()) if len(y) else float("nan"),
        "loss": float(-np.log(np.clip(picked, 1e-7, 1.0)).mean()) if len(y) else float("nan"),
        "per_class_accuracy": per_class,
        "class_names": names,
        "confusion_matrix": confusion.tolist(),
    }
    if len(present) < n_outputs:
        result["other_predictions"] = other.tolist()
    return result


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
    used when the dataset has one, else the validation split. The dataset's
    classes are matched by name to the model's (``class_match``): a folder may
    hold only some of them, and is evaluated on those.
    """
    from netlab.config import DataConfig, Experiment
    from netlab.data import load_dataset
    from netlab.data.class_match import match_classes
    from netlab.predict import load_model, model_input_shape
    from netlab.training.runs import read_classes

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
    # Classes by name against the model's classes.json, never by sorted position.
    match = match_classes(data.class_names, read_classes(model_path), int(model.output_shape[-1]),
                          dataset=str(data_config.dataset), model=model_path.name)
    result = evaluate_batches(model, batches, data.class_names, match.model_index)
    report = {"model": str(model_path), "dataset": data_config.dataset, "split": split, **result}
    if match.note:
        report["note"] = match.note
    return report
