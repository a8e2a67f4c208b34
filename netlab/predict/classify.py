"""Classify many images: folders expanded, batches, test-time augmentation, ensembles, CSV.

Test-time augmentation averages the softmax over several views of each image
(Szegedy et al. 2015's multi-crop testing; Krizhevsky et al. 2012's ten patches): ``flip``
the image and its mirror image, ``10crop`` four corners and the centre of the
image enlarged by 1/0.875 (256 for a 224 model) and their mirror images. The
single-crop answer (the whole image resized, what ``netlab.predict.model`` gives) is
reported beside it. An ensemble (Szegedy et al. 2015, Table 3) averages the
softmax of several models whose classes match by name.
"""

from __future__ import annotations

import csv
import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from netlab.base.abort import abort_point
from netlab.base.errors import ConfigError, ModelLoadError, NetlabError
from netlab.base.user_paths import checked_path
from netlab.data.images import IMAGE_SUFFIXES
from netlab.predict.model import (
    Prediction,
    class_names_for,
    image_to_array,
    load_image,
    model_input_shape,
    open_model,
)

TTA_MODES = ("none", "flip", "10crop")
# The crop covers 0.875 of the enlarged image's side (224 of 256: AlexNet, GoogLeNet).
CROP_FRACTION = 0.875
BATCH_SIZE = 32
THUMBNAIL = 48


@dataclass
class Member:
    """One model of an ensemble; ``order[i]`` is its output for the ensemble's class i."""

    model: object
    class_names: list[str]
    name: str
    order: np.ndarray

    @property
    def input_shape(self):
        return model_input_shape(self.model)


def open_member(path) -> tuple:
    """(model, class names or None, name) of a .keras file or a run folder: what ensemble() takes."""
    opened = open_model(path)
    return opened.model, opened.class_names, opened.name


def ensemble(models) -> list[Member]:
    """Members from (model, class names or None, name) triples, or ConfigError when their
    classes differ. The first model's class order is the ensemble's; the others are
    matched to it by name, so a run that listed its classes in another order still agrees."""
    members = []
    for model, class_names, name in models:
        model_input_shape(model)  # an image model, or a clear error
        names = class_names_for(model, class_names)
        if members:
            first = members[0]
            if sorted(names) != sorted(first.class_names) or len(set(names)) != len(names):
                raise ConfigError(
                    f"ensemble: {name}'s classes ({_listing(names)}) are not {first.name}'s "
                    f"({_listing(first.class_names)}): an ensemble averages models of the same classes")
            position = {n: i for i, n in enumerate(names)}
            order = np.array([position[n] for n in first.class_names])
        else:
            order = np.arange(len(names))
        members.append(Member(model, names, name, order))
    if not members:
        raise ConfigError("ensemble: no model given")
    return members


def _listing(names, shown: int = 8) -> str:
    return ", ".join(names[:shown]) + (f", ... ({len(names)} in all)" if len(names) > shown else "")


