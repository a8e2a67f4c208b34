"""Data NetLab ships that is not code (reference tables), read with importlib.resources."""
