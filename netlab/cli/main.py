"""The ``netlab`` command: everything the window does, headless.

Errors a user can cause print one line (``netlab: error: ...``) and exit 2;
Ctrl-C exits 130 with one line, wherever it lands (even inside TensorFlow's import).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path

from netlab.base.errors import ConfigError, NetlabError
from netlab.cli.flags import NetlabArgumentParser, number_flag, os_error_text, run_folder_flag


def _fmt_seconds(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def cmd_archs(args) -> int:
    from netlab.architectures import all_archs

    specs = all_archs()
    if args.json:
        print(json.dumps([{
            "name": s.name, "family": s.family, "paper": s.paper,
            "default_input": list(s.default_input), "min_input": s.min_input,
            "params": s.params and {"count": s.params.count, "source": s.params.source,
                                    "computed": s.params.computed},
            "options": {key: option.to_dict() for key, option in s.options.items()},
        } for s in specs], indent=2))
        return 0
    width = max(len(s.name) for s in specs)
    for s in specs:
        size = "x".join(map(str, s.default_input))
        params = f"{s.params.count:,} {s.params.label}" if s.params else "-"
        print(f"{s.name:<{width}}  {s.family:<12} input {size:<11} min {s.min_input:<4} params {params}")
        if args.options:
            for key, option in s.options.items():
                print(f"  --option {key}=  {option.values_text()} (default {option.default}): {option.help}")
    return 0


def _parse_options(arch: str, pairs: list[str] | None) -> dict:
    """``--option KEY=VALUE`` pairs, read with the architecture's option schema."""
    from netlab.architectures import get_arch
    from netlab.base.errors import ConfigError

    spec, options = get_arch(arch), {}
    for pair in pairs or ():
        key, sep, text = pair.partition("=")
        if not sep or key not in spec.options:
            known = ", ".join(spec.options) or "none"
            raise ConfigError(f"--option {pair!r}: expected KEY=VALUE with KEY an option of {arch} ({known})")
        options[key] = spec.options[key].parse(f"model.options.{key}", text)
    return options


def _experiment_from_args(args):
    exp = _unchecked_experiment_from_args(args)
    _refuse_flags_that_do_nothing(args, exp)
    return exp.validate()


def _unchecked_experiment_from_args(args):
    """--config and the flags, not validated yet (a search validates it once, with its space)."""
    from netlab.config import Experiment

    exp = Experiment.load(args.config) if args.config else Experiment()
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
    exp.model.options.update(_parse_options(exp.model.arch, args.option))
    return exp


# --flag (argparse dest) -> the setting it works with and the values where it does something.
FLAG_ACTS_WITH = {
    "momentum": ("optimizer", ("sgd", "rmsprop")), "nesterov": ("optimizer", ("sgd",)),
    "weight_decay": ("optimizer", ("adamw",)),
    "decay_rate": ("schedule", ("step", "exponential", "plateau")),
    "decay_epochs": ("schedule", ("step", "exponential")), "warmup_epochs": ("schedule", ("cosine",)),
    "min_lr": ("schedule", ("cosine", "plateau")), "plateau_patience": ("schedule", ("plateau",)),
    "patience": ("early_stopping", (True,)),
}


def _refuse_flags_that_do_nothing(args, exp) -> None:
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


def _print_event(event) -> None:
    from netlab.training.events import EpochEnd, Notice, RunFailed, RunFinished, RunStarted

    if isinstance(event, RunStarted):
        from netlab.runs.folder import shown_dataset

        resumed = f", resuming after epoch {event.initial_epoch}" if event.initial_epoch else ""
        if event.initial_epoch and event.initial_epoch >= event.epochs:
            resumed = (f": all {event.epochs} epochs were already done" if event.epochs > 1
                       else ": its one epoch was already done") + ", nothing left to train"
        print(f"training {event.arch} on {shown_dataset(event.dataset)} ({event.train_samples} train / "
              f"{event.val_samples} validation images, {event.params:,} parameters) on {event.device}"
              f"{resumed}", flush=True)
    elif isinstance(event, EpochEnd):
        m = event.metrics
        parts = [f"{k} {m[k]:.4f}" for k in ("loss", "accuracy", "val_loss", "val_accuracy") if k in m]
        print(f"epoch {event.epoch + 1}/{event.epochs}  " + "  ".join(parts)
              + f"  ({_fmt_seconds(event.seconds)})", flush=True)
    elif isinstance(event, RunFinished):
        state = "stopped" if event.stopped else "stopped early" if event.stopped_early else "finished"
        best = f" (best val_loss {event.best_val_loss:.4f} at epoch {event.best_epoch})" \
            if event.best_epoch is not None else ""
        saved = f"run saved in {event.run_dir}" if event.run_dir else "the chief worker saved the run"
        print(f"{state} after {_epochs(event.epochs_completed)}{best}; {saved}", flush=True)
    elif isinstance(event, Notice):
        print(f"{'warning' if event.level == 'warning' else 'check'}: {event.text}", flush=True)
    elif isinstance(event, RunFailed):
        pass  # main() prints the error line


