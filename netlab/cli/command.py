"""What the table of commands (``netlab.cli.main.COMMANDS``) holds: a command or a group of them.

A command module defines its commands as values of these types; ``main.build_parser`` makes
one parser per entry, so every command is declared the same way and in one place.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Command:
    """``netlab NAME``: the line ``netlab --help`` shows, the flags it takes, and what it runs.

    ``run`` returns the exit code; errors a user can cause it raises as ``NetlabError``s
    (main prints their one line and exits 2).
    """

    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


@dataclass(frozen=True)
class Group:
    """``netlab NAME SUBCOMMAND``: commands of their own, chosen by the argument stored in ``dest``."""

    help: str
    dest: str
    commands: dict[str, Command]
