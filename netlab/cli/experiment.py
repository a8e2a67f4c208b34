"""``netlab experiment list`` and ``netlab experiment NAME``: the lessons, paired runs testing a claim."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from netlab.base.errors import ConfigError
from netlab.cli.command import Command
from netlab.cli.flags import run_folder_flag
from netlab.cli.progress import LINE, clock, say
from netlab.cli.train import print_event, show_batch_progress
from netlab.lessons.report import print_result
from netlab.lessons.runner import ArmStarted, LessonFinished, LessonRunner, LessonStarted, default_out_dir
from netlab.lessons.spec import lesson_names, load_lesson
from netlab.runs.files import lesson_in, lesson_resume_command
from netlab.runs.lock import free_run_dir
from netlab.training.events import BatchEnd, EpochEnd, Notice, RunFailed, RunStarted


def add_experiment_arguments(p) -> None:
    p.add_argument("name", help="an experiment's name, or 'list'")
    p.add_argument("--budget", choices=("tiny", "quick", "full"),
                   help="tiny: seconds (the test suite); quick: minutes on a CPU (default); full: a GPU")
    p.add_argument("--out", type=run_folder_flag,
                   help="folder for the arms' run folders and result.json (default: runs/experiments/<time>-...)")
    p.add_argument("--resume", metavar="DIR",
                   help="go on with the lesson stopped in DIR: runs that finished are kept, the others train")
    p.add_argument("--json", action="store_true", help="print result.json (or the list) as JSON")


def cmd_experiment(args) -> int:
    if args.name == "list":
        specs = [load_lesson(name) for name in lesson_names()]
        if args.json:
            print(json.dumps([{"name": s.name, "title": s.title, "reference": s.reference, "arms": s.parts}
                              for s in specs], indent=2))
        width = max(len(s.name) for s in specs)
        for s in specs if not args.json else ():
            print(f"{s.name:<{width}} {s.title}  [{', '.join(s.parts)}]")
        return 0
    spec = load_lesson(args.name)
    if args.resume:
        if args.out:
            raise ConfigError("--resume goes on in its own folder; leave out --out")
        out = Path(args.resume)
        budget = args.budget or (lesson_in(out) or {}).get("budget", "quick")
    else:
        out = Path(args.out) if args.out else default_out_dir(spec.name)
        free = free_run_dir(out) if args.out else out
        if free != out:  # its arms' runs would land among another's files
            command = lesson_resume_command(out)
            going_on = f"{command} goes on with the lesson there, or " if command else ""
            raise ConfigError(f"{out} already holds files; {going_on}give the experiment a free folder such as {free}")
        budget = args.budget or "quick"
    runner = LessonRunner(spec, out, budget, resume=bool(args.resume),
                          on_event=None if args.json else print_lesson_event)
    try:
        result = runner.run()
    except KeyboardInterrupt:  # the finished runs are kept; the one cut short trains again
        say(f"netlab: interrupted; the finished runs stay in {out}: netlab experiment {spec.name} "
            f"--resume {out} goes on with the others", file=sys.stderr)
        return 130
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_result(result)
    return 0


_trained = {"since": None, "runs": 0}  # the runs this command trained (not kept ones), for the lesson's ETA


def print_lesson_event(event) -> None:
    if isinstance(event, LessonStarted):
        _trained.update(since=None, runs=0)
        seeds = f"; seeds {', '.join(map(str, event.seeds))}" if event.seeds else ""  # none: nothing trains
        say(f"experiment {event.name} ({event.budget}): {', '.join(event.arms)}{seeds}; folder {event.out_dir}",
            chatter=True)
    elif isinstance(event, ArmStarted):
        kept = ": finished before, kept" if event.kept else ""
        say(f"[{event.index + 1}/{event.total}] {event.arm}, seed {event.seed}{kept}", chatter=True)
        LINE.prefix = f"run {event.index + 1}/{event.total}{_lesson_eta(event)}"
    elif isinstance(event, RunStarted | BatchEnd):
        show_batch_progress(event)
    elif isinstance(event, EpochEnd | Notice | RunFailed):
        print_event(event)
    elif isinstance(event, LessonFinished):
        LINE.clear()
        LINE.prefix = ""


def _lesson_eta(event) -> str:
    """", lesson ETA 3:10": the mean time of the runs trained so far times the runs left."""
    if event.kept:
        return ""
    now = time.monotonic()
    if _trained["since"] is None:
        _trained["since"] = now
        return ""
    _trained["runs"] += 1
    per_run = (now - _trained["since"]) / _trained["runs"]
    return f", lesson ETA {clock(per_run * (event.total - event.index))}"


EXPERIMENT = Command("run a lesson, a paper's claim tested as a paired experiment; 'netlab experiment list' lists them",
                     add_experiment_arguments, cmd_experiment)