def _epochs(count: int) -> str:
    return f"{count} epoch" if count == 1 else f"{count} epochs"


def _cluster(args):
    """--multi-worker: this process's place in TF_CONFIG's cluster (None without the flag)."""
    if not args.multi_worker:
        return None
    from netlab.training.multi_worker import cluster_from_env

    cluster = cluster_from_env()
    print(f"multi-worker: {cluster.describe()}; waiting for all {cluster.workers} workers to join", flush=True)
    return cluster


def cmd_train(args) -> int:
    from netlab.runs.folder import new_run_dir
    from netlab.training.trainer import Trainer

    cluster = _cluster(args)
    exp = _experiment_from_args(args)
    out = Path(args.out) if args.out else new_run_dir("runs", exp.model.arch, exp.data.dataset)
    return _run_to_the_end(Trainer(exp, on_event=_print_event, run_dir=out, overwrite=args.overwrite,
                                   multi_worker=cluster))


def cmd_resume(args) -> int:
    from netlab.training.trainer import Trainer

    cluster = _cluster(args)
    return _run_to_the_end(Trainer.resume_run(args.run_dir, on_event=_print_event, restart=args.restart,
                                              multi_worker=cluster))


def _add_multi_worker_flag(p) -> None:
    p.add_argument("--multi-worker", action="store_true",
                   help="one worker of several machines (MultiWorkerMirroredStrategy from TF_CONFIG); "
                        "the chief writes the run folder (README, section Scale)")


def _run_to_the_end(trainer) -> int:
    """Ctrl-C ends with exit code 130; the last complete epoch's checkpoint stays for resume."""
    try:
        trainer.run()
    except KeyboardInterrupt:
        print(f"netlab: {interrupted_run_text(trainer.shown_run_dir)}", file=sys.stderr)
        return 130
    return 0


def interrupted_run_text(run_dir: str | None) -> str:
    """What a Ctrl-C left of a run: its last complete epoch and the command that goes on from it."""
    from netlab.runs.folder import read_checkpoint

    if run_dir is None or not (Path(run_dir) / "config.json").is_file():
        return "interrupted"  # before the run folder was written (or on a worker that writes none)
    state = read_checkpoint(run_dir)
    done = f"after epoch {state['epoch']}" if state else "before its first epoch ended"
    return f"interrupted {done}; netlab resume {run_dir} goes on from there"


def cmd_evaluate(args) -> int:
    from netlab.predict.evaluate import evaluate

    result = evaluate(args.model, dataset=args.dataset, best=args.best, batch_size=args.batch_size,
                      mistakes=args.mistakes)
    if result.get("note"):
        print(f"netlab: note: {result['note']}", file=sys.stderr)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{result['model']} on {result['dataset']} ({result['split']}, {result['samples']} images)")
    print(f"accuracy {result['accuracy']:.4f}  loss {result['loss']:.4f}")
    names = result["class_names"]
    width = max(len(n) for n in [*names, "class"])
    other = result.get("other_predictions")
    if other is not None:
        print(f"  ({len(names)} of the model's classes; the last column counts predictions of the others)")
    print(f"  {'class':<{width}}  recall precision      F1  confusion row (predicted)")
    for index, (metrics, row) in enumerate(zip(result["per_class"], result["confusion_matrix"], strict=True)):
        shown = [f"{v:7.2%}" if v is not None else "      -" for v in
                 (metrics["recall"], metrics["precision"], metrics["f1"])]
        row = row + [other[index]] if other is not None else row
        print(f"  {metrics['class']:<{width}} {shown[0]}  {shown[1]} {shown[2]}  "
              + " ".join(f"{v:4d}" for v in row))
    if result["misclassified"]:
        print("most confidently misclassified:")
    for m in result["misclassified"]:
        print(f"  #{m['index']:<5} {m['true']} -> {m['predicted']} ({m['confidence']:.1%})"
              + (f"  {m['file']}" if "file" in m else ""))
    return 0


