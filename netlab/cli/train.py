"""``netlab train``, ``resume``, ``lr-find`` and ``devices``, and the progress lines every
command that trains prints (finetune and experiment print them too)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from netlab.cli.command import Command
from netlab.cli.flags import number_flag, run_folder_flag
from netlab.cli.progress import LINE, clock, say
from netlab.cli.settings import add_experiment_flags, experiment_from_args
from netlab.runs.folder import new_run_dir, shown_dataset
from netlab.runs.run import RunFolder
from netlab.training.device import list_devices
from netlab.training.events import (
    BatchEnd,
    DataProgress,
    EpochEnd,
    Notice,
    RunFailed,
    RunFinished,
    RunStarted,
)
from netlab.training.lr_finder import find_lr
from netlab.training.multi_worker import cluster_from_env
from netlab.training.trainer import Trainer

# Keras is imported inside show_download_progress: `netlab --help` imports this module.


def _fmt_seconds(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


_epochs_of_run = {"epochs": 0}  # RunStarted's, for the progress line's "epoch 3/10"


def show_batch_progress(event) -> None:
    """In a terminal, the batches within the epoch on stderr's progress line (netlab/cli/progress.py):
    "epoch 3/10  batch 120/469  loss 0.4321  412 img/s  ETA 0:42" (the run's time left), and the
    downloads before it."""
    if not isinstance(event, DataProgress):
        _keras_bar_back()
    if isinstance(event, RunStarted):
        _epochs_of_run["epochs"] = event.epochs
    elif isinstance(event, BatchEnd):
        loss = f"  loss {event.loss:.4f}" if event.loss == event.loss else ""
        LINE.show(f"epoch {event.epoch + 1}/{_epochs_of_run['epochs']}  batch {event.batch}/{event.steps}"
                  f"{loss}  {event.images_per_second:,.0f} img/s  ETA {clock(event.eta_seconds)}")
    elif isinstance(event, DataProgress):
        show_download_progress(event)


_download = {"url": None, "started": 0.0, "keras_bar": None}  # keras_bar: its setting before, while off


def show_download_progress(event: DataProgress) -> None:
    """A download before training (a Keras dataset, ImageNet weights) on the progress line:
    "downloading mnist.npz  3.1/11.5 MB  1.2 MB/s  ETA 0:07". Keras's own bar is turned off for it:
    it writes to stdout, where it would garble the line in a terminal and the output in a pipe (its
    last update comes after the last report: the bar is back at the run's next event)."""
    import keras  # loaded already: it is the one downloading

    if event.url != _download["url"]:
        if _download["keras_bar"] is None:
            _download["keras_bar"] = keras.config.is_interactive_logging_enabled()
        _download.update(url=event.url, started=time.monotonic())
        keras.config.disable_interactive_logging()
    name = event.url.rsplit("/", 1)[-1]
    done, total = event.bytes_done / 1e6, event.bytes_total / 1e6
    if event.bytes_total <= 0:
        LINE.show(f"downloading {name}  {done:.1f} MB")
        return
    elapsed = time.monotonic() - _download["started"]
    rate = f"  {done / elapsed:.1f} MB/s" if elapsed > 0 and done > 0 else ""
    eta = f"  ETA {clock(elapsed / done * (total - done))}" if rate else ""
    finished = event.bytes_done >= event.bytes_total
    LINE.show(f"downloading {name}  {done:.1f}/{total:.1f} MB{rate}{eta}", force=finished)
    if finished:
        LINE.clear()
        _download["url"] = None


def _keras_bar_back() -> None:
    """After the downloads (at the run's next event): Keras's own output as it was."""
    if _download["keras_bar"] is not None:
        import keras

        if _download["keras_bar"]:
            keras.config.enable_interactive_logging()
        _download["keras_bar"] = None


def print_event(event) -> None:
    """A run's events as the CLI's lines: one line per epoch on stdout (the same in a pipe), and
    the progress line within the epoch in a terminal."""
    show_batch_progress(event)
    if isinstance(event, RunStarted):
        resumed = f", resuming after epoch {event.initial_epoch}" if event.initial_epoch else ""
        if event.initial_epoch and event.initial_epoch >= event.epochs:
            resumed = (f": all {event.epochs} epochs were already done" if event.epochs > 1
                       else ": its one epoch was already done") + ", nothing left to train"
        say(f"training {event.arch} on {shown_dataset(event.dataset)} ({event.train_samples} train / "
            f"{event.val_samples} validation images, {event.params:,} parameters) on {event.device}"
            f"{resumed}", chatter=True)
    elif isinstance(event, EpochEnd):
        m = event.metrics
        parts = [f"{k} {m[k]:.4f}" for k in ("loss", "accuracy", "val_loss", "val_accuracy") if k in m]
        say(f"epoch {event.epoch + 1}/{event.epochs}  " + "  ".join(parts)
            + f"  ({_fmt_seconds(event.seconds)})", chatter=True)
    elif isinstance(event, RunFinished):
        state = "stopped" if event.stopped else "stopped early" if event.stopped_early else "finished"
        best = f" (best val_loss {event.best_val_loss:.4f} at epoch {event.best_epoch})" \
            if event.best_epoch is not None else ""
        saved = f"run saved in {event.run_dir}" if event.run_dir else "the chief worker saved the run"
        say(f"{state} after {_epochs(event.epochs_completed)}{best}; {saved}")
    elif isinstance(event, Notice):
        say(f"{'warning' if event.level == 'warning' else 'check'}: {event.text}", chatter=event.level != "warning")
    elif isinstance(event, RunFailed):
        LINE.clear()  # main() prints the error line


def _epochs(count: int) -> str:
    return f"{count} epoch" if count == 1 else f"{count} epochs"


def _cluster(args):
    """--multi-worker: this process's place in TF_CONFIG's cluster (None without the flag)."""
    if not args.multi_worker:
        return None
    cluster = cluster_from_env()
    say(f"multi-worker: {cluster.describe()}; waiting for all {cluster.workers} workers to join", chatter=True)
    return cluster


def run_to_the_end(trainer) -> int:
    """Ctrl-C ends with exit code 130; the last complete epoch's checkpoint stays for resume."""
    try:
        trainer.run()
    except KeyboardInterrupt:
        say(f"netlab: {interrupted_run_text(trainer.shown_run_dir)}", file=sys.stderr)
        return 130
    return 0


def interrupted_run_text(run_dir: str | None) -> str:
    """What a Ctrl-C left of a run: its last complete epoch and the command that goes on from it."""
    if run_dir is None or not RunFolder(run_dir).is_run:
        return "interrupted"  # before the run folder was written (or on a worker that writes none)
    state = RunFolder(run_dir).checkpoint()
    done = f"after epoch {state['epoch']}" if state else "before its first epoch ended"
    return f"interrupted {done}; netlab resume {run_dir} goes on from there"


def _add_multi_worker_flag(p) -> None:
    p.add_argument("--multi-worker", action="store_true",
                   help="one worker of several machines (MultiWorkerMirroredStrategy from TF_CONFIG); "
                        "the chief writes the run folder (docs/scale.md)")


def add_train_arguments(p) -> None:
    add_experiment_flags(p)
    p.add_argument("--out", type=run_folder_flag, help="run folder (default: runs/<time>-<arch>-<dataset>)")
    p.add_argument("--overwrite", action="store_true",
                   help="--out may hold files: move them aside to <out>.old-<time> (nothing is deleted)")
    _add_multi_worker_flag(p)


def cmd_train(args) -> int:
    cluster = _cluster(args)
    exp = experiment_from_args(args)
    out = Path(args.out) if args.out else new_run_dir("runs", exp.model.arch, exp.data.dataset)
    return run_to_the_end(Trainer(exp, on_event=print_event, run_dir=out, overwrite=args.overwrite,
                                  multi_worker=cluster))


def add_resume_arguments(p) -> None:
    p.add_argument("run_dir", help="the run folder to go on with")
    p.add_argument("--restart", action="store_true",
                   help="start over from epoch 1 in that folder (its config), old results moved aside")
    _add_multi_worker_flag(p)


def cmd_resume(args) -> int:
    cluster = _cluster(args)
    return run_to_the_end(Trainer.resume_run(args.run_dir, on_event=print_event, restart=args.restart,
                                             multi_worker=cluster))


def add_lr_find_arguments(p) -> None:
    add_experiment_flags(p)
    p.add_argument("--start-lr", type=number_flag(float, 0, above=True), default=1e-6,
                   help="first rate of the sweep")
    p.add_argument("--end-lr", type=number_flag(float, 0, above=True), default=1.0, help="last rate of the sweep")
    p.add_argument("--steps", type=number_flag(int, 5), default=50, help="batches in the sweep")
    p.add_argument("--json", action="store_true", help="print the result as JSON")


def cmd_lr_find(args) -> int:
    lrs, losses, suggestion = find_lr(experiment_from_args(args), args.start_lr, args.end_lr, args.steps)
    if args.json:
        print(json.dumps({"lrs": lrs, "losses": losses, "suggestion": suggestion}, indent=2))
        return 0
    print(f"{'learning rate':>14}  smoothed loss")
    for lr, loss in zip(lrs, losses, strict=True):
        print(f"{lr:14.3g}  {loss:.4f}")
    print(f"suggested learning rate: {suggestion:.3g}")
    return 0


def add_devices_arguments(p) -> None:
    p.add_argument("--json", action="store_true", help="print the result as JSON")


def cmd_devices(args) -> int:
    devices = list_devices()
    if args.json:
        print(json.dumps(devices, indent=2))
        return 0
    for d in devices:
        print(f"{d['type']:<4} {d['name']:<28} {d['description']}")
    return 0


TRAIN = Command("train a model; writes a run folder", add_train_arguments, cmd_train)
RESUME = Command("continue a stopped or killed run from its last complete epoch", add_resume_arguments, cmd_resume)
LR_FIND = Command("sweep the learning rate over a few batches; suggest one", add_lr_find_arguments, cmd_lr_find)
DEVICES = Command("list the CPUs and GPUs TensorFlow sees", add_devices_arguments, cmd_devices)
