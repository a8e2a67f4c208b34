"""The CLI reference (docs/cli.md), written from the parsers ``main.build_parser`` makes.

    python -m netlab.cli.reference > docs/cli.md

Every command and subcommand of ``main.COMMANDS`` gets a section: the line ``netlab --help``
shows for it and a table of its arguments and flags with their help, choices and defaults.
``--verbose`` and ``--quiet``, which every command takes with one meaning, are described once
at the top. A test compares docs/cli.md with a fresh generation, so the reference cannot fall
behind a new command or flag.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator

from netlab.cli.main import build_parser

COMMON_FLAGS = ("--verbose", "--quiet")  # every parser has them (main._add_commands), one meaning
REGENERATE = "python -m netlab.cli.reference > docs/cli.md"


def commands(parser: argparse.ArgumentParser | None = None,
             path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str, argparse.ArgumentParser]]:
    """(("inspect", "maps"), its help line, its parser) for every command and subcommand, in
    ``netlab --help``'s order; a group comes before its subcommands."""
    parser = parser if parser is not None else build_parser()
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        helps = {choice.dest: choice.help for choice in action._choices_actions}
        for name, sub in action.choices.items():
            yield (*path, name), helps.get(name) or "", sub
            yield from commands(sub, (*path, name))


def arguments(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    """The parser's own arguments and flags: not -h, not the common flags, not its subcommands."""
    return [a for a in parser._actions
            if not isinstance(a, argparse._HelpAction | argparse._SubParsersAction)
            and not set(a.option_strings) & set(COMMON_FLAGS)]


def common_flag_help(parser: argparse.ArgumentParser) -> dict[str, str]:
    """--verbose and --quiet's help in this parser."""
    return {flag: a.help for a in parser._actions for flag in a.option_strings if flag in COMMON_FLAGS}


def spelled(action: argparse.Action) -> list[str]:
    """['--arch ARCH'], ['--json'], ['run_dir'], ['--xla', '--no-xla'], ['--tta {none,flip,10crop}']."""
    if not action.option_strings:
        return [action.metavar or action.dest]
    if action.nargs == 0:
        return list(action.option_strings)
    metavar = action.metavar or (f"{{{','.join(map(str, action.choices))}}}" if action.choices
                                 else action.dest.upper())
    many = " ..." if action.nargs in ("*", "+") else ""
    return [f"{flag} {metavar}{many}" for flag in action.option_strings]


def described(action: argparse.Action) -> str:
    """Its help, then the choices and the default where the help does not give them."""
    text = " ".join((action.help or "").split())
    if "%(" in text:
        text = text % {**vars(action), "prog": ""}
    if action.required and action.option_strings:
        text = f"required; {text}" if text else "required"
    if action.default not in (None, False, argparse.SUPPRESS, []) and "default" not in text:
        text = f"{text} (default: {action.default})".strip()
    return text


def cell(text: str) -> str:
    return text.replace("|", "\\|")


def section(path: tuple[str, ...], help_line: str, parser: argparse.ArgumentParser) -> list[str]:
    lines = [f"## netlab {' '.join(path)}", "", help_line[:1].upper() + help_line[1:] + ".", ""]
    own = arguments(parser)
    if any(isinstance(a, argparse._SubParsersAction) for a in parser._actions):
        lines += ["Subcommands: " + ", ".join(f"`{name}`" for name in _subcommands(parser)) + ".", ""]
    if own:
        lines += ["| argument | what it does |", "| --- | --- |"]
        lines += [f"| {', '.join(f'`{cell(text)}`' for text in spelled(a))} | {cell(described(a))} |"
                  for a in own]
        lines.append("")
    return lines


def _subcommands(parser: argparse.ArgumentParser) -> list[str]:
    return [name for a in parser._actions if isinstance(a, argparse._SubParsersAction) for name in a.choices]


def reference() -> str:
    """docs/cli.md's text."""
    parser = build_parser()
    entries = list(commands(parser))
    common = common_flag_help(entries[0][2])
    lines = ["# The netlab command", "",
             f"Generated from the command's own parsers by `{REGENERATE}`: do not edit by hand.",
             "A test fails when this page is missing a command or a flag, or differs from a fresh generation.",
             "", "Every command takes these two flags, with one meaning:", "",
             "| flag | what it does |", "| --- | --- |"]
    lines += [f"| `{flag}` | {cell(' '.join(text.split()))} |" for flag, text in common.items()]
    lines += ["", "Commands: " + ", ".join(f"[`{' '.join(path)}`](#netlab-{'-'.join(path)})"
                                           for path, _, _ in entries) + ".", ""]
    for path, help_line, sub in entries:
        lines += section(path, help_line, sub)
    return "\n".join(lines).rstrip("\n") + "\n"


if __name__ == "__main__":
    sys.stdout.write(reference())
