"""``netlab finetune SOURCE --dataset D ...``: train from learned weights (Yosinski et al. 2014).

SOURCE is a NetLab run folder, a ``.keras`` file, or ``imagenet:ARCH``. The
settings land in the experiment's ``finetune`` section, so the run folder's
config.json holds them and ``netlab train --config`` / ``netlab resume`` carry them.
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

from netlab.base.errors import ConfigError
from netlab.cli.command import Command
from netlab.cli.flags import number_flag, run_folder_flag
from netlab.cli.settings import add_experiment_flags, experiment_from_args
from netlab.cli.train import print_event, run_to_the_end
from netlab.data.input_spec import load_described
from netlab.models.sources import IMAGENET_PREFIX, IMAGENET_REGISTRY, imagenet_spec, open_source
from netlab.runs.folder import new_run_dir
from netlab.training.events import RunStarted
from netlab.training.trainer import Trainer

# netlab.models.finetune, which imports Keras as it loads, is imported inside cmd_finetune: `netlab --help`
# imports this module and must not load Keras.


def add_finetune_arguments(p) -> None:
    p.add_argument("source", help="a NetLab run folder, a .keras file, or imagenet:ARCH: NetLab's counterparts "
                   "(imagenet:mobilenetv2) or any keras.applications model as Keras spells it "
                   "(imagenet:EfficientNetB0, imagenet:ConvNeXtTiny)")
    add_experiment_flags(p)
    g = p.add_argument_group("fine-tuning")
    g.add_argument("--freeze", help="base (default: train the new head only), none, or a layer name: "
                                    "every layer below it stays frozen")
    g.add_argument("--load-up-to", help="load the source's weights from the first layer up to this one")
    g.add_argument("--base-lr-mult", type=number_flag(float, 0),
                   help="the unfrozen base's learning rate relative to the head's (default 0.1)")
    g.add_argument("--head-epochs", type=number_flag(int, 0),
                   help="two phases: the head alone for K epochs, then unfreeze to --freeze")
    g.add_argument("--into-arch", action="store_true",
                   help="load the source into --arch (NetLab's architecture) by position and shape, "
                        "instead of a copy of the source's own layers; for imagenet:ARCH the default "
                        "--arch is NetLab's counterpart (imagenet:resnet50: resnet50 in the keras layout)")
    g.add_argument("--cache-features", action="store_true",
                   help="with the whole base frozen (or for the --head-epochs of two phases) and no "
                        "augmentation: run the base once over the images and train the head on its "
                        "outputs (much faster per epoch)")
    p.add_argument("--out", type=run_folder_flag, help="run folder (default: runs/<time>-finetune-<dataset>)")
    p.add_argument("--overwrite", action="store_true", help="--out may hold files: move them aside")
    p.add_argument("--report", action="store_true", help="print the per-layer report and do not train")
    p.add_argument("--json", action="store_true", help="with --report: the report as JSON")


def finetune_experiment(args):
    """The experiment of the command line, with its finetune section set."""
    exp = experiment_from_args(args)
    ft = exp.finetune
    # Stored absolute: the run's config.json must find it again from anywhere (resume).
    ft.source = args.source if args.source.startswith(IMAGENET_PREFIX) else str(Path(args.source).absolute())
    for flag, name in (("freeze", "freeze"), ("load_up_to", "load_up_to"), ("base_lr_mult", "base_lr_mult"),
                       ("head_epochs", "head_epochs")):
        value = getattr(args, flag)
        if value is not None:
            setattr(ft, name, value)
    if args.into_arch:
        ft.into_arch = True
        if args.source.startswith(IMAGENET_PREFIX) and args.arch is None and not args.config:
            # NetLab's own counterpart of the ImageNet architecture, unless --arch names another.
            counterpart = IMAGENET_REGISTRY.get(imagenet_spec(args.source)[0])
            if counterpart is None:
                raise ConfigError(f"--into-arch: NetLab has no counterpart of {args.source} to load it into "
                                  f"(those it has: {', '.join(IMAGENET_PREFIX + a for a in IMAGENET_REGISTRY)}); "
                                  "name one with --arch, or fine-tune its own layers without --into-arch")
            exp.model.arch = counterpart[0]
    if args.cache_features:
        ft.cache_features = True
    if exp.data.image_size is None and not ft.into_arch:
        # The data comes at the source's input size when it has one (no resizing inside the model).
        if not ft.source.startswith(IMAGENET_PREFIX):
            side = open_source(ft.source).input_shape[0]
            if side is not None:
                exp.data.image_size = int(side)
    return exp.validate()


def cmd_finetune(args) -> int:
    if args.json and not args.report:  # it trained and printed text, --json unheeded
        raise ConfigError("--json goes with --report (the per-layer report as JSON); training prints its "
                          "progress as text")
    exp = finetune_experiment(args)
    if args.report:
        # Keras's download bar for imagenet:ARCH weights goes to stderr: stdout is the report (--json).
        with contextlib.redirect_stdout(sys.stderr):
            from netlab.models.finetune import finetune_report

            report = finetune_report(exp, load_described(exp.data))
        print(json.dumps(report.to_dict(), indent=2) if args.json else report.text())
        return 0
    out = Path(args.out) if args.out else new_run_dir("runs", "finetune", exp.data.dataset)
    trainer = None

    def on_event(event):
        report = trainer.finetune.report if trainer.finetune is not None else None
        if isinstance(event, RunStarted) and report is not None:
            print(report.summary(), flush=True)
        print_event(event)

    trainer = Trainer(exp, on_event=on_event, run_dir=out, overwrite=args.overwrite)
    return run_to_the_end(trainer)


FINETUNE = Command("train from learned weights: a run, a .keras file or imagenet:ARCH", add_finetune_arguments,
                   cmd_finetune)
