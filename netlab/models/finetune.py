"""Fine-tuning (Yosinski et al. 2014): learned weights in, a new head, a frozen or slower base.

The fine-tuned model is ``input -> [resize] -> [channel adapter] -> base -> [GAP] -> Dense``.
The base is a fresh copy of the source's base (or NetLab's own architecture,
``into_arch``) whose layers take the source's weights bottom-up and are frozen
from a chosen layer down (netlab/models/transfer.py). ``build_for_trainer``
returns what it built as one value, ``FinetuneBuild``: the model, what trains,
its optimizer, the per-layer report and any cached features.

Keras loads at import: this module is imported where a model is built, never at start-up.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import keras
import numpy as np

from netlab.architectures import build_model
from netlab.base.errors import DataError, NetlabError
from netlab.data.class_match import match_classes
from netlab.data.preprocessing import augmentation_layers, preprocessing_layers
from netlab.models.feature_cache import CachedHeadPhase, FeatureCache, split_for_cache
from netlab.models.layer_rates import with_base_rate
from netlab.models.optim import build_optimizer
from netlab.models.sources import (
    IMAGENET_PREFIX,
    imagenet_preprocessing,
    imagenet_spec,
    open_source,
    registry_options,
    split_head,
)
from netlab.models.transfer import (
    BN_NOTE,
    LOADED,
    NEW,
    LayerRow,
    apply_freeze,
    fix_imagenet_layers,
    transfer_weights,
    weighted_layers,
)


@dataclass
class FinetuneReport:
    source: str
    rows: list[LayerRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # channel replication, resizing, ...

    @property
    def trainable_params(self) -> int:
        return sum(r.params for r in self.rows if r.trainable)

    @property
    def frozen_params(self) -> int:
        return sum(r.params for r in self.rows if not r.trainable)

    def summary(self) -> str:
        """One line: how much was loaded and what trains."""
        loaded = sum(r.status == LOADED for r in self.rows)
        return (f"fine-tuning from {self.source}: {loaded} of {len(self.rows)} layers loaded, "
                f"{self.trainable_params:,} parameters in trainable layers, {self.frozen_params:,} frozen"
                + "".join(f"; {n}" for n in self.notes))

    def to_dict(self) -> dict:
        return {"source": self.source, "notes": self.notes, "trainable_params": self.trainable_params,
                "frozen_params": self.frozen_params, "layers": [dataclasses.asdict(r) for r in self.rows]}

    def text(self) -> str:
        width = max([len(r.name) for r in self.rows] + [5])
        lines = [f"fine-tuning from {self.source}"] + [f"  note: {n}" for n in self.notes]
        for r in self.rows:
            state = "trainable" if r.trainable else "frozen"
            lines.append(f"  {r.index:>3} {r.name:<{width}} {r.kind:<20} {r.status:<14} {state:<9} "
                         f"{r.params:>10,}" + (f"  ({r.note})" if r.note else ""))
        lines.append(f"  {self.trainable_params:,} parameters in trainable layers, "
                     f"{self.frozen_params:,} in frozen ones")
        return "\n".join(lines)


def _update_rows(report: FinetuneReport, base_layers) -> None:
    # The rows leave out the ImageNet preprocessing map, as transfer_weights does.
    reported = [layer for layer in base_layers if not layer.name.startswith("imagenet_")]
    for row, layer in zip(report.rows, reported, strict=False):
        row.trainable = bool(layer.trainable)
        if isinstance(layer, keras.layers.BatchNormalization) and not layer.trainable:
            row.note = (row.note + "; " if row.note else "") + BN_NOTE


def build_finetune_model(ft, source, input_shape, num_classes: int, extra_layers=(),
                         target_base=None, seed: int = 0):
    """(model, base layers, report): the fine-tuned model for ``input_shape`` data and ``num_classes``.

    ``target_base``: the base to load into (NetLab's architecture without its
    classifier); default a fresh copy of the source's base.
    """
    keras.utils.set_random_seed(seed)
    base = target_base if target_base is not None else keras.models.clone_model(source.base)
    report = FinetuneReport(source.name)
    report.rows = transfer_weights(source.base, base, ft.load_up_to, source.name)
    fix_imagenet_layers(base)
    inputs = keras.Input(input_shape, name="image")
    x = inputs
    for layer in extra_layers:  # augmentation: random, training only
        x = layer(x)
    want = tuple(base.inputs[0].shape[1:])
    if want[0] is not None and tuple(input_shape[:2]) != want[:2]:
        x = keras.layers.Resizing(want[0], want[1], name="finetune_resize")(x)
        report.notes.append(f"images resized from {input_shape[0]}x{input_shape[1]} to "
                            f"{want[0]}x{want[1]}, the source's input")
    gray_weights = None
    if input_shape[-1] == 1 and want[-1] == 3:
        x = keras.layers.Concatenate(name="gray_to_rgb")([x, x, x])
        report.notes.append("grayscale data on an RGB source: the channel is replicated to three "
                            "inside the model")
    elif input_shape[-1] == 3 and want[-1] == 1:
        gray = keras.layers.Dense(1, use_bias=False, trainable=False, name="rgb_to_gray")
        x = gray(x)
        gray_weights = gray
        report.notes.append("RGB data on a grayscale source: converted to luminance inside the model")
    elif input_shape[-1] != want[-1]:
        raise NetlabError(f"{source.name} takes {want[-1]}-channel images; the data has {input_shape[-1]}")
    x = base(x)
    if len(x.shape) == 4:
        x = keras.layers.GlobalAveragePooling2D(name="finetune_pool")(x)
    elif len(x.shape) != 2:
        x = keras.layers.Flatten(name="finetune_flatten")(x)
    # Zeros, as the registry's classifiers (Blocks.classifier): the first loss is log(C).
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="finetune_head",
                                 kernel_initializer="zeros", dtype="float32")(x)
    model = keras.Model(inputs, outputs, name=f"finetuned_{base.name}")
    if gray_weights is not None:
        gray_weights.set_weights([np.array([[0.299], [0.587], [0.114]], np.float32)])
    base_layers = weighted_layers(base)
    head = model.get_layer("finetune_head")
    report.rows.append(LayerRow(len(base_layers), head.name, "Dense", NEW, True, int(head.count_params()),
                                "the new classifier"))
    if source.dropped_head:
        report.notes.append(f"the source's classifier {source.dropped_head} was replaced by "
                            f"finetune_head ({num_classes} classes)")
    return model, base_layers, report


def base_of(model):
    """The fine-tuned model's base: its one nested model."""
    return next(layer for layer in model.layers if isinstance(layer, keras.Model))


