"""Model summary: output shapes, parameters, multiply-adds and receptive fields.

One :class:`LayerRow` per layer of a functional Keras model, in topological
order, and the totals. Qt-free: the window's summary view, the ``netlab
summary`` command and the tests all read the same :class:`ModelSummary`.

Conventions (those of the "ops" column of GoogLeNet's Table 1, Szegedy et al. 2015):

* **MACs** are multiply-accumulates for *one* image, weights only:
  Conv2D ``H_out*W_out*C_out*(kh*kw*C_in/groups)``, DepthwiseConv2D
  ``H_out*W_out*C*kh*kw*depth_multiplier``, SeparableConv2D its depthwise plus
  its pointwise part, Dense ``in*out`` (times the positions it is applied at).
  Bias additions, pooling, normalization, activations, Add, Concatenate,
  padding, dropout and custom layers count zero. ``None`` when a shape is
  unknown (an input of variable size).

Receptive fields: :mod:`netlab.inspect.receptive_field`; comparisons with
published figures: :mod:`netlab.inspect.published`; plain-text tables:
:mod:`netlab.inspect.text`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace

from netlab.base.errors import ConfigError
from netlab.inspect.receptive_field import Field, geometry, layer_kinds, propagate

# Keras is imported inside functions: `netlab --help` imports this module (its commands'
# modules do) and shows before TensorFlow loads.


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


def _spatial(shape, data_format) -> tuple:
    """Spatial dims of a full shape (batch included)."""
    return tuple(shape[2:]) if data_format == "channels_first" else tuple(shape[1:-1])


def _positions(dims) -> int | None:
    return None if any(d is None for d in dims) else math.prod(dims)


def _macs(layer, input_shape, output_shape) -> int | None:
    """Multiply-accumulates of one layer for one image (see the module docstring)."""
    kinds = layer_kinds(layer)
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
    fields: dict[int, Field | None] = {}
    rows: dict[int, LayerRow] = {}
    # Deepest nodes first: every node's inputs are walked before it.
    for depth in sorted(graph._nodes_by_depth, reverse=True):
        for node in graph._nodes_by_depth[depth]:
            layer = node.operation
            inputs = list(node.input_tensors)
            sub = None
            if not inputs:  # an InputLayer
                dims = _spatial(node.outputs[0].shape, fmt)
                field_out = Field((1,) * len(dims), (1,) * len(dims)) if dims else None
            else:
                in_fields = [fields[id(t)] for t in inputs if fields.get(id(t)) is not None]
                if hasattr(layer, "_nodes_by_depth"):  # a nested functional model
                    sub = summarize(layer)
                field_out = propagate(layer, in_fields, sub)
                if field_out is not None and field_out.jump is None and whole:
                    # Seeing the whole input: at least the image side, square.
                    side = max(*whole, *field_out.rf)
                    field_out = Field((side,) * len(whole), None)
            for t in node.outputs:
                fields[id(t)] = field_out
            if id(layer) not in rows:
                rows[id(layer)] = _row(layer, node, field_out, sub)
            else:  # a shared layer: its numbers are its first call's, its inputs every call's
                first = rows[id(layer)]
                more = tuple(n for n in _inbound(node) if n not in first.inbound)
                rows[id(layer)] = replace(first, inbound=first.inbound + more)
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


def _row(layer, node, field_out: Field | None, sub: ModelSummary | None) -> LayerRow:
    inputs = list(node.input_tensors)
    output_shape = tuple(node.outputs[0].shape)
    if sub is not None:
        macs = sub.macs if sub.macs_complete else None
    elif inputs:
        macs = _macs(layer, tuple(inputs[0].shape), output_shape)
    else:
        macs = 0
    kernel, strides, padding, dilation = geometry(layer)
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
        inbound=_inbound(node),
    )


def _inbound(node) -> tuple[str, ...]:
    """Names of the layers whose outputs a node takes, in argument order."""
    return tuple(t._keras_history.operation.name for t in node.input_tensors
                 if getattr(t, "_keras_history", None) is not None)

