"""Claims of the papers as paired experiments: lesson specs, the runner, measurements, claims and sweeps."""
