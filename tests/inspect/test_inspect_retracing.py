"""Each statistics pass is traced once per model, whatever the image count.

TensorFlow logs "N out of the last M calls to <function> triggered tf.function
retracing" when traced functions are made again or called with new shapes (it
did after a training in the window: the Statistics tab's passes and Evaluate
each used Keras's predict function at a new batch size). The log line comes
from TensorFlow's Python logger, so a fresh process, whose tracing history is
its own, runs what the window runs after a training and its stderr is read.
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from tests.helpers.inspect_models import images, nested

ROOT = Path(__file__).resolve().parents[2]

# A training, then what the Statistics, Evaluate and Inspect tabs run on its model, at several
# image counts (each with a short last batch), twice: two trainings in one session.
SCRIPT = """
import logging, sys
import numpy as np
from tests.helpers.inspect_models import images, sequential
logging.getLogger("tensorflow").setLevel(logging.WARNING)
from netlab.inspect.activations import activation_statistics
from netlab.inspect.batchnorm import bn_statistics, recompute_bn_statistics, train_vs_inference
from netlab.inspect.layers import feature_maps
from netlab.predict.evaluate import evaluate_arrays

for seed in (1, 2):
    model = sequential(classes=3, seed=seed)
    model.compile("sgd", "sparse_categorical_crossentropy")
    x = images(200, seed=seed) * 255
    y = np.arange(200) % 3
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    for count in (64, 200, 130, 7):
        bn_statistics(model, x[:count])
        train_vs_inference(model, x[:count], y[:count])
        activation_statistics(model, x[:count])
        evaluate_arrays(model, x[:count], y[:count], ["a", "b", "c"], batch_size=48)
    for k in range(3):
        feature_maps(model, x[k])
    recompute_bn_statistics(model, x[:130])
print("done")
"""


def test_the_statistics_evaluate_and_inspect_passes_trigger_no_retracing_warning():
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0 and "done" in proc.stdout, proc.stderr[-3000:]
    assert "retracing" not in proc.stderr, proc.stderr[-3000:]


def test_feature_maps_and_statistics_passes_trace_once_for_any_image_count():
    from netlab.inspect.activations import activation_statistics
    from netlab.inspect.batchnorm import bn_statistics, train_vs_inference
    from netlab.inspect.layers import feature_maps, flat_graph
    from netlab.inspect.passes import inference_function

    model = nested()
    for count in (1, 5, 40, 3):
        x = images(count) * 255
        feature_maps(model, x)
        bn_statistics(model, x, batch_size=16)
        activation_statistics(model, x, batch_size=16)
        train_vs_inference(model, x, batch_size=16)
    functions = [inference_function(model)]
    for built in flat_graph(model).models.values():
        functions.append(built[2] if isinstance(built, tuple) else built)
    traced = [f for f in functions if hasattr(f, "experimental_get_tracing_count")]
    counts = [f.experimental_get_tracing_count() for f in traced]
    # Feature maps, BN moments, activation range and statistics, both modes: once each (a multi-output
    # model the activation passes share with feature maps was never called on its own: 0).
    assert max(counts) == 1 and sum(counts) >= 6, counts
    assert np.isfinite(activation_statistics(model, images(2)).stds).all()


def test_the_traced_passes_are_dropped_with_their_model():
    import gc
    import weakref

    from netlab.inspect.activations import activation_statistics
    from netlab.inspect.batchnorm import bn_statistics, recompute_bn_statistics, train_vs_inference
    from netlab.inspect.passes import predictions

    model = nested()
    x = images(5) * 255
    activation_statistics(model, x)
    bn_statistics(model, x)
    train_vs_inference(model, x)
    recompute_bn_statistics(model, x)
    predictions(model, x)
    alive = weakref.ref(model)
    del model
    gc.collect()
    assert alive() is None  # no cached function kept a strong reference to the model
