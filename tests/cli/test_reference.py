"""docs/cli.md is the reference of every command and flag, generated from the parsers, and the
flags every command shares mean one thing."""

import argparse
from pathlib import Path

from netlab.cli.main import COMMANDS
from netlab.cli.reference import (
    COMMON_FLAGS,
    REGENERATE,
    arguments,
    cell,
    commands,
    common_flag_help,
    reference,
)

ROOT = Path(__file__).resolve().parents[2]
CLI_MD = ROOT / "docs" / "cli.md"


def _sections(text: str) -> dict[str, str]:
    """'inspect maps' -> the text of its section."""
    parts = text.split("\n## netlab ")[1:]
    return {part.split("\n", 1)[0]: part for part in parts}


def test_docs_cli_md_holds_every_command_and_flag():
    sections = _sections(CLI_MD.read_text("utf-8"))
    missing = []
    for path, _help, parser in commands():
        name = " ".join(path)
        if name not in sections:
            missing.append(f"netlab {name}")
            continue
        missing += [f"netlab {name} {flag}" for action in arguments(parser)
                    for flag in action.option_strings or [action.metavar or action.dest]
                    if f"`{cell(flag)}" not in sections[name]]
    assert not missing, f"docs/cli.md lacks {', '.join(missing)}: run {REGENERATE}"
    assert set(sections) == {" ".join(path) for path, _, _ in commands()}, f"stale commands: run {REGENERATE}"


def test_docs_cli_md_is_what_the_parsers_generate():
    assert CLI_MD.read_text("utf-8") == reference(), f"docs/cli.md is stale: run {REGENERATE}"


def test_every_argument_says_what_it_does():
    silent = [f"netlab {' '.join(path)} {action.option_strings or action.dest}"
              for path, _help, parser in commands() for action in arguments(parser) if not action.help]
    assert not silent, f"give these a help= (the CLI reference shows it): {silent}"


def test_quiet_and_verbose_mean_the_same_in_every_command():
    entries = list(commands())
    assert {path[0] for path, _, _ in entries} == set(COMMANDS)
    first = common_flag_help(entries[0][2])
    assert set(first) == set(COMMON_FLAGS)
    for path, _help, parser in entries:
        assert common_flag_help(parser) == first, path
        for action in parser._actions:
            if set(action.option_strings) & set(COMMON_FLAGS):
                assert isinstance(action, argparse._StoreTrueAction), (path, action.option_strings)
