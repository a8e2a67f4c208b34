"""Training on several machines (MultiWorkerMirroredStrategy from TF_CONFIG): the TF_CONFIG checks,
and two CPU workers on localhost training digits, stopped after an epoch and resumed."""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from netlab.base.errors import ConfigError
from netlab.cli.main import main
from netlab.training.multi_worker import cluster_from_env, parse_tf_config

ROOT = Path(__file__).resolve().parents[2]
JOB = ROOT / "tests" / "helpers" / "multi_worker_job.py"


def _tf_config(cluster, task_type="worker", index=0):
    return {"cluster": cluster, "task": {"type": task_type, "index": index}}


def test_the_chief_is_the_chief_task_or_worker_0_without_one():
    workers = {"worker": ["a:1000", "b:1000"]}
    assert parse_tf_config(_tf_config(workers, "worker", 0)).is_chief
    assert not parse_tf_config(_tf_config(workers, "worker", 1)).is_chief
    with_chief = {"chief": ["c:1000"], **workers}
    assert parse_tf_config(_tf_config(with_chief, "chief", 0)).is_chief
    cluster = parse_tf_config(_tf_config(with_chief, "worker", 0))
    assert not cluster.is_chief and cluster.workers == 3


@pytest.mark.parametrize("text, words", [
    ("", "--multi-worker needs TF_CONFIG"),
    ("{cluster:", "TF_CONFIG is not valid JSON"),
    ('["a:1"]', "must be a JSON object"),
    ('{"task": {"type": "worker", "index": 0}}', 'no "cluster"'),
    ('{"cluster": {"worker": ["a:1"]}}', 'no "task"'),
    ('{"cluster": {"worker": ["a"]}, "task": {"type": "worker", "index": 0}}', "not a \"host:port\""),
    ('{"cluster": {"worker": ["a:1"], "ps": ["b:1"]}, "task": {"type": "worker", "index": 0}}', "'ps'"),
    ('{"cluster": {"worker": ["a:1"]}, "task": {"type": "chief", "index": 0}}', "'chief' is not in"),
    ('{"cluster": {"worker": ["a:1", "b:1"]}, "task": {"type": "worker", "index": 2}}', "0 to 1"),
])
def test_a_missing_or_malformed_tf_config_is_one_clear_error(text, words):
    with pytest.raises(ConfigError) as caught:
        cluster_from_env({"TF_CONFIG": text})
    assert words in str(caught.value) and "\n" not in str(caught.value)


