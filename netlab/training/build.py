"""What a run trains and how: its model (from the registry or from learned weights), restored
from a checkpoint, the fits that train it and the callbacks they run.

Keras loads at import (with the model builders): the trainer imports this module only once
its run folder is taken, so a refused folder answers before TensorFlow loads.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras

from netlab.architectures import build_model, get_arch
from netlab.base.errors import TrainingError
from netlab.data.download import download_progress
from netlab.data.preprocessing import preprocessing_layers
from netlab.models.finetune import FinetuneBuild, build_for_trainer, phase_callback
from netlab.models.optim import build_optimizer
from netlab.runs.folder import TENSORBOARD_DIR
from netlab.training.activation_logs import ActivationHistograms
from netlab.training.callbacks import EpochTensorBoard, EventCallback, Progress, tensorboard_available
from netlab.training.determinism import restore_seed_generator_states
from netlab.training.events import Notice
from netlab.training.health import HealthCallback
from netlab.training.multi_worker import shard_by_data
from netlab.training.train_eval import TrainEvaluation


@dataclass
class BuiltModel:
    train_model: keras.Model  # what fit() trains last (with any auxiliary heads)
    model: keras.Model  # the inference form (main output only): checkpointed, saved, returned
    optimizer: keras.optimizers.Optimizer
    finetune: FinetuneBuild | None = None  # what fine-tuning built; None for a registry model


def build_for_run(exp, data, steps: int, on_download) -> BuiltModel:
    """The model ``exp`` trains on ``data``, compiled; ``on_download(url, done, total)`` reports
    ImageNet weights missing from Keras's cache while they download."""
    if exp.finetune.source:  # built from learned weights, not from the registry
        with download_progress(on_download):
            built = build_for_trainer(exp, data, steps)
        return BuiltModel(built.train_model, built.model, built.optimizer, built)
    return registry_model(exp, data, steps)


def registry_model(exp, data, steps: int) -> BuiltModel:
    """The registry's architecture for ``data``, compiled with its auxiliary heads' losses."""
    # Pixels arrive in [0, 255]; scaling lives inside the model so a saved
    # model classifies raw images by itself.
    preprocessing = preprocessing_layers(exp.data, data)
    train_model = build_model(exp, data.input_shape, data.num_classes, preprocessing, aux=True)
    outputs = train_model.outputs
    model = train_model if len(outputs) == 1 else keras.Model(
        train_model.input, outputs[0], name=train_model.name)
    t = exp.training
    optimizer = build_optimizer(t, steps)
    if len(outputs) == 1:
        train_model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                            metrics=["accuracy"], jit_compile=t.xla)
    else:
        # Auxiliary heads (GoogLeNet's, Szegedy et al. 2015, Sec. 5): loss = main + w x each
        # auxiliary loss, w from the architecture's spec and options.
        aux_weight = get_arch(exp.model.arch).aux_loss_weight(exp.model.options)
        train_model.compile(
            optimizer=optimizer,
            loss=["sparse_categorical_crossentropy"] * len(outputs),
            loss_weights=[1.0] + [aux_weight] * (len(outputs) - 1),
            metrics=[["accuracy"]] + [[] for _ in outputs[1:]],
            jit_compile=t.xla,
        )
    return BuiltModel(train_model, model, train_model.optimizer)


def restore_checkpoint(built: BuiltModel, run_dir, checkpoint: dict | None, seed: int) -> Progress:
    """The run's counters: a new run's, or the checkpoint's, loaded into the built model (weights,
    optimizer state, random streams)."""
    if checkpoint is None:
        return Progress(seed=seed)
    train_model, optimizer = built.train_model, built.optimizer
    # Create the optimizer's slots so load_weights restores them (and
    # its step counter, which is the schedule's position).
    if not optimizer.built:  # a fine-tuning optimizer is built with every phase's variables
        optimizer.build(train_model.trainable_variables)
    try:
        train_model.load_weights(run_dir / checkpoint["weights"])
    except (ValueError, OSError) as exc:
        raise TrainingError(
            f"the checkpoint in {run_dir} does not fit this run's model ({exc}); "
            "start a new run instead"
        ) from None
    # Dropout and augmentation continue their random streams where they were.
    restore_seed_generator_states(train_model, checkpoint.get("seed_generators"))
    return Progress.from_dict(checkpoint)


