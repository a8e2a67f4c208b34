"""The seeded fuzzer of tests/gui/test_fuzz.py: :class:`Fuzzer` drives one window for one seed.

Random actions on the window's visible widgets (clicks, text and numbers from
``fuzz_inputs``, combo boxes, tabs, bad files dropped, table rows, menus, Train,
Stop, Pause), the modal dialogs answered as they open, the window closed
mid-run at the end; ``fuzz_watch`` says what must never happen meanwhile.
Everything it writes goes under the test's tmp_path (the working directory
too, for relative names typed into folder fields).
"""

from __future__ import annotations

import time
import traceback
from pathlib import Path

import shiboken6
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QScrollBar,
    QSlider,
    QSpinBox,
    QTabBar,
    QTabWidget,
    QTextEdit,
    QWidget,
)

from tests.helpers import tiny_experiment
from tests.helpers.fuzz_inputs import DOWNLOADS, WORDS, Answerer, Draw, Vocabulary, limits, short, type_text
from tests.helpers.fuzz_watch import Watch, thread_stacks

ACTION_WEIGHTS = {"click": 22, "text": 14, "number": 14, "choose": 10, "tab": 12, "drop": 6, "view": 4,
                  "slider": 2, "menu": 3, "train": 3, "stop": 2, "pause": 2, "dialogs": 2, "settle": 6}
EPISODE = 30  # actions on a tab of the window and one of the form drawn by the seed
FOCUS = (45, 30, 25)  # how often an action is on the window's tab, the form's tab, anywhere
STOP_WAIT_S = 10  # how long Stop waits for the run to end (a finding only at the close)
SETTLE_S = 5  # how long "settle" waits for the window's jobs (a person looking at the result)
CLOSE_LIMIT_S = 2.0  # a close slower than this (in wall and CPU time) is a finding
CLOSE_WALL_S = 10.0  # a close slower than this is one whatever the CPU did
CLOSE_HANG_S = 30.0  # how long the close is waited for (then the window is left open)


def attribute_names(root: QWidget) -> dict[int, str]:
    """id(widget) -> the attribute path it is reached by from ``root`` (e.g. panel.data_form.crop)."""
    names, queue, seen = {}, [(root, "")], {id(root)}
    while queue:
        obj, prefix = queue.pop(0)
        try:
            items = list(vars(obj).items())
        except TypeError:
            continue
        for attr, value in items:
            pairs = [(f"{attr}[{k!r}]", v) for k, v in value.items()] if isinstance(value, dict) else [(attr, value)]
            for name, child in pairs:
                if isinstance(child, QWidget) and id(child) not in seen:
                    seen.add(id(child))
                    names[id(child)] = prefix + name
                    if prefix.count(".") < 3:
                        queue.append((child, f"{prefix}{name}."))
    return names


def defines_drop(widget: QWidget) -> bool:
    """Whether one of NetLab's own classes handles drops on ``widget`` (not a Qt default)."""
    return any("dropEvent" in vars(cls) for cls in type(widget).__mro__ if not cls.__module__.startswith("PySide6"))


