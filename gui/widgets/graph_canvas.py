"""A laid-out graph drawn in a QGraphicsScene: node boxes, edges as arrows, open blocks framed.

The layout (positions, box sizes, edge routes) comes from the core
(:func:`netlab.inspect.graph.layout`, computed in a worker); this only makes one item per
node and per edge, so building DenseNet-201's 709 layers takes milliseconds. Each box paints
itself and drops detail as it shrinks (Qt's "40000 chips" example): its text below 45% zoom,
its rounded corners below 25%, so panning a whole network zoomed out stays smooth.

Pan by dragging the background, zoom with the wheel or +/-, 0 or F fits the graph. A
block's box has a "+" marker: a click on it (or a double-click on the box) opens the block;
an open block is framed, and a click on its frame's title closes it again.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QGraphicsScene, QGraphicsView

from netlab.inspect.graph_layout import box_lines

LAYER_FILL = QColor("#ffffff")
BLOCK_FILL = QColor("#e3ecf7")
BORDER = QColor("#555555")
SELECTED = QColor("#1565c0")
EDGE = QColor("#7a7a7a")
FRAME = QColor("#1565c0")
TEXT_LOD = 0.45  # zoom below which a box's text is unreadable: not drawn
OVERVIEW_ZOOM = 0.25  # below this the boxes are a few pixels: one overview item draws them all
MARKER = 12.0  # side of a block's "+" marker, pixels
FRAME_PAD = 8.0
FRAME_TITLE = 18.0
ZOOM_RANGE = (0.02, 4.0)
ARROW = 6.0
SCENE_MARGIN = 1000.0  # scene pixels around the graph the view may pan into


def _font(bold: bool = False) -> QFont:
    font = QFont()
    font.setPixelSize(11)  # the layout sizes boxes for 11 px text (graph_layout.CHAR_W)
    font.setBold(bold)
    return font


class NodeItem(QGraphicsItem):
    """One node's box: its name, type and output shape; a fill (a colour scale's) when set."""

    def __init__(self, node, size: tuple[float, float]):
        super().__init__()
        self.node_id = node.id
        self.is_block = node.is_block
        self.lines = box_lines(node)
        width, height = size
        self.rect = QRectF(-width / 2, -height / 2, width, height)
        self.fill: QColor | None = None
        self.selected = False  # the canvas keeps the selection: hidden in the overview, an item stays selected
        self.setZValue(1)
        self.setToolTip(node.id + (" (double-click to open the block)" if self.is_block else
                                   " (double-click to show it in Inspect)"))

    def boundingRect(self) -> QRectF:
        return self.rect.adjusted(-2, -2, 2, 2)

    def marker_rect(self) -> QRectF:
        """The block's "+" marker, in item coordinates (top right corner)."""
        return QRectF(self.rect.right() - MARKER - 3, self.rect.top() + 3, MARKER, MARKER)

    def brush(self) -> QColor:
        return self.fill if self.fill is not None else (BLOCK_FILL if self.is_block else LAYER_FILL)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        selected = self.selected
        painter.setPen(QPen(SELECTED if selected else BORDER, 2.5 if selected else 1.0))
        fill = self.brush()
        painter.setBrush(fill)
        painter.drawRoundedRect(self.rect, 4, 4)
        if lod < TEXT_LOD:
            return
        dark = fill.lightnessF() < 0.5
        painter.setPen(QColor("#ffffff") if dark else QColor("#111111"))
        line_h = (self.rect.height() - 8) / 3
        top = self.rect.top() + 4
        for i, text in enumerate(self.lines):
            painter.setFont(_font(bold=i == 0))
            painter.drawText(QRectF(self.rect.left() + 6, top + i * line_h, self.rect.width() - 12, line_h),
                             Qt.AlignLeft | Qt.AlignVCenter, text)
        if self.is_block:
            marker = self.marker_rect()
            painter.setPen(QPen(BORDER, 1.0))
            painter.setBrush(QColor("#ffffff"))
            painter.drawRect(marker)
            c = marker.center()
            painter.drawLine(QPointF(marker.left() + 3, c.y()), QPointF(marker.right() - 3, c.y()))
            painter.drawLine(QPointF(c.x(), marker.top() + 3), QPointF(c.x(), marker.bottom() - 3))


