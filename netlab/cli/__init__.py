"""The `netlab` command: a table of commands (main.COMMANDS), one module per group of commands."""
