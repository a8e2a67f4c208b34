"""A Keras model as a graph: nodes are layers, edges the tensors between them.

:func:`network_graph` reads the model's functional graph through the summary's walk
(:func:`netlab.inspect.summary.summarize`: output shapes, parameters, multiply-adds and
receptive fields per layer) and opens nested models, the shape fine-tuning gives (a
keras.applications backbone as one layer of the outer model, or a Sequential inside a
functional model): their layers become nodes named ``outer/inner``, as everywhere in
:mod:`netlab.inspect.layers`, and the edges cross the boundary (a nested model's input
placeholder is no node: its consumers are fed by what fed the nested model).

The papers' blocks (:mod:`netlab.inspect.graph_blocks`: an inception module, a residual
block, a dense block, an inverted residual) each collapse into one node; a :class:`Graph`
shows some of them open (:meth:`Graph.expanded`). Layout: :func:`layout`; pictures:
:mod:`netlab.inspect.graph_draw`; a node's numbers in the lectures' formulas:
:meth:`Graph.details`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from netlab.base.errors import ConfigError
from netlab.inspect.graph_blocks import INCEPTION, find_blocks
from netlab.inspect.graph_layout import GraphLayout, layout
from netlab.inspect.layers import SEP, functional_of
from netlab.inspect.receptive_field import layer_kinds
from netlab.inspect.summary import LayerRow, summarize

__all__ = ["EXPANDS", "Edge", "Graph", "GraphLayout", "LayerFacts", "Node", "layout", "network_graph"]

EXPANDS = ("none", "all")


@dataclass(frozen=True)
class Node:
    """A layer, or a block of layers (``children``: their ids, in graph order)."""

    id: str  # unique: "conv1", "densenet121/conv1_conv" inside a nested model, a block's key
    name: str  # the layer's own name, or the block's key ("inception_3a", "conv2_block1", "mixed0")
    type: str  # the layer's class ("Conv2D"), or the block's kind ("Inception module")
    output_shape: tuple  # batch dimension dropped
    params: int
    macs: int | None  # multiply-adds for one image (None: unknown, a variable input size)
    block: str | None = None  # the id of the block the layer belongs to
    children: tuple[str, ...] = ()
    receptive_field: int | None = None  # in input pixels (the larger side)

    @property
    def is_block(self) -> bool:
        return bool(self.children)

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "type": self.type, "output_shape": list(self.output_shape),
                "params": self.params, "macs": self.macs, "block": self.block,
                "children": list(self.children), "receptive_field": self.receptive_field}


@dataclass(frozen=True)
class Edge:
    """A tensor from one node to another."""

    source: str
    target: str
    shape: tuple  # the tensor's shape, batch dimension dropped

    def to_dict(self) -> dict:
        return {"source": self.source, "target": self.target, "shape": list(self.shape)}


@dataclass(frozen=True)
class LayerFacts:
    """What the formulas need of one layer: its summary row, inputs, and the field before it."""

    row: LayerRow
    input_shapes: tuple  # of each input tensor, batch dimension dropped
    receptive_field: int | None  # in the whole model's input pixels
    jump: int | float | None
    input_field: int | None  # receptive field and jump of the (first) input tensor
    input_jump: int | float | None
    kinds: frozenset = frozenset()  # the layer's class names along its MRO (BaseConv, Dense, ...)


@dataclass(frozen=True)
class Graph:
    """The graph as shown: ``nodes`` (in graph order) and ``edges`` between them, the blocks not in
    ``open_blocks`` collapsed. ``layers``, ``blocks`` and ``layer_edges`` hold everything, whatever
    is shown; a new view is :meth:`expanded` or :meth:`collapsed`."""

    name: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    layers: tuple[Node, ...] = field(repr=False)
    blocks: tuple[Node, ...] = field(repr=False)
    layer_edges: tuple[Edge, ...] = field(repr=False)
    open_blocks: frozenset[str] = frozenset()
    facts: dict = field(default_factory=dict, repr=False, compare=False)  # layer id -> LayerFacts

    def node(self, node_id: str) -> Node:
        """A layer or block by id, shown or not; ConfigError for an unknown id."""
        for node in (*self.layers, *self.blocks):
            if node.id == node_id:
                return node
        raise ConfigError(f"{self.name} has no layer or block {node_id!r}")

    def expanded(self, block_ids: Iterable[str]) -> Graph:
        """This view with the blocks ``block_ids`` open too (the window opens one on a click)."""
        return self._view(self.open_blocks | self._block_ids(block_ids))

    def collapsed(self, block_ids: Iterable[str]) -> Graph:
        """This view with the blocks ``block_ids`` closed again."""
        return self._view(self.open_blocks - self._block_ids(block_ids))

    def expanded_all(self) -> Graph:
        """Every layer shown."""
        return self._view(frozenset(b.id for b in self.blocks))

    def details(self, node_id: str) -> list[str]:
        """The node's numbers in the lectures' formulas, one line each (the CLI and the window)."""
        from netlab.inspect.graph_details import node_details  # it reads Graph: no import at load

        return node_details(self, node_id)

    def to_dict(self) -> dict:
        """Plain JSON-able data: the nodes and edges as shown."""
        return {"name": self.name, "open_blocks": sorted(self.open_blocks),
                "nodes": [n.to_dict() for n in self.nodes], "edges": [e.to_dict() for e in self.edges]}

    def _block_ids(self, block_ids: Iterable[str]) -> frozenset[str]:
        ids = frozenset([block_ids] if isinstance(block_ids, str) else block_ids)
        known = {b.id for b in self.blocks}
        unknown = sorted(ids - known)
        if unknown:
            listed = ", ".join(sorted(known)[:12]) + (", ..." if len(known) > 12 else "")
            raise ConfigError(f"{self.name} has no block {unknown[0]!r}; its blocks are: {listed or 'none'}")
        return ids

    def _view(self, open_blocks: frozenset[str]) -> Graph:
        return _view(self.name, self.layers, self.blocks, self.layer_edges, open_blocks, self.facts)


def network_graph(model, expand: str = "none") -> Graph:
    """The graph of a functional or Sequential Keras model, nested models opened.

    ``expand="none"`` collapses every block into one node; ``"all"`` shows every layer.
    A subclassed model has no graph to read: ConfigError (the summary's).
    """
    if expand not in EXPANDS:
        raise ConfigError(f"expand is one of {', '.join(EXPANDS)} (got {expand!r})")
    walk = _Walk()
    walk.scope(model, "", (), (1, 1))
    layers = tuple(walk.layers)
    blocks = tuple(walk.blocks)
    layers = tuple(_in_block(n, walk.block_of.get(n.id)) for n in layers)
    open_blocks = frozenset(b.id for b in blocks) if expand == "all" else frozenset()
    return _view(model.name, layers, blocks, tuple(walk.edges), open_blocks, walk.facts)


def _in_block(node: Node, block: str | None) -> Node:
    return node if block is None else Node(**{**node.__dict__, "block": block})


class _Walk:
    """Collects the nodes and edges of one model and of every model nested in it."""

    def __init__(self):
        self.layers: list[Node] = []
        self.edges: list[Edge] = []
        self.blocks: list[Node] = []
        self.block_of: dict[str, str] = {}
        self.facts: dict[str, LayerFacts] = {}
        self.seen: set[tuple[str, str]] = set()

    def scope(self, model, prefix: str, feeds: tuple[str, ...], field_in) -> list[str]:
        """Add ``model``'s layers under ``prefix``; its input placeholders stand for ``feeds``
        (the outer ids feeding it; none at the top). Returns the ids producing its outputs."""
        summary = summarize(model)
        functional = functional_of(model)
        ops = {op.name: op for op in functional.operations}
        produced: dict[str, list[str]] = {}  # a layer name of this scope -> the ids its output comes from
        placeholders = [t._keras_history.operation.name for t in functional.inputs]
        if prefix and len(placeholders) == len(feeds):  # each input fed by its own tensor
            produced.update({name: [feed] for name, feed in zip(placeholders, feeds)})
        order: list[str] = []
        preds: dict[str, list[str]] = {}
        for row in summary.rows:
            sources = [i for name in row.inbound for i in produced.get(name, [prefix + name])]
            if not row.inbound and prefix:  # a nested model's input placeholder: no node
                produced.setdefault(row.name, list(feeds))
                continue
            if functional_of(ops[row.name]) is not None:  # a nested model: opened
                source_field = self._field_of(sources[0]) if sources else (1, 1)
                produced[row.name] = self.scope(ops[row.name], prefix + row.name + SEP, tuple(sources),
                                                source_field)
                continue
            node_id = prefix + row.name
            produced[row.name] = [node_id]
            self._add_layer(node_id, row, sources, field_in, frozenset(layer_kinds(ops[row.name])))
            order.append(node_id)
            preds[node_id] = sources
        self._add_blocks(prefix, order, preds)
        outputs = [t._keras_history.operation.name for t in functional.outputs]
        return [i for name in outputs for i in produced.get(name, [prefix + name])]

    def _field_of(self, node_id: str) -> tuple:
        facts = self.facts[node_id]
        return facts.receptive_field, facts.jump

    def _add_layer(self, node_id: str, row: LayerRow, sources: list[str], field_in, kinds) -> None:
        input_shapes = tuple(self.facts[s].row.output_shape for s in sources)
        rf, jump = _compose(field_in, row.receptive_field, row.jump)
        first = self.facts[sources[0]] if sources else None
        self.facts[node_id] = LayerFacts(row, input_shapes, rf, jump,
                                         first.receptive_field if first else None,
                                         first.jump if first else None, kinds)
        self.layers.append(Node(node_id, row.name, row.class_name, row.output_shape, row.params,
                                row.macs, receptive_field=rf))
        for source, shape in zip(sources, input_shapes):
            if (source, node_id) not in self.seen:  # Add(x, x) is one edge
                self.seen.add((source, node_id))
                self.edges.append(Edge(source, node_id, shape))

    def _add_blocks(self, prefix: str, order: list[str], preds: dict) -> None:
        names = {i: i[len(prefix):] for i in order}
        for block in find_blocks(order, names, preds):
            block_id = prefix + block.key
            if block_id in self.facts:  # Keras's Inception v3 names a module's output mixed0 too
                block_id += "_module" if block.kind == INCEPTION else "_block"
            members = [self.facts[m] for m in block.members]
            macs = [f.row.macs for f in members]
            last = self.facts[block.members[-1]]
            self.blocks.append(Node(
                block_id, block.key, block.kind, last.row.output_shape,
                sum(f.row.params for f in members), None if None in macs else sum(macs),
                children=block.members, receptive_field=last.receptive_field))
            for member in block.members:
                self.block_of[member] = block_id


def _compose(field_in, rf, jump):
    """A nested model's layer's field in the outer model's pixels: r0 + (r - 1)*j0, jump j0*j."""
    rf0, jump0 = field_in
    if rf is None or rf0 is None:
        return rf, jump
    if jump0 is None:  # the nested model starts after a global layer
        return rf0, None
    return int(rf0 + (rf - 1) * jump0), (None if jump is None else jump0 * jump)


def _view(name, layers, blocks, layer_edges, open_blocks, facts) -> Graph:
    """The nodes and edges shown when the blocks ``open_blocks`` are open and the others closed."""
    closed = {b.id for b in blocks} - open_blocks
    shown_as = {n.id: (n.block if n.block in closed else n.id) for n in layers}
    block_nodes = {b.id: b for b in blocks}
    nodes, placed = [], set()
    for layer in layers:
        shown = shown_as[layer.id]
        if shown not in placed:
            placed.add(shown)
            nodes.append(block_nodes[shown] if shown in block_nodes else layer)
    edges, seen = [], set()
    for edge in layer_edges:
        key = (shown_as[edge.source], shown_as[edge.target])
        if key[0] != key[1] and key not in seen:
            seen.add(key)
            edges.append(Edge(*key, edge.shape))
    return Graph(name, tuple(nodes), tuple(edges), layers, blocks, layer_edges, frozenset(open_blocks), facts)
