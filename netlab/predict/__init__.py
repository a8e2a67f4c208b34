"""A trained model applied: loading, predict, classify (batches, TTA, ensembles), evaluate, export."""
