"""Run folders are never overwritten, mixed or silently restarted."""

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap

import pytest

from netlab.base.errors import NetlabError, RunFolderError
from netlab.cli.main import main
from netlab.runs.folder import read_history
from netlab.runs.lock import LOCK_FILE, RunLock, claim_run_dir, folder_state, free_run_dir
from netlab.training.trainer import Trainer
from tests.helpers import folder_snapshot, tiny_experiment


@pytest.fixture
def old_run(tmp_path, trained_run):
    """A copy of a finished 2-epoch run, beside a user's own file in the same folder."""
    run = tmp_path / "run"
    shutil.copytree(trained_run[0], run)
    (run / "my-notes.txt").write_text("keep me")
    return run


# -- 1. a new run never writes into a folder that holds files ----------------------
def test_train_refuses_a_folder_that_holds_a_run_and_names_resume_and_a_free_folder(old_run, capsys):
    before = folder_snapshot(old_run)
    code = main(["train", "--max-samples", "300", "--epochs", "1", "--out", str(old_run)])
    err = capsys.readouterr().err
    assert code != 0
    assert f"netlab resume {old_run}" in err and f"{old_run}-2" in err and "--overwrite" in err
    assert folder_snapshot(old_run) == before  # not one byte changed


def test_an_existing_empty_folder_is_fine(tmp_path):
    (tmp_path / "empty").mkdir()
    lock = claim_run_dir(tmp_path / "empty")
    lock.release()
    # A lock file left by an earlier (killed) writer does not make a folder "used".
    assert [p.name for p in (tmp_path / "empty").iterdir()] == [LOCK_FILE]
    claim_run_dir(tmp_path / "empty").release()


def test_overwrite_moves_the_old_contents_aside_and_deletes_nothing(old_run, capsys):
    before = folder_snapshot(old_run)
    code = main(["train", "--max-samples", "300", "--epochs", "1", "--out", str(old_run), "--overwrite"])
    assert code == 0, capsys.readouterr().err
    [aside] = [p for p in old_run.parent.iterdir() if p.name.startswith("run.old-")]
    assert folder_snapshot(aside) == before  # the old run and the user's file, intact
    assert not (old_run / "my-notes.txt").exists()
    assert [row["epoch"] for row in read_history(old_run)] == [1]  # the new run alone


# -- 2. one writer per run folder ---------------------------------------------------
HOLD_LOCK = textwrap.dedent("""
    import sys
    from netlab.runs.lock import RunLock
    lock = RunLock(sys.argv[1]).acquire()  # held while the object lives
    print("locked", flush=True)
    sys.stdin.read()  # until the test kills this process
""")


@pytest.fixture
def locked_by_another_process(tmp_path):
    """(folder, process): a second real process holds the folder's lock until killed."""
    folder = tmp_path / "locked"
    folder.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(folder)], env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "locked"
        yield folder, proc
    finally:
        proc.kill()
        proc.wait(30)


def test_a_second_writer_gets_a_clear_error_and_sigkill_leaves_no_stale_lock(locked_by_another_process):
    folder, proc = locked_by_another_process
    with pytest.raises(RunFolderError, match=rf"being written by another NetLab process \(pid {proc.pid}"):
        Trainer(tiny_experiment(), run_dir=folder).run()
    assert [p.name for p in folder.iterdir()] == [LOCK_FILE]  # nothing written beside it

    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    claim_run_dir(folder).release()  # the kernel dropped the dead process's lock


def test_resume_takes_the_same_lock(old_run):
    before = folder_snapshot(old_run)
    with RunLock(old_run), pytest.raises(RunFolderError, match="another NetLab process"):
        Trainer.resume_run(old_run).run()
    assert folder_snapshot(old_run) == before


# -- 3. a broken checkpoint is refused, not silently retrained ----------------------
def _break_weights(run):
    (run / json.loads((run / "checkpoint.json").read_text())["weights"]).unlink()


def _break_json(run):
    (run / "checkpoint.json").write_text('{"epoch": 2, "weig')


def _break_epoch(run):
    state = json.loads((run / "checkpoint.json").read_text())
    (run / "checkpoint.json").write_text(json.dumps({**state, "epoch": "two"}))


@pytest.mark.parametrize(("damage", "problem"), [
    (_break_weights, "weights file checkpoint-0002.weights.h5 (epoch 2) is missing"),
    (_break_json, "checkpoint.json cannot be read"),
    (_break_epoch, "checkpoint.json has no valid epoch"),
])
def test_resume_refuses_a_missing_or_unreadable_checkpoint(old_run, damage, problem, capsys):
    damage(old_run)
    before = folder_snapshot(old_run)
    assert main(["resume", str(old_run)]) != 0
    err = capsys.readouterr().err
    assert problem in err and f"netlab resume {old_run} --restart" in err and "epoch 1" in err
    assert folder_snapshot(old_run) == before  # model.keras and best.keras untouched


def test_restart_starts_over_and_moves_the_old_results_aside(old_run):
    _break_weights(old_run)
    old_model = (old_run / "model.keras").read_bytes()
    result = Trainer.resume_run(old_run, restart=True).run()
    assert len(result.history["loss"]) == 2
    assert [row["epoch"] for row in read_history(old_run)] == [1, 2]
    [aside] = [p for p in old_run.parent.iterdir() if p.name.startswith("run.old-")]
    assert (aside / "model.keras").read_bytes() == old_model
    assert {"best.keras", "history.csv", "checkpoint.json", "events.jsonl"} <= {p.name for p in aside.iterdir()}
    assert (old_run / "my-notes.txt").read_text() == "keep me"  # a user's file is not a result


# -- the window's question about a used folder, and no lock-only folders left behind --
def test_a_failed_new_run_removes_the_folder_it_created_and_keeps_one_it_did_not(tmp_path):
    exp = tiny_experiment()
    exp.data.dataset = str(tmp_path / "no-such-images")  # bad data: refused once the run has begun
    with pytest.raises(NetlabError):
        Trainer(exp, run_dir=tmp_path / "new" / "run").run()
    assert not (tmp_path / "new" / "run").exists()  # not a folder holding only .netlab.lock
    (tmp_path / "mine").mkdir()
    with pytest.raises(NetlabError):
        Trainer(exp, run_dir=tmp_path / "mine").run()
    assert (tmp_path / "mine").is_dir()  # the user's own (empty) folder stays


def test_folder_state_says_what_a_chosen_folder_holds(old_run, tmp_path):
    assert folder_state(tmp_path / "missing").kind == "free"
    finished = folder_state(old_run)
    assert finished.kind == "run" and not finished.resumable and "finished (2 of 2 epochs)" in finished.message
    assert finished.free_path == free_run_dir(old_run) == old_run.with_name("run-2")
    config = json.loads((old_run / "config.json").read_text())
    config["training"]["epochs"] = 3
    (old_run / "config.json").write_text(json.dumps(config))
    assert folder_state(old_run).resumable  # a checkpoint at epoch 2 of 3
    _break_weights(old_run)
    broken = folder_state(old_run)
    assert not broken.resumable and "weights file" in broken.message
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "a.jpg").write_bytes(b"x")
    assert folder_state(tmp_path / "photos").kind == "files"
    with RunLock(old_run):  # this process's lock; another's reads the same (test above)
        busy = folder_state(old_run)
    assert busy.kind == "refused" and "being written by another NetLab process" in busy.message
