"""What the fuzz of tests/gui/test_fuzz.py must never see: an uncaught exception in any
thread (sys.excepthook, threading.excepthook), a traceback printed (pytest's capsys) or
logged through Qt (its message handler), "unexpected error" on screen (the windows' labels,
read-only text boxes and status bars, the questions asked). The slow close is the driver's."""

from __future__ import annotations

import sys
import threading
import traceback
from dataclasses import dataclass, field

import shiboken6
from PySide6.QtCore import QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QPlainTextEdit, QTextEdit

UNEXPECTED = "unexpected error"
# Qt messages that mean a bug (a warning such as the offscreen plugin's "does not support
# propagateSizeHints()" does not).
QT_BUG_MARKS = ("Traceback", "Destroyed while thread", "another thread", "different thread")


@dataclass
class Finding:
    seed: int
    step: int
    kind: str
    text: str

    def headline(self) -> str:
        lines = [line for line in self.text.strip().splitlines() if line.strip()]
        return f"seed {self.seed}, action {self.step}: {self.kind}: {lines[-1] if lines else ''}"


@dataclass
class Watch:
    """Every finding, once each (a label that goes on showing one error is one finding), with the
    seed and the action (``where``) it came in; ``capsys`` is the test's, for what is printed."""

    capsys: object
    findings: list[Finding] = field(default_factory=list)
    where: tuple[int, int] = (0, -1)
    _seen: set = field(default_factory=set)

    def __enter__(self):
        self._hooks = sys.excepthook, threading.excepthook
        sys.excepthook = lambda kind, exc, tb: self.add(
            f"uncaught {kind.__name__} in the GUI thread", "".join(traceback.format_exception(kind, exc, tb)))
        threading.excepthook = lambda args: self.add(
            f"uncaught {args.exc_type.__name__} in thread {args.thread.name if args.thread else '?'}",
            "".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback)))
        self._qt_handler = qInstallMessageHandler(self._qt_message)
        return self

    def __exit__(self, *exc):
        sys.excepthook, threading.excepthook = self._hooks
        qInstallMessageHandler(self._qt_handler)
        self.check()

    def _qt_message(self, kind, context, message) -> None:
        if kind in (QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg) or any(m in message for m in QT_BUG_MARKS):
            self.add(f"Qt {kind.name}", message)

    def add(self, kind: str, text: str) -> None:
        key = (kind, text.strip()[-300:])
        if key not in self._seen:
            self._seen.add(key)
            self.findings.append(Finding(*self.where, kind, text))

    def check(self) -> None:
        """Collect what was printed since the last check, and scan what the windows show."""
        captured = self.capsys.readouterr()
        for stream in (captured.err, captured.out):
            if "Traceback" in stream:
                self.add("traceback printed", stream[stream.index("Traceback"):])
        for text in visible_texts():
            if UNEXPECTED in text.lower() or "Traceback" in text:
                self.add("shown", text)


def visible_texts() -> list[str]:
    texts = []
    for top in QApplication.topLevelWidgets():
        # A dialog closed by the last action may be freed (deleteLater) after the list was made.
        if not shiboken6.isValid(top) or not top.isVisible():
            continue
        for label in top.findChildren(QLabel):
            if label.isVisible() and label.text():
                texts.append(label.text())
        for edit in (*top.findChildren(QPlainTextEdit), *top.findChildren(QTextEdit)):
            if edit.isVisible() and edit.isReadOnly():
                texts.append(edit.toPlainText())
        if isinstance(top, QMainWindow):
            texts.append(top.statusBar().currentMessage())
    return texts


def thread_stacks() -> str:
    """Where every thread is now (a window that does not close: what it waits for)."""
    names = {thread.ident: thread.name for thread in threading.enumerate()}
    return "\n".join(f"thread {names.get(ident, ident)}:\n{''.join(traceback.format_stack(frame))}"
                     for ident, frame in sys._current_frames().items())