def head_only_epochs(ft) -> int:
    return int(ft.head_epochs or 0)


def freeze_for_epoch(ft, base_layers, epoch: int) -> str:
    """The freeze setting in force at 0-based ``epoch`` (two-phase: the whole base first)."""
    return "base" if epoch < head_only_epochs(ft) else ft.freeze


@dataclass
class FinetuneBuild:
    """What ``build_for_trainer`` built: the trainer trains it, the CLI and the window show its report."""

    model: keras.Model  # the whole fine-tuned model, images -> classes: checkpointed, saved, returned
    train_model: keras.Model  # what the (last) fit trains: ``model``, or its head on cached features
    optimizer: keras.optimizers.Optimizer  # built with the variables of every phase
    report: FinetuneReport
    head_phase: CachedHeadPhase | None = None  # two phases: the head-only epochs on cached features
    feature_cache: FeatureCache | None = None  # train_model is the head alone, trained on these features


def build_for_trainer(exp, data, steps: int, source=None) -> FinetuneBuild:
    """The Trainer's hook: the fine-tuned model, what trains, its optimizer, report and cached features.

    ``source``: the experiment's source opened already (``open_source``), for a
    caller that builds often from the same one (the window's layer table).
    """
    ft, t = exp.finetune, exp.training
    if source is None:
        source = open_source(ft.source, image_side=data.input_shape[0])
    target_base = _arch_base(exp, source, data) if ft.into_arch else None
    extra = augmentation_layers(exp.data.augmentation, data.input_shape, exp.data.seed)
    model, base_layers, report = build_finetune_model(ft, source, data.input_shape, data.num_classes,
                                                      extra, target_base, seed=t.seed)
    _carry_matching_classes(source, data, exp.data.dataset, model.get_layer("finetune_head"), report)
    apply_freeze(base_layers, ft.freeze)
    _update_rows(report, base_layers)
    _note_schedule(ft, report)
    # The optimizer knows every variable that will ever train (all phases), so
    # its state is one fixed set of slots, saved and resumed like any run's.
    every = list(model.trainable_variables)
    apply_freeze(base_layers, freeze_for_epoch(ft, base_layers, 0))
    base_vars = [v for layer in base_layers if not layer.name.startswith("imagenet_")
                 for v in layer.weights if any(v is w for w in every)]
    optimizer = with_base_rate(build_optimizer(t, steps), base_vars, ft.base_lr_mult)
    optimizer.build(every)
    if ft.cache_features:  # the head trains on the frozen base's features, computed once
        return _with_cached_features(model, optimizer, report, ft, t)
    _compile(model, optimizer, t)
    return FinetuneBuild(model, model, optimizer, report)


