"""Training: events, the Trainer and run folders."""
