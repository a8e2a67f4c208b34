"""``netlab export RUN --format keras|savedmodel|tflite|onnx --out PATH [--overwrite] [--best] [--tolerance X] [--json]``.

The export is checked before it is kept (``netlab.predict.export``): its parity line
is printed, and an export whose outputs differ from the Keras model's by
more than the tolerance is the command's error (exit 2), moved aside. A file
already at PATH is replaced only with --overwrite; a run's, a search's or a
lesson's folder is never written into.
"""

from __future__ import annotations

import json
import time

from netlab.cli.command import Command
from netlab.cli.flags import number_flag
from netlab.cli.progress import LINE, clock
from netlab.predict.export import CHECK_IMAGES, FORMATS, STEPS, TOLERANCES, export_model


def add_export_arguments(p) -> None:
    p.add_argument("run", metavar="RUN", help="a run folder or a .keras file")
    p.add_argument("--format", required=True, choices=list(FORMATS), help="what to write")
    p.add_argument("--out", required=True, metavar="PATH",
                   help="the file to write (.keras, .tflite, .onnx), or a new folder for a SavedModel")
    p.add_argument("--overwrite", action="store_true",
                   help="replace a file already at PATH (never a folder, never in a run's folder)")
    p.add_argument("--best", action="store_true", help="a run folder's best.keras, not model.keras")
    p.add_argument("--tolerance", type=number_flag(float, 0),
                   help="largest max abs difference from the Keras model accepted (default: "
                        + ", ".join(f"{k} {v:g}" for k, v in TOLERANCES.items()) + ")")
    p.add_argument("--images", type=number_flag(int, 1), default=CHECK_IMAGES,
                   help="validation images the check runs on")
    p.add_argument("--json", action="store_true", help="print the result as JSON")


def cmd_export(args) -> int:
    started = time.monotonic()

    def show_step(number: int, text: str) -> None:  # a conversion can take minutes: say which step
        LINE.show(f"export {number}/{STEPS}: {text}  ({clock(time.monotonic() - started)})", force=True)

    result = export_model(args.run, args.format, args.out, best=args.best, tolerance=args.tolerance,
                          images=args.images, overwrite=args.overwrite, on_step=show_step)
    LINE.clear()
    print(json.dumps(result.to_dict(), indent=2) if args.json else result.line())
    return 0


EXPORT = Command("write a run's model as .keras, SavedModel, TFLite or ONNX, checked", add_export_arguments,
                 cmd_export)
