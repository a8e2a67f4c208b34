"""Long core work off the GUI thread.

``TrainThread`` runs a Trainer and re-emits its plain events as a Qt signal
(emitted from the worker thread, delivered queued in the GUI thread).
Stopping sets a ``threading.Event`` directly from the GUI thread; the trainer
checks it after every batch, so a stop never waits behind a busy event loop.
``run_job`` runs any other short core job (loading TensorFlow, a model, a
prediction) in a QThread of its own.
"""

from __future__ import annotations

import threading
import traceback

import shiboken6
from PySide6.QtCore import QObject, QThread, QTimer, Signal

from netlab.errors import NetlabError


class TrainThread(QThread):
    event = Signal(object)  # netlab.training.events.Event
    succeeded = Signal(object)  # TrainResult
    failed = Signal(str)

    def __init__(self, experiment, run_dir=None, parent=None):
        super().__init__(parent)
        self.experiment = experiment
        self.run_dir = run_dir
        self.stop_event = threading.Event()
        self.pause_event = threading.Event()  # set = paused between batches

    def request_stop(self) -> None:
        self.stop_event.set()

    def set_paused(self, paused: bool) -> None:
        if paused:
            self.pause_event.set()
        else:
            self.pause_event.clear()

    def run(self) -> None:
        from netlab.training.trainer import Trainer

        trainer = Trainer(self.experiment, on_event=self.event.emit, run_dir=self.run_dir,
                          stop_event=self.stop_event, pause_event=self.pause_event)
        try:
            result = trainer.run()
        except NetlabError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # noqa: BLE001 - the window must show every failure
            traceback.print_exc()
            self.failed.emit(f"unexpected error ({type(exc).__name__}): {exc}")
        else:
            self.succeeded.emit(result)


class JobThread(QThread):
    """Runs one function; ``returned`` or ``errored`` is delivered in the GUI thread."""

    returned = Signal(object)
    errored = Signal(object)

    def __init__(self, fn, args, kwargs):
        super().__init__()
        self.fn, self.args, self.kwargs = fn, args, kwargs

    def run(self) -> None:
        try:
            result = self.fn(*self.args, **self.kwargs)
        except Exception as exc:  # noqa: BLE001 - reported to the window, never lost
            if not isinstance(exc, NetlabError):
                traceback.print_exc()
            self.errored.emit(exc)
        else:
            self.returned.emit(result)


_jobs: set[JobThread] = set()  # keep each thread alive until it has finished


def run_job(fn, *args, on_result=None, on_error=None, owner=None, **kwargs) -> JobThread:
    """Run ``fn(*args, **kwargs)`` off the GUI thread; callbacks run in the GUI thread.

    With ``owner`` (the widget that asked), a result arriving after the owner
    was destroyed (its window closed meanwhile) is dropped instead of reaching
    a deleted widget.
    """
    job = JobThread(fn, args, kwargs)

    def deliver(callback):
        def call(value):
            if owner is None or shiboken6.isValid(owner):
                callback(value)
        return call

    if on_result is not None:
        job.returned.connect(deliver(on_result))
    if on_error is not None:
        job.errored.connect(deliver(on_error))
    _jobs.add(job)
    job.finished.connect(lambda: (_jobs.discard(job), job.deleteLater()))
    job.start()
    return job


class LatestJob(QObject):
    """Debounced worker jobs of which only the newest result is delivered.

    For views that recompute on every knob change (the summary, the
    augmentation preview): requests within ``delay_ms`` of each other start
    one job, and a result that arrives after a newer job started is dropped.
    """

    def __init__(self, owner, delay_ms, on_result, on_error, on_start=None):
        super().__init__(owner)
        self.owner, self.on_result, self.on_error, self.on_start = owner, on_result, on_error, on_start
        self._generation = 0
        self._pending = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self._start)

    def request(self, fn, *args) -> None:
        self._pending = (fn, args)
        self._timer.start()

    def _start(self) -> None:
        if self._pending is None:
            return
        fn, args = self._pending
        self._generation += 1
        generation = self._generation
        if self.on_start is not None:
            self.on_start()
        run_job(fn, *args, owner=self.owner,
                on_result=lambda result: generation == self._generation and self.on_result(result),
                on_error=lambda exc: generation == self._generation and self.on_error(exc))


def wait_for_jobs(msecs: int = 10_000) -> None:
    """Before the application quits: let running jobs end (no 'QThread destroyed')."""
    for job in list(_jobs):
        job.wait(msecs)


def error_text(exc: BaseException) -> str:
    """The line to show a person: a NetlabError's own message, else its type too."""
    if isinstance(exc, NetlabError):
        return str(exc)
    return f"unexpected error ({type(exc).__name__}): {exc}"
