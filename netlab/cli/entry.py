"""The `netlab` command's entry point (netlab = "netlab.cli.entry:main").

The table of commands is imported here, at call time, so that a Ctrl-C while its modules import
is the same one line as a Ctrl-C anywhere else. (Not in netlab/cli/__init__.py: importing the
submodule netlab.cli.main would rebind the package's name `main` from this function to it.)
"""

import sys


def main(argv: list[str] | None = None) -> int:
    try:
        from netlab.cli.main import main as run_command
    except KeyboardInterrupt:
        print("netlab: interrupted", file=sys.stderr)
        return 130
    return run_command(argv)
