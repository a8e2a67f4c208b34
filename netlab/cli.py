"""The ``netlab`` command: everything the window does, headless.

Errors a user can cause print one line (``netlab: error: ...``) and exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from netlab.errors import NetlabError


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
            "published_params": s.published_params, "options": s.options,
        } for s in specs], indent=2))
        return 0
    width = max(len(s.name) for s in specs)
    for s in specs:
        size = "x".join(map(str, s.default_input))
        params = f"{s.published_params:,}" if s.published_params else "-"
        print(f"{s.name:<{width}}  {s.family:<12} input {size:<11} min {s.min_input:<4} params {params}")
    return 0


def _experiment_from_args(args):
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
    if args.seed is not None:
        exp.data.seed = args.seed
    return exp.validate()


def _print_event(event) -> None:
    from netlab.training.events import EpochEnd, RunFailed, RunFinished, RunStarted

    if isinstance(event, RunStarted):
        print(f"training {event.arch} on {event.dataset} ({event.train_samples} train / "
              f"{event.val_samples} validation images, {event.params:,} parameters) on {event.device}",
              flush=True)
    elif isinstance(event, EpochEnd):
        m = event.metrics
        parts = [f"{k} {m[k]:.4f}" for k in ("loss", "accuracy", "val_loss", "val_accuracy") if k in m]
        print(f"epoch {event.epoch + 1}/{event.epochs}  " + "  ".join(parts)
              + f"  ({_fmt_seconds(event.seconds)})", flush=True)
    elif isinstance(event, RunFinished):
        state = "stopped" if event.stopped else "finished"
        print(f"{state} after {event.epochs_completed} epochs; run saved in {event.run_dir}", flush=True)
    elif isinstance(event, RunFailed):
        pass  # main() prints the error line


def cmd_train(args) -> int:
    from netlab.training.runs import new_run_dir
    from netlab.training.trainer import Trainer

    exp = _experiment_from_args(args)
    out = Path(args.out) if args.out else new_run_dir("runs", exp.model.arch, exp.data.dataset)
    trainer = Trainer(exp, on_event=_print_event, run_dir=out)
    try:
        trainer.run()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0


def cmd_predict(args) -> int:
    from netlab.predict import load_image, load_model, predict_images
    from netlab.training.runs import read_classes

    model = load_model(args.model)
    class_names = read_classes(args.model)
    images = [load_image(p) for p in args.images]
    results = predict_images(model, images, class_names, top=args.top)
    if args.json:
        out = [{"image": str(p), "top": [{"label": r.label, "index": r.index,
                                          "probability": r.probability} for r in res]}
               for p, res in zip(args.images, results, strict=True)]
        print(json.dumps(out[0] if len(out) == 1 else out, indent=2))
    else:
        for path, res in zip(args.images, results, strict=True):
            print(path)
            for r in res:
                print(f"  {r.label:<20} {r.probability:7.2%}")
    return 0


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
    from netlab.inspect.summary import compare_published, format_comparison, format_table, summarize

    spec = get_arch(args.arch)
    input_shape = args.input or spec.default_input
    regularization = RegularizationConfig(norm=args.norm or "default")
    options = json.loads(args.options) if args.options else {}
    model = spec.build(input_shape, args.classes, regularization,
                       ModelConfig(arch=spec.name, options=options))
    summary = summarize(model)
    comparison = compare_published(summary, spec)
    if args.json:
        print(json.dumps({**summary.to_dict(), "comparison": [c.to_dict() for c in comparison]},
                         indent=2))
    else:
        print(format_table(summary))
        print()
        print(format_comparison(comparison))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="netlab", description="NetLab: train and inspect CNNs")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("archs", help="list the registered architectures")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_archs)

    p = sub.add_parser("train", help="train a model; writes a run folder")
    p.add_argument("--config", help="experiment JSON (flags below override it)")
    p.add_argument("--arch")
    p.add_argument("--dataset")
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--lr", type=float, help="learning rate")
    p.add_argument("--optimizer", choices=("adam", "sgd"))
    p.add_argument("--dropout", type=float)
    p.add_argument("--norm", choices=("default", "batch", "group", "layer", "none"))
    p.add_argument("--image-size", type=int)
    p.add_argument("--max-samples", type=int)
    p.add_argument("--seed", type=int)
    p.add_argument("--out", help="run folder (default: runs/<time>-<arch>-<dataset>)")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("summary", help="per-layer shapes, parameters, MACs and receptive fields")
    p.add_argument("arch")
    p.add_argument("--input", type=_parse_input, help="HxWxC (default: the paper's input)")
    p.add_argument("--classes", type=int, default=1000)
    p.add_argument("--norm", choices=("default", "batch", "group", "layer", "none"))
    p.add_argument("--options", help='architecture options as JSON, e.g. \'{"plain": true}\'')
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_summary)

    p = sub.add_parser("predict", help="classify images with a .keras model")
    p.add_argument("model")
    p.add_argument("images", nargs="+")
    p.add_argument("--top", type=int, default=3)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_predict)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except NetlabError as exc:
        print(f"netlab: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
