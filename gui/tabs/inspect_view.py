"""The Inspect tab: a layer tree, and for one image its feature maps, the kernels
and Grad-CAM (Selvaraju et al. 2017).

It follows the window's current model (``gui.state.CurrentModel``).
ONE forward pass in a worker gives every layer's output for the image (the
core's multi-output model, built once per model); the view keeps those
arrays (``maps``), so choosing another layer, with the mouse or the Up/Down
keys in the tree, only redraws from them. A layer's channels are composed in
numpy into one image (``image_grid.layer_grid``), drawn by one ImageItem.
The kernels and Grad-CAM are computed in workers too, when their tab is
shown. While the tab is hidden only a new model's layer tree is read: the
image's pass, the kernels and Grad-CAM wait until the tab is looked at.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTabWidget,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from gui.state import CurrentModel
from gui.tabs.classifier import IMAGE_FILTER
from gui.tabs.inspect_jobs import (
    ImageSource,
    all_maps,
    grad_cam,
    has_vector_output,
    input_image,
    kernels,
    layer_structure,
)
from gui.widgets.drops import accept_files, dropped_paths
from gui.widgets.image_grid import SORTS, ImagePanel, grid_lut, layer_grid
from gui.workers import LatestJob
from netlab.predict.model import class_names_for

# netlab.inspect.layers (Keras work) is imported where used: the window shows before it loads.

NAME_ROLE = Qt.UserRole + 1
PREDICTED = "predicted class"
DEFAULT_CAM_LAYER, SELECTED_CAM_LAYER = "the last maps (default)", "the selected layer"


def _shape_text(shape) -> str:
    return "x".join("?" if s is None else str(s) for s in shape)


class InspectView(QWidget):
    layer_changed = Signal(str)
    maps_ready = Signal()  # every layer's output for the current image is in ``maps``
    kernels_ready = Signal()
    cam_ready = Signal()
    failed = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.model = self.class_names = None
        self.structure = None  # inspect_jobs.Structure of the current model
        self.source: ImageSource | None = None
        self.maps = None  # inspect_jobs.Maps: the cache every layer is drawn from
        self.forward_passes = 0  # maps computed (one pass each): switching layers adds none
        self.layer: str | None = None
        self.grid = None  # image_grid.Grid of the drawn layer (for the hover text)
        self.cam = None
        self._lut = None
        self._items: dict[str, QStandardItem] = {}
        self._wanted: dict[str, object] = {}  # what each tab should show, once visible
        self._shown: dict[str, object] = {}
        self._jobs = {
            "structure": LatestJob(self, 0, self._structure_ready, self._fail),
            "maps": LatestJob(self, 0, self._maps_ready, self._maps_failed,
                              on_start=lambda: self._busy("computing every layer's output...")),
            "kernels": LatestJob(self, 0, self._kernels_ready, self._fail),
            "cam": LatestJob(self, 0, self._cam_ready, self._fail,
                             on_start=lambda: self._busy("computing Grad-CAM...")),
        }
        self._build()

    # -- layout ------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.open_button = QPushButton("Open image...")
        self.open_button.clicked.connect(self._choose_image)
        top.addWidget(self.open_button)
        self.source_label = QLabel("No model yet: train one or open a .keras file.")
        top.addWidget(self.source_label, 1)
        self.state = QLabel("")
        top.addWidget(self.state)
        layout.addLayout(top)

        self.tree_model = QStandardItemModel(0, 3, self)
        self.tree_model.setHorizontalHeaderLabels(["layer", "type", "output"])
        self.tree = QTreeView()
        self.tree.setModel(self.tree_model)
        self.tree.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.tree.setUniformRowHeights(True)
        self.tree.selectionModel().currentChanged.connect(self._current_changed)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._maps_tab(), "Feature maps")
        self.tabs.addTab(self._filters_tab(), "Filters")
        self.tabs.addTab(self._cam_tab(), "Grad-CAM")
        self.tabs.currentChanged.connect(lambda _: self._refresh())
        splitter = QSplitter(Qt.Horizontal)
        splitter.addWidget(self.tree)
        splitter.addWidget(self.tabs)
        splitter.setSizes([360, 640])
        splitter.setStretchFactor(1, 1)
        layout.addWidget(splitter, 1)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b00020;")
        layout.addWidget(self.message)

    def _maps_tab(self) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        row = QHBoxLayout()
        row.addWidget(QLabel("Channels in"))
        self.sort = QComboBox()
        self.sort.addItems(list(SORTS))
        self.sort.currentIndexChanged.connect(lambda _: self.draw_maps())
        row.addWidget(self.sort)
        self.maps_text = QLabel("")
        row.addWidget(self.maps_text, 1)
        layout.addLayout(row)
        self.maps_panel = ImagePanel(["input", "feature maps"], stretch=[1, 3],
                                     placeholder="Drop an image here (or Open image...)")
        self.maps_panel.hovered.connect(self._hovered)
        layout.addWidget(self.maps_panel, 1)
        row = QHBoxLayout()
        self.prediction = QLabel("")
        row.addWidget(self.prediction)
        self.hover = QLabel("")
        self.hover.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        row.addWidget(self.hover, 1)
        layout.addLayout(row)
        return tab

    def _filters_tab(self) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        self.kernels_text = QLabel("The kernels of the selected convolution (else of the first).")
        self.kernels_text.setWordWrap(True)
        layout.addWidget(self.kernels_text)
        self.kernels_panel = ImagePanel(["kernels"], placeholder="No convolution yet")
        layout.addWidget(self.kernels_panel, 1)
        return tab

    def _cam_tab(self) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        row = QHBoxLayout()
        row.addWidget(QLabel("Class"))
        self.cam_class = QComboBox()
        self.cam_class.currentIndexChanged.connect(lambda _: self._refresh())
        row.addWidget(self.cam_class)
        row.addWidget(QLabel("at"))
        self.cam_layer = QComboBox()
        self.cam_layer.addItems([DEFAULT_CAM_LAYER, SELECTED_CAM_LAYER])
        self.cam_layer.setToolTip("The default is the last layer with maps larger than 1x1")
        self.cam_layer.currentIndexChanged.connect(lambda _: self._refresh())
        row.addWidget(self.cam_layer)
        row.addStretch(1)
        layout.addLayout(row)
        self.cam_text = QLabel("")
        self.cam_text.setWordWrap(True)
        layout.addWidget(self.cam_text)
        self.cam_panel = ImagePanel(["input", "Grad-CAM"], placeholder="Drop an image here (or Open image...)")
        layout.addWidget(self.cam_panel, 1)
        return tab

    # -- public slots --------------------------------------------------------------
    def set_model(self, current: CurrentModel) -> None:
        """Follow the window's current model."""
        self.model, self.structure, self.maps, self.cam, self.grid = current.model, None, None, None, None
        self.class_names = class_names_for(self.model, current.class_names) if has_vector_output(self.model) else []
        self.source_label.setText(f"Model: {current.source}")
        for label in (self.message, self.prediction, self.maps_text, self.hover, self.cam_text):
            label.setText("")
        self.tree_model.removeRows(0, self.tree_model.rowCount())
        self._items = {}
        self._shown = {}
        for panel in (self.maps_panel, self.kernels_panel, self.cam_panel):
            panel.clear()
        self.cam_class.blockSignals(True)
        self.cam_class.clear()
        self.cam_class.addItems([PREDICTED] + list(self.class_names))
        self.cam_class.blockSignals(False)
        self._busy("reading the layers...")
        self._jobs["structure"].request(layer_structure, self.model)

    def show_image(self, image) -> None:
        """Inspect an image (a path, a PIL image, or pixels in [0, 255]): every layer's output
        for it, in one pass."""
        self.source = ImageSource.of(image)
        self.message.setText("")
        if self.model is None:
            self.message.setText("No model to inspect with: train one or open a .keras model file first.")
            return
        self._refresh()

    def select_layer(self, name: str) -> None:
        """Show layer ``name`` (nested ones as ``outer/inner``), from the cache when the image's maps are in."""
        item = self._items.get(name)
        if item is None:
            if self.structure is None:  # the tree is still being read: chosen when it is in
                self.layer = name
                return
            self._fail(f"the model has no layer {name!r}")
            return
        self.tree.selectionModel().setCurrentIndex(
            item.index(), QItemSelectionModel.ClearAndSelect | QItemSelectionModel.Rows)

    def layer_names(self) -> list[str]:
        """The tree's layers in the order Up/Down steps through them."""
        return list(self._items)

    # -- results -------------------------------------------------------------------
    def _structure_ready(self, structure) -> None:
        if structure.model is not self.model:
            return
        self.structure = structure
        self._fill_tree(structure.tree)
        self._done()
        keep = self.layer if self.layer in self._items else None
        default = keep or next(iter(structure.convolutions), None) or next(iter(self._items), None)
        if default is not None:
            self.select_layer(default)
        self._refresh()

    def _fill_tree(self, nodes, parent=None) -> None:
        parent = parent or self.tree_model.invisibleRootItem()
        for node in nodes:
            info = node.info
            short = info.name.rsplit("/", 1)[-1]
            row = [QStandardItem(short), QStandardItem(info.class_name),
                   QStandardItem(_shape_text(info.output_shape))]
            row[0].setData(info.name, NAME_ROLE)
            row[0].setToolTip(info.name)
            parent.appendRow(row)
            self._items[info.name] = row[0]
            self._fill_tree(node.children, row[0])
        if parent is self.tree_model.invisibleRootItem():
            self.tree.expandAll()  # Up/Down then walks every layer, nested ones too
            for column in range(3):
                self.tree.resizeColumnToContents(column)

    def _maps_ready(self, maps) -> None:
        if maps.model is not self.model or maps.source is not self.source:
            return
        self.maps = maps
        self.forward_passes += 1
        self._shown["maps"] = (maps.model, maps.source)
        self._done()
        height, width = maps.input.shape[:2]
        self.maps_panel.set_image(0, input_image(maps.input), f"{maps.source.name} ({width}x{height})")
        if maps.predicted is not None and self.class_names:
            p = maps.probabilities[maps.predicted]
            self.prediction.setText(f"Predicted: {self.class_names[maps.predicted]} ({p:.1%})")
        self.draw_maps()
        self.maps_ready.emit()
        self._refresh()

    def draw_maps(self) -> None:
        """Draw the selected layer's channels from the cache (no computation in Keras)."""
        if self.maps is None or self.layer not in self.maps.outputs:
            return
        from netlab.inspect.layers import channel_order

        output = self.maps.outputs[self.layer]
        by = SORTS[self.sort.currentText()]
        order = channel_order(output if output.ndim > 1 else output[None], by=by) if by else None
        if self._lut is None:
            self._lut = grid_lut()
        try:
            image, self.grid = layer_grid(output, order)
        except ValueError as exc:
            self._fail(f"{self.layer}: {exc}")
            return
        self.maps_panel.set_image(1, image, self.layer, lut=self._lut)
        self.maps_text.setText(f"{output.shape[-1]} channels of {_shape_text(output.shape[:-1]) or '1'}"
                               + (" (a pixel each, scaled together)" if output.ndim == 1 else ""))

    def _kernels_ready(self, result) -> None:
        self._shown["kernels"] = self._wanted.get("kernels")
        self.kernels_panel.set_image(0, result.image, result.layer)
        self.kernels_text.setText(result.text)
        self.kernels_ready.emit()

    def _cam_ready(self, cam) -> None:
        self._shown["cam"] = self._wanted.get("cam")
        self.cam = cam
        self._done()
        maps = self._shown["cam"][0]  # the image the Grad-CAM was asked for
        self.cam_panel.set_image(0, input_image(maps.input), "input")
        name = self.class_names[cam.class_index] if cam.class_index < len(self.class_names) else cam.class_index
        self.cam_panel.set_image(1, cam.overlay, f"Grad-CAM: {name} at {cam.layer}")
        self.cam_text.setText(f"{name} at {cam.layer}: logit {cam.logit:.3f}, from {cam.logits_from}")
        self.cam_ready.emit()

    def _maps_failed(self, text: str) -> None:
        # Back to the image shown (if any): a file that cannot be read is not asked for again.
        self.source = self.maps.source if self.maps is not None else None
        self._fail(text)

    def _fail(self, text: str) -> None:
        self._done()
        self.message.setText(text)
        self.failed.emit(text)

    def _busy(self, text: str) -> None:
        self.state.setText(text)

    def _done(self) -> None:
        self.state.setText("")

    # -- what to compute now ---------------------------------------------------------
    def _refresh(self) -> None:
        """Start the jobs the visible tab needs and has not got (nothing while the tab is hidden)."""
        if self.model is None or self.structure is None or not self.isVisible():
            return
        tab = self.tabs.currentIndex()
        if self.source is not None and self._shown.get("maps") != (self.model, self.source):
            self._jobs["maps"].request(all_maps, self.model, self.source)
            return  # Grad-CAM waits for the image's pass
        if tab == 1 and self.structure.convolutions:
            layer = self.layer if self.layer in self.structure.convolutions else None
            self._wanted["kernels"] = (self.model, layer)
            if self._shown.get("kernels") != self._wanted["kernels"]:
                self._jobs["kernels"].request(kernels, self.model, layer)
        elif tab == 1:
            self.kernels_text.setText("This model has no 2-D convolution.")
        if tab == 2 and self.maps is not None:
            index = self.cam_class.currentIndex() - 1
            selected = self.cam_layer.currentText() == SELECTED_CAM_LAYER
            layer = self.layer if selected and self.layer in self.structure.spatial else None
            self._wanted["cam"] = (self.maps, index, layer)
            if self._shown.get("cam") != self._wanted["cam"]:
                self._jobs["cam"].request(grad_cam, self.maps, None if index < 0 else index, layer)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._refresh()

    def _current_changed(self, current, _previous) -> None:
        name = current.siblingAtColumn(0).data(NAME_ROLE)
        if not name:
            return
        self.layer = name
        self.hover.setText("")
        self.draw_maps()
        self._refresh()
        self.layer_changed.emit(name)

    def _hovered(self, pane: int, x: float, y: float) -> None:
        channel = self.grid.channel_at(x, y) if pane == 1 and self.grid is not None else None
        if channel is None or self.maps is None:
            self.hover.setText("")
            return
        values = self.maps.outputs[self.layer][..., channel]
        self.hover.setText(f"channel {channel}: mean {values.mean():.3g}, max {values.max():.3g}")

    # -- images in -------------------------------------------------------------------
    def _choose_image(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open an image", "", IMAGE_FILTER)
        if path:
            self.show_image(path)

    def dragEnterEvent(self, event) -> None:
        accept_files(event)

    def dropEvent(self, event) -> None:
        paths = dropped_paths(event)
        if not paths:
            self._fail("Only local files can be dropped here.")
            return
        path = paths[0]
        if Path(path).suffix == ".keras":
            self._fail("Open models in the Classify tab or with File > Open model...; "
                       "drop images here.")
            return
        self.show_image(path)

