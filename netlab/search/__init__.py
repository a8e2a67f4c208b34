"""Hyperparameter searches: Optuna studies over experiments."""