def cmd_finetune(args) -> int:
    from netlab.cli.finetune import run_finetune

    return run_finetune(args, _experiment_from_args, _run_to_the_end, _print_event)


def cmd_experiment(args) -> int:
    from netlab.cli.experiment import run_experiment_command

    return run_experiment_command(args, _print_event)


def cmd_devices(args) -> int:
    from netlab.training.device import list_devices

    devices = list_devices()
    if args.json:
        print(json.dumps(devices, indent=2))
        return 0
    for d in devices:
        print(f"{d['type']:<4} {d['name']:<28} {d['description']}")
    return 0


def cmd_lr_find(args) -> int:
    from netlab.training.lr_finder import find_lr

    lrs, losses, suggestion = find_lr(_experiment_from_args(args), args.start_lr, args.end_lr, args.steps)
    if args.json:
        print(json.dumps({"lrs": lrs, "losses": losses, "suggestion": suggestion}, indent=2))
        return 0
    print(f"{'learning rate':>14}  smoothed loss")
    for lr, loss in zip(lrs, losses, strict=True):
        print(f"{lr:14.3g}  {loss:.4f}")
    print(f"suggested learning rate: {suggestion:.3g}")
    return 0


def _search_experiment(args):
    """The experiment a new search runs: --config and the flags, then the search flags (Search
    validates it, before it writes anything)."""
    from netlab.config.search_space import space_from_flag

    for flag in ("epochs", "early_stopping", "patience", "restore_best"):  # trial_experiment sets them
        if getattr(args, flag) not in (None, False):
            raise ConfigError(f"--{flag.replace('_', '-')} does nothing in a search: each trial trains "
                              "--trial-epochs epochs without early stopping (the pruner ends the poor ones)")
    exp = _unchecked_experiment_from_args(args)
    if args.space:
        try:
            exp.search.space = space_from_flag(json.loads(args.space))
        except json.JSONDecodeError as exc:
            raise NetlabError(f"--space is not valid JSON: {exc}") from None
    _refuse_flags_that_do_nothing(args, exp)
    for value, name in ((args.budget, "trials"), (args.trial_epochs, "trial_epochs"),
                        (args.sampler, "sampler"), (args.pruner, "pruner")):
        if value is not None:
            setattr(exp.search, name, value)
    return exp


def _experiment_flag_names() -> list[str]:
    parser = argparse.ArgumentParser(add_help=False)
    _add_experiment_flags(parser)
    return [action.dest for action in parser._actions]


def _print_search_event(event) -> None:
    from netlab.search.trials import SearchStarted, TrialFinished, TrialStarted

    if isinstance(event, SearchStarted):
        joined = " (joined: the study's settings)" if event.joined else ""
        print(f"search in {event.out_dir}: study {event.study_name} in {event.storage}{joined}, "
              f"{event.taken} of {event.trials} trials taken", file=sys.stderr, flush=True)
    elif isinstance(event, TrialStarted):
        print(f"trial {event.number}: " + ", ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}"
                                                    for k, v in event.params.items()),
              file=sys.stderr, flush=True)
    elif isinstance(event, TrialFinished):
        row = event.trial
        note = {"pruned": f" after epoch {row['epochs']}", "failed": f": {row['error']}"}.get(row["state"], "")
        result = f", val_accuracy {row['val_accuracy']:.4f}" if row["val_accuracy"] is not None else ""
        print(f"trial {row['number']} {row['state']}{note}{result} ({event.taken} of {event.trials} taken)",
              file=sys.stderr, flush=True)


