"""Model summary: output shapes, parameters, multiply-adds and receptive fields.

One :class:`LayerRow` per layer of a functional Keras model, in topological
order, and the totals. Qt-free: the window's summary view, the ``netlab
summary`` command and the tests all read the same :class:`ModelSummary`.

Conventions (those of the "ops" column of the GoogLeNet table, seeds/001):

* **MACs** are multiply-accumulates for *one* image, weights only:
  Conv2D ``H_out*W_out*C_out*(kh*kw*C_in/groups)``, DepthwiseConv2D
  ``H_out*W_out*C*kh*kw*depth_multiplier``, SeparableConv2D its depthwise plus
  its pointwise part, Dense ``in*out`` (times the positions it is applied at).
  Bias additions, pooling, normalization, activations, Add, Concatenate,
  padding, dropout and custom layers count zero. ``None`` when a shape is
  unknown (an input of variable size).
* **Receptive field** (``receptive_field``): side, in input pixels, of the
  square region of the input that one output pixel depends on; **jump**
  (``jump``): input pixels between neighbouring outputs. Per layer with a
  kernel ``k``, stride ``s`` and dilation ``d``:
  ``r_out = r_in + (d*(k-1))*j_in`` and ``j_out = j_in*s`` (three 3x3 convs
  see 7x7, like one 7x7, seeds/003). Merges (Add, Concatenate) take the largest
  input. The figure is the theoretical one and ignores the image border, so
  deep networks report more than the image side; global pooling, Flatten and
  what follows them see the whole input (at least the image side), and have
  no jump (``None``). Asymmetric kernels (Inception v3's 1x7) are tracked per
  axis in ``receptive_field_hw``; ``receptive_field`` is the larger side.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from netlab.errors import ConfigError


@dataclass(frozen=True)
class LayerRow:
    name: str
    class_name: str
    output_shape: tuple  # batch dimension dropped; the first output of a multi-output layer
    trainable_params: int
    non_trainable_params: int
    macs: int | None
    receptive_field: int | None
    jump: int | float | None
    receptive_field_hw: tuple | None = None
    jump_hw: tuple | None = None
    kernel: tuple | None = None
    strides: tuple | None = None
    padding: str | None = None
    dilation: tuple | None = None
    inbound: tuple = ()  # names of the layers feeding this one
    bias_params: int = 0  # of trainable_params, those in a bias vector

    @property
    def params(self) -> int:
        return self.trainable_params + self.non_trainable_params


@dataclass(frozen=True)
class ModuleTotals:
    """Sums over the layers of one module (layers sharing a name prefix)."""

    name: str
    layers: int
    trainable_params: int
    non_trainable_params: int
    macs: int
    output_shape: tuple
    receptive_field: int | None


@dataclass
class ModelSummary:
    name: str
    input_shape: tuple
    rows: list[LayerRow] = field(default_factory=list)
    trainable_params: int = 0
    non_trainable_params: int = 0
    macs: int = 0  # known MACs only; see ``macs_complete``
    macs_complete: bool = True

    @property
    def params(self) -> int:
        return self.trainable_params + self.non_trainable_params

    @property
    def num_outputs(self) -> int | None:
        shape = self.rows[-1].output_shape if self.rows else ()
        return shape[-1] if shape else None

    def row(self, name: str) -> LayerRow:
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(name)

    def select(self, prefix: str) -> list[LayerRow]:
        """The rows whose name starts with ``prefix`` (give the separator: ``inception_3a_``)."""
        rows = [row for row in self.rows if row.name.startswith(prefix)]
        if not rows:
            raise ConfigError(
                f"no layer of {self.name} has a name starting with {prefix!r}; "
                f"its modules are: {', '.join(self.modules())}"
            )
        return rows

    def modules(self, depth: int = 2, prefix_sep: str = "_") -> dict[str, ModuleTotals]:
        """Layers grouped by the first ``depth`` parts of their names, in order.

        ``inception_3a_1x1_conv`` -> ``inception_3a``, ``conv2_block1_1_conv`` ->
        ``conv2_block1``; a name of ``depth`` parts or fewer groups by its first
        part (``conv1_conv`` -> ``conv1``).
        """
        groups: dict[str, list[LayerRow]] = {}
        for row in self.rows:
            parts = row.name.split(prefix_sep)
            key = prefix_sep.join(parts[:depth]) if len(parts) > depth else parts[0]
            groups.setdefault(key, []).append(row)
        return {key: _module_totals(key, rows) for key, rows in groups.items()}

    def to_dict(self) -> dict:
        """Plain JSON-able data (tuples become lists when dumped)."""
        return {
            "name": self.name,
            "input_shape": list(self.input_shape),
            "trainable_params": self.trainable_params,
            "non_trainable_params": self.non_trainable_params,
            "params": self.params,
            "macs": self.macs,
            "macs_complete": self.macs_complete,
            "layers": [_jsonable(asdict(row)) for row in self.rows],
        }


def _module_totals(name: str, rows: list[LayerRow]) -> ModuleTotals:
    return ModuleTotals(
        name=name,
        layers=len(rows),
        trainable_params=sum(r.trainable_params for r in rows),
        non_trainable_params=sum(r.non_trainable_params for r in rows),
        macs=sum(r.macs or 0 for r in rows),
        output_shape=rows[-1].output_shape,
        receptive_field=rows[-1].receptive_field,
    )


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    return value


def macs_by_prefix(summary: ModelSummary, prefix: str) -> int:
    """MACs of the layers whose name starts with ``prefix`` (e.g. ``inception_3a_``)."""
    return sum(row.macs or 0 for row in summary.select(prefix))


def params_by_prefix(summary: ModelSummary, prefix: str, trainable_only: bool = False) -> int:
    """Parameters of the layers whose name starts with ``prefix``."""
    rows = summary.select(prefix)
    if trainable_only:
        return sum(row.trainable_params for row in rows)
    return sum(row.params for row in rows)


def output_size(w_in: int, f: int, p: int, s: int, strict: bool = False) -> int:
    """W2 = (W1 - F + 2P)/S + 1 (seeds/003), floored the way Keras and cuDNN floor it.

    Keras ``padding="valid"`` is ``p=0``; ``padding="same"`` with stride 1 is
    ``p=(f-1)/2`` for odd ``f``. ``strict=True`` refuses a stride that does not
    fit the padded input evenly (the lecture's rule of thumb).
    """
    span = w_in - f + 2 * p
    if span < 0:
        raise ValueError(f"a {f}x{f} window does not fit a {w_in}-pixel input padded by {p}")
    if strict and span % s:
        raise ValueError(f"(W1 - F + 2P)/S = ({w_in} - {f} + 2*{p})/{s} is not an integer")
    return span // s + 1


# -- the graph walk ------------------------------------------------------------


def _functional(model):
    import keras

    if isinstance(model, keras.Sequential):
        if getattr(model, "_functional", None) is None:
            raise ConfigError(
                f"model {model.name} has no input shape yet: build it (or give it a keras.Input) "
                "before summarizing it"
            )
        return model._functional
    if not hasattr(model, "_nodes_by_depth"):
        raise ConfigError(
            f"model {model.name} is a subclassed model; only functional and Sequential models "
            "have a graph to summarize"
        )
    return model


def _count(weights) -> int:
    return int(sum(math.prod(w.shape) for w in weights))


def _unique(weights) -> list:
    seen: dict[int, object] = {}
    for w in weights:
        seen.setdefault(id(w), w)
    return list(seen.values())


def _ints(value, n) -> tuple:
    if isinstance(value, int):
        return (value,) * n
    return tuple(int(v) for v in value)


def _spatial(shape, data_format) -> tuple:
    """Spatial dims of a full shape (batch included)."""
    return tuple(shape[2:]) if data_format == "channels_first" else tuple(shape[1:-1])


def _positions(dims) -> int | None:
    return None if any(d is None for d in dims) else math.prod(dims)


def _kinds(layer) -> set[str]:
    """Class names along the MRO: Keras 3's base classes (BaseConv, BaseGlobalPooling, ...)
    name a whole family of layers (1D/2D/3D) and their subclasses."""
    return {cls.__name__ for cls in type(layer).__mro__}


def _macs(layer, input_shape, output_shape) -> int | None:
    """Multiply-accumulates of one layer for one image (see the module docstring)."""
    kinds = _kinds(layer)
    fmt = getattr(layer, "data_format", "channels_last")
    if "BaseConvTranspose" in kinds:  # each input pixel scatters one kernel
        positions = _positions(_spatial(input_shape, fmt))
        per_position = math.prod(layer.kernel.shape)
    elif "BaseSeparableConv" in kinds:  # depthwise then pointwise, both at every output pixel
        positions = _positions(_spatial(output_shape, fmt))
        per_position = math.prod(layer.depthwise_kernel.shape) + math.prod(layer.pointwise_kernel.shape)
    elif kinds & {"BaseConv", "BaseDepthwiseConv"}:
        # Conv kernel: kh*kw*(C_in/groups)*C_out; depthwise: kh*kw*C*depth_multiplier.
        positions = _positions(_spatial(output_shape, fmt))
        per_position = math.prod(layer.kernel.shape)
    elif "Dense" in kinds:
        positions = _positions(tuple(output_shape[1:-1]))  # 1 for a (batch, features) input
        per_position = math.prod(layer.kernel.shape)
    else:
        return 0
    return None if positions is None else int(positions * per_position)


@dataclass(frozen=True)
class _Field:
    """Receptive field and jump of a tensor, per spatial axis; jump None = whole input."""

    rf: tuple
    jump: tuple | None


# Layers after which one value depends on the whole input.
_GLOBAL_KINDS = {"BaseGlobalPooling", "Flatten", "Reshape"}


def _geometry(layer) -> tuple[tuple | None, tuple | None, str | None, tuple | None]:
    """(kernel, strides, padding, dilation) of a sliding-window layer, else Nones."""
    if hasattr(layer, "kernel_size"):
        n = len(layer.kernel_size)
        dilation = _ints(getattr(layer, "dilation_rate", 1), n)
        return tuple(layer.kernel_size), _ints(layer.strides, n), layer.padding, dilation
    if getattr(layer, "pool_size", None) is not None:
        n = len(layer.pool_size)
        strides = layer.strides if layer.strides is not None else layer.pool_size
        return tuple(layer.pool_size), _ints(strides, n), layer.padding, (1,) * n
    return None, None, None, None


def _propagate(layer, fields: list[_Field], sub: ModelSummary | None) -> _Field | None:
    """The field after ``layer``; a global layer returns the largest input field, jump None."""
    if not fields:
        return None
    if any(f.jump is None for f in fields):
        return _Field((max(max(f.rf) for f in fields),), None)
    # Merges (Add, Concatenate) take the largest field and jump of their inputs.
    n = max(len(f.rf) for f in fields)
    fields = [f for f in fields if len(f.rf) == n]
    rf = tuple(max(f.rf[i] for f in fields) for i in range(n))
    jump = tuple(max(f.jump[i] for f in fields) for i in range(n))
    kinds = _kinds(layer)
    if sub is not None:  # a nested model: compose with its own overall field and jump
        last = sub.rows[-1]
        if last.jump_hw is None:
            return _Field(rf, None)
        kernel, strides, dilation = last.receptive_field_hw, last.jump_hw, (1,) * n
    elif kinds & _GLOBAL_KINDS:
        return _Field(rf, None)
    else:
        kernel, strides, _, dilation = _geometry(layer)
    if kernel is None or len(kernel) != n:
        if kinds & {"UpSampling1D", "UpSampling2D", "UpSampling3D"}:
            return _Field(rf, tuple(_tidy(j / s) for j, s in zip(jump, _ints(layer.size, n))))
        return _Field(rf, jump)  # element-wise, normalization, padding, dropout, custom
    if "BaseConvTranspose" in kinds:
        jump = tuple(_tidy(j / s) for j, s in zip(jump, strides))
        return _Field(
            tuple(_tidy(r + d * (k - 1) * j) for r, k, d, j in zip(rf, kernel, dilation, jump)), jump
        )
    # r_out = r_in + d*(k-1)*j_in, j_out = j_in*s
    return _Field(
        tuple(r + d * (k - 1) * j for r, k, d, j in zip(rf, kernel, dilation, jump)),
        tuple(j * s for j, s in zip(jump, strides)),
    )


def _tidy(x):
    return int(x) if float(x).is_integer() else x


def summarize(model) -> ModelSummary:
    """Summarize a functional (or Sequential) Keras model, one row per layer in graph order.

    One walk over the graph, no tensors computed: VGG-16 at 224x224 takes a few
    milliseconds and DenseNet-264 under 0.2 s on two CPU cores (building the
    Keras model takes far longer).
    """
    graph = _functional(model)
    input_shape = tuple(graph.inputs[0].shape[1:])
    fmt = "channels_last"
    whole = tuple(d or 0 for d in input_shape[:-1])  # spatial dims of a channels-last image
    fields: dict[int, _Field | None] = {}
    rows: dict[int, LayerRow] = {}
    # Deepest nodes first: every node's inputs are walked before it.
    for depth in sorted(graph._nodes_by_depth, reverse=True):
        for node in graph._nodes_by_depth[depth]:
            layer = node.operation
            inputs = list(node.input_tensors)
            sub = None
            if not inputs:  # an InputLayer
                dims = _spatial(node.outputs[0].shape, fmt)
                field_out = _Field((1,) * len(dims), (1,) * len(dims)) if dims else None
            else:
                in_fields = [fields[id(t)] for t in inputs if fields.get(id(t)) is not None]
                if hasattr(layer, "_nodes_by_depth"):  # a nested functional model
                    sub = summarize(layer)
                field_out = _propagate(layer, in_fields, sub)
                if field_out is not None and field_out.jump is None and whole:
                    # Seeing the whole input: at least the image side, square.
                    side = max(*whole, *field_out.rf)
                    field_out = _Field((side,) * len(whole), None)
            for t in node.outputs:
                fields[id(t)] = field_out
            if id(layer) not in rows:
                rows[id(layer)] = _row(layer, node, field_out, sub)
    ordered = [rows[id(op)] for op in graph.operations if id(op) in rows]
    known = [r.macs for r in ordered if r.macs is not None]
    return ModelSummary(
        name=model.name,
        input_shape=input_shape,
        rows=ordered,
        trainable_params=_count(_unique(model.trainable_weights)),
        non_trainable_params=_count(_unique(model.non_trainable_weights)),
        macs=int(sum(known)),
        macs_complete=len(known) == len(ordered),
    )


def _row(layer, node, field_out: _Field | None, sub: ModelSummary | None) -> LayerRow:
    inputs = list(node.input_tensors)
    output_shape = tuple(node.outputs[0].shape)
    if sub is not None:
        macs = sub.macs if sub.macs_complete else None
    elif inputs:
        macs = _macs(layer, tuple(inputs[0].shape), output_shape)
    else:
        macs = 0
    kernel, strides, padding, dilation = _geometry(layer)
    if padding is None and type(layer).__name__.startswith("ZeroPadding"):
        padding = str(layer.padding)
    rf = field_out.rf if field_out is not None else None
    jump = field_out.jump if field_out is not None else None
    return LayerRow(
        name=layer.name,
        class_name=type(layer).__name__,
        output_shape=output_shape[1:],
        trainable_params=_count(getattr(layer, "trainable_weights", ())),
        bias_params=_count([b] if (b := getattr(layer, "bias", None)) is not None and b.trainable else []),
        non_trainable_params=_count(getattr(layer, "non_trainable_weights", ())),
        macs=macs,
        receptive_field=max(rf) if rf else None,
        jump=max(jump) if jump else None,
        receptive_field_hw=rf,
        jump_hw=jump,
        kernel=kernel,
        strides=strides,
        padding=padding,
        dilation=dilation if dilation and any(d != 1 for d in dilation) else None,
        inbound=tuple(
            t._keras_history.operation.name for t in inputs if getattr(t, "_keras_history", None) is not None
        ),
    )


# -- published figures -----------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """The configured model's figure beside the one its paper (or torchvision) publishes."""

    quantity: str
    configured: int
    published: int | None
    difference: int | None  # configured - published
    relative_difference: float | None  # difference / published
    note: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def compare_published(summary: ModelSummary, spec) -> list[Comparison]:
    """Trainable parameters (and MACs, when the registry knows them) vs the published figures.

    Published figures are for the ImageNet configuration (``spec.default_input``,
    1000 classes); a different input size or class count changes the head and
    shows here as a difference, which is expected.
    """
    this = f"this model: {'x'.join(str(d) for d in summary.input_shape)}, {summary.num_outputs} outputs"
    paper = f"published: {'x'.join(str(d) for d in spec.default_input)}, 1000 classes"
    note = f"{paper}; {this}"
    figures = [("trainable params", summary.trainable_params, spec.published_params)]
    published_macs = getattr(spec, "published_macs", None)
    if published_macs is not None:
        figures.append(("MACs", summary.macs, published_macs))
    return [_compare(quantity, configured, published, note) for quantity, configured, published in figures]


def compare_table(summary: ModelSummary, spec) -> list[Comparison]:
    """Part by part, the computed figures beside those printed in the paper's table.

    Only for an architecture whose registry entry carries its table
    (``spec.published_table``: layer-name prefix -> (params, MACs)) and a model
    at the table's input. Printed params count weights without biases; so do
    the computed ones here. Nothing is rounded away: a printed figure that is
    off (GoogLeNet's conv1, 4c, 5a) shows as a difference.
    """
    if not spec.published_table or tuple(summary.input_shape) != tuple(spec.default_input):
        return []
    rows = []
    for prefix, (params, macs) in spec.published_table.items():
        selected = summary.select(prefix)
        if not selected:
            continue
        weights = sum(r.trainable_params - r.bias_params for r in selected)
        if params is not None:
            rows.append(_compare(f"{prefix} weights", weights, int(round(params)), "printed in the paper's table"))
        if macs is not None:
            rows.append(_compare(f"{prefix} MACs", sum(r.macs or 0 for r in selected), int(round(macs)),
                                 "printed in the paper's table"))
    return rows


def _compare(quantity: str, configured: int, published: int | None, note: str) -> Comparison:
    if published is None:
        return Comparison(quantity, int(configured), None, None, None, "no published figure")
    difference = int(configured) - published
    return Comparison(quantity, int(configured), published, difference, difference / published, note)


# -- text ------------------------------------------------------------------------


def human(n: int | float | None) -> str:
    """11689512 -> '11.7M', 1.82e9 -> '1.82G' (three significant digits)."""
    if n is None:
        return "?"
    for factor, unit in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")):
        if abs(n) >= factor:
            text = f"{n / factor:.3g}"
            # .3g switches to exponent notation at 1000 (999.7K -> 1e+03K): say 1M instead.
            if "e" in text:
                return f"{n / (factor * 1000):.3g}{'PTGM'['TGMK'.index(unit)]}"
            return f"{text}{unit}"
    return f"{n:g}" if isinstance(n, float) else str(n)


def _shape_text(shape: Iterable) -> str:
    return "x".join("?" if d is None else str(d) for d in shape)


def format_table(summary: ModelSummary) -> str:
    """A plain-text table for the CLI: one line per layer and a totals line."""
    header = ("layer", "type", "output", "params", "MACs", "RF", "stride")
    lines = [header, *(_cells(r) for r in summary.rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    right = {3, 4, 5, 6}

    def fmt(line):
        cells = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(line, widths))]
        return "  ".join(cells).rstrip()

    rule = "-" * len(fmt(header))
    body = [fmt(header), rule, *(fmt(line) for line in lines[1:]), rule]
    macs = human(summary.macs) + ("" if summary.macs_complete else " (some layers unknown)")
    body.append(
        f"{summary.name}: {human(summary.params)} params ({summary.trainable_params:,} trainable, "
        f"{summary.non_trainable_params:,} non-trainable), {macs} MACs per image "
        f"at {_shape_text(summary.input_shape)}"
    )
    return "\n".join(body)


def _cells(r: LayerRow) -> tuple[str, ...]:
    if r.receptive_field is None:
        rf = ""
    else:  # "all": global pooling and what follows see the whole image
        rf = "all" if r.jump is None else _hw(r.receptive_field_hw)
    stride = "" if r.jump is None else _hw(r.jump_hw)
    params = human(r.params) if r.params else ""
    macs = human(r.macs) if r.macs != 0 else ""
    return r.name, r.class_name, _shape_text(r.output_shape), params, macs, rf, stride


def _hw(values: tuple) -> str:
    return str(values[0]) if len(set(values)) == 1 else "x".join(str(v) for v in values)


def format_comparison(rows: list[Comparison]) -> str:
    """Configured vs published, one line per figure."""
    lines = []
    for c in rows:
        if c.published is None:
            lines.append(f"{c.quantity}: {c.configured:,} ({c.note})")
        else:
            lines.append(
                f"{c.quantity}: {c.configured:,} configured vs {c.published:,} published "
                f"({c.difference:+,}, {c.relative_difference:+.2%}; {c.note})"
            )
    return "\n".join(lines)
