"""``netlab graph MODEL|ARCH [--expand all|none] [--open BLOCK] [--out graph.svg|graph.png] [--json] [--netron]``.

The network as a graph, headless: layers as nodes, tensors as edges, the papers' blocks
collapsed unless opened (:mod:`netlab.inspect.graph`). MODEL is a .keras file or a run
folder; ARCH a registered architecture, built as ``netlab summary`` builds it. Without
--json or --out it prints one line per node and what feeds it.
"""

from __future__ import annotations

import importlib.util
import json
import tempfile
from pathlib import Path

from netlab.architectures import arch_names, get_arch
from netlab.base.errors import ConfigError
from netlab.cli.architectures import _parse_input
from netlab.cli.command import Command
from netlab.cli.flags import number_flag
from netlab.config import ModelConfig, RegularizationConfig
from netlab.inspect.graph import EXPANDS, Graph, layout, network_graph
from netlab.inspect.graph_draw import FORMATS, write_picture
from netlab.inspect.graph_layout import box_lines
from netlab.predict.model import open_model


def add_graph_arguments(p) -> None:
    p.add_argument("model", metavar="MODEL|ARCH",
                   help="a .keras file, a run folder, or an architecture name (netlab archs lists them)")
    p.add_argument("--expand", choices=EXPANDS, default="none",
                   help="none: each block (inception module, residual, dense block ...) one node; all: every layer")
    p.add_argument("--open", action="append", default=[], metavar="BLOCK",
                   help="also show this block's layers (repeat for more)")
    p.add_argument("--out", metavar="PATH", help="write the picture: graph.svg or graph.png")
    p.add_argument("--json", action="store_true",
                   help="the nodes (name, type, output shape, parameters, block, formulas) and edges")
    p.add_argument("--netron", action="store_true", help="also open the model in Netron (pip install netron)")
    p.add_argument("--input", type=_parse_input, help="an ARCH's input, HxWxC (default: the paper's)")
    p.add_argument("--classes", type=number_flag(int, 2), default=1000, help="an ARCH's classes")


def cmd_graph(args) -> int:
    if args.out and Path(args.out).suffix.lower() not in FORMATS:
        raise ConfigError(f"--out {args.out}: a graph is written as .svg or .png")
    if args.netron and importlib.util.find_spec("netron") is None:
        raise ConfigError("--netron needs the optional netron package: pip install netron")
    model, path = _model(args)
    graph = network_graph(model, args.expand)
    if args.open:
        graph = graph.expanded(args.open)
    if args.out:
        write_picture(graph, args.out, layout(graph))
    if args.json:
        data = graph.to_dict()
        for node in data["nodes"]:
            node["details"] = graph.details(node["id"])
        print(json.dumps(data, indent=2))
    elif args.out:
        print(f"{args.out}: {len(graph.nodes)} nodes, {len(graph.edges)} edges")
    else:
        print(outline(graph))
    if args.netron:
        _netron(model, path)
    return 0


def _model(args):
    """(model, its .keras file or None) from a path or an architecture name."""
    text = args.model
    if Path(text).exists() or text.endswith(".keras") or ("/" in text or "\\" in text):
        opened = open_model(text)
        return opened.model, opened.path
    if text not in arch_names():
        raise ConfigError(f"{text}: no such model file or folder, and no architecture of that name "
                          "(netlab archs lists them)")
    spec = get_arch(text)
    model = spec.build(args.input or spec.default_input, args.classes, RegularizationConfig(),
                       ModelConfig(arch=spec.name))
    return model, None


def outline(graph: Graph) -> str:
    """One line per shown node: name, type, shape, parameters and the nodes feeding it."""
    feeds: dict[str, list[str]] = {}
    for edge in graph.edges:
        feeds.setdefault(edge.target, []).append(edge.source)
    rows = [(node.id, *box_lines(node)[1:], f"{node.params:,}", ", ".join(feeds.get(node.id, [])))
            for node in graph.nodes]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [f"{graph.name}: {len(graph.nodes)} nodes, {len(graph.edges)} edges"
             f" ({len(graph.layers)} layers, {len(graph.blocks)} blocks)"]
    for row in rows:
        lines.append("  ".join(f"{cell:<{w}}" for cell, w in zip(row[:4], widths)) + f"  <- {row[4] or '-'}")
    return "\n".join(lines)


def _netron(model, path: Path | None) -> None:
    import netron

    if path is None:  # an architecture: Netron reads files, so save it first
        path = Path(tempfile.mkdtemp(prefix="netlab-graph-")) / f"{model.name}.keras"
        model.save(path)
    netron.start(str(path))
    netron.wait()


GRAPH = Command("the network as a graph: layers, tensors and blocks (text, JSON, SVG or PNG)",
                add_graph_arguments, cmd_graph)
