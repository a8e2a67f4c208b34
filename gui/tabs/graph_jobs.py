"""The Graph tab's worker-thread jobs (no Qt here): the model's graph read and laid out, another
view of it laid out, and the model handed to Netron. The graph and layout come from
:mod:`netlab.inspect.graph`; these only time them and keep the model they belong to.
"""

from __future__ import annotations

import importlib.util
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

# netlab.inspect.graph (the summary's walk, igraph) and netron are imported in the jobs: the window
# shows before they load (see gui/app.py).


@dataclass(eq=False)
class Picture:
    """A graph and its layout, for the model they were read from."""

    model: object
    graph: object  # netlab.inspect.graph.Graph
    layout: object  # netlab.inspect.graph.GraphLayout
    seconds: float = 0.0  # reading the graph and laying it out, in the worker


def read_graph(model, expand: str = "none") -> Picture:
    """Worker job: the model's graph (its blocks collapsed, or every layer: ``expand="all"``), laid out."""
    from netlab.inspect.graph import layout, network_graph

    started = time.perf_counter()
    graph = network_graph(model, expand)
    return Picture(model, graph, layout(graph), time.perf_counter() - started)


def lay_out(model, graph) -> Picture:
    """Worker job: another view of the same graph (a block opened or closed), laid out."""
    from netlab.inspect.graph import layout

    started = time.perf_counter()
    return Picture(model, graph, layout(graph), time.perf_counter() - started)


def netron_available() -> bool:
    """Whether the optional netron package can be imported."""
    try:
        return importlib.util.find_spec("netron") is not None
    except (ImportError, ValueError):  # a broken install, or an import blocked on purpose
        return False


def open_in_netron(model, path) -> str:
    """Worker job: start Netron's local server on the model's file (saved first when it has
    none) and open it in the browser; returns what to tell the user."""
    import netron

    if path is None:  # a model never saved (just built): Netron reads files
        path = Path(tempfile.mkdtemp(prefix="netlab-graph-")) / f"{model.name}.keras"
        model.save(path)
    address = netron.start(str(path), browse=True)
    where = f" at http://{address[0]}:{address[1]}" if isinstance(address, tuple) else ""
    return f"Netron shows {Path(path).name}{where} (in your browser)."
