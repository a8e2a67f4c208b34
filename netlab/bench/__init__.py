"""Benchmarks, run as ``python -m netlab.bench NAME`` (each NAME a module here with main(argv))."""

BENCHMARKS = {
    "classify": "netlab.bench.classify",
    "faults": "netlab.bench.faults",
    "lessons": "netlab.bench.lessons",  # the seeds' lessons (issue 12) at their quick budget
    "overhead": "netlab.bench.overhead",
    "pipeline": "netlab.bench.pipeline",
    "window": "netlab.bench.window",  # its windows run as gui.bench_window in child processes
}
