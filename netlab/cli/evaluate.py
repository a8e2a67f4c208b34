"""``netlab evaluate MODEL``: accuracy, loss, per-class metrics, the confusion matrix and the
most confident mistakes of a trained model on a dataset."""

from __future__ import annotations

import json
import sys

from netlab.cli.command import Command
from netlab.cli.flags import number_flag
from netlab.predict.evaluate import evaluate


def add_evaluate_arguments(p) -> None:
    p.add_argument("model", help="a .keras file or a run folder")
    p.add_argument("--dataset", help="dataset name or folder (default: the run's own)")
    p.add_argument("--best", action="store_true", help="a run folder's best.keras, not model.keras")
    p.add_argument("--batch-size", type=number_flag(int, 1), default=64, help="images per batch")
    p.add_argument("--mistakes", type=number_flag(int, 0), default=16,
                   help="how many of the most confidently misclassified images to list")
    p.add_argument("--json", action="store_true", help="print the result as JSON")


def cmd_evaluate(args) -> int:
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


EVALUATE = Command("accuracy, loss, per-class accuracy and confusion matrix", add_evaluate_arguments, cmd_evaluate)
