"""The forms that edit an experiment's config, and the run folder field."""
