"""What the fuzz of tests/gui/test_fuzz.py feeds the window: seeded draws, the bad words,
numbers and files it types, sets and drops, and the answers to the dialogs that open."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import shiboken6
from PIL import Image
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog, QMessageBox, QWidget

from tests.helpers.fuzz_watch import UNEXPECTED

LONG_NAME = "n" * 300  # one path component longer than NAME_MAX (255): ENAMETOOLONG
WORDS = ("", " ", "x", "-1", "-999999", "0", "1e309", "nan", "inf", "-0.5", "é漢字🙂 ñ", "\t\n", "%s%n{}",
         "<b>bold</b>", "a" * 5000, LONG_NAME)
JSON_SCRAPS = ("[]", "1", "null", '"x"', "{", "{}", "[1, 2", '{"training.learning_rate": {"low": -1, "high": 1}}',
               '{"no.such.setting": {"choices": [1]}}', '{"regularization.dropout": {"choices": []}}',
               '{"regularization.dropout": {"low": 0.1, "high": 0.2}}')
# Values that would download (a Keras dataset, ImageNet weights): the fuzz never picks them.
DOWNLOADS = ("mnist", "fashion_mnist", "cifar10", "cifar100")


def short(value, width: int = 70) -> str:
    """``value`` as the log shows it: its repr, cut with its length when it is long."""
    text = repr(value)
    return text if len(text) <= width else f"{text[:width - 20]}...({len(str(value))} chars)"


class Draw(random.Random):
    """Seeded draws that each take one number from the stream, whatever the number of choices:
    when the window's state (a run still training, a table's rows) changes what there is to
    choose from, the rest of the seed's actions stay the same."""

    def chance(self, p: float) -> bool:
        return self.random() < p

    def choose(self, items):
        items = list(items)
        return items[int(self.random() * len(items))] if items else None

    def integer(self, lo: int, hi: int) -> int:
        return min(hi, lo + int(self.random() * (hi - lo + 1)))


class Vocabulary:
    """The bad inputs: words, JSON scraps, and files and folders made under ``root``."""

    def __init__(self, root: Path):
        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        (root / "empty.png").write_bytes(b"")
        (root / "text.png").write_text("this is not an image\n")
        (root / "truncated.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
        (root / "model.keras").write_bytes(b"PK\x03\x04 not a zip at all")
        (root / "list.json").write_text("[]")
        (root / "broken.json").write_text("{")
        (root / "null.json").write_text("null")
        (root / ("l" * 250 + ".png")).write_text("a long name, no image")
        good = root / "é漢字 three.png"  # a real image, with a non-ASCII name
        Image.fromarray(np.random.default_rng(0).integers(0, 255, (32, 32), dtype=np.uint8), mode="L").save(good)
        (root / "empty_folder").mkdir(exist_ok=True)
        for name in ("cats", "dogs"):  # an image folder whose images are not images
            (root / "bad_images" / name).mkdir(parents=True, exist_ok=True)
            (root / "bad_images" / name / "a.png").write_text("no")
        (root / "one_class" / "only").mkdir(parents=True, exist_ok=True)
        Image.open(good).save(root / "one_class" / "only" / "a.png")
        self.files = sorted(p for p in root.iterdir() if p.is_file())
        self.folders = [root / "empty_folder", root / "bad_images", root / "one_class"]
        self.missing = [root / "missing.png", root / LONG_NAME, root / LONG_NAME / "a.png"]
        self.paths = [str(p) for p in (*self.files, *self.folders, *self.missing)]

    def text(self, rng: Draw, json_first: bool = False) -> str:
        pools = (JSON_SCRAPS, WORDS, self.paths)
        pool = JSON_SCRAPS if json_first and rng.chance(0.6) else rng.choose(pools)
        return rng.choose(pool)

    def save_path(self, rng: Draw) -> str:
        """A name to save under (in a folder that does not exist, the dialog keeps its own, the test's)."""
        name = rng.choose(("saved.json", "é漢字.csv", LONG_NAME + ".json", "no_folder/x.json"))
        return str(self.root / "saved" / name) if not name.startswith("no_folder") else str(self.root / name)


def type_text(widget: QWidget, text: str) -> None:
    """Key presses that type ``text`` (QTest.keyClicks asserts on characters beyond Latin-1)."""
    for char in text:
        for kind in (QEvent.KeyPress, QEvent.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, Qt.Key_unknown, Qt.NoModifier, char))



