"""One worker of the multi-worker test (tests/training/test_multi_worker.py), run as a script in its own process.

    TF_CONFIG=... python multi_worker_job.py train|resume CONFIG RUN_DIR WEIGHTS [STOP_AFTER]

Trains (or resumes RUN_DIR) as the worker TF_CONFIG names, exactly as `netlab
train/resume --multi-worker` does, then saves the final weights of this
worker's model to WEIGHTS (.npz), which only the test reads: a non-chief
worker keeps no file of its own. STOP_AFTER: stop after that many epochs,
as a user's stop would.
"""

import sys

import numpy as np

from netlab.config import Experiment
from netlab.training.events import EpochEnd
from netlab.training.multi_worker import cluster_from_env
from netlab.training.trainer import Trainer


def main(mode, config, run_dir, weights, stop_after=None):
    cluster = cluster_from_env()
    holder = {}

    def on_event(event):
        if isinstance(event, EpochEnd) and stop_after is not None and event.epoch + 1 == int(stop_after):
            holder["trainer"].request_stop()

    if mode == "train":
        trainer = Trainer(Experiment.load(config), on_event=on_event, run_dir=run_dir, multi_worker=cluster)
    else:
        trainer = Trainer.resume_run(run_dir, on_event=on_event, multi_worker=cluster)
    holder["trainer"] = trainer
    result = trainer.run()
    np.savez(weights, *result.model.get_weights())
    print(f"epochs {result.history.get('loss') and len(result.history['loss'])} run_dir {result.run_dir}")


if __name__ == "__main__":
    main(*sys.argv[1:])