def test_the_command_says_so_in_one_line(monkeypatch, capsys, tmp_path):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert main(["train", "--dataset", "digits", "--out", str(tmp_path / "run"), "--multi-worker"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("netlab: error: --multi-worker needs TF_CONFIG")
    monkeypatch.setenv("TF_CONFIG", '{"cluster": {"worker": ["localhost:x"]}}')
    assert main(["resume", str(tmp_path / "run"), "--multi-worker"]) == 2
    assert "not a \"host:port\" address" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_a_worker_that_cannot_resume_the_chiefs_folder_says_why(tmp_path):
    from netlab.base.errors import RunFolderError
    from netlab.config import Experiment
    from netlab.training.multi_worker import Cluster
    from netlab.training.trainer import Trainer

    run = tmp_path / "chief-run"
    run.mkdir()
    Experiment().save(run / "config.json")
    (run / "history.csv").write_text("epoch,loss\n1,2.0\n2,1.5\n")  # two epochs, no checkpoint
    worker = Cluster(task_type="worker", index=1, workers=2, has_chief=False)
    with pytest.raises(RunFolderError, match="this worker cannot resume .*checkpoint.json is missing"):
        Trainer.resume_run(run, multi_worker=worker).run()
    assert sorted(p.name for p in run.iterdir()) == ["config.json", "history.csv"]  # nothing written


def test_a_lost_worker_is_named():
    import tensorflow as tf

    from netlab.training.multi_worker import Cluster, lost_worker

    # The message a survivor got when the other worker was killed mid-epoch (TensorFlow 2.21),
    # with this worker's own device name in it as well.
    text = ("Graph execution error:\n\nCollective ops is aborted by: Error reported from /job:worker/task:1: "
            "The following tasks are unhealthy (stopped sending heartbeats):\n/job:worker/replica:0/task:1\n"
            "The tasks have crashed. Check the task logs for an earlier error\n"
            "\t [[{{node CollectiveReduceV2_12}}]] on /job:worker/replica:0/task:0/device:CPU:0")
    chief = Cluster(task_type="worker", index=0, workers=2, has_chief=False)
    message = lost_worker(tf.errors.UnavailableError(None, None, text), chief)
    assert message.startswith("the cluster lost worker 1 (") and "\n" not in message
    unknown = lost_worker(tf.errors.UnavailableError(None, None, "Socket closed"), chief)
    assert unknown.startswith("the cluster lost a worker (")


def _free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _run_workers(args_of, tmp_path, timeout=240):
    """Both workers at once, each with its own TF_CONFIG and TMPDIR; fails with a worker's output
    as soon as one fails (the other would wait for it for an hour)."""
    ports = _free_ports(2)
    cluster = {"worker": [f"localhost:{port}" for port in ports]}
    processes, logs = [], []
    for index in range(2):
        scratch = tmp_path / f"tmp{index}"
        scratch.mkdir(exist_ok=True)
        env = {**os.environ, "TF_CONFIG": json.dumps(_tf_config(cluster, "worker", index)),
               "TMPDIR": str(scratch), "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
               "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
        logs.append(tmp_path / f"worker{index}.log")
        with open(logs[-1], "w") as log:
            processes.append(subprocess.Popen([sys.executable, str(JOB), *args_of(index)], env=env,
                                              stdout=log, stderr=subprocess.STDOUT))
    deadline = time.monotonic() + timeout
    try:
        while any(p.poll() is None for p in processes) and time.monotonic() < deadline:
            failed = [i for i, p in enumerate(processes) if p.poll() not in (None, 0)]
            assert not failed, f"worker {failed[0]} failed:\n" + logs[failed[0]].read_text()[-3000:]
            time.sleep(0.2)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.wait()
    for index, process in enumerate(processes):
        assert process.returncode == 0, f"worker {index} ended with {process.returncode}:\n" + \
            logs[index].read_text()[-3000:]


def _weights(path):
    with np.load(path) as saved:
        return [saved[f"arr_{i}"] for i in range(len(saved.files))]


@pytest.mark.slow
def test_two_workers_train_one_model_and_the_chief_alone_writes_the_run(tmp_path):
    from netlab.config import Experiment
    from netlab.runs.folder import read_history

    exp = Experiment()
    exp.data.max_samples = 200
    exp.training.epochs = 2
    exp.training.batch_size = 32
    exp.training.tensorboard = False
    exp.training.train_eval = False
    config = tmp_path / "exp.json"
    exp.save(config)
    chief_run, worker_run = tmp_path / "chief-run", tmp_path / "worker-run"
    runs = [chief_run, worker_run]

    # Both stop after epoch 1 (as a user's stop would), then both resume from the chief's folder.
    _run_workers(lambda i: ["train", str(config), str(runs[i]), str(tmp_path / f"w{i}-a.npz"), "1"], tmp_path)
    assert [row["epoch"] for row in read_history(chief_run)] == [1]
    _run_workers(lambda i: ["resume", "-", str(chief_run), str(tmp_path / f"w{i}.npz")], tmp_path)

    assert [row["epoch"] for row in read_history(chief_run)] == [1, 2]  # every epoch exactly once
    assert json.loads((chief_run / "checkpoint.json").read_text())["epoch"] == 2
    assert (chief_run / "model.keras").is_file()
    assert not worker_run.exists()  # the other worker wrote no run folder ...
    assert list((tmp_path / "tmp1").iterdir()) == []  # ... and left nothing in its temporary folder
    chief, worker = _weights(tmp_path / "w0.npz"), _weights(tmp_path / "w1.npz")
    assert len(chief) == len(worker) > 0
    for a, b in zip(chief, worker, strict=True):
        np.testing.assert_array_equal(a, b)
    # The chief's model.keras is the cluster's model.
    from netlab.predict.model import load_model

    saved = load_model(chief_run / "model.keras").get_weights()
    for a, b in zip(saved, chief, strict=True):
        np.testing.assert_array_equal(a, b)
    # Training moved the weights after the resume (it did not just reload epoch 1).
    before = _weights(tmp_path / "w0-a.npz")
    assert any(not np.array_equal(a, b) for a, b in zip(before, chief, strict=True))