class EdgeItem(QGraphicsPathItem):
    """A tensor: a curve through the layout's route points, an open arrowhead at the target's
    top; one path, painted by Qt itself (no Python call per frame)."""

    def __init__(self, route, shape_text: str):
        super().__init__()
        points = [QPointF(x, y) for x, y in route]
        path = QPainterPath(points[0])
        for a, b in zip(points, points[1:]):
            dy = (b.y() - a.y()) / 2  # leave and enter vertically: top-to-bottom reads as flow
            path.cubicTo(QPointF(a.x(), a.y() + dy), QPointF(b.x(), b.y() - dy), b)
        tip = points[-1]
        path.moveTo(tip.x() - ARROW / 2, tip.y() - ARROW)
        path.lineTo(tip)
        path.lineTo(tip.x() + ARROW / 2, tip.y() - ARROW)
        self.setPath(path)
        self.setPen(QPen(EDGE, 1.2))
        self.setToolTip(shape_text)


class OverviewItem(QGraphicsItem):
    """The whole graph in a few painter calls, for a zoom where a box is a few pixels (the
    items themselves are hidden then: a Python call each, 1500 for DenseNet-201, held the event
    loop 20-60 ms a frame): every edge in one path of straight segments, the boxes as
    rectangles grouped by their fill, no text."""

    def __init__(self, nodes: dict, routes):
        super().__init__()
        self.nodes = [(item, item.rect.translated(item.pos())) for item in nodes.values()]
        path = QPainterPath()
        for route in routes:
            path.moveTo(*route[0])
            for point in route[1:]:
                path.lineTo(*point)
        self.edges = path
        bounds = path.boundingRect()
        for _, rect in self.nodes:
            bounds = bounds.united(rect)
        self._bounds = bounds.adjusted(-4, -4, 4, 4)
        self.setZValue(2)

    def boundingRect(self) -> QRectF:
        return self._bounds

    def node_at(self, point: QPointF):
        return next((item for item, rect in self.nodes if rect.contains(point)), None)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.setRenderHint(QPainter.Antialiasing, False)
        painter.setPen(QPen(EDGE, 0))  # cosmetic: one device pixel
        painter.setBrush(Qt.NoBrush)
        painter.drawPath(self.edges)
        groups: dict = {}
        for item, rect in self.nodes:
            groups.setdefault(item.brush().rgb(), []).append(rect)
        painter.setPen(QPen(BORDER, 0))
        for rgb, rects in groups.items():
            painter.setBrush(QColor.fromRgb(rgb))
            painter.drawRects(rects)
        selected = [rect for item, rect in self.nodes if item.selected]
        if selected:
            painter.setPen(_cosmetic(SELECTED, 3))
            painter.setBrush(Qt.NoBrush)
            painter.drawRects(selected)


def _cosmetic(colour: QColor, width: float) -> QPen:
    pen = QPen(colour, width)
    pen.setCosmetic(True)
    return pen


class BlockFrame(QGraphicsItem):
    """The frame around an open block's layers; its title ("− name") closes the block."""

    def __init__(self, block, rect: QRectF):
        super().__init__()
        self.block_id = block.id
        self.rect = rect
        self.title = f"\u2212 {block.name} ({block.type})"
        self.setZValue(-1)
        self.setToolTip(f"{block.id}: click the title to close the block")

    def title_rect(self) -> QRectF:
        return QRectF(self.rect.left(), self.rect.top(), self.rect.width(), FRAME_TITLE)

    def boundingRect(self) -> QRectF:
        return self.rect.adjusted(-1, -1, 1, 1)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.setPen(QPen(FRAME, 1.0, Qt.DashLine))
        painter.setBrush(QColor(227, 236, 247, 90))
        painter.drawRoundedRect(self.rect, 6, 6)
        if option.levelOfDetailFromTransform(painter.worldTransform()) >= TEXT_LOD:
            painter.setPen(FRAME)
            painter.setFont(_font(bold=True))
            painter.drawText(self.title_rect().adjusted(6, 0, -6, 0), Qt.AlignLeft | Qt.AlignVCenter, self.title)


