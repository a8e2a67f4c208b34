"""The flags that set an experiment, shared by train, lr-find, finetune and search:
declared once, read into an ``Experiment`` over ``--config``.

Experiment settings are checked by ``Experiment.validate()``, so a flag and a config
file get the same message.
"""

from __future__ import annotations

import argparse

from netlab.architectures import get_arch
from netlab.base.errors import ConfigError
from netlab.config import MIXED_PRECISIONS, NORMALIZATIONS, OPTIMIZERS, SCHEDULES, Experiment
from netlab.config.descriptions import setting_help
from netlab.runs.run import load_settings

# --flag (argparse dest) -> TrainingConfig attribute, for the options beyond the basics.
TRAINING_FLAGS = {
    "momentum": "momentum", "nesterov": "nesterov", "weight_decay": "weight_decay",
    "schedule": "schedule", "decay_rate": "decay_rate", "decay_epochs": "decay_epochs",
    "warmup_epochs": "warmup_epochs", "min_lr": "min_learning_rate",
    "plateau_patience": "plateau_patience", "early_stopping": "early_stopping",
    "patience": "patience", "restore_best": "restore_best", "mixed_precision": "mixed_precision",
    "xla": "xla", "tensorboard": "tensorboard", "train_eval": "train_eval",
    "health": "health", "health_every": "health_every",
}

# --flag (argparse dest) -> the setting it works with and the values where it does something.
FLAG_ACTS_WITH = {
    "momentum": ("optimizer", ("sgd", "rmsprop")), "nesterov": ("optimizer", ("sgd",)),
    "weight_decay": ("optimizer", ("adamw",)),
    "decay_rate": ("schedule", ("step", "exponential", "plateau")),
    "decay_epochs": ("schedule", ("step", "exponential")), "warmup_epochs": ("schedule", ("cosine",)),
    "min_lr": ("schedule", ("cosine", "plateau")), "plateau_patience": ("schedule", ("plateau",)),
    "patience": ("early_stopping", (True,)),
}


def add_option_flag(p) -> None:
    p.add_argument("--option", action="append", metavar="KEY=VALUE",
                   help="an architecture option, e.g. stem=small (repeatable; `netlab archs --options` "
                        "lists each architecture's options and the values they take)")


def add_experiment_flags(p) -> None:
    """The flags; a flag that sets one setting is helped by its description (netlab.config.descriptions,
    the window's tooltips)."""
    on = argparse.BooleanOptionalAction
    p.add_argument("--config", help="experiment JSON (flags below override it)")
    p.add_argument("--arch", help=setting_help("model.arch"))
    p.add_argument("--dataset", help=setting_help("data.dataset"))
    p.add_argument("--epochs", type=int, help=setting_help("training.epochs"))
    p.add_argument("--batch-size", type=int, help=setting_help("training.batch_size"))
    p.add_argument("--lr", type=float, help=setting_help("training.learning_rate"))
    p.add_argument("--optimizer", choices=OPTIMIZERS, help=setting_help("training.optimizer"))
    p.add_argument("--dropout", type=float, help=setting_help("regularization.dropout"))
    p.add_argument("--norm", choices=NORMALIZATIONS, help=setting_help("regularization.norm"))
    add_option_flag(p)
    p.add_argument("--image-size", type=int, help=setting_help("data.image_size"))
    p.add_argument("--max-samples", type=int, help=setting_help("data.max_samples"))
    p.add_argument("--seed", type=int, help="seed of the split and of the training (data.seed, training.seed)")
    g = p.add_argument_group("optimizer, schedule, early stopping, device")
    g.add_argument("--momentum", type=float, help=setting_help("training.momentum"))
    g.add_argument("--nesterov", action=on, help=setting_help("training.nesterov"))
    g.add_argument("--weight-decay", type=float, help=setting_help("training.weight_decay"))
    g.add_argument("--schedule", choices=SCHEDULES, help=setting_help("training.schedule"))
    g.add_argument("--decay-rate", type=float, help=setting_help("training.decay_rate"))
    g.add_argument("--decay-epochs", type=int, help=setting_help("training.decay_epochs"))
    g.add_argument("--warmup-epochs", type=int, help=setting_help("training.warmup_epochs"))
    g.add_argument("--min-lr", type=float, help=setting_help("training.min_learning_rate"))
    g.add_argument("--plateau-patience", type=int, help=setting_help("training.plateau_patience"))
    g.add_argument("--early-stopping", action=on, help=setting_help("training.early_stopping"))
    g.add_argument("--patience", type=int, help=setting_help("training.patience"))
    g.add_argument("--restore-best", action=on, help=setting_help("training.restore_best"))
    g.add_argument("--mixed-precision", choices=MIXED_PRECISIONS, help=setting_help("training.mixed_precision"))
    g.add_argument("--xla", action=on, help=setting_help("training.xla"))
    g.add_argument("--tensorboard", action=on, help=setting_help("training.tensorboard"))
    g.add_argument("--train-eval", action=on, help=setting_help("training.train_eval") + " (on by default)")
    g.add_argument("--health", action=on, help=setting_help("training.health") + " (on by default)")
    g.add_argument("--health-every", type=int, metavar="K", help=setting_help("training.health_every"))