class Fuzzer:
    """One seed's run on one window: ``run(n)`` does n actions, then closes the window mid-run."""

    def __init__(self, window, seed: int, vocabulary: Vocabulary, watch: Watch, qtbot):
        self.win, self.seed, self.vocab, self.watch, self.qtbot = window, seed, vocabulary, watch, qtbot
        self.rng = Draw(seed)
        self.started = time.monotonic()
        self.log: list[tuple[int, str]] = []  # (action, what was done), dialogs' answers indented
        self.step = -1
        self.close_seconds: tuple[float, float] | None = None
        self.caps, self.allowed, self.denied = limits(window)

    # -- the run -------------------------------------------------------------------------
    def prepare(self, experiment) -> None:
        """Start from ``experiment`` (a tiny run), the Fine-tune tab on .keras files (not ImageNet's)."""
        from gui.forms.finetune_form import FILE

        self.win.panel.set_experiment(experiment)
        self.win.search.set_search(experiment.search)
        self.win.panel.finetune_form.kind.setCurrentText(FILE)

    def run(self, actions: int) -> None:
        answerer = Answerer(self)
        answerer.start()
        try:
            for self.step in range(actions):
                self.watch.where = (self.seed, self.step)
                if self.step % EPISODE == 0:
                    self._episode()
                self._act()
                self.qtbot.wait(15)  # the queued signals of the action arrive (a person's pace)
                self.watch.check()
            self.step = actions
            self.watch.where = (self.seed, actions)
            self.close_mid_run()
            self.watch.check()
        finally:
            answerer.stop()

    def _episode(self) -> None:
        """Every EPISODE actions, go to a tab of the window and one of the form drawn by the seed: the
        random tab switches alone leave most of a seed's actions on the tabs it starts on."""
        for tabs in (self.win.tabs, self.win.panel):
            index = self.rng.integer(0, tabs.count() - 1)
            if tabs.isEnabled():
                tabs.setCurrentIndex(index)
        self.note(f"episode on {self.win.tabs.tabText(self.win.tabs.currentIndex())!r} and "
                  f"{self.win.panel.tabText(self.win.panel.currentIndex())!r}")

    def _act(self) -> None:
        kinds = list(ACTION_WEIGHTS)
        kind = self.rng.choices(kinds, weights=[ACTION_WEIGHTS[k] for k in kinds])[0]
        try:
            getattr(self, f"_{kind}")()
        except Exception as exc:  # noqa: BLE001 - raised through a Qt call, as the event loop would report it
            self.watch.add(f"uncaught {type(exc).__name__} in the GUI thread", traceback.format_exc())

    def note(self, text: str) -> None:
        self.log.append((self.step, f"{time.monotonic() - self.started:5.1f}s {text}"))

    def lines(self, first: int = 0, last: int | None = None) -> list[str]:
        return [f"{step:4d} {text}" for step, text in self.log if first <= step <= (last if last is not None else step)]

    def name(self, widget: QWidget) -> str:
        names = attribute_names(self.win)
        if id(widget) in names:
            return names[id(widget)]
        text = widget.text() if hasattr(widget, "text") and callable(widget.text) else ""
        owner = widget.window()
        where = "" if owner is self.win else f"{type(owner).__name__}:"
        return f"{where}{type(widget).__name__}({text!r})" if text else f"{where}{type(widget).__name__}"

    # -- targets -------------------------------------------------------------------------
    def windows(self) -> list[QWidget]:
        """The main window and its visible non-modal dialogs (the learning-rate finder, the lessons)."""
        dialogs = [w for w in QApplication.topLevelWidgets()
                   if w is not self.win and w.isVisible() and isinstance(w, QDialog) and not w.isModal()
                   and w.parentWidget() is not None and w.parentWidget().window() is self.win]
        return [self.win, *dialogs] if self.win.isVisible() else []

    def widgets(self, kind) -> list:
        found = []
        for top in self.windows():
            for w in top.findChildren(kind):
                # Visible, enabled or not: what is enabled changes with the timing of the jobs and runs, and
                # the seed's draws must not (a disabled target is logged and left).
                if not w.isVisible() or w in self.denied:
                    continue
                parent = w.parentWidget()
                if isinstance(parent, QAbstractSpinBox | QComboBox | QTabBar) or isinstance(w, QScrollBar):
                    continue  # a part of a compound widget: the fuzz acts on the whole
                found.append(w)
        return found

    def pick(self, widgets, what: str):
        """One of ``widgets`` (None, logged, when there is none or it is disabled), most often one on
        the window's tab or the form's tab of the moment: a person works in a tab for a while, and a
        seed's few hundred actions spread over the whole window would reach little of any tab."""
        area = self.rng.choices([self.win.tabs.currentWidget(), self.win.panel.currentWidget(), None],
                                weights=FOCUS)[0]
        focused = [w for w in widgets if area is not None and area.isAncestorOf(w)]
        widget = self.rng.choose(focused or widgets)
        if widget is None:
            self.note(f"{what}: nothing")
        elif not widget.isEnabled():
            self.note(f"{what} {self.name(widget)}: disabled")
            return None
        return widget

    # -- actions ------------------------------------------------------------------------
    def _click(self) -> None:
        lessons = getattr(self.win, "experiments", None)
        expensive = {lessons.run_button, lessons.continue_button} if lessons is not None else set()
        # A lesson trains several arms for minutes: its Run and Continue are left alone.
        buttons = [b for b in self.widgets(QAbstractButton) if b not in expensive]
        pushes = [b for b in buttons if isinstance(b, QPushButton)]  # mostly these: each starts something
        button = self.pick(pushes if self.rng.chance(0.7) else [b for b in buttons if b not in pushes], "click")
        if button is None:
            return
        if button is self.win.stop_button:
            return self._stop()
        self.note(f"click {self.name(button)}")
        button.click()

    def _text(self) -> None:
        """A text field (a line, a text box, an editable combo box) given a word of the vocabulary."""
        fields = [w for kind in (QLineEdit, QPlainTextEdit, QTextEdit, QComboBox) for w in self.widgets(kind)
                  if not (isinstance(w, QComboBox) and not w.isEditable())
                  and not (hasattr(w, "isReadOnly") and w.isReadOnly())]
        widget = self.pick(fields, "edit")
        if widget is None:
            return
        text = self.vocab.text(self.rng, json_first=isinstance(widget, QPlainTextEdit))
        self.note(f"edit {self.name(widget)} = {short(text)}")
        if isinstance(widget, QComboBox):
            widget.setCurrentText(text)
        elif isinstance(widget, QLineEdit):
            widget.setText(text)
            QTest.keyClick(widget, Qt.Key_Return)
        else:
            widget.setPlainText(text)

    def _number(self) -> None:
        """A number field set to an end of its range, a value inside, or typed garbage."""
        box = self.pick(self.widgets(QSpinBox) + self.widgets(QDoubleSpinBox), "set")
        if box is None:
            return
        if box in self.caps:
            value = self.rng.choose(self.caps[box])
        elif self.rng.chance(0.25):  # typed: the field's validator sees the garbage
            text = self.rng.choose(WORDS[:12])
            self.note(f"type into {self.name(box)}: {short(text)}")
            box.lineEdit().selectAll()
            type_text(box.lineEdit(), text)
            QTest.keyClick(box.lineEdit(), Qt.Key_Return)
            return
        elif isinstance(box, QSpinBox):
            lo, hi = box.minimum(), box.maximum()
            value = self.rng.choose([lo, hi, lo + 1, hi - 1, 0, 1, -1, 999, self.rng.integer(lo, hi),
                                     self.rng.integer(lo, min(hi, lo + 20))])
            value = min(max(value, lo), hi)
        else:
            lo, hi = box.minimum(), box.maximum()
            value = self.rng.choose([lo, hi, lo + box.singleStep(), (lo + hi) / 2, self.rng.uniform(lo, hi),
                                     0.0, 0.5, 999.0, -1.0])
            value = min(max(value, lo), hi)
        self.note(f"set {self.name(box)} = {value!r}")
        box.setValue(value)

    def _choose(self) -> None:
        combo = self.pick(self.widgets(QComboBox), "choose")
        if combo is None:
            return
        allowed = self.allowed.get(combo)
        items = [i for i in range(combo.count()) if (allowed is None or combo.itemText(i) in allowed)
                 and combo.itemText(i) not in DOWNLOADS and combo.itemData(i) not in DOWNLOADS
                 and not combo.itemText(i).startswith("imagenet:")]
        if not items:
            return self.note(f"choose {self.name(combo)}: nothing allowed")
        index = self.rng.choose(items)
        self.note(f"choose {self.name(combo)} = {combo.itemText(index)!r}")
        combo.setCurrentIndex(index)

    def _tab(self) -> None:
        # Mostly the window's tabs and the form's: each holds widgets nothing else reaches.
        tabs = self.pick(self.rng.choose([[self.win.tabs], [self.win.tabs], [self.win.panel], [self.win.panel],
                                          [t for t in self.widgets(QTabWidget) if t.count() > 1]]), "tab")
        if tabs is None:
            return
        index = self.rng.integer(0, tabs.count() - 1)
        self.note(f"tab {self.name(tabs)} -> {tabs.tabText(index)!r}")
        tabs.setCurrentIndex(index)

    def _drop(self) -> None:
        target = self.pick([w for w in self.widgets(QWidget) if w.acceptDrops() and defines_drop(w)], "drop")
        if target is None:
            return
        mime = QMimeData()
        paths = [self.rng.choose(self.vocab.paths) for _ in range(self.rng.choose((1, 1, 1, 2, 3)))]
        if self.rng.chance(0.1):
            mime.setText("just some text, no file")
            paths = []
        else:
            mime.setUrls([QUrl.fromLocalFile(p) for p in paths])
        self.note(f"drop on {self.name(target)}: {[short(Path(p).name, 40) for p in paths]}")
        point = QPointF(target.width() / 2, target.height() / 2)
        enter = QDragEnterEvent(point.toPoint(), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
        QApplication.sendEvent(target, enter)
        if enter.isAccepted():
            QApplication.sendEvent(target, QDropEvent(point, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier))

    def _view(self) -> None:
        views = [v for v in self.widgets(QAbstractItemView)
                 if v.model() is not None and v.model().rowCount() > 0]
        view = self.pick(views, "view")
        if view is None:
            return
        row = self.rng.integer(0, view.model().rowCount() - 1)
        index = view.model().index(row, 0)
        view.scrollTo(index, QAbstractItemView.EnsureVisible)
        center = view.visualRect(index).center()
        double = self.rng.chance(0.4)
        self.note(f"{'double-' if double else ''}click row {row} of {self.name(view)}")
        click = QTest.mouseDClick if double else QTest.mouseClick
        click(view.viewport(), Qt.LeftButton, Qt.NoModifier, center if center != QPoint() else QPoint(2, 2))

    def _slider(self) -> None:
        slider = self.pick(self.widgets(QSlider), "slide")
        if slider is None:
            return
        value = self.rng.integer(slider.minimum(), slider.maximum())
        self.note(f"slide {self.name(slider)} -> {value}")
        slider.setValue(value)

    def _menu(self) -> None:
        actions, menus = [], [a.menu() for a in self.win.menuBar().actions() if a.menu()]
        while menus:
            menu = menus.pop(0)
            for action in menu.actions():
                if isinstance(action.menu(), QMenu):
                    menus.append(action.menu())
                elif not action.isSeparator():
                    actions.append(action)
        # Quit is the seed's own close; the samples folder would open the desktop's file manager.
        actions = [a for a in actions if a.text() != "&Quit" and not a.text().startswith("Open the sample")]
        action = self.rng.choose(actions)
        self.note(f"menu {action.text()!r}{'' if action.isEnabled() else ' (disabled)'}")
        action.trigger()

    def _train(self) -> None:
        self.note(f"Train ({'enabled' if self.win.train_button.isEnabled() else 'disabled'})")
        if self.win.train_button.isEnabled():
            self.win.train_button.click()

    def _stop(self) -> None:
        """Stop, and wait for the run to end, as a person watching the status line would (the runs
        the fuzz leaves going end at their own time, which no seed can fix)."""
        win = self.win
        if not win.stop_button.isEnabled():
            return self.note("Stop (disabled)")
        win.stop_button.click()
        start = time.monotonic()
        while win.thread is not None and time.monotonic() - start < STOP_WAIT_S:
            self.qtbot.wait(10)
        self.note(f"Stop: {'ended' if win.thread is None else 'still running'} after {time.monotonic() - start:.1f} s")

    def _pause(self) -> None:
        self.note(f"{self.win.pause_button.text()} ({'enabled' if self.win.pause_button.isEnabled() else 'disabled'})")
        if self.win.pause_button.isEnabled():
            self.win.pause_button.click()

    def _dialogs(self) -> None:
        dialogs = self.windows()[1:]
        self.note(f"close dialogs {[type(d).__name__ for d in dialogs]}")
        for dialog in dialogs:
            dialog.close()

    def _settle(self) -> None:
        """Wait (a while at most) for the window's jobs to end, so their results reach the screen."""
        from gui import workers

        def quiet():
            pending = any(j._timer.isActive() for j in list(workers._latest_jobs) if shiboken6.isValid(j._timer))
            return not pending and not workers._jobs

        start = time.monotonic()
        while not quiet() and time.monotonic() - start < SETTLE_S:
            self.qtbot.wait(20)
        self.note(f"settle ({'quiet' if quiet() else 'still busy'} after {time.monotonic() - start:.1f} s)")

    # -- the end: closed mid-run -------------------------------------------------------------
    def close_mid_run(self) -> None:
        """Train the tiny run (unless a run goes on), then close the window while it trains."""
        from gui import workers
        from gui.workers import wait_for_jobs

        win = self.win
        if not win.isVisible():
            return
        if win.thread is None:
            win.panel.set_experiment(tiny_experiment(epochs=50))
            win.run_folder.set_folder(None)
            win.train_button.click()
        state = "no run" if win.thread is None else "paused" if win.pause_button.isChecked() else "training"
        self.note(f"close the window ({state})")
        wall, cpu = time.monotonic(), time.process_time()
        win.close()
        stacks = ""  # where the threads were once the close took longer than the limit
        while win.isVisible() and time.monotonic() - wall < CLOSE_HANG_S:
            self.qtbot.wait(10)
            if not stacks and time.monotonic() - wall > CLOSE_LIMIT_S:
                stacks = thread_stacks()
        self.close_seconds = wall_s, cpu_s = time.monotonic() - wall, time.process_time() - cpu
        self.note(f"closed in {wall_s:.2f} s ({cpu_s:.2f} s of CPU)")
        # Slow: over the limit in wall time and in this process's CPU time (on two cores shared with
        # other work, CI's second worker say, wall time stretches and CPU time does not), or over
        # CLOSE_WALL_S whatever the CPU did (a close that waits, for a lock or a thread, computes
        # nothing). The time to exit of the whole application is a benchmark's (python -m netlab.bench).
        if wall_s > CLOSE_WALL_S or (wall_s > CLOSE_LIMIT_S and cpu_s > CLOSE_LIMIT_S):
            self.watch.add("slow close", f"the window took {wall_s:.2f} s ({cpu_s:.2f} s of CPU) to close"
                           f"{' and is still open' if win.isVisible() else ''}; every thread's stack "
                           f"{CLOSE_LIMIT_S:.0f} s into the close:\n{stacks}")
        wait_for_jobs(int(CLOSE_HANG_S * 1000))  # what the application does before it exits
        if any(job.isRunning() for job in list(workers._jobs)):
            self.watch.add("jobs left running", f"{CLOSE_HANG_S:.0f} s after the close:\n{thread_stacks()}")
