"""A graph laid out top to bottom: python-igraph's Sugiyama layout (layers by longest path,
crossings reduced by the barycenter heuristic; Sugiyama, Tagawa & Toda 1981), in pixels.

The boxes of one graph share a width (its longest label's), so the layout's columns are
boxes; an edge that spans several layers bends at the points igraph routes it through.
Crossing-free is not promised: a dense block's concatenations cross by nature.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # graph.py imports this module: no import back at run time
    from netlab.inspect.graph import Graph, Node

# igraph is imported inside layout(): the window and `netlab --help` import this module.

CHAR_W = 7.0  # pixels per character of a box's text (11 px sans-serif, a generous average)
LINE_H = 14.0
PAD = 8.0
NAME_CHARS = 34  # longer names are cut with an ellipsis
H_GAP = 24.0  # between boxes side by side
V_GAP = 36.0  # between layers, room for the arrows
MARGIN = 16.0


def box_lines(node: Node) -> tuple[str, str, str]:
    """The three lines a node's box shows: name, type, output shape."""
    name = node.name if len(node.name) <= NAME_CHARS else node.name[:NAME_CHARS - 3] + "..."
    kind = f"{node.type} ({len(node.children)})" if node.children else node.type
    shape = "x".join("?" if d is None else str(d) for d in node.output_shape) or "-"
    return name, kind, shape


@dataclass(frozen=True)
class GraphLayout(Mapping):
    """Box centres by node id (the mapping itself: ``layout[id] -> (x, y)``), box sizes, the
    edges' polylines (from the source's bottom to the target's top) and the whole size."""

    positions: dict  # node id -> (x, y) of the box's centre, pixels, y down
    sizes: dict  # node id -> (width, height)
    routes: dict  # (source id, target id) -> ((x, y), ...)
    width: float
    height: float

    def __getitem__(self, node_id: str) -> tuple[float, float]:
        return self.positions[node_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self.positions)

    def __len__(self) -> int:
        return len(self.positions)

    def box(self, node_id: str) -> tuple[float, float, float, float]:
        """(left, top, width, height) of a node's box."""
        (x, y), (w, h) = self.positions[node_id], self.sizes[node_id]
        return x - w / 2, y - h / 2, w, h


def layout(graph: Graph) -> GraphLayout:
    """The shown nodes of ``graph`` placed top to bottom, inputs first."""
    import igraph

    nodes = graph.nodes
    index = {n.id: i for i, n in enumerate(nodes)}
    width = max((max(len(t) for t in box_lines(n)) for n in nodes), default=8) * CHAR_W + 2 * PAD
    height = 3 * LINE_H + PAD
    pairs = [(index[e.source], index[e.target]) for e in graph.edges]
    g = igraph.Graph(n=len(nodes), edges=pairs, directed=True)
    placed = g.layout_sugiyama(hgap=1, vgap=1)
    coords = placed.coords[:len(nodes)]  # igraph < 1.0 appends its bend points as extra rows
    routing = getattr(placed, "edge_routing", None) or [[] for _ in pairs]
    min_x = min((x for x, _ in coords), default=0.0)
    step_x, step_y = width + H_GAP, height + V_GAP

    def px(x, y):
        return (MARGIN + width / 2 + (x - min_x) * step_x, MARGIN + height / 2 + y * step_y)

    positions = {n.id: px(*coords[i]) for i, n in enumerate(nodes)}
    routes = {}
    for edge, (s, t), bends in zip(graph.edges, pairs, routing):
        (sx, sy), (tx, ty) = positions[nodes[s].id], positions[nodes[t].id]
        middle = tuple(px(x, y) for x, y in bends)
        routes[(edge.source, edge.target)] = ((sx, sy + height / 2), *middle, (tx, ty - height / 2))
    right = max((x for x, _ in positions.values()), default=0.0) + width / 2 + MARGIN
    bottom = max((y for _, y in positions.values()), default=0.0) + height / 2 + MARGIN
    return GraphLayout(positions, {n.id: (width, height) for n in nodes}, routes, right, bottom)
