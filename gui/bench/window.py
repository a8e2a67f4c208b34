"""The window half of ``python -m netlab.bench window`` (see netlab/bench/window.py).

``python -m gui.bench.window netlab|bare --seconds S`` starts one window,
trains the default experiment (to its end or for ``--seconds`` of
measurement, whichever comes first), measures the event loop and prints one JSON
line: time to window, time to a usable Train button (seconds since
NETLAB_BENCH_LAUNCHED, the parent's clock just before it started this
process) and the gaps between ticks of a 1 ms timer in the GUI thread.

``--start`` measures instead the first ``--seconds`` after the window has
shown, and nothing is trained (``python -m netlab.bench window-start``); its
side ``bare-keras`` is the bare window importing Keras in a worker thread.
"""

from __future__ import annotations

import os
import sys
import time

LAUNCHED = float(os.environ.get("NETLAB_BENCH_LAUNCHED", time.time()))
# Everything else is imported where used, after LAUNCHED: run by window-start (which sets no
# NETLAB_BENCH_LAUNCHED) the time to window counts Qt's import, and the bare side never loads NetLab.
NO_BATCH_TIMEOUT_MS = 300_000
SUMMARY_WAIT_MS = 30_000


def since_launch() -> float:
    return time.time() - LAUNCHED


class GapMeter:
    """Ticks of a 1 ms precise timer in the GUI thread; the gaps between them while measuring."""

    def __init__(self):
        from PySide6.QtCore import Qt, QTimer

        self.gaps: list[float] = []
        self.measuring = False
        self._last = time.perf_counter()
        self._timer = QTimer()
        self._timer.setTimerType(Qt.PreciseTimer)
        self._timer.setInterval(1)
        self._timer.timeout.connect(self._tick)
        self._timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        if self.measuring:
            self.gaps.append(now - self._last)
        self._last = now

    def measure_for(self, seconds: float, then) -> None:
        """From now (the first batch has arrived), for ``seconds``; then call ``then``."""
        from PySide6.QtCore import QTimer

        if self.measuring or self.gaps:
            return
        self._last = time.perf_counter()
        self.measuring = True

        def stop():
            self.measuring = False
            then()

        QTimer.singleShot(int(seconds * 1000), stop)


def run_netlab(seconds: float) -> dict:
    from PySide6.QtCore import QTimer

    from gui.app import start
    from gui.workers import wait_for_jobs
    from netlab.training.events import BatchEnd

    app, window = start([])
    report = {"window_s": since_launch(), "train_ready_s": None}
    meter = GapMeter()

    def on_event(event):
        if isinstance(event, BatchEnd):
            meter.measure_for(seconds, window.stop_training)

    def train():
        if window.thread is not None or report.get("training"):
            return
        report["training"] = True
        window.start_training()
        window.thread.event.connect(on_event)

    def ready():
        report["train_ready_s"] = since_launch()
        # Train once the summary's first model build (a worker job that starts
        # with the button) is done, as a person would: the measurement is of
        # training, not of two jobs at once.
        window.summary.updated.connect(train)
        window.summary.failed.connect(train)
        QTimer.singleShot(SUMMARY_WAIT_MS, train)

    window.train_ready.connect(ready)
    window.training_finished.connect(lambda result: app.quit())
    _quit_if_stuck(app)
    app.exec()
    window.close()
    wait_for_jobs()
    report.pop("training", None)
    return {**report, "gaps": meter.gaps}


