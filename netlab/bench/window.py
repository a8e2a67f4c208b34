"""Window smoothness and start-up: NetLab's window against a bare Qt window, in one run.

Each side runs in a fresh process (``python -m gui.bench.window netlab|bare``;
Qt lives in gui/, the core never imports it), so start-up is a cold start:
  - time to window: from just before the process is started to the window
    shown and painted;
  - time to a usable Train button: to NetLab's Train enabled (the registry,
    which needs no TensorFlow, loaded in its worker; Train pressed earlier
    than TensorFlow has loaded imports it in the training thread); for the
    bare window, to Keras imported in a worker thread and its button enabled;
  - the event loop while training the default experiment (digits,
    simple_cnn; NetLab through its Trainer and live curves, the bare window
    through plain ``model.fit`` on the same built model and data, with a
    label updated on every batch): a 1 ms ``Qt.PreciseTimer`` in the GUI
    thread records the ``perf_counter`` time between its ticks, from the
    first batch (after the first step's graph tracing) for ``--seconds``.
    A tick late by more than 1 ms is the event loop held by something;
    33 ms is two frames at 60 Hz.
The machine's load moves both sides, so compare the ratios, not the absolute
numbers across runs. Targets: NetLab's p99 gap <= 16 ms, its gaps
over 33 ms <= 2x the bare window's, window <= 1.0 s, Train usable <= 4 s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LONG_GAP = 0.033  # seconds: two frames at 60 Hz
TARGETS = {"p99_ms": 16.0, "long_gaps_vs_bare": 2.0, "window_s": 1.0, "train_ready_s": 4.0}


def gap_stats(gaps: list[float]) -> dict:
    """p50/p99/max of the event loop's gaps (seconds in, milliseconds out) and how many exceed 33 ms."""
    if not gaps:
        return {"ticks": 0, "p50_ms": None, "p99_ms": None, "max_ms": None, "over_33ms": 0, "seconds": 0.0}
    ordered = sorted(gaps)

    def quantile(q):
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return {"ticks": len(ordered), "p50_ms": quantile(0.5), "p99_ms": quantile(0.99),
            "max_ms": ordered[-1] * 1000, "over_33ms": sum(g > LONG_GAP for g in ordered),
            "seconds": sum(ordered)}


@contextmanager
def window_env(platform: str | None) -> Iterator[dict]:
    """The environment of a benchmark's window process (every one starts through here): its runs
    folder ($NETLAB_RUNS) and what the window remembers ($NETLAB_SETTINGS) start empty in a
    temporary folder that goes after it, so neither the user's runs nor a settings file of theirs
    (a window size, a remembered form, recent files) changes what is measured, and the benchmark
    never writes to them. ``platform``: QT_QPA_PLATFORM (None keeps the environment's)."""
    with tempfile.TemporaryDirectory(prefix="netlab-bench-") as folder:
        runs = Path(folder, "runs")
        runs.mkdir()
        env = dict(os.environ, NETLAB_RUNS=str(runs), NETLAB_SETTINGS=str(Path(folder, "settings.ini")),
                   TF_CPP_MIN_LOG_LEVEL=os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"))
        if platform:
            env["QT_QPA_PLATFORM"] = platform
        yield env


def window_program(module: str, args: list[str], platform: str | None, what: str, timeout: float = 1200,
                   launched: bool = False) -> dict:
    """Run ``python -m MODULE ARGS`` in :func:`window_env`, return what it printed last (a line of
    JSON); a failure ends the benchmark naming ``what``. ``launched``: tell the program when it
    was started ($NETLAB_BENCH_LAUNCHED), for its time to window."""
    with window_env(platform) as env:
        if launched:
            env["NETLAB_BENCH_LAUNCHED"] = repr(time.time())
        done = subprocess.run([sys.executable, "-m", module, *args], env=env, capture_output=True, text=True,
                              timeout=timeout)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise SystemExit(f"{what} failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(lines[-1])


def run_side(side: str, seconds: float, platform: str | None, extra: tuple[str, ...] | list[str] = ()) -> dict:
    """Start one window process, return what it printed (its last line, JSON)."""
    return window_program("gui.bench.window", [side, "--seconds", str(seconds), *extra], platform,
                          f"the {side} window", timeout=seconds + 600, launched=True)


def _ratio(a, b):
    return a / b if a is not None and b else None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m netlab.bench window", description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="of training measured on each side")
    parser.add_argument("--platform", default="offscreen",
                        help="QT_QPA_PLATFORM for both windows ('' keeps the environment's)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    report = {}
    for side in ("bare", "netlab"):
        print(f"{side} window: starting, then {args.seconds:g} s of training...", file=sys.stderr, flush=True)
        side_report = run_side(side, args.seconds, args.platform or None)
        side_report.update(gap_stats(side_report.pop("gaps")))
        report[side] = side_report
    bare, netlab = report["bare"], report["netlab"]
    report["ratios"] = {key: _ratio(netlab[key], bare[key])
                        for key in ("p50_ms", "p99_ms", "max_ms", "over_33ms", "window_s", "train_ready_s")}
    report["targets"] = TARGETS
    report["within_targets"] = {
        "p99_ms": netlab["p99_ms"] is not None and netlab["p99_ms"] <= TARGETS["p99_ms"],
        "long_gaps_vs_bare": netlab["over_33ms"] <= TARGETS["long_gaps_vs_bare"] * max(bare["over_33ms"], 1),
        "window_s": netlab["window_s"] <= TARGETS["window_s"],
        "train_ready_s": netlab["train_ready_s"] <= TARGETS["train_ready_s"],
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    rows = (("time to window (s)", "window_s", "{:.2f}"), ("time to usable Train (s)", "train_ready_s", "{:.2f}"),
            ("event-loop gap p50 (ms)", "p50_ms", "{:.1f}"), ("event-loop gap p99 (ms)", "p99_ms", "{:.1f}"),
            ("event-loop gap max (ms)", "max_ms", "{:.0f}"), ("gaps over 33 ms", "over_33ms", "{:d}"))
    print(f"{'':28}{'bare Qt':>10}{'NetLab':>10}{'ratio':>8}   (training measured {args.seconds:g} s each, "
          f"{bare['ticks']} and {netlab['ticks']} timer ticks)")
    for label, key, fmt in rows:
        ratio = report["ratios"][key]
        cells = [fmt.format(side[key]) if side[key] is not None else "-" for side in (bare, netlab)]
        print(f"{label:28}{cells[0]:>10}{cells[1]:>10}{(f'{ratio:.2f}' if ratio is not None else '-'):>8}")
    verdict = ", ".join(f"{key} {'ok' if ok else 'MISSED'}" for key, ok in report["within_targets"].items())
    print(f"targets: p99 <= {TARGETS['p99_ms']:g} ms, gaps over 33 ms <= {TARGETS['long_gaps_vs_bare']:g}x bare, "
          f"window <= {TARGETS['window_s']:g} s, Train <= {TARGETS['train_ready_s']:g} s -> {verdict}")
    return 0
