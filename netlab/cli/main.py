"""The ``netlab`` command: everything the window does, headless.

``COMMANDS`` is the table of commands: each entry is a ``Command`` (or a ``Group`` of them)
that its module defines; ``build_parser`` makes one parser per entry and ``main`` runs the
chosen one. Errors a user can cause print one line (``netlab: error: ...``) and exit 2;
Ctrl-C exits 130 with one line, wherever it lands (even inside TensorFlow's import).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys

from netlab.base.abort import ctrl_c_ends_the_command
from netlab.base.errors import NetlabError
from netlab.base.logs import quiet_tensorflow
from netlab.cli import (
    architectures,
    evaluate,
    experiment,
    export,
    finetune,
    graph,
    gui,
    inspect,
    predict,
    search,
    train,
)
from netlab.cli.command import Command, Group
from netlab.cli.flags import NetlabArgumentParser, os_error_text
from netlab.cli.progress import LINE

# `netlab --help` lists them in this order.
COMMANDS: dict[str, Command | Group] = {
    "gui": gui.GUI,
    "archs": architectures.ARCHS,
    "train": train.TRAIN,
    "resume": train.RESUME,
    "evaluate": evaluate.EVALUATE,
    "finetune": finetune.FINETUNE,
    "experiment": experiment.EXPERIMENT,
    "devices": train.DEVICES,
    "lr-find": train.LR_FIND,
    "search": search.SEARCH,
    "summary": architectures.SUMMARY,
    "graph": graph.GRAPH,
    "predict": predict.PREDICT,
    "export": export.EXPORT,
    "inspect": inspect.INSPECT,
}


def build_parser() -> argparse.ArgumentParser:
    parser = NetlabArgumentParser(prog="netlab", description="NetLab: train and inspect CNNs")
    _add_commands(parser, "command", COMMANDS, flag_default=False)
    return parser


def _add_commands(parser, dest: str, commands: dict[str, Command | Group], flag_default) -> None:
    """A parser for each entry of the table, its handler as ``args.func``; a group's entries get theirs."""
    sub = parser.add_subparsers(dest=dest, required=True)
    for name, command in commands.items():
        p = sub.add_parser(name, help=command.help)
        if isinstance(command, Group):
            # SUPPRESS: a subcommand's own default would overwrite `netlab inspect --verbose maps`.
            _add_commands(p, command.dest, command.commands, flag_default=argparse.SUPPRESS)
        else:
            command.add_arguments(p)
            p.set_defaults(func=command.run)
        p.add_argument("--verbose", action="store_true", default=flag_default,
                       help="also show TensorFlow's own log lines")
        p.add_argument("--quiet", action="store_true", default=flag_default,
                       help="only the result and errors: no progress line in a terminal, and commands "
                            "that train leave out the lines between the start and the result")


def _chosen_parser(parser: argparse.ArgumentParser, args) -> argparse.ArgumentParser:
    """The parser of the (sub)command the arguments chose: ``netlab inspect maps``'s, say."""
    while True:
        chooser = next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)
        name = getattr(args, chooser.dest, None) if chooser is not None else None
        if name not in (chooser.choices if chooser is not None else ()):
            return parser
        parser = chooser.choices[name]


def main(argv: list[str] | None = None) -> int:
    try:
        parser = build_parser()
        if not (sys.argv[1:] if argv is None else argv):  # a bare `netlab`: what it can do
            parser.print_help()
            return 2
        try:
            args, extra = parser.parse_known_args(argv)
            if extra:  # named by the command's parser, so the hint is `netlab CMD --help`
                _chosen_parser(parser, args).error(f"unrecognized arguments: {' '.join(extra)}")
        except SystemExit as exc:  # --help, or argparse's one error line (printed already)
            return exc.code or 0
        quiet_tensorflow(verbose=args.verbose)  # before any command imports TensorFlow
        LINE.quiet = args.quiet
        with ctrl_c_ends_the_command():
            return args.func(args)
    except NetlabError as exc:
        LINE.clear()
        print(f"netlab: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (`netlab ... | head`): nothing more to say
        with contextlib.suppress(OSError):  # and no complaint when Python flushes stdout at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as exc:  # a folder that cannot be written, a disk that vanished ...
        LINE.clear()
        print(f"netlab: error: {os_error_text(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C anywhere, TensorFlow's import included
        LINE.clear()
        print("netlab: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
