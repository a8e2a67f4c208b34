"""Evaluate a model on a dataset: accuracy, loss, confusion matrix, per-class accuracy,
precision, recall and F1, and the most confidently misclassified samples."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from netlab.base.abort import abort_point
from netlab.base.errors import ConfigError, ModelLoadError
from netlab.base.user_paths import checked_path
from netlab.config import DataConfig
from netlab.data import load_dataset
from netlab.data.class_match import match_classes
from netlab.data.folder import is_plain_folder, load_image_folder
from netlab.inspect.passes import predict_batch
from netlab.predict.metrics import MistakeCollector, per_class_metrics
from netlab.predict.model import model_input_shape, open_model
from netlab.runs.run import RunFolder

# The most confidently misclassified samples a report lists (the window's gallery shows them).
MISTAKES = 16


@dataclass
class Evaluation:
    """A report (plain JSON) and the images of its ``misclassified`` list, in its order
    (uint8, height x width x channels; empty unless asked for)."""

    report: dict
    images: list = field(default_factory=list)


def evaluate_arrays(model, x: np.ndarray, y: np.ndarray, class_names: list[str],
                    batch_size: int = 64, **options) -> dict:
    """Metrics of ``model`` (softmax outputs) on images ``x`` with integer labels ``y``."""
    return evaluate_batches(model, ((x[i:i + batch_size], y[i:i + batch_size])
                                    for i in range(0, len(x), batch_size)), class_names, **options)


def evaluate_batches(model, batches, class_names: list[str], model_index=None, **options) -> dict:
    """The report of :func:`evaluation` (JSON-ready)."""
    return evaluation(model, batches, class_names, model_index, **options).report


def evaluation(model, batches, class_names: list[str], model_index=None, output_names=None,
               mistakes: int = MISTAKES, keep_images: bool = False, total: int | None = None,
               on_progress=None) -> Evaluation:
    """Metrics over (images, labels) batches: arrays or a tf.data pipeline (image folders).

    ``class_names`` name the labels; ``model_index[label]`` is the model output
    of that class (``class_match.match_classes``; default: the label itself);
    ``output_names`` name every model output (default: the dataset's names).
    The confusion matrix (rows: true, columns: predicted), per-class accuracy
    and precision/recall/F1 cover the classes the labels name, in the model's
    order; when those are only some of the model's classes,
    ``other_predictions`` counts per row the images predicted as a class the
    dataset lacks (wrong, like any other miss). ``misclassified`` lists the
    ``mistakes`` most confident wrong answers (index in the split, true and
    predicted class, the predicted class's probability). Each batch is an
    abort point; ``on_progress(samples done, total)`` follows the batches.
    """
    n_outputs = int(model.output_shape[-1])
    model_index = np.arange(len(class_names)) if model_index is None else np.asarray(model_index)
    if output_names is None:
        output_names = [f"class {m}" for m in range(n_outputs)]
        for label, m in enumerate(model_index):
            output_names[int(m)] = class_names[label]
    collector = MistakeCollector(mistakes, keep_images)
    probabilities, y = _predict_all(model, batches, model_index, n_outputs, collector, total, on_progress)
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
        count = confusion[index].sum() + other[index]
        per_class[name] = float(confusion[index, index] / count) if count else None
    found = collector.mistakes()
    result = {
        "samples": int(len(y)),
        "accuracy": float((predicted == y).mean()) if len(y) else float("nan"),
        "loss": float(-np.log(np.clip(picked, 1e-7, 1.0)).mean()) if len(y) else float("nan"),
        "per_class_accuracy": per_class,
        "class_names": names,
        "confusion_matrix": confusion.tolist(),
        "per_class": per_class_metrics(confusion, names, other),
        "misclassified": [m.to_dict(output_names) for m, _ in found],
    }
    if len(present) < n_outputs:
        result["other_predictions"] = other.tolist()
    return Evaluation(result, [image for _, image in found] if keep_images else [])


def _predict_all(model, batches, model_index, n_outputs: int, collector, total, on_progress):
    """(probabilities, true labels as model outputs) over every batch; each batch an abort point."""
    parts, labels = [], []
    for x, y in batches:
        abort_point()
        x = np.asarray(x)
        # Traced once per model for any batch size (predict_on_batch retraced for the short last batch).
        part = predict_batch(model, x)
        truth = model_index[np.asarray(y, dtype="int64")]
        collector.add(part, truth, x)
        parts.append(part)
        labels.append(truth)
        if on_progress is not None:
            on_progress(collector.seen, total)
    probabilities = np.concatenate(parts) if parts else np.zeros((0, n_outputs))
    y = np.concatenate(labels) if labels else np.zeros(0, dtype="int64")
    return probabilities, y



def _model_file(model_or_run: str | Path, best: bool) -> Path:
    """The model file a path names: itself, or a run folder's model.keras (best.keras with ``best``)."""
    path = checked_path(model_or_run, "the model", ModelLoadError)
    if path.is_dir():
        folder = RunFolder(path)
        model = folder.model_file(best)
        if not model.is_file():
            raise ConfigError(folder.why_no_model(best) or f"{path} has no {model.name}: is it a NetLab run folder?")
        return model
    return path


def evaluate(model_or_run: str | Path, dataset: str | None = None, best: bool = False,
             batch_size: int = 64, mistakes: int = MISTAKES) -> dict:
    """Evaluate a model file, or a run folder's model.keras (best.keras with ``best``).

    See :func:`evaluate_model`; the report also names the model file.
    """
    opened = open_model(_model_file(model_or_run, best))
    result = evaluate_model(opened.model, opened.class_names, opened.run and opened.run.path, dataset,
                            batch_size=batch_size, mistakes=mistakes, model_name=opened.path.name)
    return {"model": str(opened.path), **result.report}


def evaluate_model(model, model_classes, run_dir=None, dataset: str | None = None, batch_size: int = 64,
                   mistakes: int = MISTAKES, keep_images: bool = False, model_name: str = "the model",
                   on_progress=None) -> Evaluation:
    """Evaluate a loaded model whose classes are ``model_classes`` (None: unknown).

    The data settings come from the run's config.json (so its validation split
    is the one the run never trained on) with ``dataset`` overriding the
    source; images are sized to the model's input. A held-out test split is
    used when the dataset has one, else the validation split; a folder of class
    sub-folders that is not the run's own dataset is evaluated whole. The dataset's
    classes are matched by name to the model's (``class_match``): a folder may
    hold only some of them, and is evaluated on those. For an image folder the
    misclassified samples also name their ``file``.
    """
    run_dir = Path(run_dir) if run_dir is not None else None
    data_config = RunFolder(run_dir).settings().data if run_dir is not None else DataConfig()
    # Another folder of class sub-folders than the run's own: every image in it is evaluated.
    whole = dataset is not None and is_plain_folder(dataset) and (
        run_dir is None or Path(str(dataset)).expanduser().resolve() != Path(str(data_config.dataset)).resolve())
    if dataset is not None:
        data_config.dataset = dataset
    elif run_dir is None:
        raise ConfigError("evaluate: give --dataset (the model file has no run folder with a config.json)")
    height, _, channels = model_input_shape(model)
    data_config.image_size = height
    if hasattr(data_config, "channels"):
        data_config.channels = channels
    abort_point()
    data = load_image_folder(dataset, data_config, whole=True) if whole else load_dataset(data_config)
    if data.input_shape[-1] != channels:
        raise ConfigError(f"evaluate: the model takes {channels}-channel images but "
                          f"{data_config.dataset} has {data.input_shape[-1]}")
    split = "test" if data.test_size else "val"
    # Classes by name against the model's classes.json, never by sorted position.
    match = match_classes(data.class_names, model_classes, int(model.output_shape[-1]),
                          dataset=str(data_config.dataset), model=model_name)
    skipped = len(data.skipped)
    result = evaluation(model, data.pipeline(split, batch_size), data.class_names, match.model_index,
                        output_names=list(match.model_classes), mistakes=mistakes, keep_images=keep_images,
                        total=len(data.labels(split)), on_progress=on_progress)
    files = getattr(data, "files", {}).get(split)
    if files and len(data.skipped) == skipped:  # no file dropped while decoding: indices are positions
        for entry in result.report["misclassified"]:
            entry["file"] = str(files[entry["index"]])
    split_name = "test" if split == "test" else "whole folder" if whole else "validation"
    result.report = {"dataset": data_config.dataset, "split": split_name, **result.report}
    if match.note:
        result.report["note"] = match.note
    return result
