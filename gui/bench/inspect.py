"""The window half of ``python -m netlab.bench inspect`` (see netlab/bench/inspect_speed.py).

``python -m gui.bench.inspect`` opens the Inspect tab on ResNet-50 at
224x224 and one image, waits for its one forward pass, then switches layer
every ``INTERVAL_MS``: first the 64-channel layers, then every layer. Each
switch is timed from ``select_layer`` to the grid painted (a synchronous
repaint), in wall time and in the GUI thread's CPU time (the machine's load
shows in the first only), while a 1 ms timer in the GUI thread records the
event loop's gaps. Prints one JSON line.
"""

from __future__ import annotations

import json
import statistics
import sys
import time

import numpy as np
from PIL import Image
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from gui.bench.window import GapMeter
from gui.state import CurrentModel
from gui.tabs.inspect_view import InspectView
from gui.workers import wait_for_jobs
from netlab.bench.inspect_speed import SIDE, resnet50

INTERVAL_MS = 20


def _report(draws, gaps) -> dict:
    """The draws' times (name, channels, wall ms, CPU ms), those of 64-channel layers apart, and the
    event loop's gaps (seconds)."""
    sixty_four = [(ms, cpu) for _, channels, ms, cpu in draws if channels == 64]
    slowest = max(draws, key=lambda d: d[2])
    return dict(switches=len(draws), draw_64_median_ms=statistics.median(ms for ms, _ in sixty_four),
                draw_64_max_ms=max(ms for ms, _ in sixty_four),
                draw_64_cpu_max_ms=max(cpu for _, cpu in sixty_four),
                draw_max_ms=slowest[2], slowest_layer=slowest[0], draw_cpu_max_ms=max(d[3] for d in draws),
                gap_max_ms=max(gaps) * 1000, gaps_over_50ms=sum(g > 0.05 for g in gaps))


def main() -> int:
    app = QApplication(sys.argv[:1])
    view = InspectView()
    view.resize(1200, 800)
    view.show()
    model = resnet50()
    pixels = (np.random.default_rng(0).uniform(0, 255, (SIDE, SIDE, 3))).astype(np.uint8)
    report: dict = {}
    draws: list[tuple[str, int, float]] = []
    meter = GapMeter()

    def switch_through(names):
        def step():
            if not names:
                meter.measuring = False
                finish()
                return
            name = names.pop(0)
            started, cpu = time.perf_counter(), time.thread_time()
            if view.layer == name:
                view.draw_maps()
            else:
                view.select_layer(name)
            view.maps_panel.widget.viewport().repaint()
            draws.append((name, view.maps.outputs[name].shape[-1], (time.perf_counter() - started) * 1000,
                          (time.thread_time() - cpu) * 1000))
            QTimer.singleShot(INTERVAL_MS, step)
        return step

    def maps_in():
        names = view.layer_names()
        wide = [n for n in names if view.maps.outputs[n].shape[-1] == 64]
        meter._last = time.perf_counter()
        meter.measuring = True
        QTimer.singleShot(INTERVAL_MS, switch_through(wide + names))

    def finish():
        report.update(_report(draws, meter.gaps), forward_passes=view.forward_passes)
        app.quit()

    view.maps_ready.connect(maps_in)
    view.set_model(CurrentModel.of(model, None, "ResNet-50"))
    view.show_image(Image.fromarray(pixels))
    app.exec()
    wait_for_jobs()
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
