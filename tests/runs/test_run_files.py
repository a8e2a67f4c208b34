"""The files of a run: a full disk, file modes, temporaries, dataset paths."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import netlab.base.atomic
from netlab.base.atomic import TEMP_MARK, atomic_write_text
from netlab.base.errors import DiskFullError
from netlab.predict.model import load_model
from netlab.runs.folder import RunWriter, read_checkpoint, read_history, shown_dataset
from netlab.training.trainer import Trainer
from tests.helpers import tiny_experiment


def _full_disk_for(monkeypatch, name):
    """Writes of the run file ``name`` go to /dev/full, where every write fails with ENOSPC for real."""
    make_temporary = netlab.base.atomic._create_temporary

    def temporary(path):
        if path.name != name:
            return make_temporary(path)
        tmp = path.with_name(f".{name}.full{TEMP_MARK}.weights.h5")
        tmp.symlink_to("/dev/full")
        return tmp

    monkeypatch.setattr(netlab.base.atomic, "_create_temporary", temporary)


def test_a_full_disk_stops_the_run_naming_the_file_and_the_last_good_checkpoint(tmp_path, monkeypatch):
    run = tmp_path / "run"
    _full_disk_for(monkeypatch, "checkpoint-0002.weights.h5")
    with pytest.raises(DiskFullError) as failed:
        Trainer(tiny_experiment(epochs=3), run_dir=run).run()
    message = str(failed.value)
    assert f"disk full while writing {run / 'checkpoint-0002.weights.h5'}" in message
    assert "the last good checkpoint is epoch 1" in message and f"netlab resume {run}" in message

    # Consistent files: the checkpoint of epoch 1 intact, no temporary left, models load.
    assert read_checkpoint(run)["epoch"] == 1
    assert not [p for p in run.iterdir() if TEMP_MARK in p.name]
    load_model(run / "best.keras")
    events = [json.loads(line)["event"] for line in open(run / "events.jsonl")]
    assert events.count("EpochEnd") == 1

    monkeypatch.undo()  # space freed: resume finishes the run from epoch 1
    Trainer.resume_run(run).run()
    assert [row["epoch"] for row in read_history(run)] == [1, 2, 3]
    load_model(run / "model.keras")


@pytest.mark.slow
def test_a_disk_that_fills_mid_write_ends_with_one_line_not_a_segfault(tmp_path):
    """A real full file system (a 5 MB tmpfs): HDF5 fails inside a weights file it has half written."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if sys.platform != "linux" or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=5m", "tmpfs", str(disk)],
                                                 capture_output=True).returncode != 0:
        pytest.skip("mounting a small tmpfs needs Linux and root")
    try:
        config = tmp_path / "exp.json"
        tiny_experiment(epochs=3).save(config)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "TF_CPP_MIN_LOG_LEVEL": "3"}
        done = subprocess.run([sys.executable, "-m", "netlab", "train", "--config", str(config),
                               "--out", str(disk / "run")], env=env, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 2, done.stderr[-3000:]  # was -11 (SIGSEGV) after h5py tracebacks
        assert "netlab: error: disk full while writing" in done.stderr
        assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr
        assert not [p for p in (disk / "run").iterdir() if TEMP_MARK in p.name]
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_atomically_written_files_keep_the_users_umask(tmp_path, trained_run):
    umask = os.umask(0o027)
    try:
        atomic_write_text(tmp_path / "a.txt", "x")
    finally:
        os.umask(umask)
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o640  # was 0o600

    # Every file of a run has the mode any other new file gets (the fixture ran with ``umask``).
    modes = {p.name: p.stat().st_mode & 0o777 for p in trained_run[0].iterdir() if p.is_file()}
    assert {"config.json", "history.csv", "model.keras", "best.keras", "checkpoint.json"} <= set(modes)
    assert set(modes.values()) == {0o666 & ~umask}, modes


def test_resume_cleans_only_the_temporaries_netlab_made(tmp_path):
    writer = RunWriter(tmp_path / "run")
    atomic_write_text(writer.dir / "history.csv", "epoch\n")
    ours = writer.dir / f".model.1a2b3c4d{TEMP_MARK}.keras"  # what a kill mid-save leaves
    ours.write_bytes(b"half a model")
    users = [writer.dir / ".notes.tmp", writer.dir / ".draft.tmp.txt"]
    for path in users:
        path.write_text("mine")
    writer.remove_stray_temporaries()
    assert not ours.exists()
    assert all(path.read_text() == "mine" for path in users)
    assert not [p for p in writer.dir.iterdir() if TEMP_MARK in p.name]


def test_a_dataset_folder_is_stored_absolute(tmp_path, monkeypatch):
    for name in ("cats", "dogs"):
        (tmp_path / "pets" / name).mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    exp = tiny_experiment()
    exp.data.dataset = "pets"
    RunWriter(tmp_path / "run").write_config(exp)
    stored = json.loads((tmp_path / "run" / "config.json").read_text())["data"]["dataset"]
    assert Path(stored).is_absolute() and Path(stored) == tmp_path / "pets"
    assert exp.data.dataset == "pets"  # the caller's experiment is unchanged
    assert shown_dataset(stored) == "pets"  # and printed as it was given

    exp.data.dataset = "digits"  # a built-in name stays a name, even beside a folder called digits
    (tmp_path / "digits").mkdir()
    RunWriter(tmp_path / "run2").write_config(exp)
    assert json.loads((tmp_path / "run2" / "config.json").read_text())["data"]["dataset"] == "digits"
    shutil.rmtree(tmp_path / "digits")
