"""Long core work off the GUI thread.

``TrainThread`` runs a Trainer and re-emits its plain events as a Qt signal
(emitted from the worker thread, delivered queued in the GUI thread).
Stopping sets a ``threading.Event`` directly from the GUI thread; the trainer
checks it after every batch, so a stop never waits behind a busy event loop.
``run_job`` runs any other short core job (loading TensorFlow, a model, a
prediction) on superqt's thread pool worker.
"""

from __future__ import annotations

import threading
import traceback

from PySide6.QtCore import QThread, Signal
from superqt.utils import create_worker

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

    def request_stop(self) -> None:
        self.stop_event.set()

    def run(self) -> None:
        from netlab.training.trainer import Trainer

        trainer = Trainer(self.experiment, on_event=self.event.emit, run_dir=self.run_dir,
                          stop_event=self.stop_event)
        try:
            result = trainer.run()
        except NetlabError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # noqa: BLE001 - the window must show every failure
            traceback.print_exc()
            self.failed.emit(f"unexpected error ({type(exc).__name__}): {exc}")
        else:
            self.succeeded.emit(result)


_jobs: set = set()  # keep workers alive until they finish


def run_job(fn, *args, on_result=None, on_error=None, **kwargs):
    """Run ``fn(*args, **kwargs)`` in a pool thread; callbacks run in the GUI thread."""
    worker = create_worker(fn, *args, _start_thread=False, **kwargs)
    if on_result is not None:
        worker.returned.connect(on_result)
    if on_error is not None:
        worker.errored.connect(on_error)
    _jobs.add(worker)
    worker.finished.connect(lambda: _jobs.discard(worker))
    worker.start()
    return worker


def error_text(exc: BaseException) -> str:
    """The line to show a person: a NetlabError's own message, else its type too."""
    if isinstance(exc, NetlabError):
        return str(exc)
    return f"unexpected error ({type(exc).__name__}): {exc}"