def parse_options(arch: str, pairs: list[str] | None) -> dict:
    """``--option KEY=VALUE`` pairs, read with the architecture's option schema."""
    spec, options = get_arch(arch), {}
    for pair in pairs or ():
        key, sep, text = pair.partition("=")
        if not sep or key not in spec.options:
            known = ", ".join(spec.options) or "none"
            raise ConfigError(f"--option {pair!r}: expected KEY=VALUE with KEY an option of {arch} ({known})")
        options[key] = spec.options[key].parse(f"model.options.{key}", text)
    return options


def experiment_from_args(args):
    exp = unchecked_experiment_from_args(args)
    refuse_flags_that_do_nothing(args, exp)
    return exp.validate()


def unchecked_experiment_from_args(args):
    """--config and the flags, not validated yet (a search validates it once, with its space)."""
    exp = load_settings(args.config) if args.config else Experiment()
    overrides = [
        (args.arch, exp.model, "arch"), (args.dataset, exp.data, "dataset"),
        (args.epochs, exp.training, "epochs"), (args.batch_size, exp.training, "batch_size"),
        (args.lr, exp.training, "learning_rate"), (args.optimizer, exp.training, "optimizer"),
        (args.seed, exp.training, "seed"), (args.dropout, exp.regularization, "dropout"),
        (args.norm, exp.regularization, "norm"), (args.max_samples, exp.data, "max_samples"),
        (args.image_size, exp.data, "image_size"),
    ]
    for value, section, name in overrides:
        if value is not None:
            setattr(section, name, value)
    for flag, name in TRAINING_FLAGS.items():
        value = getattr(args, flag, None)
        if value is not None:
            setattr(exp.training, name, value)
    if args.seed is not None:
        exp.data.seed = args.seed
    exp.model.options.update(parse_options(exp.model.arch, args.option))
    return exp


def refuse_flags_that_do_nothing(args, exp) -> None:
    """`--optimizer adam --momentum 0.9` trained without momentum, silently: a flag typed for nothing
    (unless a search varies the setting it works with)."""
    training = exp.training
    for flag, (setting, values) in FLAG_ACTS_WITH.items():
        if (getattr(args, flag, None) in (None, False) or getattr(training, setting) in values
                or f"training.{setting}" in exp.search.space):
            continue
        name = f"--{flag.replace('_', '-')}"
        if setting == "early_stopping":
            raise ConfigError(f"{name} does nothing without early stopping; add --early-stopping or leave it out")
        raise ConfigError(f"{name} does nothing with {setting} {getattr(training, setting)}: it acts with "
                          f"--{setting} {' or '.join(values)}; leave it out or choose one of those")
