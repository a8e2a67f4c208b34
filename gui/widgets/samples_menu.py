"""Help > Sample images: a few images per built-in dataset (resources/samples) to try a model on.

Each dataset's images can be classified in the Classify tab in one click
(``classify_requested`` carries their folder), and the folder opens in the
system's file manager, to drag single images onto the window (the Classify tab shows them large).
"""

from __future__ import annotations

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMenu

from netlab.resources import sample_datasets, sample_images, samples_folder


class SamplesMenu(QMenu):
    classify_requested = Signal(list)  # [a dataset's samples folder]

    def __init__(self, parent=None):
        super().__init__("&Sample images", parent)
        for dataset in sample_datasets():
            count = len(sample_images(dataset))
            action = self.addAction(f"Classify the {count} {dataset} samples")
            action.setToolTip(f"In the Classify tab, with the current model: {samples_folder(dataset)}")
            action.triggered.connect(lambda _=False, d=dataset: self.classify_requested.emit([str(samples_folder(d))]))
        self.addSeparator()
        folder = self.addAction("Open the sample images folder")
        folder.setToolTip("Drag an image from it onto the window: the Classify tab shows it large")
        folder.triggered.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(samples_folder()))))
