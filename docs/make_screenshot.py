"""Drive the real window and save the README's screenshot (the window grabs itself).

Train briefly, then classify a digit, and save the window:
    .venv/bin/python docs/make_screenshot.py                    # -> docs/screenshot.png
The summary of an architecture at its paper input instead:
    .venv/bin/python docs/make_screenshot.py --arch googlenet googlenet-summary.png
The Inspect tab (a short training on shapes, then a triangle classified):
    .venv/bin/python docs/make_screenshot.py --inspect maps docs/inspect.png   # or filters, gradcam
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
parser.add_argument("--inspect", choices=["maps", "filters", "gradcam"],
                    help="train on shapes, classify a triangle and show this part of the Inspect tab")
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
    from gui.views.summary import PAPER_INPUT

    window.summary.updated.connect(lambda _sizes: save_and_quit())
    window.panel.model_form.arch.setCurrentText(arch)
    window.summary.input_choice.setCurrentText(PAPER_INPUT)
    window.tabs.setCurrentWidget(window.summary)


def inspect_shapes(part):
    from netlab.data.sources import draw_shape

    exp.data.dataset, exp.data.image_size, exp.data.samples, exp.data.max_samples = "shapes", 64, 1200, None
    exp.training.epochs = 5
    triangle = Path(tempfile.mkdtemp()) / "triangle.png"
    Image.fromarray(draw_shape("triangle", 64, np.random.default_rng(7)).astype(np.uint8)).save(triangle)
    window.resize(1600, 1000)
    inspect = window.inspect

    def maps_in():
        convolutions = inspect.structure.convolutions
        # The first convolution's kernels are RGB tiles; the second's maps are less literal.
        inspect.select_layer(convolutions[0 if part == "filters" else min(1, len(convolutions) - 1)])
        inspect.sort.setCurrentIndex(1)  # by mean activation
        if part == "maps":
            save_and_quit()
        else:
            done = inspect.kernels_ready if part == "filters" else inspect.cam_ready
            done.connect(save_and_quit)
            inspect.tabs.setCurrentIndex(1 if part == "filters" else 2)

    def trained(_result):
        window.tabs.setCurrentWidget(inspect)
        window.classifier.classify(str(triangle))

    inspect.maps_ready.connect(maps_in)
    window.training_finished.connect(trained)
    window.core_loaded.connect(train)


if args.arch:
    window.core_loaded.connect(lambda: show_summary(args.arch))
elif args.inspect:
    inspect_shapes(args.inspect)
else:
    window.core_loaded.connect(train)
    window.training_finished.connect(lambda result: window.classifier.classify(str(sample)))
    window.classifier.classified.connect(lambda _predictions: save_and_quit())
window.start_loading()
sys.exit(app.exec())
