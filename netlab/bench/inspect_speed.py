"""Looking inside a network, timed, in one run:

1. every layer's output for one image (``feature_maps``: the flat graph's
   multi-output model, one forward pass) against one plain ``model.predict``
   of that image, on keras.applications ResNet-50 at 224x224 (random
   weights: the time does not depend on them). Target: ratio <= 1.3;
2. batch-norm statistics of 32 images (each BN layer's input, one pass)
   against one plain ``model.predict`` of those 32 images: one pass for all
   53 BN layers, so a ratio near 1, not near 53;
3. the window: the Inspect tab (``python -m gui.bench.inspect`` in a child
   process; Qt lives in gui/) switches between ResNet-50's layers for an
   image whose maps are cached, each switch timed from the selection to the
   grid painted, while a 1 ms timer in the GUI thread records the event
   loop's gaps. Target: a 64-channel grid drawn in <= 50 ms, and no gap over
   50 ms.

Both sides of each ratio are warmed up (traced) first, then run ``--reps``
times interleaved (plain, NetLab, plain, ...); the verdict is the median of
the per-pair ratios (the machine drifts over minutes; a pair shares its drift).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

from netlab.bench.window import window_program
from netlab.inspect.batchnorm import bn_layers, bn_statistics
from netlab.inspect.layers import feature_maps, flat_graph
from netlab.training.device import describe_device

# Keras is imported where used: main sets TF_CPP_MIN_LOG_LEVEL before TensorFlow loads.

TARGETS = {"maps_vs_predict": 1.3, "draw_64_ms": 50.0, "gap_ms": 50.0}
SIDE = 224
BN_BATCH = 32


def resnet50():
    import keras

    keras.utils.set_random_seed(0)
    return keras.applications.ResNet50(weights=None, input_shape=(SIDE, SIDE, 3))


def _timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def paired(plain_fn, netlab_fn, reps: int) -> dict:
    """Seconds of each side per rep (after one warm-up each) and the median pair ratio."""
    plain_fn()
    netlab_fn()
    plain, netlab = [], []
    for _ in range(reps):
        plain.append(_timed(plain_fn))
        netlab.append(_timed(netlab_fn))
    return {"plain_s": statistics.median(plain), "netlab_s": statistics.median(netlab),
            "ratio": statistics.median(n / p for p, n in zip(plain, netlab)),
            "plain_runs": plain, "netlab_runs": netlab}


def core_side(reps: int) -> dict:
    model = resnet50()
    rng = np.random.default_rng(0)
    one = rng.uniform(0, 255, (1, SIDE, SIDE, 3)).astype(np.float32)
    batch = rng.uniform(0, 255, (BN_BATCH, SIDE, SIDE, 3)).astype(np.float32)
    maps = paired(lambda: model.predict(one, verbose=0), lambda: feature_maps(model, one), reps)
    maps["layers"] = len(flat_graph(model).layers)
    bn = paired(lambda: model.predict(batch, verbose=0), lambda: bn_statistics(model, batch), reps)
    bn["bn_layers"] = len(bn_layers(model))
    return {"maps": maps, "bn": bn}


def window_side(platform: str | None) -> dict:
    return window_program("gui.bench.inspect", [], platform, "the Inspect window")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m netlab.bench inspect", description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--platform", default="offscreen",
                        help="QT_QPA_PLATFORM for the window ('' keeps the environment's)")
    parser.add_argument("--no-window", action="store_true", help="time the core only")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    print(f"ResNet-50 at {SIDE}x{SIDE} on {describe_device()}: {args.reps} reps of each side...",
          file=sys.stderr, flush=True)
    report = core_side(args.reps)
    report["device"] = describe_device()
    if not args.no_window:
        print("the Inspect tab: switching layers...", file=sys.stderr, flush=True)
        report["window"] = window_side(args.platform or None)
    report["targets"] = TARGETS
    maps, bn, window = report["maps"], report["bn"], report.get("window")
    report["within_targets"] = {"maps_vs_predict": maps["ratio"] <= TARGETS["maps_vs_predict"]}
    if window:
        report["within_targets"].update(draw_64_ms=window["draw_64_max_ms"] <= TARGETS["draw_64_ms"],
                                        gap_ms=window["gap_max_ms"] <= TARGETS["gap_ms"])
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"all {maps['layers']} layers' maps of one image : {maps['netlab_s'] * 1000:8.0f} ms  vs plain "
          f"predict {maps['plain_s'] * 1000:6.0f} ms  ratio {maps['ratio']:.2f} (target <= 1.3)")
    print(f"BN statistics, {bn['bn_layers']} layers, {BN_BATCH} images: {bn['netlab_s'] * 1000:8.0f} ms  vs plain "
          f"predict {bn['plain_s'] * 1000:6.0f} ms  ratio {bn['ratio']:.2f} (one pass: near 1, "
          f"not {bn['bn_layers']})")
    if window:
        print(f"window, switching layers from the cache ({window['switches']} switches, "
              f"{window['forward_passes']} forward pass): 64-channel grid drawn in median "
              f"{window['draw_64_median_ms']:.1f} ms, max {window['draw_64_max_ms']:.1f} ms "
              f"({window['draw_64_cpu_max_ms']:.1f} ms of CPU); any layer max {window['draw_max_ms']:.1f} ms "
              f"({window['draw_cpu_max_ms']:.1f} ms of CPU, {window['slowest_layer']}); event-loop gap max "
              f"{window['gap_max_ms']:.1f} ms, {window['gaps_over_50ms']} over 50 ms (targets <= 50 ms)")
    verdict = ", ".join(f"{key} {'ok' if ok else 'MISSED'}" for key, ok in report["within_targets"].items())
    print(f"targets: {verdict}")
    return 0
