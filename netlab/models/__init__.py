"""An experiment's model beyond the architecture: optimizer, fine-tuning (sources, freezing, per-layer rates, feature cache)."""
