"""A graph node's numbers in the lectures' formulas, one line each, with this layer's values.

- output side: W2 = (W1 - F + 2P)/S + 1 (CS231n notes, "ConvNets"), as Keras floors it;
  Keras's "same" pads F - 1 in all at stride 1 (more on one side when that is odd);
- parameters: (F*F*D1)*D2 + D2 for a convolution (its weights and biases), D1*D2 + D2 for a
  fully connected layer, 4*D for batch normalization (two of them trained);
- multiply-adds: H2*W2*D2*(F*F*D1) for a convolution (the "ops" of GoogLeNet's Table 1);
- receptive field: r = r_in + (F - 1)*j_in and jump j = j_in*S (the field grows by the
  kernel, spaced by the input's jump; Simonyan & Zisserman 2015 on stacked 3x3 convolutions).

The numbers are the summary's (:mod:`netlab.inspect.summary`); a formula is shown only where
its result is that number, so a layer the formulas do not describe gets its plain figures.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # graph.py imports this module lazily; no import back at run time
    from netlab.inspect.graph import Graph, LayerFacts, Node

DOT = "\u00b7"


def node_details(graph: Graph, node_id: str) -> list[str]:
    """Text lines for one node of ``graph`` (a layer or a block)."""
    node = graph.node(node_id)
    if node.children:
        return _block_lines(graph, node)
    facts = graph.facts[node.id]
    lines = [f"{node.id}: {node.type}, output {_shape(node.output_shape)}"]
    if facts.input_shapes:
        lines.append("input " + ", ".join(_shape(s) for s in facts.input_shapes))
    lines += _side_lines(facts)
    lines.append(_params_line(facts))
    lines.append(_macs_line(facts))
    lines.append(_field_line(facts))
    if node.block:
        lines.append(f"in block {node.block}")
    return lines


def _block_lines(graph: Graph, node: Node) -> list[str]:
    macs = "unknown (a variable input size)" if node.macs is None else f"{node.macs:,}"
    rf = "-" if node.receptive_field is None else f"{node.receptive_field} pixels"
    return [f"{node.id}: {node.type} of {len(node.children)} layers, output {_shape(node.output_shape)}",
            f"parameters {node.params:,} (the sum over its layers)",
            f"multiply-adds {macs} per image",
            f"receptive field at its output {rf}"]


def _shape(shape) -> str:
    return "\u00d7".join("?" if d is None else str(d) for d in shape) or "-"


def _sliding(facts: LayerFacts) -> bool:
    row = facts.row
    return row.kernel is not None and bool(facts.input_shapes) and len(facts.input_shapes[0]) == 3


def _side_lines(facts: LayerFacts) -> list[str]:
    """W2 = (W1 - F + 2P)/S + 1 per spatial axis (one line when both axes are alike)."""
    if not _sliding(facts):
        return []
    row = facts.row
    dilation = row.dilation or (1,) * len(row.kernel)
    lines, axes = [], list(zip("HW", facts.input_shapes[0][:2], row.kernel, row.strides, dilation,
                               row.output_shape[:2]))
    if axes[0][1:] == axes[1][1:]:
        axes = axes[1:]
    for axis, w1, kernel, s, d, w2 in axes:
        if w1 is None:
            continue
        f = d * (kernel - 1) + 1  # a dilated kernel spans d*(F-1) + 1 pixels
        pad = 0 if row.padding == "valid" else max((math.ceil(w1 / s) - 1) * s + f - w1, 0)
        two_p = f"2{DOT}{pad // 2}" if pad % 2 == 0 else f"{pad}"
        if (w1 - f + pad) // s + 1 != w2:
            continue
        notes = [f"F = {d}{DOT}({kernel} - 1) + 1 = {f}: a {kernel}-wide kernel dilated by {d}"] if d != 1 else []
        notes += ["rounded down"] if (w1 - f + pad) % s else []
        notes += [f"P = {pad / 2:g}: Keras pads {pad // 2} before, {pad - pad // 2} after"] if pad % 2 else []
        lines.append(f"output side: {axis}2 = ({axis}1 - F + 2P)/S + 1 = ({w1} - {f} + {two_p})/{s} + 1 = "
                     f"{w2}" + (f" ({'; '.join(notes)})" if notes else ""))
    return lines


def _params_line(facts: LayerFacts) -> str:
    total = facts.row.params
    formula = _params_formula(facts)
    if formula is not None and formula[1] == total:
        text, _, note = formula
        return f"parameters: {text} = {total:,}{note}"
    return f"parameters: {total:,}"


def _params_formula(facts: LayerFacts) -> tuple[str, int, str] | None:
    """(formula with this layer's numbers, its value, a note) where one applies."""
    row, kinds = facts.row, facts.kinds
    d1 = facts.input_shapes[0][-1] if facts.input_shapes and facts.input_shapes[0] else None
    d2 = row.output_shape[-1] if row.output_shape else None
    if d1 is None or d2 is None:
        return None
    bias = row.bias_params
    plus = " + D2" if bias else ""
    if "BaseConv" in kinds and _sliding(facts):
        fh, fw = row.kernel[:2]
        sizes = f"({fh}{DOT}{fw}{DOT}{d1}){DOT}{d2}" + (f" + {d2}" if bias else "")
        return f"(F{DOT}F{DOT}D1){DOT}D2{plus} = {sizes}", fh * fw * d1 * d2 + bias, ""
    if "BaseDepthwiseConv" in kinds and _sliding(facts):  # one F x F filter per input channel
        fh, fw = row.kernel[:2]
        sizes = f"({fh}{DOT}{fw}){DOT}{d2}" + (f" + {d2}" if bias else "")
        return (f"(F{DOT}F){DOT}D2{plus} = {sizes}", fh * fw * d2 + bias,
                " (depthwise: D2 = D1 x the depth multiplier)")
    if "Dense" in kinds:
        return (f"D1{DOT}D2{plus} = {d1}{DOT}{d2}" + (f" + {d2}" if bias else ""), d1 * d2 + bias, "")
    if "BatchNormalization" in kinds:
        return f"4{DOT}D = 4{DOT}{d2}", 4 * d2, " (scale and offset trained; moving mean and variance not)"
    return None


def _macs_line(facts: LayerFacts) -> str:
    row = facts.row
    if row.macs is None:
        return "multiply-adds: unknown (a variable input size)"
    kinds = facts.kinds
    if row.macs and _sliding(facts) and "BaseConv" in kinds:
        h2, w2, d2 = row.output_shape
        fh, fw = row.kernel[:2]
        d1 = facts.input_shapes[0][-1]
        if h2 * w2 * d2 * fh * fw * d1 == row.macs:
            return (f"multiply-adds: H2{DOT}W2{DOT}D2{DOT}(F{DOT}F{DOT}D1) = "
                    f"{h2}{DOT}{w2}{DOT}{d2}{DOT}({fh}{DOT}{fw}{DOT}{d1}) = {row.macs:,}")
    if row.macs and _sliding(facts) and "BaseDepthwiseConv" in kinds:
        h2, w2, d2 = row.output_shape
        fh, fw = row.kernel[:2]
        if h2 * w2 * d2 * fh * fw == row.macs:
            return (f"multiply-adds: H2{DOT}W2{DOT}D2{DOT}(F{DOT}F) = "
                    f"{h2}{DOT}{w2}{DOT}{d2}{DOT}({fh}{DOT}{fw}) = {row.macs:,}")
    if row.macs and "Dense" in kinds and facts.input_shapes:
        d1, d2 = facts.input_shapes[0][-1], row.output_shape[-1]
        if d1 * d2 == row.macs:
            return f"multiply-adds: D1{DOT}D2 = {d1}{DOT}{d2} = {row.macs:,}"
    if not row.macs:
        return "multiply-adds: 0 (no weights to multiply)"
    return f"multiply-adds: {row.macs:,}"


def _field_line(facts: LayerFacts) -> str:
    row = facts.row
    if facts.receptive_field is None:
        return "receptive field: -"
    if facts.jump is None:
        return f"receptive field: the whole input ({facts.receptive_field} pixels or more)"
    r_in, j_in = facts.input_field, facts.input_jump
    if row.kernel is not None and r_in is not None and j_in is not None and len(set(row.kernel)) == 1:
        f, s = row.kernel[0], row.strides[0]
        d = (row.dilation or (1,))[0]
        rule, spread = (f"d{DOT}(F - 1)", f"{d}{DOT}({f} - 1)") if d != 1 else ("(F - 1)", f"({f} - 1)")
        if r_in + d * (f - 1) * j_in == facts.receptive_field:
            return (f"receptive field: r = r_in + {rule}{DOT}j_in = {r_in} + {spread}{DOT}{_num(j_in)} = "
                    f"{_pixels(facts.receptive_field)}; jump j = j_in{DOT}S = {_num(j_in)}{DOT}{s} = "
                    f"{_num(facts.jump)}")
    return f"receptive field: {_pixels(facts.receptive_field)}, jump {_num(facts.jump)}"


def _pixels(n) -> str:
    return f"{n} pixel" if n == 1 else f"{n} pixels"


def _num(x) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)
