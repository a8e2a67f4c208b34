"""Benchmarks, run as ``python -m netlab.bench NAME`` (each NAME a module here with main(argv))."""

BENCHMARKS = {
    "classify": "netlab.bench.classify",
    "faults": "netlab.bench.faults",
    "finetune-cache": "netlab.bench.finetune_cache",
    "graph": "netlab.bench.graph",  # DenseNet-201 and Inception v3 read as a graph and laid out
    "graph-view": "netlab.bench.graph_view",  # its window runs as gui.bench.graph_view in a child process
    "health": "netlab.bench.health",  # an epoch with and without the health measurements
    "inspect": "netlab.bench.inspect_speed",  # its window runs as gui.bench.inspect in a child process
    "lessons": "netlab.bench.lessons",  # the lessons (resources/experiments) at their quick budget
    "overhead": "netlab.bench.overhead",
    "pipeline": "netlab.bench.pipeline",
    "stats-memory": "netlab.bench.stats_memory",  # each case in a fresh child process (its peak RSS)
    "train_eval": "netlab.bench.train_eval",
    "window": "netlab.bench.window",  # its windows run as gui.bench.window in child processes
    "window-close": "netlab.bench.window_close",  # its window runs as gui.bench.close in a child process
    "window-start": "netlab.bench.window_start",  # the first 2 s after the window shows (gui.bench.window --start)
}
