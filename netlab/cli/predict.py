"""``netlab predict MODEL PATHS... [--top K] [--tta MODE] [--ensemble RUN...] [--csv OUT|-] [--json]``.

PATHS are image files or folders (searched recursively for images). A file
that cannot be read is listed with its error and the others are classified;
only when nothing could be classified is it the command's error (exit 2),
so one bad image still gives the one ``netlab: error:`` line it always did.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from netlab.base.errors import ConfigError, ImageLoadError
from netlab.cli.command import Command
from netlab.cli.flags import number_flag
from netlab.cli.progress import LINE, rate_and_eta
from netlab.predict.classify import BATCH_SIZE, TTA_MODES, classify_files, ensemble, open_member, write_csv


def add_predict_arguments(p) -> None:
    p.add_argument("model", help="a .keras file or a run folder")
    p.add_argument("images", nargs="+", metavar="PATHS", help="image files or folders (searched recursively)")
    p.add_argument("--top", type=number_flag(int, 1), default=3, help="how many classes to show")
    p.add_argument("--tta", choices=TTA_MODES, default="none",
                   help="test-time augmentation: average over the mirror image (flip) or ten crops "
                        "(10crop: corners, centre and their mirrors); the single-crop answer is shown beside it")
    p.add_argument("--ensemble", nargs="+", action="extend", metavar="RUN", default=[],
                   help="more runs or .keras files whose softmax is averaged with MODEL's "
                        "(their classes must be MODEL's, matched by name)")
    p.add_argument("--csv", metavar="OUT", help="write path, top-k labels and probabilities as CSV (- for stdout)")
    p.add_argument("--batch-size", type=number_flag(int, 1), default=BATCH_SIZE, help="images per batch")
    p.add_argument("--json", action="store_true", help="print the result as JSON")


def _prediction_list(predictions) -> list[dict]:
    return [{"label": p.label, "index": p.index, "probability": p.probability} for p in predictions]


def cmd_predict(args) -> int:
    if args.csv == "-" and args.json:
        raise ConfigError("--csv - and --json both write to stdout: give --csv a file name")
    if args.csv and args.csv != "-":
        _check_csv_path(Path(args.csv).expanduser())
    members = ensemble([open_member(path) for path in [args.model, *args.ensemble]])
    results = classify_files(members, args.images, top=args.top, tta=args.tta,
                             batch_size=args.batch_size, on_batch=None if args.json else _progress_line())
    LINE.keep()  # the final count stays on the terminal's screen
    failed = [r for r in results if r.error]
    if len(failed) == len(results):
        raise ImageLoadError(failed[0].error if len(failed) == 1 else
                             f"none of the {len(failed)} files could be classified; the first: {failed[0].error}")
    if args.csv:
        write_csv(results, sys.stdout if args.csv == "-" else args.csv, args.top)
        if args.csv != "-" and not args.json:
            print(f"{args.csv}: {len(results) - len(failed)} images classified, {len(failed)} errors")
        for r in failed:
            print(f"netlab: warning: {r.error}", file=sys.stderr)
    if args.json:  # with --csv FILE too: the file and the JSON on stdout
        out = []
        for r in results:
            entry = {"image": r.path, "top": _prediction_list(r.top)}
            if r.single is not None:
                entry["single_crop"] = _prediction_list(r.single)
            if r.error:
                entry["error"] = r.error
            out.append(entry)
        print(json.dumps(out[0] if len(out) == 1 else out, indent=2))
    elif not args.csv:
        _print_text(results, members)
    return 0


def _check_csv_path(path: Path) -> None:
    """Before any image is classified: a folder or a missing parent would fail only at the end."""
    if path.is_dir():
        raise ConfigError(f"--csv {path} is a folder; give a file name, e.g. {path / 'predictions.csv'}")
    if not path.parent.is_dir():
        raise ConfigError(f"--csv {path}: there is no folder {path.parent} to write it in")


def _print_text(results, members) -> None:
    if len(members) > 1:
        print("ensemble of " + ", ".join(m.name for m in members))
    width = max((len(p.label) for r in results for p in r.top), default=0)
    for r in results:
        print(r.path)
        if r.error:
            print(f"  error: {r.error}")
        for p in r.top:
            print(f"  {p.label:<{max(width, 20)}} {p.probability:7.2%}")
        if r.single:
            print(f"  single crop: {r.single[0].label} {r.single[0].probability:.2%}")


def _progress_line():
    """classify_files's on_batch: images done of total, their rate and the time left (a terminal only)."""
    started = time.monotonic()

    def show(batch, done, total) -> None:
        LINE.show(f"classified {done}/{total}  {rate_and_eta(done, total, started)}".rstrip(), force=done == total)

    return show


PREDICT = Command("classify images or folders of images with a .keras model or run", add_predict_arguments,
                  cmd_predict)
