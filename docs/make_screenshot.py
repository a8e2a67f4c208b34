"""Drive the real window for the README screenshots.

Train briefly, then classify:
    ../shared/tools/window-shot docs/screenshot.png 75 -- .venv/bin/python docs/make_screenshot.py
The summary of an architecture at its paper input:
    ../shared/tools/window-shot docs/summary.png 40 -- .venv/bin/python docs/make_screenshot.py googlenet
"""

import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtWidgets import QApplication
from sklearn.datasets import load_digits

from gui.main_window import MainWindow
from netlab.config import Experiment

app = QApplication(sys.argv)
window = MainWindow()
window.show()

exp = Experiment()
exp.training.epochs = 6
exp.data.max_samples = 900

digits = load_digits()
sample = Path(tempfile.mkdtemp()) / "seven.png"
Image.fromarray((digits.images[7] * 255 / 16).astype(np.uint8)).resize((32, 32)).save(sample)


def train():
    window.panel.set_experiment(exp)
    window.train_button.click()


def show_summary(arch):
    from gui.views.summary import PAPER_INPUT

    window.panel.model_form.arch.setCurrentText(arch)
    window.summary.input_choice.setCurrentText(PAPER_INPUT)
    window.tabs.setCurrentWidget(window.summary)


if len(sys.argv) > 1:
    window.core_loaded.connect(lambda: show_summary(sys.argv[1]))
else:
    window.core_loaded.connect(train)
window.training_finished.connect(lambda result: window.classifier.classify(str(sample)))
window.start_loading()
sys.exit(app.exec())