def cmd_search(args) -> int:
    from netlab.search.study import Search

    if args.resume:
        given = [f"--{name.replace('_', '-')}" for name in _experiment_flag_names() if getattr(args, name, None) is not None]
        if given or args.space or args.trial_epochs or args.sampler or args.pruner or args.out:
            raise ConfigError(f"--resume continues the search with its own settings; leave out "
                              f"{(given or ['--space/--trial-epochs/--sampler/--pruner/--out'])[0]}")
        search = Search(None, args.resume, resume=True, storage=args.storage, study_name=args.study_name,
                        on_event=_print_search_event)
        if args.budget is not None:  # more trials for a search that is done: the new total
            taken = search.taken()
            if args.budget <= taken:
                raise ConfigError(f"--budget is the search's total number of trials and {search.out_dir} "
                                  f"has taken {taken}: give more than {taken} to run more")
            search.experiment.search.trials = args.budget
    else:
        from netlab.runs.folder import new_run_dir

        exp = _search_experiment(args)
        out = args.out or new_run_dir("searches", "search", exp.data.dataset)
        search = Search(exp, out, storage=args.storage, study_name=args.study_name,
                        on_event=_print_search_event)
    try:
        rows = search.run()
    except KeyboardInterrupt:  # the running trial counts as interrupted; another takes its place
        print(f"netlab: interrupted; netlab search --resume {search.out_dir} goes on to the budget",
              file=sys.stderr)
        return 130
    if args.json:
        from netlab.search.trials import param_importances

        print(json.dumps({"out": str(search.out_dir), "study": search.study_name,
                          "storage": search.shown_storage(), "trials": [r.to_dict() for r in rows],
                          "importances": param_importances(search.study)}, indent=2))
        return 0
    paths = [d.path for d in search.dimensions]
    print()
    print(f"{'rank':>4} {'trial':>5} {'state':>11} " + " ".join(f"{p.split('.')[-1]:>13}" for p in paths)
          + f" {'val_accuracy':>12} {'val_loss':>9}")
    for rank, r in enumerate(rows, 1):
        values = [r.params.get(p) for p in paths]
        print(f"{rank:>4} {r.number:>5} {r.state:>11} "
              + " ".join(f"{v:>13.3g}" if isinstance(v, float) else f"{v!s:>13}" for v in values)
              + f" {_fmt_metric(r.val_accuracy, 12)} {_fmt_metric(r.val_loss, 9)}")
    more = "--budget N adds trials" if search.taken() >= search.budget else "goes on to the budget"
    print(f"trials' run folders in {search.out_dir}; netlab search --resume {search.out_dir} {more}")
    return 0


def _fmt_metric(value, width: int) -> str:
    return f"{value:>{width}.4f}" if value is not None else f"{'-':>{width}}"


def cmd_predict(args) -> int:
    from netlab.cli.predict import run_predict

    return run_predict(args)


def cmd_export(args) -> int:
    from netlab.cli.export import run_export

    return run_export(args)


def _parse_input(text: str) -> tuple[int, int, int]:
    try:
        parts = tuple(int(p) for p in text.lower().split("x"))
    except ValueError:
        parts = ()
    if len(parts) == 2:
        parts = (*parts, 3)
    if len(parts) != 3 or min(parts) < 1:
        raise argparse.ArgumentTypeError(f"expected HxWxC like 224x224x3 (got {text!r})")
    return parts


def cmd_summary(args) -> int:
    from netlab.architectures import get_arch
    from netlab.config import ModelConfig, RegularizationConfig
    from netlab.inspect.published import compare_published, compare_table
    from netlab.inspect.summary import summarize
    from netlab.inspect.text import format_comparison, format_table

    try:
        options = json.loads(args.options) if args.options else {}
    except json.JSONDecodeError as exc:
        raise ConfigError(f"--options is not valid JSON: {exc}") from None
    if not isinstance(options, dict):
        raise ConfigError(f'--options must be a JSON object like \'{{"plain": true}}\' (got {args.options})')
    spec = get_arch(args.arch)
    input_shape = args.input or spec.default_input
    regularization = RegularizationConfig(norm=args.norm or "default")
    options.update(_parse_options(spec.name, args.option))
    model = spec.build(input_shape, args.classes, regularization,
                       ModelConfig(arch=spec.name, options=options))
    summary = summarize(model)
    comparison = compare_published(summary, spec, options) + compare_table(summary, spec)
    if args.json:
        print(json.dumps({**summary.to_dict(), "comparison": [c.to_dict() for c in comparison]},
                         indent=2))
    else:
        print(format_table(summary))
        print()
        print(format_comparison(comparison))
    return 0


# --flag (argparse dest) -> TrainingConfig attribute, for the options beyond the basics.
TRAINING_FLAGS = {
    "momentum": "momentum", "nesterov": "nesterov", "weight_decay": "weight_decay",
    "schedule": "schedule", "decay_rate": "decay_rate", "decay_epochs": "decay_epochs",
    "warmup_epochs": "warmup_epochs", "min_lr": "min_learning_rate",
    "plateau_patience": "plateau_patience", "early_stopping": "early_stopping",
    "patience": "patience", "restore_best": "restore_best", "mixed_precision": "mixed_precision",
    "xla": "xla", "tensorboard": "tensorboard", "train_eval": "train_eval",
}


