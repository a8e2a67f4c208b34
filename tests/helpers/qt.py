"""Driving the window as a person would, and knowing when its workers are done."""

from PySide6.QtCore import QCoreApplication, QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from gui import workers


def drop_file(widget, path):
    """``path`` dropped on ``widget`` from a file manager."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(10, 10), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    widget.dropEvent(event)


def wait_for_workers(qtbot, timeout=60_000):
    """Wait until no worker job (gui.workers.run_job) runs, then deliver what the jobs emitted:
    the moment after which nothing more of theirs can arrive, where a test asserts that nothing
    more did (in place of waiting some milliseconds and hoping that was long enough)."""
    qtbot.waitUntil(lambda: not workers._jobs, timeout=timeout)
    QCoreApplication.sendPostedEvents()  # a finished thread's queued signals, in their order
    QCoreApplication.processEvents()