def fit_plan(built: BuiltModel, data, t, start: int, sharded: bool) -> list[tuple]:
    """Each fit from epoch ``start``: (model, train pipeline, val pipeline, initial epoch, end epoch).

    Arrays and image folders alike (a folder streams through tf.data). Epoch e's
    order depends on (seed, e) only, so a resumed run sees the same batches as one
    never stopped; one pass per remaining epoch, back to back. ``sharded``: every
    worker of a cluster takes its share of each global batch.
    """
    fits = []
    head_phase = built.finetune.head_phase if built.finetune is not None else None
    cache = built.finetune.feature_cache if built.finetune is not None else None
    if head_phase is not None and start < head_phase.epochs:  # two-phase fine-tuning, phase 1 cached
        fits.append(head_phase.fit_plan(data, t.batch_size, t.seed, start))
        start = head_phase.epochs
    if cache is not None:  # fine-tuning a frozen base: its features, computed once, in the same order
        train_ds, val_ds = cache.pipelines(data, t.batch_size, t.seed, range(start, t.epochs))
    else:
        num_outputs = len(built.train_model.outputs)
        train_ds = data.train_pipeline(t.batch_size, seed=t.seed, num_outputs=num_outputs,
                                       epochs=range(start, t.epochs))
        val_ds = data.val_pipeline(t.batch_size, num_outputs=num_outputs)
    if sharded:
        train_ds, val_ds = shard_by_data(train_ds), shard_by_data(val_ds)
    fits.append((built.train_model, train_ds, val_ds, start, t.epochs))
    return fits


def replicas(model) -> int:
    """How many replicas train ``model`` (its distribution strategy's; 1 without one)."""
    strategy = getattr(model, "distribute_strategy", None)
    return strategy.num_replicas_in_sync if strategy is not None else 1


def run_callbacks(trainer, exp, data, built: BuiltModel, progress: Progress, steps: int):
    """(the trainer's EventCallback, every callback fit() runs, in their order at an epoch's end)."""
    t, model = exp.training, built.model
    callback = EventCallback(trainer, built.train_model, model, built.optimizer, progress, steps, t,
                             num_classes=data.num_classes)
    callbacks = [callback]
    if t.train_eval:  # first: it adds its columns to the logs the others write
        evaluation = TrainEvaluation.for_data(model, data, t)
        if evaluation is not None:
            callbacks.insert(0, evaluation)
    if built.finetune is not None:  # two-phase fine-tuning: each epoch's freeze, set at its start
        callbacks.append(phase_callback(exp, model))
    if t.tensorboard and trainer.writer is not None and tensorboard_available():
        # Before the callback that emits EpochEnd: the window redraws the curves with
        # the epoch's points while the next epoch's steps run, which leave the
        # interpreter free, not while the logs are written.
        at = callbacks.index(callback)
        callbacks[at:at] = [
            EpochTensorBoard(trainer.writer.dir / TENSORBOARD_DIR),
            ActivationHistograms.for_data(trainer.writer.dir / TENSORBOARD_DIR, model, data, t.seed),
        ]
    if t.health and (trainer.multi_worker is not None or replicas(model) > 1):
        # Its pass reads the weights outside a replica's context, which a distributed model refuses.
        trainer.emit(Notice(f"Health is measured on one device only: this run trains on {replicas(model)} "
                            "replicas, so health.csv is not written.", check="health"))
    elif t.health:
        logs = t.tensorboard and trainer.writer is not None and tensorboard_available()
        callbacks.insert(callbacks.index(callback), HealthCallback.for_data(
            model, data, t.seed, trainer.emit, steps=steps, every=t.health_every, initial_epoch=progress.epoch,
            run_dir=trainer.writer.dir if trainer.writer is not None else None,
            log_dir=trainer.writer.dir / TENSORBOARD_DIR if logs else None))
    callbacks.extend(trainer.extra_callbacks)
    return callback, callbacks
