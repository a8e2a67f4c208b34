"""The window measured: the benchmarks of netlab.bench run these in child processes (Qt stays in gui/)."""
