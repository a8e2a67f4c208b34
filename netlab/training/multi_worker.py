"""Training on several machines: TensorFlow's MultiWorkerMirroredStrategy from TF_CONFIG.

Every machine runs the same ``netlab train --multi-worker`` with its own
TF_CONFIG (TensorFlow's cluster description: every task's ``host:port``, and
which task this process is). Each worker holds a full copy of the model; each
global batch (the config's ``batch_size``) is split between the workers and the
gradients are all-reduced over gRPC, so every worker ends with the same weights.

One worker is the chief: the task of type ``chief``, or worker 0 when the
cluster has none (TensorFlow's rule). The chief writes the run folder. The
others run the very same steps, saves included, because reading some
variables (Keras's metric state) is a collective every worker must join
(TensorFlow's multi-worker-with-Keras guide): they write into a temporary
folder that is deleted when the run ends, so nothing a user sees.

Batch normalization computes its statistics over the global batch
(``synchronized=True``, an all-reduce per layer and step; device.synchronize_batch_norm,
as for several GPUs in one machine): left to each worker's share, the moving
statistics would differ from worker to worker (Keras 3 does not average them),
and the chief would save only its own.

Each worker reads the whole dataset and keeps its share of every batch
(tf.data's DATA auto-shard policy): NetLab's pipelines give every epoch an
order that depends on (seed, epoch) only, so the workers agree on it without
talking, and the number of steps per epoch is the same on all of them.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from netlab.base.errors import ConfigError, RunFolderError
from netlab.runs.lock import checkpoint_problem

# TensorFlow is imported inside functions: `netlab --help` imports this module and must not load it.

TASK_TYPES = ("chief", "worker")
SEE = "see docs/scale.md"


@dataclass(frozen=True)
class Cluster:
    """This process's place in a TF_CONFIG cluster."""

    task_type: str  # "chief" or "worker"
    index: int
    workers: int  # all training tasks: the chief (if any) and the workers
    has_chief: bool

    @property
    def is_chief(self) -> bool:
        return self.task_type == "chief" or (not self.has_chief and self.index == 0)

    def describe(self) -> str:
        role = "the chief, writes the run folder" if self.is_chief else "writes no run folder"
        return f"{self.task_type} {self.index} of a {self.workers}-worker cluster ({role})"

    def on_each_worker(self, device: str) -> str:
        """What trains, as RunStarted names it: ``device`` on every worker."""
        return f"{device} on each of {self.workers} workers"


def cluster_from_env(environ=None) -> Cluster:
    """The Cluster TF_CONFIG describes; a ConfigError of one line when it is missing or malformed."""
    text = (os.environ if environ is None else environ).get("TF_CONFIG", "").strip()
    if not text:
        raise ConfigError(
            "--multi-worker needs TF_CONFIG, the cluster's description, set on every worker, e.g. "
            'TF_CONFIG=\'{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
            f'"task": {{"type": "worker", "index": 0}}}}\' ({SEE})'
        )
    try:
        config = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"TF_CONFIG is not valid JSON ({exc.msg} at character {exc.pos}); {SEE}") from None
    return parse_tf_config(config)


