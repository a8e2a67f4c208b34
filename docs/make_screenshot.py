"""Drive the real window and save the README's screenshot (the window grabs itself).

Train briefly, then classify a digit, and save the window:
    .venv/bin/python docs/make_screenshot.py                    # -> docs/screenshot.png
The summary of an architecture at its paper input instead:
    .venv/bin/python docs/make_screenshot.py --arch googlenet googlenet-summary.png
The Statistics tab (batch norm) after the short training:
    .venv/bin/python docs/make_screenshot.py --statistics docs/statistics.png
The Inspect tab (the same training, then the seven classified), its
feature maps, filters (inspect-filters.png) and Grad-CAM (inspect-gradcam.png):
    .venv/bin/python docs/make_screenshot.py --inspect docs/inspect.png
Set QT_QPA_PLATFORM=offscreen to do it without a display.
"""

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from sklearn.datasets import load_digits

from gui.main_window import MainWindow
from netlab.config import Experiment

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("out", nargs="?", default=str(Path(__file__).with_name("screenshot.png")))
parser.add_argument("--arch", help="show this architecture's summary instead of training")
parser.add_argument("--statistics", action="store_true", help="show the Statistics tab after training")
parser.add_argument("--recompute", action="store_true", help="with --statistics: after recomputing BN statistics")
parser.add_argument("--inspect", action="store_true",
                    help="train, classify a seven and save the Inspect tab's views")
args = parser.parse_args()

app = QApplication(sys.argv[:1])
window = MainWindow()
window.show()

exp = Experiment()
exp.training.epochs = 6
exp.data.max_samples = 900

digits = load_digits()
sample = Path(tempfile.mkdtemp()) / "seven.png"
Image.fromarray((digits.images[7] * 255 / 16).astype(np.uint8)).resize((32, 32)).save(sample)


def save_and_quit():
    # A moment for the last repaint (curves redraw on a timer).
    QTimer.singleShot(500, lambda: (window.grab().save(args.out), print(args.out), app.quit()))


def train():
    window.panel.set_experiment(exp)
    window.train_button.click()


def show_summary(arch):
    from gui.tabs.summary import PAPER_INPUT

    window.summary.updated.connect(lambda _sizes: save_and_quit())
    window.panel.model_form.arch.setCurrentText(arch)
    window.summary.input_choice.setCurrentText(PAPER_INPUT)
    window.tabs.setCurrentWidget(window.summary)


def show_statistics():
    """The BN page on the run's training images (optionally after "Recompute BN statistics")."""
    page = window.stats.bn
    renders = []

    def rendered():
        renders.append(1)
        if args.recompute and len(renders) == 1:
            page.recompute_button.click()
        elif len(renders) == 1 + args.recompute:
            QTimer.singleShot(1500, save_and_quit)

    page.rendered.connect(rendered)
    window.tabs.setCurrentWidget(window.stats)


def inspect_digit(out):
    """Train on digits, classify a seven; save the Inspect tab's feature maps as ``out``,
    then its filters and Grad-CAM beside it (``-filters.png``, ``-gradcam.png``)."""
    window.resize(1600, 1000)
    inspect = window.inspect
    stem = str(Path(out).with_suffix(""))

    def grab(path, then):
        QTimer.singleShot(500, lambda: (window.grab().save(path), print(path), then()))

    def maps_in():
        convolutions = inspect.structure.convolutions
        inspect.select_layer(convolutions[min(1, len(convolutions) - 1)])
        inspect.sort.setCurrentIndex(1)  # by mean activation
        grab(out, show_filters)

    def show_filters():
        inspect.kernels_ready.connect(lambda: grab(f"{stem}-filters.png", show_cam))
        inspect.select_layer(inspect.structure.convolutions[1])  # a row per kernel, a column per input
        inspect.tabs.setCurrentIndex(1)

    def show_cam():
        inspect.cam_ready.connect(lambda: grab(f"{stem}-gradcam.png", app.quit))
        inspect.tabs.setCurrentIndex(2)

    def trained(_result):
        window.tabs.setCurrentWidget(inspect)
        window.classifier.classify(str(sample))

    inspect.maps_ready.connect(maps_in)
    window.training_finished.connect(trained)
    window.core_loaded.connect(train)


if args.arch:
    window.core_loaded.connect(lambda: show_summary(args.arch))
elif args.statistics:
    # Keras's own BN momentum, 0.99, for a few epochs: the moving statistics still
    # trail the weights, so the two modes disagree until they are recomputed.
    exp.regularization.bn_momentum = 0.99
    exp.training.epochs = 3
    window.core_loaded.connect(train)
    window.training_finished.connect(lambda result: show_statistics())
elif args.inspect:
    inspect_digit(args.out)
else:
    window.core_loaded.connect(train)
    window.training_finished.connect(lambda result: window.classifier.classify(str(sample)))
    window.classifier.classified.connect(lambda _predictions: save_and_quit())
window.start_loading()
sys.exit(app.exec())
