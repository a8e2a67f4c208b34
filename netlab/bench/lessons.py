"""The lessons at their default budget: ``python -m netlab.bench lessons [--budget B] [NAME ...]``.

Runs each experiment of ``resources/experiments/`` (netlab/lessons/runner.py)
in sequence on this machine and prints, for each, its claim's comparisons with
the numbers and whether the claim held, then one summary line per lesson.
Each lesson's folder of runs and result.json stay under --out (default: a
temporary folder, removed afterwards); run again with the same --out, a stopped
bench goes on (each lesson's finished runs are kept, see ``netlab experiment --resume``).

Last full run: 3 Dec 2026, quick budget, this 2-core machine, ~47 min (the numbers are deterministic:
the same to three places as the runs under load of 2 Dec; val = inference-mode validation
accuracy, mean±std over the random seeds). Why each lesson is built as it is: its JSON's question.
- bn_momentum HELD: momentum 0.99 val 0.192 vs 0.9 val 0.808; 0.99 with statistics recomputed 0.850.
- residual HELD (1 seed, recomputed BN): train acc plain-34 0.194 < plain-18 0.394; residual-34 0.419
  vs residual-18 0.406.
- dropout DID NOT HOLD (100 training digits, 1,697 validating, each arm at its own convergence):
  no dropout val 0.943±0.018, gap 0.057; dropout 0.5 val 0.927±0.008, gap 0.073 (best epochs 42 vs
  62.5). Early stopping alone takes the baseline's gap from 0.089 (15 fixed epochs) to 0.057.
- initialization DID NOT HOLD at quick (6 epochs, 600 digits): the spreads as Glorot & Bengio and He et al. predict
  (last/first std small-tanh 0.001 < Xavier-tanh 0.493; Xavier-ReLU 0.121 < He-ReLU 1.028) but only
  He-ReLU trained (val 0.692); Xavier-tanh still at chance. At the full budget (20 epochs, all digits,
  3 seeds, 17 min on this CPU) HELD: Xavier-tanh 0.988±0.007, He-ReLU 0.993±0.002, zeros and small
  Gaussian 0.101, Xavier-ReLU 0.700±0.484 (one seed of three stayed at chance).
- gap_head HELD: GAP val 1.000 vs FC 0.988 (80 validation images), 296,682 vs 308,266 parameters.
- group_norm HELD (batch 2, validating on the 1,557 digits outside its 240): GN 0.832±0.045 vs BN
  0.775±0.026 (0.781 recomputed).
- augmentation DID NOT HOLD, a tie: augmented 0.942±0.004 vs plain 0.943±0.018.
- aux_classifiers INCONCLUSIVE: both GoogLeNet arms at chance (0.100; ceiling 0.216 on 60 images).
- finetune-vs-scratch HELD at every n: scratch / frozen base / full fine-tune at n = 1: 0.228 / 0.920
  / 0.850; 5: 0.267 / 0.969 / 0.934; 50: 0.574 / 0.991 / 0.990 (advantage +0.69 shrinking to +0.42;
  it vanishes, +0.022, only at n = 200 with 1,250 steps).
- arithmetic HELD (nothing trains, well under a second): GoogLeNet 4a's 5x5 direct 112.9M vs 5.3M
  multiply-adds after a 1x1 to 16; 7x7 3,211,520 parameters = 1.81 x three 3x3's; 3x1+1x3 0.667 of 3x3;
  depthwise separable 0.113 of a full 3x3 at 512 channels; GAP head 0.020 of the FC head's parameters.
- batchnorm_lr DID NOT HOLD (1 seed; 6 Dec, under load, 336 s): train acc (recomputed) without / with BN,
  He init: x1 0.328 / 0.997, x5 0.106 / 0.725, x30 0.100 / 0.100 (neither trains at 30x; none NaN);
  small Gaussian x1 0.103 / 0.297.
- activations INCONCLUSIVE (6 Dec, under load, 323 s): no arm beyond chance in 8 epochs (none reached 75%); first
  conv's gradient sigmoid 9.6e-08 vs ReLU 5.0e-04; dead ReLU units 0.067 at 0.01, 0.569 at 0.1.
- residual's gradients (measured 6 Dec under load as a separate lesson of the same four arms and budget,
  356 s; the claims now belong to residual): first conv's gradient over the classifier's after one step
  plain-18 0.0080, plain-34 0.00081, residual-34 0.028 (held); train acc plain-34 0.184 < residual-34 0.416.
- finetune-vs-scratch-digits NOT HELD: scratch wins at every n (n = 1: 0.676 / 0.525 / 0.574;
  n = 50: 0.993 / 0.738 / 0.981).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from netlab.base.logs import quiet_tensorflow
from netlab.lessons.report import mean_std, print_sweep
from netlab.lessons.runner import LessonRunner
from netlab.lessons.spec import BUDGETS, lesson_names, load_lesson
from netlab.runs.files import lesson_in


def run_lessons(names, budget: str, out: Path) -> list[dict]:
    results = []
    for name in names:
        start = time.perf_counter()
        # A lesson this --out already holds (a bench stopped part way) goes on, its finished runs kept.
        resume = lesson_in(out / name) is not None
        try:
            result = LessonRunner(load_lesson(name), out / name, budget, resume=resume).run()
        except Exception as exc:  # one lesson's failure is reported; the others still run
            print(f"{name}: FAILED: {type(exc).__name__}: {exc}", flush=True)
            continue
        result["seconds"] = time.perf_counter() - start
        results.append(result)
        print(f"{name} ({result['seconds']:.0f} s): {outcome(result).upper()}", flush=True)
        if "sweep" in result:  # a table of the arms' accuracy at each value, and the verdict
            print_sweep(result)
            continue
        for arm, summary in result["arms"].items():  # counts (epochs, parameters) as whole numbers
            print(f"    {arm:<14} " + "  ".join(f"{k} {mean_std(summary, k)}" for k in summary["mean"]), flush=True)
        for check in result["comparisons"]:
            print(f"    {'ok  ' if check['held'] else 'FAIL'} {check['text']}", flush=True)
    return results


def outcome(result: dict) -> str:
    """held / partly / not held (a sweep lesson), inconclusive (no arm learned), or held / did not hold."""
    return result.get("outcome") or ("held" if result["held"] else "did not hold")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m netlab.bench lessons")
    parser.add_argument("names", nargs="*", help="lessons to run (default: all)")
    parser.add_argument("--budget", choices=BUDGETS, default="quick")
    parser.add_argument("--out", help="keep the lessons' folders here")
    parser.add_argument("--json", help="also write every result to this file")
    args = parser.parse_args(argv)
    quiet_tensorflow()
    names = args.names or lesson_names()
    unknown = sorted(set(names) - set(lesson_names()))
    if unknown:
        print(f"unknown lesson {unknown[0]!r}; the lessons are: {', '.join(lesson_names())}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        results = run_lessons(names, args.budget, Path(args.out or tmp))
    print("\nsummary")
    for r in results:
        print(f"  {r['name']:<26} {outcome(r):<13} {r['verdict'].splitlines()[0]}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0