def _fit_bare(on_batch, stop) -> None:
    """The bare window's training: the default experiment's model fit by Keras alone, with no
    NetLab trainer; ``on_batch(epoch, batch)`` after every batch, stopping once ``stop`` is set."""
    import math

    import keras

    from netlab.config import Experiment
    from netlab.data import load_dataset
    from netlab.training.trainer import Trainer

    experiment = Experiment().validate()
    t = experiment.training
    keras.utils.set_random_seed(t.seed)
    data = load_dataset(experiment.data)
    model, _, _ = Trainer(experiment).build_model(data, math.ceil(data.train_size / t.batch_size))

    class EveryBatch(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            on_batch(self.epoch, batch + 1)
            if stop.is_set():
                self.model.stop_training = True

    outputs = len(model.outputs)
    model.fit(data.train_pipeline(t.batch_size, seed=t.seed, num_outputs=outputs),
              validation_data=data.val_pipeline(t.batch_size, num_outputs=outputs),
              epochs=t.epochs, verbose=0, callbacks=[EveryBatch()])


def run_bare(seconds: float) -> dict:
    import threading

    from PySide6.QtCore import QThread, Signal
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QPushButton, QVBoxLayout, QWidget

    class LoadKeras(QThread):
        def run(self):
            import keras  # noqa: F401 - what makes the bare window's button usable

    class Fit(QThread):
        batch = Signal(int, int)

        def __init__(self):
            super().__init__()
            self.stop = threading.Event()

        def run(self):
            _fit_bare(self.batch.emit, self.stop)

    app = QApplication.instance() or QApplication([])
    window = QMainWindow()
    central = QWidget()
    layout = QVBoxLayout(central)
    label = QLabel("Loading Keras...")
    button = QPushButton("Train")
    button.setEnabled(False)
    layout.addWidget(label)
    layout.addWidget(button)
    window.setCentralWidget(central)
    window.resize(1400, 860)
    window.show()
    app.processEvents()
    report = {"window_s": since_launch(), "train_ready_s": None}
    meter = GapMeter()
    fit = Fit()
    fit.batch.connect(lambda epoch, batch: (label.setText(f"epoch {epoch + 1} · batch {batch}"),
                                            meter.measure_for(seconds, fit.stop.set)))
    fit.finished.connect(app.quit)

    def ready():
        report["train_ready_s"] = since_launch()
        button.setEnabled(True)
        fit.start()

    loader = LoadKeras()
    loader.finished.connect(ready)
    loader.start()
    _quit_if_stuck(app)
    app.exec()
    fit.stop.set()
    fit.wait()
    return {**report, "gaps": meter.gaps}


def run_start(side: str, seconds: float) -> dict:
    """The window shown, then the event loop's gaps for ``seconds``: what a person sees right after start."""
    from PySide6.QtCore import QThread
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

    if side == "netlab":
        from gui.app import start

        app, window = start([])
    else:
        app = QApplication.instance() or QApplication([])
        window = QMainWindow()
        window.setCentralWidget(QLabel("Loading..."))
        window.resize(1400, 860)
        window.show()
        app.processEvents()
    report = {"window_s": since_launch()}
    meter = GapMeter()

    class LoadKeras(QThread):
        def run(self):
            import keras  # noqa: F401 - TensorFlow's import, as NetLab's window starts it

    loader = LoadKeras()
    if side == "bare-keras":
        loader.start()
    meter.measure_for(seconds, app.quit)
    app.exec()
    report["loaded"] = sorted(name for name in ("tensorflow", "pyqtgraph") if name in sys.modules)
    return {**report, "gaps": meter.gaps}


def _quit_if_stuck(app) -> None:
    from PySide6.QtCore import QTimer

    QTimer.singleShot(NO_BATCH_TIMEOUT_MS, app.quit)


def main(argv=None) -> int:
    import argparse
    import json

    parser = argparse.ArgumentParser(prog="python -m gui.bench.window")
    parser.add_argument("side", choices=("netlab", "bare", "bare-keras"))
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--start", action="store_true", help="the first --seconds after the window shows")
    args = parser.parse_args(argv)
    if args.side == "bare-keras" and not args.start:
        parser.error("bare-keras is a side of --start only")
    if args.start:
        print(json.dumps(run_start(args.side, args.seconds)), flush=True)
        os._exit(0)  # a worker may still be importing: no teardown to wait for, none to crash
    report = (run_netlab if args.side == "netlab" else run_bare)(args.seconds)
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
