"""``netlab archs`` and ``netlab summary``: the registered architectures and one built, layer by layer."""

from __future__ import annotations

import argparse
import json

from netlab.architectures import all_archs, get_arch
from netlab.base.errors import ConfigError
from netlab.cli.command import Command
from netlab.cli.flags import number_flag
from netlab.cli.settings import add_option_flag, parse_options
from netlab.config import NORMALIZATIONS, ModelConfig, RegularizationConfig
from netlab.inspect.published import compare_published, compare_table
from netlab.inspect.summary import summarize
from netlab.inspect.text import format_comparison, format_table


def add_archs_arguments(p) -> None:
    p.add_argument("--options", action="store_true", help="also list each one's options and their values")
    p.add_argument("--json", action="store_true", help="print the result as JSON")


def cmd_archs(args) -> int:
    specs = all_archs()
    if args.json:
        print(json.dumps([{
            "name": s.name, "family": s.family, "paper": s.paper,
            "default_input": list(s.default_input), "min_input": s.min_input,
            "params": s.params and {"count": s.params.count, "source": s.params.source,
                                    "computed": s.params.computed},
            "options": {key: option.to_dict() for key, option in s.options.items()},
        } for s in specs], indent=2))
        return 0
    width = max(len(s.name) for s in specs)
    for s in specs:
        size = "x".join(map(str, s.default_input))
        params = f"{s.params.count:,} {s.params.label}" if s.params else "-"
        print(f"{s.name:<{width}}  {s.family:<12} input {size:<11} min {s.min_input:<4} params {params}")
        if args.options:
            for key, option in s.options.items():
                print(f"  --option {key}=  {option.values_text()} (default {option.default}): {option.help}")
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


def add_summary_arguments(p) -> None:
    p.add_argument("arch", help="a registered architecture (netlab archs lists them)")
    p.add_argument("--input", type=_parse_input, help="HxWxC (default: the paper's input)")
    p.add_argument("--classes", type=number_flag(int, 2), default=1000, help="classes of the head")
    p.add_argument("--norm", choices=NORMALIZATIONS, help="normalization layers (default: the architecture's own)")
    add_option_flag(p)
    p.add_argument("--options", help='architecture options as JSON, e.g. \'{"plain": true}\'')
    p.add_argument("--json", action="store_true", help="print the result as JSON")


def cmd_summary(args) -> int:
    try:
        options = json.loads(args.options) if args.options else {}
    except json.JSONDecodeError as exc:
        raise ConfigError(f"--options is not valid JSON: {exc}") from None
    if not isinstance(options, dict):
        raise ConfigError(f'--options must be a JSON object like \'{{"plain": true}}\' (got {args.options})')
    spec = get_arch(args.arch)
    input_shape = args.input or spec.default_input
    regularization = RegularizationConfig(norm=args.norm or "default")
    options.update(parse_options(spec.name, args.option))
    model = spec.build(input_shape, args.classes, regularization,
                       ModelConfig(arch=spec.name, options=options))
    summary = summarize(model)
    comparison = compare_published(summary, spec, options) + compare_table(summary, spec)
    if args.json:
        print(json.dumps({**summary.to_dict(), "comparison": [c.to_dict() for c in comparison]},
                         indent=2))
    else:
        print(format_table(summary))
        print()
        print(format_comparison(comparison))
    return 0


ARCHS = Command("list the registered architectures", add_archs_arguments, cmd_archs)
SUMMARY = Command("per-layer shapes, parameters, MACs and receptive fields", add_summary_arguments, cmd_summary)
