"""The papers' blocks in a model's layers: which layers make one inception module, residual
block, dense block, transition or inverted residual.

Most builders name a block's layers with one prefix (NetLab's and keras.applications':
``inception_3a_*``, ``conv2_block1_*``, ``block_1_*``), so a block is the layers sharing it.
Keras's Inception v3 names only a module's output (``mixed0``) and its branches
``conv2d_17``, ``activation_17``, ...: there a module is found from the graph, as the layers
between the output and its immediate dominator (the one tensor every path into the module
passes through, the previous module's output).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

INCEPTION = "Inception module"  # Szegedy et al. 2015 (GoogLeNet), 2016 (Inception v3)
RESIDUAL = "Residual block"  # He et al. 2016
DENSE = "Dense block"  # Huang et al. 2017
TRANSITION = "Transition layer"  # Huang et al. 2017, between dense blocks
INVERTED = "Inverted residual"  # Sandler et al. 2018 (MobileNetV2)
SEPARABLE = "Depthwise separable"  # Howard et al. 2017 (MobileNet)


@dataclass(frozen=True)
class Block:
    """One block of a model: its key (a prefix of its layers' names), kind and layers, in graph order."""

    key: str
    kind: str
    members: tuple[str, ...]


def _prefix_rules(names: Sequence[str]) -> list[tuple[re.Pattern, str, Callable[[re.Match], str]]]:
    """(pattern, kind, key of a match) for this model's names; the first rule that matches wins."""
    first = lambda m: m.group(1)  # noqa: E731
    dense = any(re.fullmatch(r"conv\d+_block\d+_concat", n) for n in names)
    rules = [
        (re.compile(r"^(inception_\d+[a-z])_"), INCEPTION, first),  # GoogLeNet's "3a" ... "5b"
        (re.compile(r"^(block_\d+)_"), INVERTED, first),
        (re.compile(r"^(expanded_conv)_"), INVERTED, first),  # keras MobileNetV2's block 0
        (re.compile(r"^conv_(?:dw|pw|pad)_(\d+)(?:_|$)"), SEPARABLE, lambda m: f"separable_{m.group(1)}"),
    ]
    if dense:  # DenseNet names its dense layers conv2_block1_* too: the block is conv2_*
        rules += [(re.compile(r"^(conv\d+)_block\d+_"), DENSE, first),
                  (re.compile(r"^(pool\d+)_(?:bn|relu|conv|pool)$"), TRANSITION, first)]
    else:
        rules.append((re.compile(r"^(conv\d+_block\d+)_"), RESIDUAL, first))
    return rules


# An inception module's output, whatever its branches are called (Keras's Inception v3: mixed0..10).
_MODULE_OUTPUT = re.compile(r"^mixed\d+$")


def find_blocks(order: Sequence[str], names: Mapping[str, str],
                preds: Mapping[str, Iterable[str]]) -> list[Block]:
    """The blocks among the nodes ``order`` (ids in graph order) named ``names[id]``, with
    ``preds[id]`` the ids feeding each; members are ids. A block of one layer is none."""
    raw = [names[i] for i in order]
    rules = _prefix_rules(raw)
    groups: dict[str, tuple[str, list[str]]] = {}
    taken: set[str] = set()
    for node, name in zip(order, raw):
        for pattern, kind, key in rules:
            match = pattern.match(name)
            if match:
                groups.setdefault(key(match), (kind, []))[1].append(node)
                taken.add(node)
                break
    module_ends = [(n, names[n]) for n in order if _MODULE_OUTPUT.match(names[n]) and n not in taken]
    if module_ends:
        inside = set(order)
        dominators = immediate_dominators(order, preds)
        for end, name in module_ends:
            members = _between(dominators.get(end), end, preds, inside) - taken
            taken |= members
            groups[name] = (INCEPTION, [n for n in order if n in members])
    return [Block(key, kind, tuple(members)) for key, (kind, members) in groups.items()
            if len(members) > 1]


def immediate_dominators(order: Sequence[str], preds: Mapping[str, Iterable[str]]) -> dict:
    """Each node's immediate dominator in a DAG given in topological order (None: the nodes
    without predecessors share a virtual root). Cooper, Harvey & Kennedy's intersection."""
    index = {v: i for i, v in enumerate(order)}
    idom: dict = {}

    def intersect(a, b):
        while a != b:
            while a is not None and (b is None or index[a] > index[b]):
                a = idom[a]
            while b is not None and (a is None or index[b] > index[a]):
                b = idom[b]
        return a

    for v in order:
        ps = [p for p in preds.get(v, ()) if p in index]
        dom = ps[0] if ps else None
        for p in ps[1:]:
            dom = intersect(dom, p)
        idom[v] = dom
    return idom


def _between(entry, end, preds, inside) -> set[str]:
    """``end`` and the nodes on paths from ``entry`` (excluded) to it."""
    found, stack = {end}, [end]
    while stack:
        for p in preds.get(stack.pop(), ()):
            if p != entry and p in inside and p not in found:
                found.add(p)
                stack.append(p)
    return found
