"""``netlab search``: a hyperparameter search on Optuna, new, resumed or joined, and its table of trials."""

from __future__ import annotations

import argparse
import json
import sys

from netlab.base.errors import ConfigError, NetlabError
from netlab.cli.command import Command
from netlab.cli.flags import number_flag, run_folder_flag
from netlab.cli.progress import LINE, say
from netlab.cli.settings import (
    add_experiment_flags,
    refuse_flags_that_do_nothing,
    unchecked_experiment_from_args,
)
from netlab.cli.train import show_batch_progress
from netlab.config import PRUNERS, SAMPLERS
from netlab.config.search_space import space_from_flag
from netlab.runs.folder import new_run_dir
from netlab.search.study import DEFAULT_STUDY, Search
from netlab.search.trials import SearchFinished, SearchStarted, TrialFinished, TrialStarted, param_importances


def add_search_arguments(p) -> None:
    add_experiment_flags(p)
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
    p.add_argument("--study-name", help=f"the study's name in --storage (default {DEFAULT_STUDY})")
    p.add_argument("--json", action="store_true", help="print the result as JSON")


def _search_experiment(args):
    """The experiment a new search runs: --config and the flags, then the search flags (Search
    validates it, before it writes anything)."""
    for flag in ("epochs", "early_stopping", "patience", "restore_best"):  # trial_experiment sets them
        if getattr(args, flag) not in (None, False):
            raise ConfigError(f"--{flag.replace('_', '-')} does nothing in a search: each trial trains "
                              "--trial-epochs epochs without early stopping (the pruner ends the poor ones)")
    exp = unchecked_experiment_from_args(args)
    if args.space:
        try:
            exp.search.space = space_from_flag(json.loads(args.space))
        except json.JSONDecodeError as exc:
            raise NetlabError(f"--space is not valid JSON: {exc}") from None
    refuse_flags_that_do_nothing(args, exp)
    for value, name in ((args.budget, "trials"), (args.trial_epochs, "trial_epochs"),
                        (args.sampler, "sampler"), (args.pruner, "pruner")):
        if value is not None:
            setattr(exp.search, name, value)
    return exp


def _experiment_flag_names() -> list[str]:
    parser = argparse.ArgumentParser(add_help=False)
    add_experiment_flags(parser)
    return [action.dest for action in parser._actions]


_trials = {"taken": 0, "budget": 0}  # for the progress line's "trial 2 (3 of 8)"


def _print_search_event(event) -> None:
    """The search's lines on stderr (stdout is the table); its trials' runs on the progress line."""
    if isinstance(event, SearchStarted):
        _trials.update(taken=event.taken, budget=event.trials)
        joined = " (joined: the study's settings)" if event.joined else ""
        say(f"search in {event.out_dir}: study {event.study_name} in {event.storage}{joined}, "
            f"{event.taken} of {event.trials} trials taken", file=sys.stderr, chatter=True)
    elif isinstance(event, TrialStarted):
        _trials["taken"] += 1
        LINE.prefix = f"trial {event.number} ({_trials['taken']} of {_trials['budget']})"
        say(f"trial {event.number}: " + ", ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}"
                                                  for k, v in event.params.items()),
            file=sys.stderr, chatter=True)
    elif isinstance(event, TrialFinished):
        row = event.trial
        note = {"pruned": f" after epoch {row['epochs']}", "failed": f": {row['error']}"}.get(row["state"], "")
        result = f", val_accuracy {row['val_accuracy']:.4f}" if row["val_accuracy"] is not None else ""
        say(f"trial {row['number']} {row['state']}{note}{result} ({event.taken} of {event.trials} taken)",
            file=sys.stderr, chatter=True)
    elif isinstance(event, SearchFinished):
        LINE.clear()
        LINE.prefix = ""
    else:
        show_batch_progress(event)


def _resumed_search(args) -> Search:
    """--resume DIR: the search in DIR with its own settings; --budget only raises its total."""
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
    return search


def cmd_search(args) -> int:
    if args.resume:
        search = _resumed_search(args)
    else:
        exp = _search_experiment(args)
        out = args.out or new_run_dir("searches", "search", exp.data.dataset)
        search = Search(exp, out, storage=args.storage, study_name=args.study_name,
                        on_event=_print_search_event)
    try:
        rows = search.run()
    except KeyboardInterrupt:  # the running trial counts as interrupted; another takes its place
        say(f"netlab: interrupted; netlab search --resume {search.out_dir} goes on to the budget",
            file=sys.stderr)
        return 130
    if args.json:
        print(json.dumps({"out": str(search.out_dir), "study": search.study_name,
                          "storage": search.shown_storage(), "trials": [r.to_dict() for r in rows],
                          "importances": param_importances(search.study)}, indent=2))
    else:
        _print_trials(search, rows)
    return 0


def _print_trials(search, rows) -> None:
    """The trials ranked, one column per searched setting, and the command that goes on."""
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


def _fmt_metric(value, width: int) -> str:
    return f"{value:>{width}.4f}" if value is not None else f"{'-':>{width}}"


SEARCH = Command("hyperparameter search on Optuna: TPE, median pruning, resumable", add_search_arguments, cmd_search)
