"""Each export format's writer and the runtime that checks it (netlab/predict/export.py runs both).

A writer saves a Keras model as the format; a runner loads the written file in
the runtime that will serve it (Keras in safe mode, TensorFlow's SavedModel
loader, LiteRT's interpreter, onnxruntime) and returns its outputs on a batch
of pixels. TensorFlow and the optional runtimes are imported where they are
used: importing this module must not start TensorFlow, and onnxruntime and
ai-edge-litert may not be installed.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np

from netlab.predict.model import load_model

# TensorFlow, ONNX Runtime and LiteRT are imported inside functions: `netlab --help` imports this
# module (netlab export's) and shows before TensorFlow loads; LiteRT does not install everywhere.


# -- writing an export ---------------------------------------------------------------
@contextlib.contextmanager
def _quiet():
    # Converters warn about their own internals (tf2onnx on numpy 2's np.object, ...).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _write_keras(model, path: Path) -> None:
    model.save(path)


def _write_savedmodel(model, path: Path) -> None:
    with _quiet():
        model.export(str(path), format="tf_saved_model", verbose=False)


def _write_tflite(model, path: Path) -> None:
    """TensorFlow's converter, from a SavedModel of the model's inference call.

    Built-in TFLite operators only: the file then runs in any LiteRT
    interpreter, without the TensorFlow (Flex) delegate.
    """
    import tensorflow as tf

    with tempfile.TemporaryDirectory(prefix="netlab-export-") as saved, _quiet():
        model.export(saved, format="tf_saved_model", verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(saved)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        blob = converter.convert()
    with open(path, "wb") as f:
        f.write(blob)
        f.flush()
        os.fsync(f.fileno())


def _write_onnx(model, path: Path) -> None:
    # Keras 3's own ONNX export (tf2onnx on the model's inference function).
    with _quiet():
        model.export(str(path), format="onnx", verbose=False)


# -- running an export ---------------------------------------------------------------
def _run_keras(path: Path, x: np.ndarray):
    return load_model(path).predict_on_batch(x), "Keras (safe mode)"


def _run_savedmodel(path: Path, x: np.ndarray):
    import tensorflow as tf

    loaded = tf.saved_model.load(str(path))
    return loaded.serve(tf.constant(x)).numpy(), "TensorFlow's SavedModel loader"


def tflite_interpreter(path: Path):
    """(interpreter, its name): LiteRT's; TensorFlow's own only where ai-edge-litert does not install."""
    try:
        from ai_edge_litert.interpreter import Interpreter

        return Interpreter(model_path=str(path)), "LiteRT (ai-edge-litert)"
    except ImportError:
        import tensorflow as tf

        with _quiet():
            interpreter = tf.lite.Interpreter(model_path=str(path))
        return interpreter, "tf.lite.Interpreter (ai-edge-litert is not installed on this platform)"


def _run_tflite(path: Path, x: np.ndarray):
    interpreter, name = tflite_interpreter(path)
    (inp,), (output,) = interpreter.get_input_details(), interpreter.get_output_details()
    interpreter.resize_tensor_input(inp["index"], list(x.shape))
    interpreter.allocate_tensors()
    interpreter.set_tensor(inp["index"], x.astype(inp["dtype"]))
    interpreter.invoke()
    return interpreter.get_tensor(output["index"]), name


def _run_onnx(path: Path, x: np.ndarray):
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (inp,) = session.get_inputs()
    return session.run(None, {inp.name: x})[0], f"onnxruntime {onnxruntime.__version__}"


WRITERS = {"keras": _write_keras, "savedmodel": _write_savedmodel, "tflite": _write_tflite,
           "onnx": _write_onnx}
RUNNERS = {"keras": _run_keras, "savedmodel": _run_savedmodel, "tflite": _run_tflite, "onnx": _run_onnx}


def run_exported(fmt: str, path: str | Path, x: np.ndarray) -> tuple[np.ndarray, str]:
    """(outputs, the runtime's name) of the exported ``fmt`` model at ``path`` on pixels ``x``."""
    with on_cpu():
        got, runtime = RUNNERS[fmt](Path(path), np.asarray(x, dtype=np.float32))
    return np.asarray(got), runtime


@contextlib.contextmanager
def on_cpu():
    """TensorFlow on the CPU, like the LiteRT and onnxruntime checks.

    On a GPU TensorFlow may use TF32 matrix products (10-bit mantissas), whose
    rounding alone would exceed the 1e-4 tolerance: the check compares the
    functions the files compute, not two kinds of arithmetic.
    """
    import tensorflow as tf

    with tf.device("/CPU:0"):
        yield
