"""Receptive field and jump of every layer, and the output-size formula.

Conventions:

* **Receptive field** (``receptive_field``): side, in input pixels, of the
  square region of the input that one output pixel depends on; **jump**
  (``jump``): input pixels between neighbouring outputs. Per layer with a
  kernel ``k``, stride ``s`` and dilation ``d``:
  ``r_out = r_in + (d*(k-1))*j_in`` and ``j_out = j_in*s`` (three 3x3 convs
  see 7x7, like one 7x7, Simonyan & Zisserman 2015). Merges (Add, Concatenate) take the largest
  input. The figure is the theoretical one and ignores the image border, so
  deep networks report more than the image side; global pooling, Flatten and
  what follows them see the whole input (at least the image side), and have
  no jump (``None``). Asymmetric kernels (Inception v3's 1x7) are tracked per
  axis in ``receptive_field_hw``; ``receptive_field`` is the larger side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # netlab.inspect.summary imports this module: no import back at run time
    from netlab.inspect.summary import ModelSummary


def output_size(w_in: int, f: int, p: int, s: int, strict: bool = False) -> int:
    """W2 = (W1 - F + 2P)/S + 1 (CS231n notes, "ConvNets"), floored the way Keras and cuDNN floor it.

    Keras ``padding="valid"`` is ``p=0``; ``padding="same"`` with stride 1 is
    ``p=(f-1)/2`` for odd ``f``. ``strict=True`` refuses a stride that does not
    fit the padded input evenly (CS231n's rule of thumb).
    """
    span = w_in - f + 2 * p
    if span < 0:
        raise ValueError(f"a {f}x{f} window does not fit a {w_in}-pixel input padded by {p}")
    if strict and span % s:
        raise ValueError(f"(W1 - F + 2P)/S = ({w_in} - {f} + 2*{p})/{s} is not an integer")
    return span // s + 1


def ints(value, n) -> tuple:
    if isinstance(value, int):
        return (value,) * n
    return tuple(int(v) for v in value)


def layer_kinds(layer) -> set[str]:
    """Class names along the MRO: Keras 3's base classes (BaseConv, BaseGlobalPooling, ...)
    name a whole family of layers (1D/2D/3D) and their subclasses."""
    return {cls.__name__ for cls in type(layer).__mro__}


@dataclass(frozen=True)
class Field:
    """Receptive field and jump of a tensor, per spatial axis; jump None = whole input."""

    rf: tuple
    jump: tuple | None


# Layers after which one value depends on the whole input.
_GLOBAL_KINDS = {"BaseGlobalPooling", "Flatten", "Reshape"}


def geometry(layer) -> tuple[tuple | None, tuple | None, str | None, tuple | None]:
    """(kernel, strides, padding, dilation) of a sliding-window layer, else Nones."""
    if hasattr(layer, "kernel_size"):
        n = len(layer.kernel_size)
        dilation = ints(getattr(layer, "dilation_rate", 1), n)
        return tuple(layer.kernel_size), ints(layer.strides, n), layer.padding, dilation
    if getattr(layer, "pool_size", None) is not None:
        n = len(layer.pool_size)
        strides = layer.strides if layer.strides is not None else layer.pool_size
        return tuple(layer.pool_size), ints(strides, n), layer.padding, (1,) * n
    return None, None, None, None


def propagate(layer, fields: list[Field], sub: ModelSummary | None) -> Field | None:
    """The field after ``layer``; a global layer returns the largest input field, jump None."""
    if not fields:
        return None
    if any(f.jump is None for f in fields):
        return Field((max(max(f.rf) for f in fields),), None)
    # Merges (Add, Concatenate) take the largest field and jump of their inputs.
    n = max(len(f.rf) for f in fields)
    fields = [f for f in fields if len(f.rf) == n]
    rf = tuple(max(f.rf[i] for f in fields) for i in range(n))
    jump = tuple(max(f.jump[i] for f in fields) for i in range(n))
    kinds = layer_kinds(layer)
    if sub is not None:  # a nested model: compose with its own overall field and jump
        last = sub.rows[-1]
        if last.jump_hw is None:
            return Field(rf, None)
        kernel, strides, dilation = last.receptive_field_hw, last.jump_hw, (1,) * n
    elif kinds & _GLOBAL_KINDS:
        return Field(rf, None)
    else:
        kernel, strides, _, dilation = geometry(layer)
    if kernel is None or len(kernel) != n:
        if kinds & {"UpSampling1D", "UpSampling2D", "UpSampling3D"}:
            return Field(rf, tuple(_tidy(j / s) for j, s in zip(jump, ints(layer.size, n))))
        return Field(rf, jump)  # element-wise, normalization, padding, dropout, custom
    if "BaseConvTranspose" in kinds:
        jump = tuple(_tidy(j / s) for j, s in zip(jump, strides))
        return Field(
            tuple(_tidy(r + d * (k - 1) * j) for r, k, d, j in zip(rf, kernel, dilation, jump)), jump
        )
    # r_out = r_in + d*(k-1)*j_in, j_out = j_in*s
    return Field(
        tuple(r + d * (k - 1) * j for r, k, d, j in zip(rf, kernel, dilation, jump)),
        tuple(j * s for j, s in zip(jump, strides)),
    )


def _tidy(x):
    return int(x) if float(x).is_integer() else x

