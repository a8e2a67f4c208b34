"""Benchmarks, run as ``python -m netlab.bench NAME`` (each NAME a module here with main(argv))."""

BENCHMARKS = {
    "classify": "netlab.bench.classify",
    "faults": "netlab.bench.faults",
    "finetune-cache": "netlab.bench.finetune_cache",
    "overhead": "netlab.bench.overhead",
    "pipeline": "netlab.bench.pipeline",
    "window": "netlab.bench.window",  # its windows run as gui.bench_window in child processes
}
