"""The `netlab` command: a table of commands (main.COMMANDS), one module per group of commands."""

from netlab.cli.main import main  # noqa: F401  (the entry point: netlab = "netlab.cli:main")
