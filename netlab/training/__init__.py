"""The Trainer, its callbacks, events, devices and strategies, and resume."""
