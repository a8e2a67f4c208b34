"""The graph of a network, timed: DenseNet-201 and Inception v3 (keras.applications, random
weights) read as a graph (``network_graph``) and laid out (igraph's Sugiyama layout), with
the blocks collapsed and with every layer shown; the SVG drawn from that layout beside it.

Building the Keras model is excluded (it is printed on its own line): the window holds the
model already when it shows its graph. Target: graph + layout <= 1 s per model and view.
Each case runs ``--reps`` times; the verdict is the median, the first (cold) run printed too.
"""

from __future__ import annotations

import argparse
import statistics
import time

from netlab.inspect.graph import layout, network_graph
from netlab.inspect.graph_draw import to_svg

# Keras is imported inside main(): listing the benchmarks loads no TensorFlow.

TARGET_S = 1.0
MODELS = {"DenseNet-201": "DenseNet201", "Inception v3": "InceptionV3"}


def _timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m netlab.bench graph")
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args(argv)
    import keras

    worst = 0.0
    for label, name in MODELS.items():
        build_s, model = _timed(lambda name=name: getattr(keras.applications, name)(weights=None))
        print(f"{label}: model built in {build_s:.2f} s ({len(model.layers)} layers; not counted)")
        for expand in ("none", "all"):
            times, draws = [], []
            for _ in range(args.reps):
                seconds, (graph, placed) = _timed(
                    lambda model=model, expand=expand: (g := network_graph(model, expand), layout(g)))
                times.append(seconds)
                draws.append(_timed(lambda graph=graph, placed=placed: to_svg(graph, placed))[0])
            median = statistics.median(times)
            worst = max(worst, median)
            print(f"  expand {expand:<4}: {len(graph.nodes):4d} nodes, {len(graph.edges):4d} edges; graph + layout "
                  f"{median:.3f} s (first {times[0]:.3f} s), {median / TARGET_S:.2f} of the {TARGET_S:g} s target "
                  f"({'ok' if median <= TARGET_S else 'over'}); SVG {statistics.median(draws):.3f} s more")
    print(f"worst graph + layout / target: {worst:.3f} s / {TARGET_S:g} s = {worst / TARGET_S:.2f}")
    return 0 if worst <= TARGET_S else 1
