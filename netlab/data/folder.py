"""Image folders: one sub-folder per class, streamed from disk through tf.data.

Layouts (a folder of flower photos, fine-tuning's classic target)::

    flowers/daisy/*.jpg  flowers/rose/*.jpg ...          split by NetLab (seeded, stratified)
    flowers/train/daisy/*.jpg  flowers/val/...  flowers/test/...   the folder's own splits
                                                         (val/ may be called validation/)

A scan at the start lists the files and checks each cheaply (PIL's header and
``verify()``, in parallel threads); files that are not readable images are
skipped and listed in ``Dataset.skipped``. Every problem that would stop
training (no images, one class, a class without images) is a DataError here,
before anything trains. A file that passes the scan but cannot be decoded
later is dropped from its batch and added to ``skipped``: never a crash
mid-epoch.

Channels: 3 (RGB) unless every image is grayscale (then 1), or
``DataConfig.channels`` when set. Images are squashed to
``image_size`` x ``image_size`` (default 64) like ``predict.image_to_array``.

TensorFlow is imported where a pipeline is built: scanning a folder (what the
data form does while a user types its path) must not start it.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from netlab.base.abort import abort_point
from netlab.base.errors import DataError
from netlab.data.dataset import Dataset, DataSource, check_labels, split_indices, subsample
from netlab.data.images import GRAYSCALE_MODES, IMAGE_SUFFIXES, SkippedFile, decode_image, probe_image
from netlab.data.pipeline import epoch_indices, epoch_order, over_epochs

# TensorFlow is imported inside functions: the window and `netlab --help` import this module at
# start-up and show before TensorFlow loads.

DEFAULT_IMAGE_SIZE = 64
SPLIT_FOLDERS = {"train": "train", "val": "val", "validation": "val", "test": "test"}
# Decoded images are cached in memory (uint8) when train + validation together
# need at most this much; larger folders are decoded again every epoch.
CACHE_LIMIT_BYTES = 2 * 1024**3
_SCAN_THREADS = 8
# Files decoded per call of the Python decoder inside tf.data.
DECODE_CHUNK = 16


def folder_source(path: Path) -> DataSource:
    path = Path(path)

    def load(config) -> Dataset:
        return load_image_folder(path, config)

    return DataSource(str(path), f"images in the class sub-folders of {path}",
                      image_size=DEFAULT_IMAGE_SIZE, channels=3, load=load)


def memory_cache_limit() -> int:
    """CACHE_LIMIT_BYTES, or a quarter of this machine's memory when that is less."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not POSIX
        return CACHE_LIMIT_BYTES
    return min(CACHE_LIMIT_BYTES, total // 4)


# -- scan -------------------------------------------------------------------------
@dataclass
class _Scan:
    files: list[str] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    modes: list[str] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)


