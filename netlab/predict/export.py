"""Models out of the app: a run's model as .keras, a SavedModel, TFLite or ONNX, checked on the spot.

Every export is run in the runtime that will serve it (Keras, TensorFlow's
SavedModel loader, LiteRT's interpreter, onnxruntime) on a batch of the run's
validation images, and its outputs are compared with the Keras model's: the
largest absolute difference must stay within the format's tolerance
(``TOLERANCES``). An export that fails its check is moved aside to
``NAME.rejected.EXT``, never left at the path asked for as if it were good;
an export that passes is renamed into place in one step (``netlab.base.atomic``).

An export never replaces a file unless asked (``overwrite``: the CLI's
``--overwrite``, the window's question), never replaces a folder, and never
goes into a folder NetLab keeps for its own files (a run's, a search's, a
lesson's: ``netlab.runs.run.RunFolder.kind``), even when asked.

NetLab models hold their preprocessing (scaling, normalization) as layers, so
every exported model takes raw [0, 255] pixels, like the .keras file.

Each format's writer and runtime are in netlab/predict/export_formats.py.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from netlab.base.abort import abort_point
from netlab.base.atomic import atomic_directory, atomic_path
from netlab.base.errors import ExportError, NetlabError
from netlab.base.user_paths import checked_path
from netlab.data import load_dataset
from netlab.predict.export_formats import WRITERS, on_cpu, run_exported
from netlab.predict.model import load_model, model_input_shape
from netlab.runs.folder import shown_dataset
from netlab.runs.run import RunFolder

# Format -> the suffix its file must have ("" : a SavedModel is a folder).
FORMATS = {"keras": ".keras", "savedmodel": "", "tflite": ".tflite", "onnx": ".onnx"}
# Largest absolute difference from the Keras model's outputs an export may show
# and pass its check. TFLite's kernels (XNNPACK) fuse and reorder more, hence 1e-3.
TOLERANCES = {"keras": 1e-4, "savedmodel": 1e-4, "tflite": 1e-3, "onnx": 1e-4}
CHECK_IMAGES = 32  # images in the check batch
STEPS = 4  # the steps export_model reports to on_step: load, predict, write, check
INSTALL_HINT = "pip install 'netlab[export]'"


@dataclass
class ExportResult:
    format: str
    path: str
    max_abs_difference: float
    tolerance: float
    images: int
    images_from: str  # "validation images of digits", "random pixels"
    runtime: str  # what ran the exported model for the check
    seconds: float

    def line(self) -> str:
        return (f"{self.format}: {self.path} written; max abs difference {self.max_abs_difference:.2g} "
                f"<= {self.tolerance:g} against the Keras model on {self.images} {self.images_from}, "
                f"run with {self.runtime} ({self.seconds:.1f} s)")

    def to_dict(self) -> dict:
        return asdict(self)


def export_model(source: str | Path, fmt: str, out: str | Path, best: bool = False,
                 tolerance: float | None = None, images: int = CHECK_IMAGES,
                 overwrite: bool = False, on_step: Callable[[int, str], None] | None = None) -> ExportResult:
    """Export the model of ``source`` (a run folder or a .keras file) as ``fmt`` to ``out``, checked.

    ``best``: a run folder's best.keras instead of model.keras. ``tolerance``
    overrides the format's. ``overwrite``: replace a file already at ``out``.
    Raises ExportError when the format, ``out`` or the conversion is unusable,
    or when the export's outputs differ from the Keras model's by more than
    the tolerance (the export is then moved aside; a file at ``out`` stays as it was).
    ``on_step(i, text)`` hears each of the STEPS steps as it begins (the CLI's progress line).
    """
    step = on_step or (lambda number, text: None)
    started = time.monotonic()
    tolerance = _check_request(fmt, tolerance)
    out = check_out(out, fmt, overwrite)
    model_path = _model_path(source, best)
    step(1, f"loading {model_path.name}")
    model = load_model(model_path)
    abort_point()
    x, images_from = check_images(model_path, model, images)
    step(2, f"the Keras model on {len(x)} {images_from}")
    with on_cpu():
        expected = _single_output(model.predict_on_batch(x))
    abort_point()
    with _staged(out, fmt, overwrite) as tmp:
        step(3, f"writing the {fmt} export")
        try:
            WRITERS[fmt](model, tmp)
        except NetlabError:
            raise
        except OSError as exc:
            raise ExportError(f"cannot write {out}: {exc.strerror or exc}") from None
        except Exception as exc:  # noqa: BLE001 - a converter's failure, in its own words
            raise ExportError(f"{fmt} conversion failed for {model_path.name}: {_first_line(exc)}") from None
        abort_point()
        step(4, f"checking the {fmt} export on the same images")
        try:
            got, runtime = run_exported(fmt, tmp, x)
        except NetlabError:
            raise
        except Exception as exc:  # noqa: BLE001 - it does not run: it is not good
            rejected = _move_aside(tmp, out)
            raise ExportError(f"the {fmt} export of {model_path.name} does not run ({_first_line(exc)}); "
                              f"moved aside to {rejected}") from None
        difference = _max_abs_difference(got, expected)
        if not difference <= tolerance:  # NaN fails too
            rejected = _move_aside(tmp, out)
            kept = " (the one already there is left as it was)" if out.exists() else ""
            raise ExportError(f"the {fmt} export of {model_path.name} does not match the Keras model: "
                              f"max abs difference {difference:.2g} > {tolerance:g} on {len(x)} "
                              f"{images_from}; moved aside to {rejected}, {out} not written{kept}")
    return ExportResult(fmt, str(out), difference, tolerance, len(x), images_from, runtime,
                        time.monotonic() - started)


# -- the request ------------------------------------------------------------------------
def _check_request(fmt: str, tolerance: float | None) -> float:
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r} (known: {', '.join(FORMATS)})")
    if tolerance is not None and not tolerance >= 0:
        raise ExportError(f"the tolerance must be a number >= 0 (got {tolerance})")
    missing = runtime_missing(fmt)
    if missing:
        raise ExportError(missing)
    return TOLERANCES[fmt] if tolerance is None else float(tolerance)


def runtime_missing(fmt: str) -> str | None:
    """Why ``fmt`` cannot be exported and checked here (a package not installed), or None."""
    needs = {"onnx": ("tf2onnx", "onnxruntime"), "tflite": ()}.get(fmt, ())
    for package in needs:
        if importlib.util.find_spec(package) is None:
            return f"{fmt} export needs {package}, which is not installed ({INSTALL_HINT})"
    return None


def check_out(out: str | Path, fmt: str, overwrite: bool = False) -> Path:
    """``out`` as a path, when an export of format ``fmt`` (a known one) may be written there.

    Raises ExportError when it is missing, has the wrong suffix, is in a folder
    NetLab keeps for its own files, is a folder that holds files (a SavedModel),
    cannot be written, or is a file already there and ``overwrite`` is false.
    """
    suffix = FORMATS[fmt]
    if not str(out).strip():
        what = f"a {suffix} file" if suffix else "a new folder for the SavedModel"
        raise ExportError(f"choose where to write the export: give the path of {what}")
    out = checked_path(Path(out).expanduser(), "the export's path", ExportError)
    if suffix and out.suffix != suffix:
        raise ExportError(f"{out}: {fmt} exports are {suffix} files; give a path ending in {suffix}")
    if suffix and out.is_dir():
        raise ExportError(f"{out} is a folder; give a {suffix} file path")
    _check_not_netlabs(out, fmt)
    if not suffix:
        if out.is_file():
            raise ExportError(f"{out} is a file; a SavedModel is a folder: give a new folder's path")
        if out.is_dir() and any(out.iterdir()):
            never = " (--overwrite replaces a file, never a folder)" if overwrite else ""
            raise ExportError(f"{out} is a folder that holds files; give a new or empty folder for the "
                              f"SavedModel{never}")
    if replaces(out, fmt) and not overwrite:
        raise ExportError(f"{out} already exists; give another path, or --overwrite to replace it")
    existing = out.parent
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise ExportError(f"cannot write {out}: {existing} is not a folder you can write to")
    return out


def replaces(out: str | Path, fmt: str) -> bool:
    """Whether an export of ``fmt`` to ``out`` would replace a file there (a SavedModel never replaces:
    its folder must be new or empty)."""
    out = Path(out).expanduser()
    return bool(FORMATS[fmt]) and (out.is_file() or out.is_symlink())


def _check_not_netlabs(out: Path, fmt: str) -> None:
    """Refuse a path in (or, for a SavedModel, at) a run's, a search's or a lesson's folder."""
    for folder in (out, out.parent) if not FORMATS[fmt] else (out.parent,):
        described = RunFolder(folder).described()
        if described is not None:
            shown = Path(os.path.abspath(folder))
            name = out.name if folder == out.parent else "saved_model"
            raise ExportError(f"{shown} is {described}, whose files are NetLab's: NetLab writes no "
                              f"export into it; give a path outside it, such as {shown / 'export' / name}")


def _model_path(source, best: bool) -> Path:
    path = Path(source).expanduser()
    if path.is_dir():
        folder = RunFolder(path)
        model = folder.model_file(best)
        if not model.is_file():
            raise ExportError(folder.why_no_model(best)
                              or f"{path} has no {model.name}: give a NetLab run folder or a .keras file")
        return model
    if best:
        raise ExportError(f"--best picks a run folder's best.keras; {path} is not a folder")
    if not path.exists():
        raise ExportError(f"{path}: no such run folder or model file")
    return path


# -- the check images -------------------------------------------------------------------
def check_images(model_path: Path, model, count: int = CHECK_IMAGES) -> tuple[np.ndarray, str]:
    """Up to ``count`` validation images of the model's run (its config.json), else random pixels.

    Float32 pixels in [0, 255] at the model's input size; the text says where they came from.
    """
    height, width, channels = model_input_shape(model)
    run = RunFolder.of_model(model_path)
    note = ""
    if run is not None and height is not None:
        try:
            x, dataset = _validation_images(run, height, channels, count)
            if len(x):
                return x, f"validation images of {dataset}"
            note = f" ({dataset} has no validation images)"
        except NetlabError as exc:
            note = f" (the run's dataset could not be loaded: {exc})"
    shape = (count, height or 64, width or 64, channels)
    x = np.random.default_rng(0).integers(0, 256, shape).astype(np.float32)
    return x, f"images of random pixels{note}"


def _validation_images(run: RunFolder, size: int, channels: int, count: int) -> tuple[np.ndarray, str]:
    data_config = run.settings().data
    data_config.image_size = size
    data_config.channels = channels
    data = load_dataset(data_config)
    x = next(iter(data.batches("val", count)), np.zeros((0, size, size, channels), np.float32))
    return np.asarray(x, np.float32), shown_dataset(data_config.dataset)


def _single_output(y) -> np.ndarray:
    if isinstance(y, (list, tuple, dict)):
        raise ExportError("the model has several outputs; NetLab exports classifiers with one output")
    return np.asarray(y, dtype=np.float32)


def _max_abs_difference(got, expected: np.ndarray) -> float:
    got = np.asarray(got, dtype=np.float32)
    if got.shape != expected.shape:
        raise ExportError(f"the export's output has shape {got.shape}, the Keras model's {expected.shape}")
    return float(np.max(np.abs(got - expected))) if got.size else 0.0


# -- writing ---------------------------------------------------------------------------
@contextlib.contextmanager
def _staged(out: Path, fmt: str, overwrite: bool):
    """A temporary file or folder beside ``out``, renamed onto it if the block succeeds.

    A file that appeared at ``out`` while the export ran is replaced only with ``overwrite``.
    """
    try:
        staging = atomic_directory(out) if fmt == "savedmodel" else atomic_path(out)
        with staging as tmp:
            yield tmp
            if replaces(out, fmt) and not overwrite:
                raise ExportError(f"{out} appeared while the export ran; it is left as it was: give another "
                                  "path, or --overwrite to replace it")
    except NetlabError:
        raise
    except OSError as exc:
        raise ExportError(f"cannot write {out}: {exc.strerror or exc}") from None


def rejected_path(out: Path, n: int = 1) -> Path:
    """Where an export that failed its check goes: model.tflite -> model.rejected.tflite
    (``n`` > 1: model.rejected-2.tflite, when the first is taken)."""
    mark = "rejected" if n == 1 else f"rejected-{n}"
    if out.suffix in FORMATS.values():
        return out.with_name(f"{out.stem}.{mark}{out.suffix}")
    return out.with_name(f"{out.name}.{mark}")


def _move_aside(tmp: Path, out: Path) -> Path:
    """``tmp`` renamed to the first free rejected_path: an earlier rejected export is kept too."""
    n = 1
    while rejected_path(out, n).exists() or rejected_path(out, n).is_symlink():
        n += 1
    os.replace(tmp, rejected_path(out, n))
    return rejected_path(out, n)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:300]