# -- views and probabilities -------------------------------------------------------
def tta_views(image: Image.Image, input_shape, tta: str) -> np.ndarray:
    """The views of one image a TTA mode averages over (float32, views x H x W x C);
    the first view is always the single crop (the whole image resized)."""
    if tta not in TTA_MODES:
        raise ConfigError(f"tta must be one of {', '.join(TTA_MODES)} (got {tta!r})")
    single = image_to_array(image, input_shape)
    if tta == "none":
        return single[None]
    if tta == "flip":
        return np.stack([single, single[:, ::-1]])
    height, width, _ = input_shape
    if height is None or width is None:
        raise ConfigError("tta 10crop needs a model with a fixed input size; use flip")
    big_h, big_w = math.ceil(height / CROP_FRACTION), math.ceil(width / CROP_FRACTION)
    big = image_to_array(image, (big_h, big_w, input_shape[2]))
    corners = [(0, 0), (0, big_w - width), (big_h - height, 0), (big_h - height, big_w - width),
               ((big_h - height) // 2, (big_w - width) // 2)]
    crops = [big[top:top + height, left:left + width] for top, left in corners]
    return np.stack([single, *crops, *(crop[:, ::-1] for crop in crops)])


def _softmax_rows(model, batch: np.ndarray) -> np.ndarray:
    probabilities = np.asarray(model.predict_on_batch(batch), dtype=np.float64)
    if probabilities.ndim != 2:
        raise ModelLoadError(f"the model's output has shape {probabilities.shape}, not class probabilities")
    if not np.isfinite(probabilities).all():
        raise ModelLoadError("the model produced NaN probabilities (its weights are broken)")
    return probabilities


def predict_probabilities(members: list[Member], images, tta: str = "none") -> tuple[np.ndarray, np.ndarray]:
    """(TTA probabilities, single-crop probabilities) of PIL images, each images x classes,
    averaged over the ensemble's members (in the first member's class order)."""
    tta_sum = single_sum = 0.0
    for member in members:
        shape = member.input_shape
        views = [tta_views(img, shape, tta) for img in images]
        count = len(views[0])
        rows = _softmax_rows(member.model, np.concatenate(views))[:, member.order]
        rows = rows.reshape(len(images), count, -1)
        tta_sum = tta_sum + rows.mean(axis=1)
        single_sum = single_sum + rows[:, 0]
    return tta_sum / len(members), single_sum / len(members)


def top_predictions(row: np.ndarray, class_names: list[str], top: int) -> list[Prediction]:
    order = np.argsort(row, kind="stable")[::-1][:top]
    return [Prediction(class_names[i], int(i), float(row[i])) for i in order]


# -- files ---------------------------------------------------------------------
@dataclass
class FileResult:
    """One file's answer: its top-k (empty when it failed), the single-crop top-k
    beside a TTA answer, or the line saying why it could not be classified."""

    path: str
    top: list[Prediction]
    single: list[Prediction] | None = None
    error: str | None = None
    thumbnail: Image.Image | None = None


def image_files(paths) -> list[tuple[str, str | None]]:
    """(path, error or None) for each file to classify: files as given, folders
    expanded recursively to their images (by suffix, sorted, hidden ones left
    out); a missing path or a folder without images is an error entry."""
    entries = []
    for given in paths:
        try:  # a name the file system refuses (longer than it allows) is this entry's error
            path = checked_path(Path(given).expanduser())
        except NetlabError as exc:
            entries.append((str(given), str(exc)))
            continue
        if path.is_dir():
            found = []
            for folder, dirs, files in os.walk(path):
                abort_point()  # a tree of many thousands of files takes a while to list
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found += [os.path.join(folder, f) for f in sorted(files)
                          if not f.startswith(".") and Path(f).suffix.lower() in IMAGE_SUFFIXES]
            entries += [(f, None) for f in found] or [(str(given), f"{given}: no images in this folder")]
        elif path.is_file():
            entries.append((str(given), None))
        else:
            entries.append((str(given), f"{given}: no such file or folder"))
    return entries


def _load(path: str, side: int | None, thumbnail: int | None):
    try:
        image = load_image(path, smallest=side)
    except NetlabError as exc:
        return None, str(exc), None
    except OSError as exc:  # unreadable (permissions) or vanished since it was listed
        return None, f"{path}: {exc.strerror or exc}", None
    except Exception as exc:  # noqa: BLE001 - a decoder's odd failure on one file never ends the batch
        return None, f"{Path(path).name} could not be decoded ({type(exc).__name__}: {exc})", None
    thumb = None
    if thumbnail:
        thumb = image.copy()
        thumb.thumbnail((thumbnail, thumbnail))
    return image, None, thumb


def classify_files(members: list[Member], paths, top: int = 3, tta: str = "none",
                   batch_size: int = BATCH_SIZE, thumbnail: int | None = None,
                   on_batch=None) -> list[FileResult]:
    """Classify the images of ``paths`` (files or folders) in batches.

    A file that cannot be read is a FileResult with its ``error``, never the end
    of the job. Images are decoded by a few threads, the next batch while the
    model runs on this one. Each batch is an abort point (``netlab.base.abort``);
    ``on_batch(results of the batch, files done, files in all)`` follows them.
    """
    if top < 1:
        raise ConfigError(f"top must be at least 1 (got {top})")
    if tta not in TTA_MODES:
        raise ConfigError(f"tta must be one of {', '.join(TTA_MODES)} (got {tta!r})")
    entries = image_files(paths)
    sides = [member.input_shape[0] for member in members]
    side = None if None in sides else max(sides)
    names = members[0].class_names
    batches = [entries[i:i + batch_size] for i in range(0, len(entries), batch_size)]
    results: list[FileResult] = []
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        def submit(batch):
            return [pool.submit(_load, path, side, thumbnail) if error is None else None
                    for path, error in batch]

        pending = submit(batches[0]) if batches else []
        for number, batch in enumerate(batches):
            abort_point()
            loaded = [future.result() if future is not None else (None, error, None)
                      for future, (_, error) in zip(pending, batch, strict=True)]
            if number + 1 < len(batches):
                pending = submit(batches[number + 1])
            good = [i for i, (image, _, _) in enumerate(loaded) if image is not None]
            done = [FileResult(path, [], error=error, thumbnail=thumb)
                    for (path, _), (_, error, thumb) in zip(batch, loaded, strict=True)]
            if good:
                with_tta, single = predict_probabilities(members, [loaded[i][0] for i in good], tta)
                for row, i in enumerate(good):
                    done[i].top = top_predictions(with_tta[row], names, top)
                    if tta != "none":
                        done[i].single = top_predictions(single[row], names, top)
            results += done
            if on_batch is not None:
                on_batch(done, len(results), len(entries))
    return results


# -- CSV -------------------------------------------------------------------------
def csv_header(top: int, tta: bool) -> list[str]:
    header = ["path"]
    for k in range(1, top + 1):
        header += [f"label_{k}", f"probability_{k}"]
    if tta:
        header += ["single_crop_label", "single_crop_probability"]
    return [*header, "error"]


def write_csv(results: list[FileResult], out, top: int) -> None:
    """One row per file: path, the top-k labels and probabilities (full precision), the
    single-crop top-1 when TTA was on, and the error of a file that failed. ``out`` is
    a path or an open text file."""
    tta = any(r.single is not None for r in results)
    if isinstance(out, (str, Path)):
        with open(out, "w", encoding="utf-8", newline="") as f:
            write_csv(results, f, top)
        return
    writer = csv.writer(out)
    writer.writerow(csv_header(top, tta))
    for r in results:
        row = [r.path]
        for k in range(top):
            row += [r.top[k].label, repr(r.top[k].probability)] if k < len(r.top) else ["", ""]
        if tta:
            row += [r.single[0].label, repr(r.single[0].probability)] if r.single else ["", ""]
        writer.writerow([*row, r.error or ""])


def read_csv(path) -> list[FileResult]:
    """The results a :func:`write_csv` file holds (top-k and errors; class indices are not stored: -1)."""
    results = []
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            top, k = [], 1
            while row.get(f"label_{k}"):
                top.append(Prediction(row[f"label_{k}"], -1, float(row[f"probability_{k}"])))
                k += 1
            single = None
            if row.get("single_crop_label"):
                single = [Prediction(row["single_crop_label"], -1, float(row["single_crop_probability"]))]
            results.append(FileResult(row["path"], top, single, row["error"] or None))
    return results
