"""The main window's keyboard: Ctrl+Enter trains, Esc stops a running training, Ctrl+1...9 show
the tabs.

Each key is an action of the menu bar (Training and View), so the menus show it, and the
buttons' and tabs' tooltips name it. The Train and Stop actions are enabled exactly when their
buttons are (an event filter follows the buttons), so Esc is the window's only while a
training runs: otherwise it stays with whatever has the focus. A dialog is a window of its
own, and the actions' shortcuts are the main window's (Qt.WindowShortcut): Esc in a dialog
closes that dialog and never stops the training behind it.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence

TRAIN_KEYS = (QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter"))  # Enter: the keypad's
STOP_KEY = QKeySequence(Qt.Key_Escape)
TABS_WITH_KEYS = 9  # Ctrl+1 ... Ctrl+9


def key_text(key: QKeySequence) -> str:
    """The key as the menus show it on this system ("Ctrl+Return", "⌘+Return" on macOS)."""
    return key.toString(QKeySequence.NativeText)


class _FollowEnabled(QObject):
    """Keeps an action enabled exactly when a widget is (Qt has no signal for a widget's enabling)."""

    def __init__(self, widget, action):
        super().__init__(widget)
        self.action = action
        action.setEnabled(widget.isEnabled())
        widget.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.EnabledChange:
            self.action.setEnabled(watched.isEnabled())
        return False


def _button_action(window, text: str, keys, button) -> QAction:
    """An action that clicks ``button``, enabled when it is; its keys added to the button's tooltip."""
    action = QAction(text, window)
    action.setShortcuts(list(keys))
    action.triggered.connect(button.click)
    _FollowEnabled(button, action)
    window.addAction(action)  # the key works while the menu bar is hidden too
    return action


def add_keyboard(window) -> None:
    """The Training and View menus of ``window`` (a MainWindow, its buttons and tabs built)."""
    training = window.menuBar().addMenu("&Training")
    window.train_action = _button_action(window, "&Train", TRAIN_KEYS, window.train_button)
    window.stop_action = _button_action(window, "&Stop", (STOP_KEY,), window.stop_button)
    training.addAction(window.train_action)
    training.addAction(window.stop_action)
    window.stop_button.setToolTip(f"Stop after this batch, keeping the model ({key_text(STOP_KEY)})")

    view = window.menuBar().addMenu("&View")
    window.tab_actions = []
    for index in range(min(window.tabs.count(), TABS_WITH_KEYS)):
        action = QAction(window.tabs.tabText(index), window)
        action.setShortcut(QKeySequence(f"Ctrl+{index + 1}"))
        action.triggered.connect(lambda checked=False, i=index: window.tabs.setCurrentIndex(i))
        view.addAction(action)
        window.addAction(action)
        window.tabs.setTabToolTip(index, f"{action.text()} ({key_text(action.shortcut())})")
        window.tab_actions.append(action)


def train_tooltip() -> str:
    """The Train button's tooltip once it can be pressed."""
    return f"Train the experiment of the form ({key_text(TRAIN_KEYS[0])})"
