"""The window half of ``python -m netlab.bench window-close`` (see netlab/bench/window_close.py).

``python -m gui.bench.close [--arch A] [--no-search] [--no-lesson]`` runs the
real window (gui.app.main, its real way out): once TensorFlow has loaded it
starts a search in the Search tab and a lesson in the Experiments window
(each a small simple_cnn on digits), waits until both are training, trains
``--arch`` from the form and closes the window ``--close-after`` seconds
after that run has started (for mobilenet_v1 on two cores: inside its first
batch, the step that traces the graph). It prints one JSON line just before
it closes the window (``closed_at``: time.time(); what was running) and one
when ``close()`` has returned (``hidden_s``, ``visible``); the parent times the
process's exit against ``closed_at``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

import gui.app
from netlab.config import Experiment
from netlab.training.events import BatchEnd, RunStarted

GIVE_UP_S = 600  # nothing reached the moment to close: the process quits without it


def _say(**values) -> None:
    print(json.dumps(values), flush=True)


class Scenario:
    def __init__(self, window, args):
        self.window, self.args = window, args
        self.busy: dict[str, int] = {}  # job -> batches seen
        self.closed = False

    def begin(self) -> None:
        exp = Experiment()
        exp.data.max_samples = 600
        self.window.panel.set_experiment(exp)
        if not self.args.no_search:
            view = self.window.search
            view.trials.setValue(4)
            view.trial_epochs.setValue(5)
            view.start()
            self._count(view.thread, "search")
        if not self.args.no_lesson:
            self.window.open_experiments()
            dialog = self.window.experiments
            dialog.lesson.setCurrentText("dropout")
            dialog.budget.setCurrentText("quick")
            dialog.start()
            self._count(dialog.thread, "lesson")
        self._maybe_train()

    def _count(self, thread, name: str) -> None:
        self.busy[name] = 0

        def on_event(event):
            if isinstance(event, BatchEnd):
                self.busy[name] += 1
                self._maybe_train()

        thread.event.connect(on_event)

    def _maybe_train(self) -> None:
        """Once the search and the lesson are both training: train --arch, close soon after it starts."""
        if "training" in self.busy or not all(self.busy.values()):
            return
        exp = Experiment()
        exp.model.arch = self.args.arch
        self.window.panel.set_experiment(exp)
        self.busy["training"] = 0
        self.window.start_training()

        def on_event(event):
            if isinstance(event, RunStarted):
                QTimer.singleShot(int(self.args.close_after * 1000), self.close)
            elif isinstance(event, BatchEnd):
                self.busy["training"] += 1

        self.window.thread.event.connect(on_event)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        _say(closed_at=time.time(), arch=self.args.arch, batches_done=dict(self.busy))
        started = time.perf_counter()
        self.window.close()
        _say(hidden_s=time.perf_counter() - started, visible=self.window.isVisible())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gui.bench.close")
    parser.add_argument("--arch", default="mobilenet_v1")
    parser.add_argument("--close-after", type=float, default=0.5, help="seconds after the run has started")
    parser.add_argument("--no-search", action="store_true")
    parser.add_argument("--no-lesson", action="store_true")
    args = parser.parse_args(argv)

    app = QApplication.instance() or QApplication(["netlab"])
    def attach():
        window = next(w for w in app.topLevelWidgets() if type(w).__name__ == "MainWindow")
        window.bench_scenario = scenario = Scenario(window, args)  # kept: a connection holds no reference
        window.core_loaded.connect(scenario.begin)
        QTimer.singleShot(GIVE_UP_S * 1000, scenario.close)

    QTimer.singleShot(0, attach)
    return gui.app.main(["netlab"])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
