"""Fault harness: short runs killed with SIGKILL at seeded random moments, resumed, checked.

    python -m netlab.bench faults --runs N [--seed S] [--kills K] [--keep DIR]

1. An unbroken reference run of a tiny experiment (simple CNN, 300 digits,
   3 epochs, batch 32, dropout and a random crop, ``training.deterministic``
   on) gives the numbers every run must end with, its duration T from process
   start to exit and the moment L it started training (TensorFlow and the
   data loaded).
2. Each of the N runs starts ``netlab train`` and kills it with SIGKILL after a
   delay drawn (seeded by --seed and the run's number) uniformly from (0, L)
   for a quarter of the kills and from (L, T) for the rest, so the kills land
   while TensorFlow loads, while the data loads, mid-epoch and while a
   checkpoint, history.csv or a model file is written (a run that finishes
   before its first kill, the machine being faster than during the reference
   run, starts again with the kill drawn over its own duration). Then the run is
   continued by this rule: a folder with a checkpoint.json is continued with
   ``netlab resume``; a folder without one (killed before its first checkpoint
   was complete) holds nothing worth keeping, so it is removed and ``netlab
   train`` starts the run again. With --kills K the first K-1 continuations
   are killed the same way; the last one runs to its end.
3. A run survives when its last process exits 0, history.csv has exactly the
   epochs 1..E, every value equals the reference run's to 1e-6 relative, and
   model.keras and best.keras load in Keras safe mode.

One line per run, then "runs survived: S / N"; exit status 1 if any run failed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from netlab.base.errors import NetlabError
from netlab.config import Experiment
from netlab.predict.model import load_model  # Keras safe mode
from netlab.runs.run import RunFolder

REL_TOLERANCE = 1e-6
# A run that finishes before its first kill (the machine got faster than the
# reference run) starts again with a kill drawn over its own duration, this often.
NEW_DRAWS = 3


def experiment(epochs: int):
    exp = Experiment()
    exp.data.max_samples = 300
    exp.training.epochs = epochs
    exp.training.batch_size = 32
    exp.training.deterministic = True
    # Both random streams of the model must survive a kill.
    exp.regularization.dropout = 0.3
    exp.data.augmentation.crop = 2
    return exp.validate()


def netlab_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "netlab", *args]


def child_env() -> dict:
    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}


def run_until(cmd: list[str], log: Path, kill_after: float | None, timeout: float) -> tuple[int | None, float]:
    """Run ``cmd``, SIGKILLed after ``kill_after`` seconds when given: (exit code, seconds).

    The exit code is None when the harness killed it as planned; a process that
    outlives ``timeout`` is killed too and reported as exit code -9.
    """
    started = time.monotonic()
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(cmd, env=child_env(), stdout=out, stderr=subprocess.STDOUT)
        try:
            code = proc.wait(timeout=timeout if kill_after is None else min(kill_after, timeout))
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=60)
            code = None if kill_after is not None and kill_after <= timeout else -9
        return code, time.monotonic() - started


def run_reference(cmd: list[str], log: Path, run_dir: Path, timeout: float) -> tuple[int | None, float, float]:
    """The unbroken run: (exit code, seconds to exit, seconds until it started training).

    Training has started when events.jsonl appears (RunStarted is its first line).
    """
    started = time.monotonic()
    training = None
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(cmd, env=child_env(), stdout=out, stderr=subprocess.STDOUT)
        while proc.poll() is None and time.monotonic() - started < timeout:
            if training is None and RunFolder(run_dir).events_path.is_file():
                training = time.monotonic() - started
            time.sleep(0.05)
        if proc.poll() is None:
            proc.kill()
        code = proc.wait()
    duration = time.monotonic() - started
    return code, duration, duration if training is None else training


def kill_moment(rng: random.Random, loading: float, duration: float) -> float:
    """A quarter of the kills while TensorFlow and the data load, the rest spread over training.

    Loading takes most of a 3-epoch run's time on a slow machine; drawn
    uniformly over the whole run, few kills would land mid-epoch or mid-write.
    """
    if rng.random() < 0.25:
        return rng.uniform(0.0, loading)
    return rng.uniform(loading, duration)


def where_killed(run_dir: Path) -> str:
    """What the folder says about the moment of the kill."""
    if not run_dir.exists():
        return "before the run folder existed"
    writing = sorted(p.name for p in run_dir.iterdir() if ".tmp" in p.name)
    try:
        epoch = json.loads(RunFolder(run_dir).checkpoint_path.read_text(encoding="utf-8"))["epoch"]
        state = f"after epoch {epoch}'s checkpoint"
    except (OSError, ValueError, KeyError, TypeError):
        state = "before the first checkpoint"
    return state + (f", while writing {', '.join(writing)}" if writing else "")


def continue_command(run_dir: Path, config: Path) -> list[str]:
    """resume when there is a checkpoint; otherwise the run starts again from nothing."""
    if RunFolder(run_dir).checkpoint_path.is_file():
        return netlab_command("resume", str(run_dir))
    shutil.rmtree(run_dir, ignore_errors=True)
    return netlab_command("train", "--config", str(config), "--out", str(run_dir))


def compare(reference: list[dict], history: list[dict], epochs: int) -> str | None:
    """None when ``history`` is the reference run's, else what differs."""
    got = [int(row.get("epoch", -1)) for row in history]
    if got != list(range(1, epochs + 1)):
        return f"history.csv has epochs {got}, expected 1..{epochs}"
    for want, row in zip(reference, history, strict=True):
        if set(want) != set(row):
            return f"epoch {int(row['epoch'])}: columns {sorted(row)} != {sorted(want)}"
        for key, value in want.items():
            if not math.isclose(row[key], value, rel_tol=REL_TOLERANCE, abs_tol=1e-12):
                return f"epoch {int(row['epoch'])}: {key} {row[key]!r} != {value!r} (unbroken run)"
    return None