def _note_schedule(ft, report: FinetuneReport) -> None:
    """The report's notes on what trains when, and on frozen layers left at their random start."""
    if head_only_epochs(ft):
        report.notes.append(f"two phases: the head alone for {head_only_epochs(ft)} epoch(s), then "
                            f"freeze={ft.freeze} with the base's rate x{ft.base_lr_mult:g}")
    elif ft.base_lr_mult != 1 and ft.freeze != "base":
        report.notes.append(f"the trainable base learns at {ft.base_lr_mult:g} x the head's rate")
    stuck = [r.name for r in report.rows if r.status != LOADED and not r.trainable]
    if stuck:
        report.notes.append(f"{len(stuck)} frozen layer(s) hold no loaded weights and keep their random "
                            f"start ({', '.join(stuck[:5])}{', ...' if len(stuck) > 5 else ''}): "
                            "freeze below the first of them")


def _with_cached_features(model, optimizer, report: FinetuneReport, ft, t) -> FinetuneBuild:
    """The build whose head trains on cached features: every epoch, or the head-only ones of two phases."""
    head, cache = split_for_cache(model)
    _compile(head, optimizer, t)
    if not head_only_epochs(ft):
        report.notes.append(f"cached features: the frozen layers below {cache.point} run once over the "
                            "images, then the head trains on their output")
        return FinetuneBuild(model, head, optimizer, report, feature_cache=cache)
    # Two phases: the head-only epochs train on the cache, then the whole model on the images.
    # The whole model is the one checkpointed and resumed, in either phase.
    report.notes.append(f"cached features for the {head_only_epochs(ft)} head-only epoch(s): the "
                        f"frozen layers below {cache.point} run once over the images")
    _compile(model, optimizer, t)
    return FinetuneBuild(model, model, optimizer, report,
                         head_phase=CachedHeadPhase(head, cache, head_only_epochs(ft)))


def _compile(model, optimizer, t) -> None:
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                  jit_compile=t.xla)


def _carry_matching_classes(source, data, dataset: str, head, report: FinetuneReport) -> None:
    """When every class of the data is one the source was trained on (matched by name, the rule of
    netlab/data/class_match.py), the new classifier starts from the source's rows for them."""
    if not source.class_names or not source.head_weights:
        return
    kernel, bias = source.head_weights[0], source.head_weights[-1]
    if kernel.shape[0] != head.get_weights()[0].shape[0] or len(source.head_weights) != 2:
        return
    try:
        match = match_classes(data.class_names, source.class_names, kernel.shape[1], dataset, source.name)
    except DataError:
        report.notes.append(f"{dataset} has classes {source.name} was not trained on: the classifier starts new")
        return
    index = list(match.model_index)
    head.set_weights([kernel[:, index], bias[index]])
    report.rows[-1].status = LOADED
    report.rows[-1].note = "the source's classifier rows for these classes, matched by name"


def _arch_base(exp, source, data):
    """NetLab's own architecture for this data, minus its classifier, to load the source into.

    Its preprocessing is the one the source's weights expect: ImageNet's for an
    ImageNet source, else the experiment's own (a NetLab run's base has it too).
    """
    if source.name.startswith(IMAGENET_PREFIX):
        preprocessing = imagenet_preprocessing(imagenet_spec(source.name)[2])
    else:
        preprocessing = preprocessing_layers(exp.data, data)
    exp = dataclasses.replace(exp, model=dataclasses.replace(
        exp.model, options=registry_options(source.name, exp.model.arch, exp.model.options)))
    full = build_model(exp, data.input_shape, data.num_classes, preprocessing)
    base, _ = split_head(full)
    return base


def finetune_report(exp, data, source=None) -> FinetuneReport:
    """The per-layer report of a fine-tuning experiment, without training."""
    return build_for_trainer(exp, data, 1, source).report


def phase_callback(exp, train_model):
    """A callback that applies the two-phase schedule at each epoch's start (resumes included)."""
    ft = exp.finetune
    base_layers = weighted_layers(base_of(train_model))

    class _PhaseSwitch(keras.callbacks.Callback):
        state = None

        def on_epoch_begin(self, epoch, logs=None):
            freeze = freeze_for_epoch(ft, base_layers, epoch)
            if freeze != self.state:
                apply_freeze(base_layers, freeze)
                if self.state is not None or epoch > 0:
                    self.model.make_train_function(force=True)
                self.state = freeze

    return _PhaseSwitch()
