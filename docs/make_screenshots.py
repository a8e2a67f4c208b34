"""Drive the real window and save every screenshot of the docs (the window grabs itself).

One session: train the small CNN briefly on digits, classify a seven, then show each tab
that has something to show and save the window:

    .venv/bin/python docs/make_screenshots.py              # -> docs/*.png (the committed ones)
    .venv/bin/python docs/make_screenshots.py OUT --fast   # one epoch on 150 images, into OUT

Without a display: QT_QPA_PLATFORM=offscreen. The runs it trains go to a temporary folder
(NETLAB_RUNS), never to the user's runs.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication
from sklearn.datasets import load_digits

from gui.app import leave
from gui.main_window import MainWindow
from netlab.config import Experiment
from netlab.resources import samples_folder

# Each shot: its file name (docs/NAME.png) and what it shows, in the order they are taken.
SHOTS = {
    "screenshot": "the window after a short training on digits, a seven classified",
    "classify": "the Classify tab: the sample digits, a table of thumbnails and their top 3",
    "evaluate": "the Evaluate tab: confusion matrix, per-class scores, the surest mistakes",
    "inspect": "the Inspect tab: the channels of the second convolution for the seven",
    "inspect-filters": "the Inspect tab's Filters page: the second convolution's kernels",
    "inspect-gradcam": "the Inspect tab's Grad-CAM page: where the evidence for the seven lies",
    "statistics": "the Statistics tab: batch norm's moving statistics against a batch's",
    "graph": "the Graph tab: the network's layers and tensors, coloured by each layer's gradient norm",
    "health": "the Health tab: the dead units of each activation layer over the run",
}
# After a view's ready signal, the plots redraw on a timer: a moment before the grab (less in --fast,
# whose images are only checked for being drawn).
REPAINT_MS = {False: 600, True: 150}


def experiment(fast: bool) -> Experiment:
    exp = Experiment()
    exp.training.epochs = 1 if fast else 6
    exp.data.max_samples = 150 if fast else 900
    # Keras's own BN momentum, 0.99, for a few epochs: the moving statistics still trail the
    # weights, so the Statistics tab shows the two modes disagreeing.
    exp.regularization.bn_momentum = 0.99
    return exp


def seven(folder: Path) -> str:
    """A handwritten seven from scikit-learn's digits, as a 32x32 PNG."""
    path = folder / "seven.png"
    image = (load_digits().images[7] * 255 / 16).astype(np.uint8)
    Image.fromarray(image).resize((32, 32)).save(path)
    return str(path)


