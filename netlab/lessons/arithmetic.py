"""Lessons of arithmetic: two small networks side by side, counted, nothing trained.

A lesson with ``"kind": "arithmetic"`` lists *comparisons*: each gives an input shape and two
sides, each side a short list of layers built by the registry's own block builders
(netlab/architectures/blocks.py, normalization off: convolutions keep their bias and are
followed by ReLU, as in GoogLeNet and VGG), on a ``keras.Input`` of that shape. NetLab's own
counters (netlab/inspect/summary.py) count each side's parameters and multiply-adds and give
its receptive field; the comparison's claim checks them, e.g. ``reduced.macs < 0.1 x
direct.macs``. Nothing is written down in advance: every number comes from the Keras layers
built. :func:`comparison_models` gives a comparison's two Keras models (for a graph of them).

A side's layers, in order (``kernel`` is a side or ``[height, width]``)::

    {"conv": FILTERS, "kernel": K, "strides": 1}   convolution, bias, ReLU
    {"depthwise": K}                               depthwise convolution, bias, ReLU
    {"global_pool": "avg"}                         global average pooling
    {"flatten": true}                              flatten the feature maps
    {"classifier": CLASSES}                        the softmax classifier (a dense layer)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from netlab.base.errors import ConfigError
from netlab.lessons.claims import shown

# Keras is imported inside functions: `netlab --help` and the window import the lessons first.

ARITHMETIC = "arithmetic"
METRICS = ("params", "macs", "receptive_field")
LAYER_KINDS = {"conv": {"kernel", "strides"}, "depthwise": {"strides"}, "global_pool": set(),
               "flatten": set(), "classifier": set()}
OPS = {"<": lambda a, b: a < b, ">": lambda a, b: a > b, "=": lambda a, b: a == b}


@dataclass
class Check:
    """``left op factor x right``, each side ``SIDE.METRIC`` of one comparison."""

    left: str
    op: str
    right: str
    factor: float = 1.0

    def check(self, values: dict) -> dict:
        left, right = _value(self.left, values), _value(self.right, values)
        held = bool(OPS[self.op](left, self.factor * right))
        factor = "" if self.factor == 1 else f"{self.factor:g} x "
        sign = self.op if held else {"<": ">=", ">": "<=", "=": "!="}[self.op]
        text = (f"{self.left} {shown(self.left, left)} {sign} {factor}{self.right} {shown(self.right, right)} "
                f"(ratio {left / right:.3f})" if right else f"{self.left} {left:g} {sign} {self.right} {right:g}")
        return {"left": self.left, "op": self.op, "right": self.right, "factor": self.factor,
                "left_value": left, "right_value": right, "held": held, "text": text}


def _value(side: str, values: dict) -> float:
    name, metric = side.split(".", 1)
    return float(values[name][metric])


@dataclass
class Comparison:
    name: str
    title: str
    reference: str
    input: list
    left: dict  # {"name": ..., "layers": [...]}
    right: dict
    claim: list[Check] = field(default_factory=list)

    @property
    def sides(self) -> tuple[dict, dict]:
        return self.left, self.right


def parse_comparisons(raw: list, where: str) -> list[Comparison]:
    """The comparisons of an arithmetic lesson, checked without Keras; a ConfigError names what is wrong."""
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{where}: an arithmetic lesson lists its comparisons")
    found = []
    for entry in raw:
        try:
            checks = [Check(**c) for c in entry.get("claim", [])]
            comparison = Comparison(**{**entry, "claim": checks})
        except (TypeError, AttributeError) as exc:
            raise ConfigError(f"{where}: malformed comparison ({exc})") from None
        _check_comparison(comparison, f"{where}: comparison {comparison.name}")
        found.append(comparison)
    return found


def _check_comparison(c: Comparison, where: str) -> None:
    if len(c.input) != 3 or not all(isinstance(d, int) and d > 0 for d in c.input):
        raise ConfigError(f"{where}: input is [height, width, channels] (got {c.input!r})")
    names = []
    for side in c.sides:
        if not isinstance(side.get("name"), str) or not side.get("layers"):
            raise ConfigError(f"{where}: each side has a name and layers")
        names.append(side["name"])
        for layer in side["layers"]:
            kinds = [k for k in layer if k in LAYER_KINDS]
            if len(kinds) != 1 or set(layer) - {kinds[0]} - LAYER_KINDS[kinds[0]]:
                raise ConfigError(f"{where}: a layer is one of {', '.join(LAYER_KINDS)} with its "
                                  f"options (got {layer!r})")
    for check in c.claim:
        if check.op not in OPS:
            raise ConfigError(f"{where}: a claim's op is one of {' '.join(OPS)} (got {check.op!r})")
        for side in (check.left, check.right):
            name, _, metric = side.partition(".")
            if name not in names or metric not in METRICS:
                raise ConfigError(f"{where}: the claim names {side!r}; sides: {', '.join(names)}; "
                                  f"metrics: {', '.join(METRICS)}")


def build_side(side: dict, input_shape, seed: int = 0):
    """One side of a comparison as a Keras model, built by the registry's block builders."""
    import keras

    from netlab.architectures.blocks import Blocks
    from netlab.config.knobs import RegularizationConfig

    blocks = Blocks(RegularizationConfig(norm="none", dropout=0.0), seed=seed)
    inputs = keras.Input(tuple(input_shape), name=f"{side['name']}_input")
    x = inputs
    for i, layer in enumerate(side["layers"], start=1):
        name = f"{side['name']}_{i}"
        if "conv" in layer:
            x = blocks.conv_norm_act(x, layer["conv"], _kernel(layer.get("kernel", 3)),
                                     layer.get("strides", 1), name=name)
        elif "depthwise" in layer:
            x = blocks.depthwise_conv(x, _kernel(layer["depthwise"]), layer.get("strides", 1), name=f"{name}_dw")
            x = blocks.act(x, name)
        elif "global_pool" in layer:
            x = keras.layers.GlobalAveragePooling2D(name=f"{name}_global_pool")(x)
        elif "flatten" in layer:
            x = keras.layers.Flatten(name=f"{name}_flatten")(x)
        else:
            x = blocks.classifier(x, layer["classifier"], name=f"{name}_classifier")
    return keras.Model(inputs, x, name=side["name"])


