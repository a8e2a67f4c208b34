"""The lectures' claims as paired experiments: lesson specs, the runner, measurements, claims and sweeps."""