def models_load(run_dir: Path) -> str | None:
    for path in (RunFolder(run_dir).model_path, RunFolder(run_dir).best_path):
        try:
            load_model(path)
        except NetlabError as exc:
            return str(exc)
    return None


def one_run(number: int, args, root: Path, config: Path, reference: list[dict], duration: float,
            loading: float) -> tuple[bool, str]:
    rng = random.Random(f"{args.seed}-{number}")
    run_dir, logs = root / f"run-{number:03d}", root / "logs"
    timeout = max(300.0, 10 * duration)
    cmd = netlab_command("train", "--config", str(config), "--out", str(run_dir))
    notes = []
    kills = attempts = 0
    scale = 1.0  # < 1 once a run finished before its first kill: this machine is faster now
    while True:
        last = kills >= args.kills
        delay = None if last else kill_moment(rng, loading * scale, duration * scale)
        attempts += 1
        log = logs / f"run-{number:03d}-{attempts}.txt"
        code, seconds = run_until(cmd, log, delay, timeout)
        if code is None:  # killed as planned: continue it by the rule above
            kills += 1
            notes.append(f"killed at {seconds:.1f} s {where_killed(run_dir)}")
            cmd = continue_command(run_dir, config)
            continue
        if code != 0:
            tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]
            return False, "; ".join(notes + [f"netlab {cmd[3]} exited {code}: {' | '.join(tail)}"])
        if last:
            break
        notes.append(f"finished in {seconds:.1f} s, before its kill at {delay:.1f} s")
        if kills == 0 and attempts < NEW_DRAWS:  # never killed yet: start it again, kill sooner
            scale = min(scale, seconds / duration)
            shutil.rmtree(run_dir, ignore_errors=True)
            continue
        break
    run = RunFolder(run_dir)
    problem = compare(reference, run.history(), args.epochs) if run.history_path.is_file() else "no history.csv"
    problem = problem or models_load(run_dir)
    if problem:
        return False, "; ".join(notes + [problem])
    return True, "; ".join(notes)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m netlab.bench faults", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs to kill and resume (N)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the kill moments")
    parser.add_argument("--kills", type=int, default=1, help="kills per run before the last resume")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--keep", help="keep the run folders and logs here (default: a temporary folder)")
    args = parser.parse_args(argv)
    for name in ("runs", "kills", "epochs"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1 (got {getattr(args, name)})")

    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="netlab-faults-"))
    try:
        (root / "logs").mkdir(parents=True, exist_ok=True)
        config = root / "experiment.json"
        experiment(args.epochs).save(config)
        unbroken = root / "unbroken"
        shutil.rmtree(unbroken, ignore_errors=True)
        code, duration, loading = run_reference(
            netlab_command("train", "--config", str(config), "--out", str(unbroken)),
            root / "logs" / "unbroken.txt", unbroken, 600)
        if code != 0:
            print(f"the unbroken reference run failed (exit {code}); see {root / 'logs' / 'unbroken.txt'}")
            return 1
        reference = RunFolder(unbroken).history()
        print(f"unbroken run: {args.epochs} epochs in {duration:.1f} s, training from {loading:.1f} s; "
              "kills drawn from that run's loading (1/4) and training (3/4)", flush=True)
        survived = 0
        for number in range(1, args.runs + 1):
            ok, what = one_run(number, args, root, config, reference, duration, loading)
            survived += ok
            print(f"run {number}: {'survived' if ok else 'FAILED'}: {what}", flush=True)
        print(f"runs survived: {survived} / {args.runs}")
        return 0 if survived == args.runs else 1
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
