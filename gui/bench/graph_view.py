"""The window half of ``python -m netlab.bench graph-view`` (see netlab/bench/graph_view.py).

``python -m gui.bench.graph_view`` opens the Graph tab (1200x800) on keras.applications'
DenseNet-201 and Inception v3 (random weights; building them is not counted). For each, the
blocks collapsed and then every layer: the time from the tab asked for the graph to the scene
built and painted once (the worker's graph and layout, the GUI thread's scene building and
first paint, each apart). Then, on every layer's view, ``--seconds`` of scripted panning and
zooming (a view transform every 16 ms: zoom out to the whole graph and back, pan across and
down) while a 1 ms timer in the GUI thread records the event loop's gaps (gui.bench.window's
GapMeter). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from gui.bench.window import GapMeter
from gui.state import CurrentModel
from gui.tabs.graph_view import GraphView
from gui.workers import wait_for_jobs

# Keras is imported in main(): the models are built after the window is up.

MODELS = {"DenseNet-201": "DenseNet201", "Inception v3": "InceptionV3"}
STEP_MS = 16  # a frame at 60 Hz
WAIT_MS = 120_000


def _wait_drawn(view: GraphView, start) -> float:
    """Call ``start`` and run the event loop until the view has drawn; seconds to its first paint."""
    loop = QEventLoop()
    view.drawn.connect(loop.quit)
    QTimer.singleShot(WAIT_MS, loop.quit)
    started = time.perf_counter()
    start()
    loop.exec()
    view.drawn.disconnect(loop.quit)
    view.canvas.viewport().repaint()
    return time.perf_counter() - started


def _paint_seconds(view: GraphView) -> float:
    started = time.perf_counter()
    view.canvas.viewport().repaint()
    return time.perf_counter() - started


class CpuGapMeter(GapMeter):
    """The gaps, and the GUI thread's CPU time in each: on a loaded machine a gap is also the
    time the thread waited for a core, which its CPU time leaves out."""

    def __init__(self):
        super().__init__()
        self.cpu: list[float] = []
        self._cpu_last = time.thread_time()

    def _tick(self) -> None:
        now = time.thread_time()
        if self.measuring:
            self.cpu.append(now - self._cpu_last)
        self._cpu_last = now
        super()._tick()


def _pan_and_zoom(view: GraphView, seconds: float) -> tuple[list[float], list[float]]:
    """Scripted view transforms for ``seconds``; the event loop's gaps meanwhile and the GUI
    thread's CPU time in each (seconds)."""
    canvas = view.canvas
    canvas.resetTransform()
    canvas.centerOn(canvas.graph_rect.center().x(), canvas.graph_rect.top())
    fit_scale = min(canvas.viewport().width() / canvas.graph_rect.width(),
                    canvas.viewport().height() / canvas.graph_rect.height())
    steps = int(seconds * 1000 / STEP_MS)
    meter, loop, state = CpuGapMeter(), QEventLoop(), {"i": 0}

    def step():
        i = state["i"]
        if i >= steps:
            meter.measuring = False
            timer.stop()
            loop.quit()
            return
        phase = i / steps
        if phase < 0.5:  # zoom from 1:1 out to the whole graph and back, twice
            target = math.exp(math.log(max(fit_scale, 0.02)) * abs(math.sin(phase * 2 * math.pi)))
            canvas.zoom(target / canvas.transform().m11())
        else:  # pan at 1:1 across and down the graph
            if canvas.transform().m11() != 1.0:
                canvas.zoom(1.0 / canvas.transform().m11())
            bars = canvas.horizontalScrollBar(), canvas.verticalScrollBar()
            for bar, speed in zip(bars, (7, 23)):
                bar.setValue(bar.minimum() + (bar.value() - bar.minimum() + speed) % max(bar.maximum() -
                                                                                        bar.minimum(), 1))
        state["i"] = i + 1

    timer = QTimer()
    timer.setInterval(STEP_MS)
    timer.timeout.connect(step)
    meter._last, meter._cpu_last = time.perf_counter(), time.thread_time()
    meter.measuring = True
    timer.start()
    loop.exec()
    return meter.gaps, meter.cpu


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gui.bench.graph_view")
    parser.add_argument("--seconds", type=float, default=4.0, help="of panning and zooming per model")
    args = parser.parse_args(argv)
    app = QApplication(sys.argv[:1])
    view = GraphView()
    view.resize(1200, 800)
    view.show()
    import keras

    report: dict = {}
    for label, name in MODELS.items():
        started = time.perf_counter()
        model = getattr(keras.applications, name)(weights=None)
        row = {"build_s": time.perf_counter() - started}
        current = CurrentModel.of(model, None, label)
        for expand in ("none", "all"):
            if expand == "none":
                total = _wait_drawn(view, lambda current=current: view.set_model(current))
            else:
                total = _wait_drawn(view, lambda: view.show_every_layer(True))
            cpu = time.thread_time()
            view.draw(view.picture)  # the same scene again, its GUI-thread CPU time apart
            row[expand] = {"total_s": total, "layout_s": view.picture.seconds, "scene_s": view.scene_seconds,
                           "scene_cpu_s": time.thread_time() - cpu,
                           "paint_s": _paint_seconds(view), "nodes": len(view.graph.nodes),
                           "edges": len(view.graph.edges)}
        row["gaps"], cpu = _pan_and_zoom(view, args.seconds)
        row["gap_cpu_max_ms"] = max(cpu, default=0.0) * 1000
        view.show_every_layer(False)
        report[label] = row
    view.close()
    wait_for_jobs()
    app.processEvents()
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
