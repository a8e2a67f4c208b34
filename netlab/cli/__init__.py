"""The `netlab` command: a table of commands (main.COMMANDS), one module per group of commands."""

import sys


def main(argv: list[str] | None = None) -> int:
    """The entry point (netlab = "netlab.cli:main"): the table imported here, at call time, so
    that a Ctrl-C while its modules import is the same one line as a Ctrl-C anywhere else."""
    try:
        from netlab.cli.main import main as run_command
    except KeyboardInterrupt:
        print("netlab: interrupted", file=sys.stderr)
        return 130
    return run_command(argv)