def _kernel(k):
    return tuple(k) if isinstance(k, list) else k


def comparison_models(comparison: Comparison) -> tuple:
    """The comparison's two Keras models, left then right."""
    return tuple(build_side(side, comparison.input) for side in comparison.sides)


def count(model) -> dict:
    """Parameters, multiply-adds (one image) and receptive field of the last layer, by NetLab's summary."""
    from netlab.inspect.summary import summarize

    summary = summarize(model)
    last = summary.rows[-1]
    return {"params": summary.params, "macs": summary.macs, "receptive_field": last.receptive_field,
            "output_shape": list(last.output_shape),
            "layers": [{"name": r.name, "class_name": r.class_name, "output_shape": list(r.output_shape),
                        "params": r.params, "macs": r.macs} for r in summary.rows]}


def run_comparison(comparison: Comparison, models: tuple | None = None) -> dict:
    """One comparison: both sides built (or ``models``, :func:`comparison_models`'s) and counted,
    its claim checked."""
    values = {}
    for side, model in zip(comparison.sides, models or comparison_models(comparison), strict=True):
        values[side["name"]] = {**count(model), "definition": side["layers"]}
    checks = [c.check(values) for c in comparison.claim]
    return {"name": comparison.name, "title": comparison.title, "reference": comparison.reference,
            "input": list(comparison.input), "sides": values, "checks": checks,
            "held": all(c["held"] for c in checks)}


def arithmetic_result(spec) -> dict:
    """result.json of an arithmetic lesson: every comparison, its numbers, its checks, the verdict."""
    done = [run_comparison(c) for c in spec.comparisons]
    held = all(c["held"] for c in done)
    checks = [{**check, "comparison": c["name"]} for c in done for check in c["checks"]]
    return {"name": spec.name, "title": spec.title, "question": spec.question, "reference": spec.reference,
            "kind": ARITHMETIC, "budget": None, "seeds": [], "arms": {}, "complete": True,
            "arithmetic": done, "comparisons": checks, "held": held, "verdict": verdict(done, held)}


def millions(n) -> str:
    """112.9M, 10.07G: multiply-adds as the papers write them."""
    return f"{n / 1e9:.2f}G" if n >= 1e9 else f"{n / 1e6:.1f}M" if n >= 1e5 else f"{n:,}"


def verdict(done: list[dict], held: bool) -> str:
    lines = [("Held" if held else "Did not hold") + ": "
             + "; ".join(f"{c['name']} {'held' if c['held'] else 'did not hold'}" for c in done) + "."]
    for c in done:
        shape = "x".join(map(str, c["input"]))
        sides = "; ".join(f"{name}: {millions(v['macs'])} multiply-adds, {v['params']:,} parameters, "
                          f"receptive field {v['receptive_field']}" for name, v in c["sides"].items())
        lines.append(f"  {c['title']} (on {shape}): {sides}.")
        lines.extend(f"    {'ok  ' if check['held'] else 'FAIL'} {check['text']}" for check in c["checks"])
    return "\n".join(lines)