class GraphCanvas(QGraphicsView):
    """The scene of one laid-out graph, with pan, zoom, selection and block toggles."""

    node_selected = Signal(str)  # the selected node's id, "" when none is
    node_activated = Signal(str)  # a layer's box double-clicked
    block_toggled = Signal(str)  # a block to open (its box) or close (its frame)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        self.setDragMode(QGraphicsView.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.setBackgroundBrush(QBrush(QColor("#fafafa")))
        self.items_by_id: dict[str, NodeItem] = {}
        self.frames: dict[str, BlockFrame] = {}
        self.edge_items: list[EdgeItem] = []
        self.graph_rect = QRectF()  # the drawn graph's bounds, in scene pixels
        self.overview: OverviewItem | None = None
        self._selected = ""

    # -- building ---------------------------------------------------------------------
    def clear(self) -> None:
        """No graph (no model, or its graph being read)."""
        self.scene().clear()
        self._selected = ""
        self.items_by_id, self.frames, self.edge_items = {}, {}, []
        self.graph_rect, self.overview = QRectF(), None
        self.node_selected.emit("")

    def show_graph(self, graph, placed) -> None:
        """Draw ``graph``'s shown nodes and edges at the positions ``placed`` gives (a GraphLayout)."""
        self.clear()
        scene = self.scene()
        for node in graph.nodes:
            item = NodeItem(node, placed.sizes[node.id])
            item.setPos(*placed.positions[node.id])
            scene.addItem(item)
            self.items_by_id[node.id] = item
        routes = [placed.routes[(edge.source, edge.target)] for edge in graph.edges]
        for edge, route in zip(graph.edges, routes):
            item = EdgeItem(route, "x".join("?" if d is None else str(d) for d in edge.shape))
            scene.addItem(item)
            self.edge_items.append(item)
        self.overview = OverviewItem(self.items_by_id, routes)
        self.overview.setVisible(False)
        scene.addItem(self.overview)
        for block_id in sorted(graph.open_blocks):
            block = graph.node(block_id)
            boxes = [placed.box(c) for c in block.children if c in placed.positions]
            if boxes:
                frame = BlockFrame(block, _frame_rect(boxes))
                scene.addItem(frame)
                self.frames[block_id] = frame
        self.graph_rect = scene.itemsBoundingRect().adjusted(-20, -20, 20, 20)
        # Room around the graph, so that a node near its edge can still be centred (find).
        scene.setSceneRect(self.graph_rect.adjusted(-SCENE_MARGIN, -SCENE_MARGIN, SCENE_MARGIN, SCENE_MARGIN))
        self._detail()

    def set_fills(self, fills: dict) -> None:
        """Fill each node's box with its colour (node id -> QColor or None for the default)."""
        for node_id, item in self.items_by_id.items():
            colour = fills.get(node_id)
            if colour != item.fill:
                item.fill = colour
                item.update()

    # -- what is looked at ------------------------------------------------------------
    def selected_id(self) -> str:
        return self._selected

    def select(self, node_id: str, centre: bool = True) -> None:
        """Select a shown node (and bring it to the middle of the view)."""
        item = self.items_by_id[node_id]
        if node_id != self._selected:
            previous = self.items_by_id.get(self._selected)
            if previous is not None:
                previous.selected = False
                previous.update()
            item.selected = True
            item.update()
            if self.overview is not None:
                self.overview.update()
            self._selected = node_id
            self.node_selected.emit(node_id)
        if centre:
            self.centerOn(item)

    def centre_on_block(self, block_id: str) -> None:
        """Bring an open block's frame title (else its node) into view."""
        if block_id in self.frames:
            self.centerOn(self.frames[block_id].title_rect().center() + QPointF(0, self.viewport().height() / 3))
        elif block_id in self.items_by_id:
            self.centerOn(self.items_by_id[block_id])

    def zoom(self, factor: float) -> None:
        """Scale the view by ``factor``, within ZOOM_RANGE."""
        current = self.transform().m11()
        factor = min(max(current * factor, ZOOM_RANGE[0]), ZOOM_RANGE[1]) / current
        self.scale(factor, factor)
        self._detail()

    def resetTransform(self) -> None:
        super().resetTransform()
        self._detail()

    def _detail(self) -> None:
        """The overview below OVERVIEW_ZOOM, the items themselves above it."""
        if self.overview is None:
            return
        overview = self.transform().m11() < OVERVIEW_ZOOM
        if overview != self.overview.isVisible():
            for item in (*self.items_by_id.values(), *self.edge_items):
                item.setVisible(not overview)
            self.overview.setVisible(overview)

    def fit(self) -> None:
        """The whole graph in view (never magnified beyond its size)."""
        self.fitInView(self.graph_rect, Qt.KeepAspectRatio)
        if self.transform().m11() > 1.0:
            self.resetTransform()
        self.zoom(1.0)  # clamp

    def show_top(self) -> None:
        """The graph's top at its own size, or narrower to fit the view's width."""
        self.resetTransform()
        rect = self.graph_rect
        if rect.width() > 0 and self.viewport().width() < rect.width():
            self.zoom(max(self.viewport().width() / rect.width(), 0.5))
        half = self.viewport().height() / 2 / self.transform().m11()  # the top at the view's top
        self.centerOn(rect.center().x(), rect.top() + half)

    # -- input ------------------------------------------------------------------------
    def wheelEvent(self, event) -> None:
        self.zoom(1.0015 ** event.angleDelta().y())

    def keyPressEvent(self, event) -> None:
        key = event.key()
        if key in (Qt.Key_Plus, Qt.Key_Equal):
            self.zoom(1.25)
        elif key == Qt.Key_Minus:
            self.zoom(0.8)
        elif key in (Qt.Key_0, Qt.Key_F):
            self.fit()
        else:
            super().keyPressEvent(event)

    def _item_at(self, event):
        """The item under the mouse; in the overview, the node whose box is there."""
        item = self.itemAt(event.position().toPoint())
        if isinstance(item, OverviewItem):
            return item.node_at(self.mapToScene(event.position().toPoint()))
        return item

    def mousePressEvent(self, event) -> None:
        item = self._item_at(event)
        scene_pos = self.mapToScene(event.position().toPoint())
        if event.button() != Qt.LeftButton:
            super().mousePressEvent(event)
        elif isinstance(item, NodeItem) and item.is_block and item.isVisible() \
                and item.marker_rect().contains(item.mapFromScene(scene_pos)):
            self.block_toggled.emit(item.node_id)
        elif isinstance(item, NodeItem):
            self.select(item.node_id, centre=False)
        elif isinstance(item, BlockFrame) and item.title_rect().contains(scene_pos):
            self.block_toggled.emit(item.block_id)
        else:
            super().mousePressEvent(event)  # the background: drag to pan

    def mouseDoubleClickEvent(self, event) -> None:
        item = self._item_at(event)
        if isinstance(item, NodeItem):
            (self.block_toggled if item.is_block else self.node_activated).emit(item.node_id)
            return
        super().mouseDoubleClickEvent(event)


def _frame_rect(boxes) -> QRectF:
    left = min(b[0] for b in boxes) - FRAME_PAD
    top = min(b[1] for b in boxes) - FRAME_PAD - FRAME_TITLE
    right = max(b[0] + b[2] for b in boxes) + FRAME_PAD
    bottom = max(b[1] + b[3] for b in boxes) + FRAME_PAD
    return QRectF(left, top, right - left, bottom - top)