def limits(w) -> tuple[dict, dict, set]:
    """What the fuzz may set where a value is expensive, in window ``w``: each Train, preview and
    summary it causes must stay a fraction of a second of work, so the test fits its minute on two
    cores. (widget -> the values it may take, combo box -> the items it may show, widgets left alone)"""
    from gui.forms.finetune_form import FILE, RUN

    panel, data, training = w.panel, w.panel.data_form, w.panel.training_form
    caps = {  # widget -> the values it may be set to
        training.epochs: [1, 2],  # an epoch is a pass over the data; Train may be clicked often
        data.image_size: [data.image_size.minimum(), *range(8, 49)],  # costs grow with its square
        data.max_samples: list(range(20, 301)),  # never "all images"
        data.samples: list(range(data.samples.minimum(), 401)),  # shapes drawn per class
        panel.finetune_form.head_epochs: [0, 1],
        w.search.trials: [1, 2], w.search.trial_epochs: [1],  # a search trains trials x epochs
        w.stats.count: list(range(2, 65)),  # images the statistics run the model on
    }
    allowed = {  # combo -> the items it may be set to
        panel.model_form.arch: ["simple_cnn"],  # the others build for seconds, and the summary rebuilds
        data.dataset: ["digits", "shapes", "glyphs"],
        panel.finetune_form.kind: [RUN, FILE],  # ImageNet weights would download
        training.mixed_precision: ["off"],  # float16 on a CPU is emulated: seconds per batch
    }
    # XLA compiles each step on the CPU (seconds per Train); the learning-rate finder trains 60
    # batches (tests/gui/forms/test_data_training_forms.py drives it).
    denied = {training.xla, training.lr_finder_button}
    return caps, allowed, denied


class Answerer:
    """Answers each modal dialog as it opens (a question: a random button; a file dialog: a bad
    file of the vocabulary, or Cancel; another dialog: OK or Cancel), the answer drawn from the
    seed, the action and the dialogs answered in it. Its text is checked like the window's."""

    def __init__(self, fuzzer):
        self.fuzzer = fuzzer
        self._answers: dict[int, int] = {}  # action -> dialogs answered in it
        self._answering: set[QWidget] = set()  # an answer is on its way
        self._answered: set[QWidget] = set()  # answered once (a second time: cancelled)
        self.timer = QTimer()
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.timer.start(30)

    def stop(self) -> None:
        self.timer.stop()

    def _log(self, text: str) -> None:
        self.fuzzer.log.append((self.fuzzer.step, f"  {text}"))

    def _tick(self) -> None:
        """The timer's tick: answer the modal dialog on top from the event loop, not from here (an
        answer can open another dialog, a question about overwriting a file, which this timer,
        still inside its tick, could never answer)."""
        dialog = QApplication.activeModalWidget()
        if dialog is None or dialog in self._answering:
            return
        self._answering.add(dialog)
        QTimer.singleShot(0, lambda: self._answer(dialog))

    def _answer(self, dialog: QWidget) -> None:
        if not shiboken6.isValid(dialog) or not dialog.isVisible():
            return
        if dialog in self._answered:  # it refused the answer (a bad path): cancel it
            self._log(f"cancel {type(dialog).__name__} (still open)")
            dialog.reject() if isinstance(dialog, QDialog) else dialog.close()
            return
        self._answered.add(dialog)
        self._answering.discard(dialog)
        step = self.fuzzer.step
        self._answers[step] = self._answers.get(step, 0) + 1
        rng = Draw(f"{self.fuzzer.seed}:{step}:{self._answers[step]}")
        if isinstance(dialog, QMessageBox):
            text = "\n".join(filter(None, (dialog.text(), dialog.informativeText(), dialog.detailedText())))
            if UNEXPECTED in text.lower() or "Traceback" in text:
                self.fuzzer.watch.add("shown in a message box", text)
            button = rng.choose(dialog.buttons())
            self._log(f"answer {short(dialog.text(), 60)} with {button.text()!r}")
            button.click()
        elif isinstance(dialog, QFileDialog):
            self._answer_file_dialog(dialog, rng)
        elif isinstance(dialog, QDialog):
            accept = rng.chance(0.3)
            self._log(f"{'accept' if accept else 'reject'} {type(dialog).__name__}")
            dialog.accept() if accept else dialog.reject()
        else:
            self._log(f"close modal {type(dialog).__name__}")
            dialog.close()

    def _answer_file_dialog(self, dialog: QFileDialog, rng: Draw) -> None:
        if rng.chance(0.25):
            self._log(f"cancel file dialog {dialog.windowTitle()!r}")
            dialog.reject()
            return
        if dialog.acceptMode() == QFileDialog.AcceptSave:
            path = self.fuzzer.vocab.save_path(rng)
        elif dialog.fileMode() == QFileDialog.Directory:
            path = str(rng.choose(self.fuzzer.vocab.folders))
        else:
            path = str(rng.choose(self.fuzzer.vocab.files))
        self._log(f"file dialog {dialog.windowTitle()!r} -> {short(path)}")
        dialog.selectFile(path)
        dialog.accept()
