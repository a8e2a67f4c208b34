"""A summarized model's figures beside the reference figures, each with its source.

Three kinds of reference, never mixed up:

* the exact trainable count of the ImageNet configuration from a reference
  implementation (torchvision, keras.applications), labelled "published", or
  NetLab's own count where nobody published one (AlexNet's single tower, VGG
  A-LRN and C, GoogLeNet), labelled "computed" (``ArchSpec.params``);
* the total the paper prints, usually rounded (VGG's Table 2: 138M), labelled
  "paper" (``ArchSpec.paper_params``);
* a table of pretrained models from GluonCV's model zoo
  (resources/pretrained_models.json), whose counts are *all*
  parameters: batch norm's moving mean and variance are counted too. They are
  compared with all of this model's parameters, and the table's top-1 and
  top-5 accuracy are shown beside them.

Papers and reference implementations count trainable parameters; model zoos
count everything they store. For DenseNet-121 that is 7,978,856 trainable
and 8,062,504 with the 83,648 moving statistics (:func:`parameter_convention`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from functools import cache
from importlib import resources

from netlab.inspect.summary import ModelSummary


@dataclass(frozen=True)
class Comparison:
    """One of this model's figures beside a reference figure, with its kind and source."""

    quantity: str
    configured: int
    reference: int | None
    difference: int | None  # configured - reference
    relative_difference: float | None  # difference / reference
    kind: str = ""  # published, computed, paper, pretrained, table
    note: str = ""  # the source and what the reference was counted for

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class PretrainedModel:
    """One row of the pretrained-model table (all parameters, ImageNet accuracy)."""

    alias: str
    network: str
    params: int
    top1: float
    top5: float
    origin: str
    arch: str
    options: dict
    note: str = ""


@cache
def pretrained_table() -> tuple[str, tuple[PretrainedModel, ...]]:
    """(source, rows) of resources/pretrained_models.json."""
    text = resources.files("netlab.resources").joinpath("pretrained_models.json").read_text("utf-8")
    data = json.loads(text)
    return data["source"], tuple(PretrainedModel(**row) for row in data["models"])


def pretrained_model(spec, options: dict | None = None) -> PretrainedModel | None:
    """The table's row for this architecture with these options (MobileNet's alpha), if any.

    The stem is left out of the match: it is chosen by the input size, and a
    different one shows as a difference, like a different head.
    """
    def relevant(values: dict) -> dict:
        return {k: v for k, v in {**spec.option_defaults, **values}.items() if k != "stem"}

    wanted = relevant(options or {})
    for row in pretrained_table()[1]:
        if row.arch == spec.name and relevant(row.options) == wanted:
            return row
    return None


def compare_published(summary: ModelSummary, spec, options: dict | None = None) -> list[Comparison]:
    """This model's parameters beside the reference count, the paper's and the pretrained table's.

    The references are for the ImageNet configuration (``spec.default_input``,
    1000 classes); a different input size or class count changes the head and
    shows here as a difference, which is expected.
    """
    this = f"this model: {'x'.join(str(d) for d in summary.input_shape)}, {summary.num_outputs} outputs"
    imagenet = f"{'x'.join(str(d) for d in spec.default_input)}, 1000 classes"
    rows = []
    if spec.params is None:
        rows.append(_compare("trainable params", summary.trainable_params, None, "", "no reference figure"))
    else:
        rows.append(_compare("trainable params", summary.trainable_params, spec.params.count,
                             spec.params.label, f"{spec.params.source}, {imagenet}; {this}"))
    if spec.paper_params is not None:
        rows.append(_compare("trainable params", summary.trainable_params, spec.paper_params.count, "paper",
                             f"{spec.paper_params.source}: printed {spec.paper_params.printed}; {this}"))
    row = pretrained_model(spec, options)
    if row is not None:
        source = pretrained_table()[0].split(" (")[0]
        note = f"{source}, {row.alias} (top-1 {row.top1:.2%}, top-5 {row.top5:.2%}; {row.origin})"
        if row.note:
            note += f"; {row.note}"
        rows.append(_compare("all params incl. BN statistics", summary.params, row.params, "pretrained",
                             f"{note}; {this}"))
    return rows


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
        if params is not None:
            weights = sum(r.trainable_params - r.bias_params for r in selected)
            rows.append(_compare(f"{prefix} weights", weights, int(round(params)), "table",
                                 "printed in the paper's table"))
        if macs is not None:
            rows.append(_compare(f"{prefix} MACs", sum(r.macs or 0 for r in selected), int(round(macs)),
                                 "table", "printed in the paper's table"))
    return rows


def parameter_convention(summary: ModelSummary) -> str:
    """Trainable vs all parameters, in words, with this model's numbers."""
    text = f"{summary.trainable_params:,} trainable parameters (the count papers, torchvision and Keras report)"
    if summary.non_trainable_params:
        text += (f"; {summary.params:,} in all with the {summary.non_trainable_params:,} non-trainable ones "
                 "(batch norm's moving mean and variance: updated in training, not by gradients), "
                 "the count pretrained-model tables print")
    return text


def _compare(quantity: str, configured: int, reference: int | None, kind: str, note: str) -> Comparison:
    if reference is None:
        return Comparison(quantity, int(configured), None, None, None, kind, note)
    difference = int(configured) - reference
    return Comparison(quantity, int(configured), reference, difference, difference / reference, kind, note)