def _add_option_flag(p) -> None:
    p.add_argument("--option", action="append", metavar="KEY=VALUE",
                   help="an architecture option, e.g. stem=small (repeatable; `netlab archs --options` "
                        "lists each architecture's options and the values they take)")


def _add_experiment_flags(p) -> None:
    from netlab.config import MIXED_PRECISIONS, NORMALIZATIONS, OPTIMIZERS, SCHEDULES

    p.add_argument("--config", help="experiment JSON (flags below override it)")
    p.add_argument("--arch")
    p.add_argument("--dataset")
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--lr", type=float, help="learning rate")
    p.add_argument("--optimizer", choices=OPTIMIZERS)
    p.add_argument("--dropout", type=float)
    p.add_argument("--norm", choices=NORMALIZATIONS)
    _add_option_flag(p)
    p.add_argument("--image-size", type=int)
    p.add_argument("--max-samples", type=int)
    p.add_argument("--seed", type=int)
    g = p.add_argument_group("optimizer, schedule, early stopping, device")
    g.add_argument("--momentum", type=float, help="SGD / RMSprop momentum")
    g.add_argument("--nesterov", action=argparse.BooleanOptionalAction, help="SGD with Nesterov momentum")
    g.add_argument("--weight-decay", type=float, help="AdamW's decoupled weight decay")
    g.add_argument("--schedule", choices=SCHEDULES)
    g.add_argument("--decay-rate", type=float, help="step/exponential/plateau factor")
    g.add_argument("--decay-epochs", type=int, help="step/exponential period in epochs")
    g.add_argument("--warmup-epochs", type=int, help="cosine: linear warm-up epochs")
    g.add_argument("--min-lr", type=float, help="floor of cosine and plateau")
    g.add_argument("--plateau-patience", type=int)
    g.add_argument("--early-stopping", action=argparse.BooleanOptionalAction)
    g.add_argument("--patience", type=int, help="early stopping: epochs without a better val_loss")
    g.add_argument("--restore-best", action=argparse.BooleanOptionalAction)
    g.add_argument("--mixed-precision", choices=MIXED_PRECISIONS)
    g.add_argument("--xla", action=argparse.BooleanOptionalAction)
    g.add_argument("--tensorboard", action=argparse.BooleanOptionalAction)
    g.add_argument("--train-eval", action=argparse.BooleanOptionalAction,
                   help="per epoch: a tenth of the training split in inference mode, and batch "
                        "norm's train/inference gap (on by default)")


