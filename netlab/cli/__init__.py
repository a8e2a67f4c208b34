"""The `netlab` command: its parser, one module per group of commands."""

from netlab.cli.main import main  # noqa: F401  (the entry point: netlab = "netlab.cli:main")