def parse_tf_config(config) -> Cluster:
    if not isinstance(config, dict):
        raise ConfigError(f"TF_CONFIG must be a JSON object with \"cluster\" and \"task\"; {SEE}")
    cluster, task = config.get("cluster"), config.get("task")
    if not isinstance(cluster, dict) or not cluster:
        raise ConfigError('TF_CONFIG has no "cluster" object (task type -> list of "host:port"); ' + SEE)
    for kind, addresses in cluster.items():
        if kind not in TASK_TYPES:
            raise ConfigError(f"TF_CONFIG's cluster has tasks of type {kind!r}; MultiWorkerMirroredStrategy "
                              f"trains with {' and '.join(TASK_TYPES)} tasks only")
        _check_addresses(kind, addresses)
    if len(cluster.get("chief", [])) > 1:
        raise ConfigError(f"TF_CONFIG's cluster lists {len(cluster['chief'])} chiefs; there can be one")
    if not isinstance(task, dict):
        raise ConfigError('TF_CONFIG has no "task" object saying which task this process is, e.g. '
                          '{"type": "worker", "index": 1}')
    kind, index = task.get("type"), task.get("index", 0)
    if kind not in cluster:
        raise ConfigError(f"TF_CONFIG's task type {kind!r} is not in its cluster "
                          f"(it has {', '.join(map(repr, cluster))})")
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(cluster[kind]):
        raise ConfigError(f"TF_CONFIG's task index {index!r} is not one of the cluster's {len(cluster[kind])} "
                          f"{kind} task(s) (0 to {len(cluster[kind]) - 1})")
    workers = sum(len(addresses) for addresses in cluster.values())
    return Cluster(task_type=kind, index=index, workers=workers, has_chief="chief" in cluster)


def _check_addresses(kind: str, addresses) -> None:
    if not isinstance(addresses, list) or not addresses:
        raise ConfigError(f'TF_CONFIG\'s cluster "{kind}" must be a non-empty list of "host:port" strings')
    for address in addresses:
        host, sep, port = str(address).rpartition(":") if isinstance(address, str) else ("", "", "")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(f'TF_CONFIG\'s cluster "{kind}" holds {address!r}, not a "host:port" address')


def multi_worker_strategy():
    """MultiWorkerMirroredStrategy from TF_CONFIG. Create it before any other TensorFlow work:
    it configures the collective ops of the process."""
    import tensorflow as tf

    class KerasMultiWorkerStrategy(tf.distribute.MultiWorkerMirroredStrategy):
        """Takes Keras 3's reductions one value at a time (keras-team/keras#20585).

        Keras 3's fit() hands this strategy a whole (images, labels) batch to
        reduce, and each step's scalar metrics with ``axis=0``; both fail in
        TensorFlow's collective reduce across workers (single-machine
        MirroredStrategy accepts them). Reduced leaf by leaf, with no axis for
        a scalar, they mean what Keras asks: the mean over the replicas.
        """

        def reduce(self, reduce_op, value, axis):
            parent = super()

            def one(leaf):
                local = leaf.values[0] if isinstance(leaf, tf.distribute.DistributedValues) else leaf
                scalar = getattr(getattr(local, "shape", None), "rank", None) == 0
                return parent.reduce(reduce_op, leaf, None if scalar else axis)

            return tf.nest.map_structure(one, value)

    return KerasMultiWorkerStrategy()


def lost_worker(exc, cluster: Cluster) -> str:
    """What a collective op's failure means for the user: which worker went away (TensorFlow's
    message names the tasks that stopped sending heartbeats; this worker's own name is left out)."""
    text = getattr(exc, "message", None) or str(exc)
    tasks = set(re.findall(r"/job:(\w+)/replica:\d+/task:(\d+)", text))
    tasks.discard((cluster.task_type, str(cluster.index)))
    who = " and ".join(f"{job} {task}" for job, task in sorted(tasks)) or "a worker"
    return f"the cluster lost {who} (stopped, crashed or unreachable), so training stopped"


def worker_scratch_dir(run_dir: Path, resume: bool) -> Path:
    """A non-chief worker's folder for the saves it must join (deleted at the end). A resume
    reads the chief's run folder, so it must be usable here too (shared storage or a copy)."""
    if resume:
        problem = checkpoint_problem(run_dir)
        if problem is not None:
            raise RunFolderError(f"this worker cannot resume {run_dir} (the chief's run folder, "
                                 f"which every worker reads): {problem}")
    return Path(tempfile.mkdtemp(prefix="netlab-worker-"))


def shard_by_data(dataset):
    """Each worker keeps its share of every batch of the whole dataset (AutoShardPolicy.DATA).

    tf.data's default (AUTO) would shard by file where it finds file readers,
    giving the workers different images and different numbers of steps.
    """
    import tensorflow as tf

    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)
