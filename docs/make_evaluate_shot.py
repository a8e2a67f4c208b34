"""Drive the real window and save the Evaluate tab's screenshot (the window grabs itself).

Open a trained run (e.g. `netlab train --dataset digits --epochs 6 --max-samples 900 --out runs/digits`),
let the Evaluate tab evaluate it on the run's held-out images, and save the window:
    .venv/bin/python docs/make_evaluate_shot.py runs/digits              # -> docs/evaluate.png
    .venv/bin/python docs/make_evaluate_shot.py runs/digits --classify IMAGES/ out.png   # the Classify tab
Set QT_QPA_PLATFORM=offscreen to do it without a display.
"""

import argparse
import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from gui.main_window import MainWindow

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("run", help="a NetLab run folder")
parser.add_argument("out", nargs="?", default=str(Path(__file__).with_name("evaluate.png")))
parser.add_argument("--classify", help="instead: classify this folder in the Classify tab")
args = parser.parse_args()

app = QApplication(sys.argv[:1])
window = MainWindow()
window.show()


def save_and_quit(*_):
    QTimer.singleShot(800, lambda: (window.grab().save(args.out), print(args.out), app.quit()))


def model_opened(*_):
    if args.classify:
        window.classify.finished.connect(save_and_quit)
        window.tabs.setCurrentWidget(window.classify)
        window.classify.tta.setCurrentIndex(window.classify.tta.findData("flip"))
        window.classify.classify_paths([args.classify])
    else:
        window.evaluation.evaluated.connect(save_and_quit)
        window.tabs.setCurrentWidget(window.evaluation)


window.model_changed.connect(lambda *_: QTimer.singleShot(0, model_opened))
window.core_loaded.connect(lambda: window.classifier.open_model(str(Path(args.run) / "model.keras")))
window.start_loading()
sys.exit(app.exec())