def build_parser() -> argparse.ArgumentParser:
    from netlab.config import NORMALIZATIONS, PRUNERS, SAMPLERS
    from netlab.search.study import DEFAULT_STUDY as DEFAULT_STUDY_NAME
    parser = NetlabArgumentParser(prog="netlab", description="NetLab: train and inspect CNNs")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("archs", help="list the registered architectures")
    p.add_argument("--options", action="store_true", help="also list each one's options and their values")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_archs)

    p = sub.add_parser("train", help="train a model; writes a run folder")
    _add_experiment_flags(p)
    p.add_argument("--out", type=run_folder_flag, help="run folder (default: runs/<time>-<arch>-<dataset>)")
    p.add_argument("--overwrite", action="store_true",
                   help="--out may hold files: move them aside to <out>.old-<time> (nothing is deleted)")
    _add_multi_worker_flag(p)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("resume", help="continue a stopped or killed run from its last complete epoch")
    p.add_argument("run_dir")
    p.add_argument("--restart", action="store_true",
                   help="start over from epoch 1 in that folder (its config), old results moved aside")
    _add_multi_worker_flag(p)
    p.set_defaults(func=cmd_resume)

    p = sub.add_parser("evaluate", help="accuracy, loss, per-class accuracy and confusion matrix")
    p.add_argument("model", help="a .keras file or a run folder")
    p.add_argument("--dataset", help="dataset name or folder (default: the run's own)")
    p.add_argument("--best", action="store_true", help="a run folder's best.keras, not model.keras")
    p.add_argument("--batch-size", type=number_flag(int, 1), default=64)
    p.add_argument("--mistakes", type=number_flag(int, 0), default=16,
                   help="how many of the most confidently misclassified images to list")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_evaluate)

    from netlab.cli.finetune import add_finetune_parser

    add_finetune_parser(sub, _add_experiment_flags, run_folder_flag, number_flag).set_defaults(func=cmd_finetune)

    from netlab.cli.experiment import add_experiment_parser

    add_experiment_parser(sub, run_folder_flag).set_defaults(func=cmd_experiment)

    p = sub.add_parser("devices", help="list the CPUs and GPUs TensorFlow sees")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_devices)

    p = sub.add_parser("lr-find", help="sweep the learning rate over a few batches; suggest one")
    _add_experiment_flags(p)
    p.add_argument("--start-lr", type=number_flag(float, 0, above=True), default=1e-6,
                   help="first rate of the sweep")
    p.add_argument("--end-lr", type=number_flag(float, 0, above=True), default=1.0, help="last rate of the sweep")
    p.add_argument("--steps", type=number_flag(int, 5), default=50)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_lr_find)

    p = sub.add_parser("search", help="hyperparameter search on Optuna: TPE, median pruning, resumable")
    _add_experiment_flags(p)
    p.add_argument("--budget", type=number_flag(int, 1), help="number of trials in all (search.trials, default 8; with --resume the new total)")
    p.add_argument("--trial-epochs", type=number_flag(int, 1), help="epochs per trial (default 2)")
    p.add_argument("--space", help='the searched settings as JSON (search.space), e.g. '
                                   '\'{"training.learning_rate": {"low": 1e-4, "high": 1e-1, "log": true}}\'')
    p.add_argument("--sampler", choices=SAMPLERS, help="tpe (default), random or grid")
    p.add_argument("--pruner", choices=PRUNERS, help="median (default) or none")
    p.add_argument("--out", type=run_folder_flag,
                   help="the search folder: study.db and a run folder per trial (default: searches/TIME-search-DATASET)")
    p.add_argument("--resume", metavar="DIR", help="continue (or join) the search in DIR to its budget")
    p.add_argument("--storage", metavar="URL", help="a shared study database (postgresql://..., mysql://..., "
                                                    "sqlite:///...) that several machines join")
    p.add_argument("--study-name", help=f"the study's name in --storage (default {DEFAULT_STUDY_NAME})")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("summary", help="per-layer shapes, parameters, MACs and receptive fields")
    p.add_argument("arch")
    p.add_argument("--input", type=_parse_input, help="HxWxC (default: the paper's input)")
    p.add_argument("--classes", type=number_flag(int, 2), default=1000)
    p.add_argument("--norm", choices=NORMALIZATIONS)
    _add_option_flag(p)
    p.add_argument("--options", help='architecture options as JSON, e.g. \'{"plain": true}\'')
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_summary)

    from netlab.cli.predict import add_predict_parser

    add_predict_parser(sub, number_flag).set_defaults(func=cmd_predict)

    from netlab.cli.export import add_export_parser

    add_export_parser(sub, number_flag).set_defaults(func=cmd_export)

    from netlab.cli.inspect import add_inspect_parser

    add_inspect_parser(sub)
    for p in sub.choices.values():
        p.add_argument("--verbose", action="store_true", help="also show TensorFlow's own log lines")
    return parser


def _chosen_parser(parser: argparse.ArgumentParser, args) -> argparse.ArgumentParser:
    """The parser of the (sub)command the arguments chose: ``netlab inspect maps``'s, say."""
    while True:
        chooser = next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)
        name = getattr(args, chooser.dest, None) if chooser is not None else None
        if name not in (chooser.choices if chooser is not None else ()):
            return parser
        parser = chooser.choices[name]


def main(argv: list[str] | None = None) -> int:
    from netlab.base.logs import quiet_tensorflow

    try:
        parser = build_parser()
        if not (sys.argv[1:] if argv is None else argv):  # a bare `netlab`: what it can do
            parser.print_help()
            return 2
        try:
            args, extra = parser.parse_known_args(argv)
            if extra:  # named by the command's parser, so the hint is `netlab CMD --help`
                _chosen_parser(parser, args).error(f"unrecognized arguments: {' '.join(extra)}")
        except SystemExit as exc:  # --help, or argparse's one error line (printed already)
            return exc.code or 0
        quiet_tensorflow(verbose=args.verbose)  # before any command imports TensorFlow
        return args.func(args)
    except NetlabError as exc:
        print(f"netlab: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (`netlab ... | head`): nothing more to say
        with contextlib.suppress(OSError):  # and no complaint when Python flushes stdout at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as exc:  # a folder that cannot be written, a disk that vanished ...
        print(f"netlab: error: {os_error_text(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C anywhere, TensorFlow's import included
        print("netlab: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
