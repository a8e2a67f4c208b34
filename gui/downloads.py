"""Downloads made by worker jobs (ImageNet weights, datasets), reported to the window.

A job runs its downloads inside ``reporting()``; each report becomes a
``DataProgress`` event emitted by the one ``relay()`` object, which the main
window connects to the handler that already shows a training run's dataset
downloads in the status bar. The signal is emitted from the worker thread and
delivered queued in the GUI thread.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from netlab.data.download import download_progress
from netlab.training.events import DataProgress


class DownloadRelay(QObject):
    progress = Signal(object)  # DataProgress


_relay: list[DownloadRelay] = []


def relay() -> DownloadRelay:
    """The relay; first asked for by the GUI thread (the Fine-tune form), so it lives there."""
    if not _relay:
        _relay.append(DownloadRelay())
    return _relay[0]


def reporting():
    """A context in which this thread's Keras downloads reach ``relay().progress``."""
    signal = relay().progress
    return download_progress(lambda url, done, total: signal.emit(DataProgress(url, done, total)))