class Session:
    """The shots as a chain: each step connects to the signal that says its view is drawn, then
    acts; the signal grabs the window and starts the next step."""

    def __init__(self, window, out: Path, fast: bool, image: str):
        self.window, self.out, self.fast, self.image = window, out, fast, image
        self.saved: list[Path] = []
        self.failed = False
        self.steps = [self.main_window, self.classify, self.evaluate, self.inspect_maps,
                      self.inspect_filters, self.inspect_cam, self.statistics, self.graph, self.health]

    def start(self) -> None:
        self.window.error_shown.connect(self.fail)
        self.window.core_loaded.connect(self.train, Qt.SingleShotConnection)
        self.window.start_loading()

    def train(self) -> None:
        self.window.panel.set_experiment(experiment(self.fast))
        self.window.training_finished.connect(lambda result: self.next(), Qt.SingleShotConnection)
        self.window.train_button.click()

    def next(self) -> None:
        if self.steps:
            self.steps.pop(0)()
        else:
            self.window.close()  # as a person closes it: the jobs still running are asked to stop

    def when(self, signal, name: str, before_grab=None) -> None:
        """On ``signal`` (once): ``before_grab()``, a moment to repaint, save NAME.png, the next step."""
        def ready(*_):
            if before_grab is not None:
                before_grab()
            QTimer.singleShot(REPAINT_MS[self.fast], lambda: self.grab(name))
        signal.connect(ready, Qt.SingleShotConnection)

    def grab(self, name: str) -> None:
        path = self.out / f"{name}.png"
        if not self.window.grab().save(str(path)):
            self.fail(f"could not write {path}")
            return
        self.saved.append(path)
        print(path, flush=True)
        self.next()

    def fail(self, text: str) -> None:
        print(f"make_screenshots: the window showed an error: {text}", file=sys.stderr, flush=True)
        self.failed = True
        self.window.close()

    # -- the steps, in SHOTS's order ----------------------------------------------------
    def main_window(self) -> None:
        self.window.tabs.setCurrentWidget(self.window.curves)
        self.when(self.window.classify.classified, "screenshot")
        self.window.classify.classify_image(self.image)  # the Inspect tab follows this image

    def classify(self) -> None:
        view = self.window.classify
        self.window.tabs.setCurrentWidget(view)
        self.when(view.finished, "classify")
        view.classify_paths([str(samples_folder("digits"))])

    def evaluate(self) -> None:
        self.when(self.window.evaluation.evaluated, "evaluate")
        self.window.tabs.setCurrentWidget(self.window.evaluation)  # it evaluates once shown

    def inspect_maps(self) -> None:
        inspect = self.window.inspect

        def second_convolution():
            convolutions = inspect.structure.convolutions
            inspect.select_layer(convolutions[min(1, len(convolutions) - 1)])
            inspect.sort.setCurrentIndex(1)  # by mean activation

        self.when(inspect.maps_ready, "inspect", second_convolution)
        self.window.tabs.setCurrentWidget(inspect)  # it computes the seven's maps once shown

    def inspect_filters(self) -> None:
        self.when(self.window.inspect.kernels_ready, "inspect-filters")
        self.window.inspect.tabs.setCurrentIndex(1)

    def inspect_cam(self) -> None:
        self.when(self.window.inspect.cam_ready, "inspect-gradcam")
        self.window.inspect.tabs.setCurrentIndex(2)

    def statistics(self) -> None:
        self.when(self.window.stats.bn.rendered, "statistics")
        self.window.tabs.setCurrentWidget(self.window.stats)  # the run's training images, once shown


    def graph(self) -> None:
        view = self.window.graph_view

        def colour_by_gradients():
            view.colour_by.setCurrentIndex(max(0, view.colour_by.findData("gradient_norm")))
            view.canvas.show_top()
            view.canvas.select("block1_conv1_conv", centre=False)  # its formulas below the graph

        self.when(view.drawn, "graph", colour_by_gradients)
        self.window.tabs.setCurrentWidget(view)  # it reads the graph once shown

    def health(self) -> None:
        view = self.window.health
        view.combo.setCurrentIndex(max(0, view.combo.findData("dead_fraction")))
        self.window.tabs.setCurrentWidget(view)  # drawn from the run's measurements as it is shown
        QTimer.singleShot(2 * REPAINT_MS[self.fast], lambda: self.grab("health"))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", nargs="?", default=str(Path(__file__).parent),
                        help="folder for the PNGs (default: docs/)")
    parser.add_argument("--fast", action="store_true", help="one epoch on 150 images (the test's)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="netlab-shots-"))
    os.environ.setdefault("NETLAB_RUNS", str(scratch / "runs"))
    os.environ.setdefault("NETLAB_SETTINGS", str(scratch / "settings.ini"))

    app = QApplication(sys.argv[:1])
    window = MainWindow()
    window.resize(1600, 1000)
    window.show()
    session = Session(window, out, args.fast, seven(scratch))
    session.start()
    code = app.exec() or session.failed
    missing = [name for name in SHOTS if out / f"{name}.png" not in session.saved]
    if not code and missing:
        print(f"make_screenshots: not taken: {', '.join(missing)}", file=sys.stderr)
    # A job still running (the summary's, a tab's) would abort Python's own teardown: leave() gives
    # them a second to see their stop flag, then ends the process as the window's own exit does.
    leave(int(bool(code or missing)))


if __name__ == "__main__":
    main()
