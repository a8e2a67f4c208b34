"""python -m netlab.bench NAME [options]: run one benchmark by name."""

import importlib
import sys

from netlab.bench import BENCHMARKS


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    known = dict(BENCHMARKS)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in known:
        print("usage: python -m netlab.bench NAME [options]\nbenchmarks: " + ", ".join(sorted(known)),
              file=sys.stderr)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    module = importlib.import_module(known[argv[0]])
    return module.main(argv[1:]) or 0


sys.exit(main())
