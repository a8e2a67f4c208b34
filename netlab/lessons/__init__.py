"""The lectures' claims as paired experiments: lesson specs, the runner, claims and sweeps."""
