"""Benchmarks, run as ``python -m netlab.bench NAME`` (each NAME a module here with main(argv))."""

BENCHMARKS = {
    "classify": "netlab.bench.classify",
    "faults": "netlab.bench.faults",
    "overhead": "netlab.bench.overhead",
    "pipeline": "netlab.bench.pipeline",
    "train_eval": "netlab.bench.train_eval",
    "window": "netlab.bench.window",  # its windows run as gui.bench_window in child processes
}
