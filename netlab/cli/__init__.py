"""The `netlab` command: a table of commands, one module per group."""

from netlab.cli.main import main  # noqa: F401  (the entry point: netlab = "netlab.cli:main")