def _visible_dirs(folder: Path) -> list[Path]:
    return sorted((p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")),
                  key=lambda p: p.name)


def _probe(path: str):
    try:
        return probe_image(path), None
    except Exception as exc:  # PIL raises many kinds for a damaged or foreign file
        return None, f"not a readable image ({type(exc).__name__}: {exc})"


def _scan_classes(folder: Path, class_names: list[str] | None, pool: ThreadPoolExecutor) -> tuple[list[str], _Scan]:
    """Files of each class sub-folder of ``folder`` (recursively), checked in parallel."""
    scan = _Scan()
    class_dirs = _visible_dirs(folder)
    for loose in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        scan.skipped.append(SkippedFile(str(loose), "not inside a class sub-folder"))
    if not class_dirs:
        raise DataError(
            f"{folder} has no sub-folders: NetLab expects one sub-folder of images per class "
            f"({folder / 'cats'}/*.jpg, {folder / 'dogs'}/*.jpg, ...)"
        )
    names = [d.name for d in class_dirs]
    if class_names is None:
        class_names = names
    else:
        extra = sorted(set(names) - set(class_names))
        if extra:
            raise DataError(f"{folder} has class folder(s) the training set lacks: {', '.join(extra)}")
    candidates: list[tuple[str, int]] = []
    for class_dir in class_dirs:
        label = class_names.index(class_dir.name)
        for root, dirs, files in os.walk(class_dir):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if name.startswith("."):  # .DS_Store and friends: not the user's images
                    continue
                path = os.path.join(root, name)
                if Path(name).suffix.lower() not in IMAGE_SUFFIXES:
                    scan.skipped.append(SkippedFile(path, "not an image file (by its name)"))
                else:
                    candidates.append((path, label))
    for (path, label), (mode, problem) in zip(candidates, pool.map(_probe, [c[0] for c in candidates])):
        if problem is not None:
            scan.skipped.append(SkippedFile(path, problem))
        else:
            scan.files.append(path)
            scan.labels.append(label)
            scan.modes.append(mode)
    return class_names, scan


def _check_classes(folder: Path, class_names: list[str], scan: _Scan, what: str) -> None:
    counts = np.bincount(np.asarray(scan.labels, dtype=np.int64), minlength=len(class_names))
    if counts.sum() == 0:
        raise DataError(f"{folder} has no readable images{_skipped_note(scan.skipped)}")
    empty = [name for name, n in zip(class_names, counts) if n == 0]
    if empty:
        raise DataError(
            f"class folder {folder / empty[0]} has no readable images{_skipped_note(scan.skipped)}; "
            f"every class of the {what} needs images (remove the folder or add images)"
        )


def _skipped_note(skipped: list[SkippedFile]) -> str:
    if not skipped:
        return ""
    shown = "; ".join(f"{Path(s.path).name}: {s.reason}" for s in skipped[:3])
    return f" ({len(skipped)} file(s) skipped: {shown}{' ...' if len(skipped) > 3 else ''})"


def _split_dirs(root: Path) -> dict[str, Path]:
    """The folder's own train/val/test sub-folders, or {} when its sub-folders are the classes."""
    subdirs = _visible_dirs(root)
    split_dirs = {SPLIT_FOLDERS[d.name.lower()]: d for d in subdirs if d.name.lower() in SPLIT_FOLDERS}
    return split_dirs if "train" in split_dirs and len(split_dirs) == len(subdirs) else {}


def describe_image_folder(root: str | Path, channels: int | None) -> tuple[list[str], int]:
    """(class names, channels) that ``load_image_folder`` gives, without decoding any image.

    Classes are the sub-folders' names; with ``channels`` None the image
    headers are read until one in colour is found (a folder is grayscale only
    when every image is).
    """
    root = Path(root).expanduser()
    if not root.is_dir():
        raise DataError(f"{root} is not a folder")
    split_dirs = _split_dirs(root)
    class_root = split_dirs.get("train", root)
    class_names = [d.name for d in _visible_dirs(class_root)]
    if not class_names:
        raise DataError(
            f"{class_root} has no sub-folders: NetLab expects one sub-folder of images per class "
            f"({class_root / 'cats'}/*.jpg, {class_root / 'dogs'}/*.jpg, ...)"
        )
    if len(class_names) < 2:
        raise DataError(f"dataset {str(root)!r} has a single class; a classifier needs two or more")
    if channels is None:
        channels = 1
        for folder in split_dirs.values() or [root]:
            if _any_colour_image(folder):
                channels = 3
                break
    return class_names, channels


def _any_colour_image(folder: Path) -> bool:
    for class_dir in _visible_dirs(folder):
        for base, dirs, files in os.walk(class_dir):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                abort_point()  # a large grayscale folder: every header is read (a summary's worker)
                if name.startswith(".") or Path(name).suffix.lower() not in IMAGE_SUFFIXES:
                    continue
                try:
                    with Image.open(os.path.join(base, name)) as img:  # the header only
                        if img.mode not in GRAYSCALE_MODES:
                            return True
                except Exception:  # noqa: BLE001 - an unreadable file is skipped by the load too
                    continue
    return False


def is_plain_folder(dataset) -> bool:
    """``dataset`` is an image folder whose sub-folders are its classes (no own train/val/test)."""
    root = Path(str(dataset)).expanduser()
    return root.is_dir() and not _split_dirs(root)


def load_image_folder(root: str | Path, config, whole: bool = False) -> FolderDataset:
    """Scan, check and split an image folder; the images stay on disk until a pipeline reads them.

    ``whole`` (a folder without its own splits, to evaluate on): every image is in the
    validation split, nothing is held out for training.
    """
    root = Path(root).expanduser()
    if not root.is_dir():
        raise DataError(f"{root} is not a folder")
    split_dirs = _split_dirs(root)
    own_splits = bool(split_dirs)
    with ThreadPoolExecutor(_SCAN_THREADS) as pool:
        if own_splits:
            class_names, scans = None, {}
            for split in ("train", "val", "test"):
                if split in split_dirs:
                    class_names, scans[split] = _scan_classes(split_dirs[split], class_names, pool)
            _check_classes(split_dirs["train"], class_names, scans["train"], "training set")
        else:
            class_names, scan = _scan_classes(root, None, pool)
            _check_classes(root, class_names, scan, "dataset")
            scans = {"all": scan}
    check_labels(np.asarray(scans.get("train", scans.get("all")).labels), class_names, str(root))

    skipped = [s for scan in scans.values() for s in scan.skipped]
    modes = {m for scan in scans.values() for m in scan.modes}
    channels = config.channels or (1 if modes <= GRAYSCALE_MODES else 3)
    size = config.image_size or DEFAULT_IMAGE_SIZE
    parts = {}
    base = scans.get("train", scans.get("all"))
    files, labels = np.asarray(base.files), np.asarray(base.labels, dtype=np.int32)
    keep = subsample(labels, config.max_samples, config.seed)
    files, labels = files[keep], labels[keep]
    if whole and not own_splits:  # nothing to split: every image is evaluated
        everything = np.arange(len(labels))
        train, val, test = everything[:0], everything, everything[:0]
    else:
        val_fraction = 0.0 if "val" in scans or whole else config.validation_split
        test_fraction = 0.0 if "test" in scans or whole else config.test_split
        train, val, test = split_indices(labels, val_fraction, test_fraction, config.seed, str(root), class_names)
    parts = {"train": (files[train], labels[train]), "val": (files[val], labels[val]),
             "test": (files[test], labels[test])}
    for split in ("val", "test"):
        if split in scans:
            own = np.asarray(scans[split].files), np.asarray(scans[split].labels, dtype=np.int32)
            keep = subsample(own[1], config.max_samples, config.seed)
            parts[split] = (own[0][keep], own[1][keep])
    if len(parts["val"][0]) == 0:
        raise DataError(f"{root}: the validation set is empty (its val/ folder has no readable images)")
    return FolderDataset(
        None, parts["train"][1], None, parts["val"][1], list(class_names), None,
        parts["test"][1] if len(parts["test"][1]) else None, skipped,
        files={k: [str(f) for f in v[0]] for k, v in parts.items()},
        image_shape=(size, size, channels), cache_limit=memory_cache_limit(),
    )


# -- streaming dataset --------------------------------------------------------------
@dataclass
class FolderDataset(Dataset):
    """A Dataset whose images stay on disk and are decoded by tf.data in parallel."""

    files: dict = field(default_factory=dict)  # split -> list of paths, aligned with y_<split>
    image_shape: tuple = (DEFAULT_IMAGE_SIZE, DEFAULT_IMAGE_SIZE, 3)
    cache_limit: int = CACHE_LIMIT_BYTES
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return tuple(self.image_shape)

    def estimated_bytes(self, *splits: str) -> int:
        """Memory the decoded uint8 images of these splits take."""
        per_image = int(np.prod(self.image_shape))
        return per_image * sum(len(self.files.get(s, ())) for s in splits)

    @property
    def cache_in_memory(self) -> bool:
        """Whether decoded images are kept in memory after the first epoch."""
        return self.estimated_bytes("train", "val") <= self.cache_limit

    def pipeline(self, split: str, batch_size: int, shuffle: bool = False, seed: int = 0,
                 num_outputs: int = 1, cache: bool | None = None, epochs: range | None = None):
        import tensorflow as tf

        files, labels = list(self.files.get(split, [])), self.labels(split)
        cache = self.cache_in_memory if cache is None else cache
        n = len(files)
        decoded = self._decoder()
        file_names, file_labels = tf.constant(files, tf.string), tf.constant(labels, tf.int32)
        names = tf.data.Dataset.from_tensor_slices((file_names, file_labels))
        if not shuffle:
            ds = decoded(names)
            ds = (ds.cache() if cache else ds).batch(batch_size)
        else:
            if cache:  # decoded once (one element: the whole split), gathered in each epoch's order
                whole = decoded(names).batch(max(n, 1)).cache()

                def one_epoch(epoch):
                    return whole.flat_map(lambda images, labels: _gathered(
                        images, labels, epoch_indices(tf.shape(labels)[0], n, seed, epoch), batch_size))
            else:  # shuffle names, not pixels: memory stays bounded

                def one_epoch(epoch):
                    order = epoch_order(n, seed, epoch)
                    images = decoded(tf.data.Dataset.from_tensor_slices(
                        (tf.gather(file_names, order), tf.gather(file_labels, order))))
                    return images.repeat().take(n).batch(batch_size)

            ds = over_epochs(epochs, one_epoch)

        def to_float(images, labels):
            images = tf.cast(images, tf.float32)
            return images, (labels,) * num_outputs if num_outputs > 1 else labels

        ds = ds.map(to_float, num_parallel_calls=tf.data.AUTOTUNE)
        return ds.prefetch(tf.data.AUTOTUNE)

    def _decoder(self):
        """A function from a dataset of (file name, label) to one of (uint8 image, label); files
        that no longer decode are dropped and recorded in ``skipped``."""
        import tensorflow as tf

        height, width, channels = self.image_shape

        def decode_chunk(paths):
            images = np.zeros((len(paths), *self.image_shape), np.uint8)
            ok = np.ones(len(paths), bool)
            for i, path in enumerate(paths):
                name = path.decode() if isinstance(path, bytes) else str(path)
                try:
                    images[i] = decode_image(name, height, channels)
                except Exception as exc:  # changed or damaged since the scan: drop it, log it
                    self._record_failure(name, exc)
                    ok[i] = False
            return images, ok

        def load(paths, labels):
            images, ok = tf.numpy_function(decode_chunk, [paths], [tf.uint8, tf.bool])
            images.set_shape((None, *self.image_shape))
            ok.set_shape((None,))
            return images, labels, ok

        def decoded(names):
            # Files are decoded a chunk per call (less per-call overhead), chunks in parallel.
            ds = names.batch(DECODE_CHUNK).map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
            return ds.unbatch().filter(_decoded).map(_without_flag)

        return decoded

    def batches(self, split: str = "train", batch_size: int = 256):
        for images, _ in self.pipeline(split, batch_size, cache=False).as_numpy_iterator():
            yield images

    def _record_failure(self, path: str, exc: Exception) -> None:  # from tf.data's threads
        with self._lock:
            if not any(s.path == path for s in self.skipped):
                self.skipped.append(SkippedFile(path, f"could not be decoded ({type(exc).__name__}: {exc})"))


def _gathered(images, labels, indices, batch_size: int):
    import tensorflow as tf

    batches = tf.data.Dataset.from_tensor_slices(indices).batch(batch_size)
    return batches.map(lambda index: (tf.gather(images, index), tf.gather(labels, index)))


def _decoded(image, label, ok):
    return ok


def _without_flag(image, label, ok):
    return image, label
