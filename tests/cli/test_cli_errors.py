"""Every mistake a user can make on the command line gives one `netlab: error:` line and a
non-zero exit code; never a traceback, never a silent exit 0."""

import codecs
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PIL import Image

from netlab.base.logs import TENSORFLOW_LOG_LINE
from netlab.cli.main import main
from tests.helpers import tiny_experiment

ROOT = Path(__file__).resolve().parents[2]


def _one_error_line(capsys, *expected: str) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("netlab: error:"), err
    for text in expected:
        assert text in err[0]
    return err[0]


def _netlab(*args, env=None, **kwargs):
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "netlab", *args], capture_output=True, text=True,
                          env=env, timeout=300, **kwargs)


@pytest.mark.parametrize(("argv", "expected"), [
    (["predict", "m.keras", "x.png", "--top", "0"], "argument --top: must be an integer >= 1 (got 0)"),
    (["predict", "m.keras", "x.png", "--top", "-2"], "argument --top: must be an integer >= 1 (got -2)"),
    (["predict", "m.keras", "x.png", "--top", "two"], "argument --top: must be an integer (got 'two')"),
    (["evaluate", "run", "--batch-size", "0"], "argument --batch-size: must be an integer >= 1"),
    (["lr-find", "--start-lr", "0"], "argument --start-lr: must be a number > 0"),
    (["lr-find", "--end-lr", "nan"], "argument --end-lr: must be a number > 0"),
    (["lr-find", "--steps", "2"], "argument --steps: must be an integer >= 5"),
    (["search", "--budget", "0"], "argument --budget: must be an integer >= 1"),
    (["search", "--trial-epochs", "-1"], "argument --trial-epochs: must be an integer >= 1"),
    (["summary", "resnet18", "--classes", "0"], "argument --classes: must be an integer >= 2"),
    (["predict"], "the following arguments are required"),
    (["train", "--seed", "-1"], "seed must be in [0, 4294967295] (got -1)"),
    (["train", "--epochs", "0"], "training.epochs must be >= 1 (got 0)"),
])
def test_numeric_flags_are_checked_before_anything_runs(argv, expected, capsys):
    assert main(argv) == 2
    _one_error_line(capsys, expected)


@pytest.mark.parametrize(("argv", "hint"), [
    (["resume", "run", "--epochs", "5"], "(see netlab resume --help)"),
    (["inspect", "maps", "m.keras", "x.png", "--layer", "a", "--bogus"], "(see netlab inspect maps --help)"),
])
def test_an_unknown_flag_points_to_its_command_help(argv, hint, capsys):
    assert main(argv) == 2
    _one_error_line(capsys, "unrecognized arguments:", hint)


def test_a_bare_netlab_lists_the_commands(capsys):
    assert main([]) == 2
    out = capsys.readouterr().out
    assert "usage: netlab" in out and all(f"    {name}" in out for name in ("train", "resume", "search", "export"))


def test_lr_find_backwards_range_names_the_flags(capsys):
    assert main(["lr-find", "--start-lr", "1", "--end-lr", "0.1"]) == 2
    _one_error_line(capsys, "--start-lr 1", "--end-lr 0.1")


def test_a_reader_that_goes_away_is_no_error():
    """`netlab archs --options | head -1`: no 'Broken pipe' error line, no Python complaint."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "netlab", "archs", "--options", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    proc.stdout.close()  # before the command writes a byte
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 1
    assert err == ""


def test_summary_options_that_are_not_json(capsys):
    assert main(["summary", "simple_cnn", "--options", "{bad"]) == 2
    _one_error_line(capsys, "--options is not valid JSON")
    assert main(["summary", "simple_cnn", "--options", "[1]"]) == 2
    _one_error_line(capsys, "--options must be a JSON object")


def test_out_naming_an_existing_file(tmp_path, capsys):
    existing = tmp_path / "notes.txt"
    existing.write_text("mine")
    assert main(["train", "--epochs", "1", "--out", str(existing)]) == 2
    _one_error_line(capsys, "notes.txt is a file; give a folder for the run")
    assert existing.read_text() == "mine"


def test_out_that_cannot_be_written(tmp_path, capsys):
    if os.geteuid() == 0:  # root writes through permission bits; the kernel refuses /sys for anyone
        out = Path("/sys/netlab-test-run")
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o555)
        out = locked / "run"
    assert main(["train", "--epochs", "1", "--max-samples", "100", "--out", str(out)]) == 2
    line = _one_error_line(capsys, str(out))
    assert "not permitted" in line or "Permission denied" in line


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-be", "utf-32"])
def test_config_files_with_a_byte_order_mark(tmp_path, capsys, encoding):
    from netlab.config import Experiment

    path = tmp_path / "experiment.json"
    text = '{"training": {"epochs": 7, "learning_rate": -1}}'
    data = text.encode(encoding)
    if encoding == "utf-16-be":  # Python's utf-16-be codec writes no mark: add it, as editors do
        data = codecs.BOM_UTF16_BE + data
    path.write_bytes(data)
    assert Experiment.load(path).training.epochs == 7
    assert main(["train", "--config", str(path)]) == 2  # read, then refused for its learning rate
    _one_error_line(capsys, "training.learning_rate must be a positive number (got -1.0)")


def test_config_file_in_a_legacy_encoding(tmp_path, capsys):
    path = tmp_path / "latin1.json"
    path.write_bytes('{"data": {"dataset": "caf\u00e9"}}'.encode("latin-1"))
    assert main(["train", "--config", str(path)]) == 2
    _one_error_line(capsys, "latin1.json is not UTF-8 text", "save it as UTF-8")


def test_truncated_history_on_resume(trained_run, tmp_path, capsys):
    run_dir, _ = trained_run
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    text = (copy / "history.csv").read_text()
    (copy / "history.csv").write_text(text[:text.index("\n", text.index("\n") + 1) + 20])
    assert main(["resume", str(copy)]) == 2
    _one_error_line(capsys, "history.csv is damaged at line 3")


def test_damaged_model_files(trained_run, tmp_path, digit_png, capsys):
    run_dir, _ = trained_run
    good = (run_dir / "model.keras").read_bytes()
    cut = tmp_path / "cut.keras"
    cut.write_bytes(good[: len(good) // 2])
    assert main(["predict", str(cut), str(digit_png)]) == 2
    _one_error_line(capsys, "cut.keras is not a Keras model file")
    # The zip's directory intact, a stored member's bytes scrambled: zipfile's BadZipFile (CRC).
    scrambled = tmp_path / "scrambled.keras"
    middle = len(good) // 2
    scrambled.write_bytes(good[:middle] + bytes(b ^ 0xFF for b in good[middle:middle + 4096])
                          + good[middle + 4096:])
    assert main(["predict", str(scrambled), str(digit_png)]) == 2
    _one_error_line(capsys, "scrambled.keras")
    # A file that exists but is not a model: not "File not found".
    text = tmp_path / "notes.keras"
    text.write_text("not a model")
    assert main(["evaluate", str(text), "--dataset", "digits"]) == 2
    line = _one_error_line(capsys, "notes.keras is not a Keras model file")
    assert "not found" not in line


def test_predict_takes_a_run_folder_and_refuses_a_folder_without_images(trained_run, digit_png, tmp_path,
                                                                         capsys):
    import json

    run_dir, _ = trained_run
    assert main(["predict", str(run_dir), str(digit_png), "--json", "--top", "10"]) == 0
    top = json.loads(capsys.readouterr().out)["top"]
    assert sorted(r["label"] for r in top) == [str(d) for d in range(10)]  # classes.json was read
    (tmp_path / "empty").mkdir()
    assert main(["predict", str(run_dir), str(tmp_path / "empty")]) == 2  # a folder is searched for images
    line = _one_error_line(capsys, "no images in this folder")
    assert "no such file" not in line
    assert main(["predict", str(tmp_path), str(digit_png)]) == 2
    _one_error_line(capsys, "is a folder without a model.keras")
    # --csv naming a folder or a missing folder: said before classifying (it was a bare 'Is a directory' after)
    assert main(["predict", str(run_dir), str(digit_png), "--csv", str(tmp_path)]) == 2
    _one_error_line(capsys, "is a folder; give a file name", "predictions.csv")
    assert main(["predict", str(run_dir), str(digit_png), "--csv", str(tmp_path / "no" / "p.csv")]) == 2
    _one_error_line(capsys, "there is no folder")


def test_a_class_with_a_single_image(tmp_path, capsys):
    from netlab.base.errors import DataError
    from netlab.config import DataConfig
    from netlab.data import load_dataset

    for name, count in (("cats", 6), ("dogs", 6), ("owl", 1)):
        (tmp_path / "pets" / name).mkdir(parents=True)
        for i in range(count):
            Image.new("RGB", (16, 16), (40 * i, 0, 0)).save(tmp_path / "pets" / name / f"{i}.png")
    with pytest.raises(DataError, match="class 'owl' .* has 1 image.* at least 2 images") as caught:
        load_dataset(DataConfig(dataset=str(tmp_path / "pets")))
    assert "least populated" not in str(caught.value)  # scikit-learn's wording stays inside
    assert main(["train", "--dataset", str(tmp_path / "pets"), "--epochs", "1",
                 "--out", str(tmp_path / "run")]) == 2
    _one_error_line(capsys, "class 'owl'")


def _ctrl_c_reaches_it() -> None:
    """In the child before exec: SIGINT as a terminal gives it. A suite started in the background
    (`.ci/run &`, nohup) ignores SIGINT, its children inherit that, and Python then installs no
    KeyboardInterrupt handler: Ctrl-C's code path would never run."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


# Put first on the child's PYTHONPATH as sitecustomize: once TensorFlow's package has begun to
# import (its first submodule is looked for), it says so on stdout and waits for stdin, so the
# test's Ctrl-C lands inside TensorFlow's import, however fast this machine imports it.
HOLD_TENSORFLOW_IMPORT = textwrap.dedent("""
    import os, sys

    class HoldTensorFlow:
        held = False

        def find_spec(self, name, path=None, target=None):
            if name.startswith("tensorflow.") and not self.held:
                self.held = True
                os.write(1, b"importing tensorflow\\n")
                os.read(0, 1)  # until the test's SIGINT (KeyboardInterrupt here) or its stdin closes
            return None  # the usual finders import it

    sys.meta_path.insert(0, HoldTensorFlow())
""")


def test_ctrl_c_while_tensorflow_imports(tmp_path):
    (tmp_path / "sitecustomize.py").write_text(HOLD_TENSORFLOW_IMPORT)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    proc = subprocess.Popen([sys.executable, "-m", "netlab", "devices"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            preexec_fn=_ctrl_c_reaches_it)
    try:
        assert proc.stdout.readline() == "importing tensorflow\n", "TensorFlow's import never began"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert err.strip().splitlines() == ["netlab: interrupted"], err
    assert out == ""  # interrupted before it listed anything


def test_tensorflow_keeps_its_log_lines_to_itself(digit_png, trained_run):
    run_dir, _ = trained_run
    env = {"TF_CPP_MIN_LOG_LEVEL": "2"}  # what a user had set: TensorFlow printed through it
    proc = _netlab("predict", str(run_dir), str(digit_png), env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(str(digit_png))
    assert proc.stderr == "", proc.stderr
    verbose = _netlab("predict", str(run_dir), str(digit_png), "--verbose", env=env)
    assert verbose.returncode == 0
    assert any(TENSORFLOW_LOG_LINE.match(line.encode()) for line in verbose.stderr.splitlines()), \
        verbose.stderr



def _interrupt(args, waits_for: str, on_stderr: bool = False) -> tuple[int, list[str]]:
    """Run netlab, send Ctrl-C's SIGINT once a line starting with ``waits_for`` is printed; the exit
    code and the stderr lines that came after it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "netlab", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, preexec_fn=_ctrl_c_reaches_it)
    for line in proc.stderr if on_stderr else proc.stdout:
        if line.startswith(waits_for):
            break
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    return proc.returncode, err.strip().splitlines()


@pytest.mark.slow
def test_ctrl_c_mid_training_names_the_epoch_and_the_resume_command(tmp_path):
    """Ctrl-C after an epoch: one line with the last complete epoch and how to go on; the folder resumes."""
    from netlab.runs.folder import read_checkpoint
    from netlab.runs.lock import checkpoint_problem

    run = tmp_path / "run"
    code, lines = _interrupt(["train", "--dataset", "digits", "--image-size", "16", "--max-samples", "100",
                              "--epochs", "1000", "--no-train-eval", "--no-tensorboard", "--out", str(run)],
                             "epoch 2/")  # printed after the epoch's checkpoint is written
    assert code == 130
    assert len(lines) == 1 and lines[0].startswith("netlab: interrupted after epoch "), lines
    epoch = read_checkpoint(run)["epoch"]
    assert epoch >= 2 and lines[0] == f"netlab: interrupted after epoch {epoch}; netlab resume {run} goes on from there"
    assert checkpoint_problem(run) is None


@pytest.mark.slow
def test_ctrl_c_mid_search_and_mid_lesson_say_what_goes_on(tmp_path):
    search = tmp_path / "search"
    code, lines = _interrupt(["search", "--dataset", "digits", "--image-size", "16", "--max-samples", "100",
                              "--budget", "2", "--trial-epochs", "1000", "--out", str(search)],
                             "trial 0:", on_stderr=True)
    assert code == 130
    assert lines == [f"netlab: interrupted; netlab search --resume {search} goes on to the budget"]
    lesson = tmp_path / "lesson"
    code, lines = _interrupt(["experiment", "dropout", "--budget", "tiny", "--out", str(lesson)], "[1/2]")
    assert code == 130
    assert lines == [f"netlab: interrupted; the finished runs stay in {lesson}: netlab experiment dropout "
                     f"--resume {lesson} goes on with the others"]


def test_imagenet_weights_offline_is_one_line_with_the_url(tmp_path, monkeypatch, capsys):
    """A download that cannot connect (a proxy on a closed port stands for no network): Keras's
    'Downloading data from URL' line is not printed before the error, which names the URL itself."""
    import urllib.request

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    for name in ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(urllib.request, "_opener", None)  # urlopen's opener reads the proxies anew
    out = tmp_path / "ft"
    for extra in (["--report"], ["--epochs", "1", "--max-samples", "60", "--out", str(out)]):
        assert main(["finetune", "imagenet:mobilenetv2", "--dataset", "digits", "--image-size", "32", *extra]) == 2
        captured = capsys.readouterr()
        assert "Downloading" not in captured.out + captured.err
        err = captured.err.strip().splitlines()
        assert len(err) == 1 and "could not be downloaded" in err[0], err
        assert "https://storage.googleapis.com/" in err[0] and str(tmp_path / "keras" / "models") in err[0]
    assert not out.exists()


def test_search_resume_refuses_a_storage_or_study_that_is_not_its_own(tmp_path, capsys):
    """--resume with --storage/--study-name naming no such study started a new study in it, whose trial
    numbers ran into the folder's trial-NNNN runs ('already holds a NetLab run' for each)."""

    from netlab.search.study import Search

    out = tmp_path / "search"
    Search(tiny_experiment(), out)  # the study and search.json, nothing trained
    other = f"sqlite:///{tmp_path / 'other.db'}"
    for extra in (["--storage", other], ["--study-name", "another"]):
        assert main(["search", "--resume", str(out), "--budget", "3", *extra]) == 2
        _one_error_line(capsys, "holds no study", "resume without --storage/--study-name")
    assert sorted(p.name for p in out.iterdir()) == ["search.json", "study.db"]  # no trial began
    assert main(["search", "--out", str(out)]) == 2
    _one_error_line(capsys, f"already holds files: netlab search --resume {out} continues the search there, "
                            "or choose a new folder")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.txt").write_text("mine")
    assert main(["search", "--out", str(tmp_path / "notes")]) == 2
    line = _one_error_line(capsys, "already holds files; choose a new folder")
    assert "; or" not in line


@pytest.mark.parametrize(("argv", "expected"), [
    (["train", "--momentum", "0.9"], "--momentum does nothing with optimizer adam: it acts with --optimizer sgd or "
                                     "rmsprop"),
    (["train", "--optimizer", "sgd", "--weight-decay", "0.01"], "--weight-decay does nothing with optimizer sgd"),
    (["train", "--optimizer", "rmsprop", "--nesterov"], "--nesterov does nothing with optimizer rmsprop"),
    (["train", "--decay-rate", "0.5"], "--decay-rate does nothing with schedule constant"),
    (["train", "--schedule", "step", "--warmup-epochs", "2"], "--warmup-epochs does nothing with schedule step"),
    (["train", "--schedule", "step", "--min-lr", "1e-5"], "--min-lr does nothing with schedule step"),
    (["lr-find", "--plateau-patience", "3"], "--plateau-patience does nothing with schedule constant"),
    (["train", "--patience", "3"], "--patience does nothing without early stopping; add --early-stopping"),
    (["search", "--epochs", "5"], "--epochs does nothing in a search: each trial trains --trial-epochs epochs"),
    (["search", "--early-stopping", "--patience", "3"], "--early-stopping does nothing in a search"),
])
def test_a_flag_that_would_do_nothing_is_refused(argv, expected, tmp_path, capsys):
    """`--optimizer adam --momentum 0.9` trained plain Adam without a word."""
    assert main([*argv, "--out", str(tmp_path / "run")] if argv[0] != "lr-find" else argv) == 2
    _one_error_line(capsys, expected)
    assert not (tmp_path / "run").exists()


def test_flags_where_they_act_are_taken(tmp_path):
    from netlab.cli.main import build_parser
    from netlab.cli.search import _search_experiment
    from netlab.cli.settings import experiment_from_args

    config = tmp_path / "sgd.json"
    config.write_text('{"training": {"optimizer": "sgd", "schedule": "plateau"}}')
    parse = build_parser().parse_args
    t = experiment_from_args(parse(["train", "--config", str(config), "--momentum", "0.8", "--nesterov",
                                     "--decay-rate", "0.3", "--min-lr", "1e-5", "--plateau-patience", "2",
                                     "--early-stopping", "--patience", "4"])).training
    assert (t.momentum, t.nesterov, t.decay_rate, t.min_learning_rate, t.plateau_patience, t.patience) == (
        0.8, True, 0.3, 1e-5, 2, 4)
    # A search that varies the optimizer: momentum acts in its SGD trials.
    space = '{"training.optimizer": {"choices": ["adam", "sgd"]}}'
    exp = _search_experiment(parse(["search", "--momentum", "0.7", "--space", space]))
    assert exp.training.momentum == 0.7


@pytest.mark.parametrize(("argv", "expected"), [
    (["inspect", "bn", "m.keras", "--dataset", "digits", "--images", "photos"],
     "argument --images: not allowed with argument --dataset"),
    (["inspect", "activations", "--images", "photos", "--dataset", "digits"],
     "argument --dataset: not allowed with argument --images"),
    (["finetune", "imagenet:mobilenetv2", "--dataset", "digits", "--json"], "--json goes with --report"),
])
def test_flags_that_contradict_each_other(argv, expected, tmp_path, capsys):
    """inspect bn took --images and silently left --dataset out; finetune --json trained and printed text."""
    assert main([*argv, "--out", str(tmp_path / "run")] if argv[0] == "finetune" else argv) == 2
    _one_error_line(capsys, expected)
    assert not (tmp_path / "run").exists()


def test_a_folder_netlab_knows_but_without_a_model_says_what_to_give(tmp_path, capsys):
    """An unfinished run, a search's folder and a lesson's folder each say what they are and what to give
    (they said 'is it a finished NetLab run folder?' or 'give a .keras file or a NetLab run folder')."""

    from netlab.runs.folder import RunWriter
    from netlab.search.study import Search

    run = tmp_path / "run"
    RunWriter(run).write_config(tiny_experiment())
    (run / "best.keras").write_bytes(b"")  # its best epoch so far; model.keras comes at the end
    search = tmp_path / "search"
    Search(tiny_experiment(), search)
    lesson_run = tmp_path / "lesson" / "dropout" / "seed-0"
    RunWriter(lesson_run).write_config(tiny_experiment())
    expected = {
        run: f"{run} has no model.keras yet: its training has not finished; netlab resume {run} finishes it, "
             f"and {run / 'best.keras'} holds its best epoch so far",
        search: f"{search} is a search's folder; give one of its trials' run folders (none has begun yet)",
        tmp_path / "lesson": f"{tmp_path / 'lesson'} is a lesson's folder; give one of its runs ({lesson_run}, ...)",
    }
    for folder, line in expected.items():
        for argv in (["evaluate", str(folder)], ["predict", str(folder), "x.png"],
                     ["export", str(folder), "--format", "keras", "--out", str(tmp_path / "m.keras")]):
            assert main(argv) == 2
            assert _one_error_line(capsys) == f"netlab: error: {line}"


def test_resume_of_a_search_a_lesson_or_no_folder(tmp_path, capsys):
    from netlab.runs.folder import RunWriter
    from netlab.search.study import Search

    search = tmp_path / "search"
    Search(tiny_experiment(), search)
    RunWriter(tmp_path / "lesson" / "dropout" / "seed-0").write_config(tiny_experiment())
    assert main(["resume", str(search)]) == 2
    _one_error_line(capsys, f"is a search's folder: netlab search --resume {search} goes on with it")
    assert main(["resume", str(tmp_path / "lesson")]) == 2
    _one_error_line(capsys, "is a lesson's folder; give one of its runs")
    assert main(["resume", str(tmp_path / "nothing")]) == 2
    _one_error_line(capsys, "nothing: no such run folder")
    assert main(["resume", str(tmp_path / "lesson" / "dropout")]) == 2
    _one_error_line(capsys, "is not a NetLab run folder (it has no config.json)")


def test_one_epoch_is_said_in_the_singular(capsys):
    from netlab.cli.train import print_event
    from netlab.training.events import RunFinished, RunStarted

    print_event(RunStarted(arch="simple_cnn", dataset="digits", epochs=1, steps_per_epoch=3, train_samples=80,
                           val_samples=20, params=10, device="CPU", initial_epoch=1))
    print_event(RunFinished(epochs_completed=1, stopped=False, best_epoch=1, best_val_loss=2.3, run_dir="r1"))
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("on CPU: its one epoch was already done, nothing left to train")
    assert out[1] == "finished after 1 epoch (best val_loss 2.3000 at epoch 1); run saved in r1"


def test_a_lessons_table_lines_up(capsys):
    """Metric names wider than the 14-character columns and parameter counts as '691930.000±0.000'
    pushed every column after them out of line."""
    from netlab.lessons.report import print_result

    arms = {"plain_18": {"mean": {"params": 691930.0, "train_accuracy_recomputed": 0.118, "best_epoch": 3.5},
                         "std": {"params": 0.0, "train_accuracy_recomputed": 0.0, "best_epoch": 0.5}},
            "residual_34": {"mean": {"params": 1338586.0, "train_accuracy_recomputed": 0.098, "best_epoch": 4.0},
                            "std": {"params": 0.0, "train_accuracy_recomputed": 0.012, "best_epoch": 0.0}}}
    print_result({"title": "Residual", "budget": "tiny", "seeds": [0, 1], "arms": arms, "verdict": "Held."})
    lines = capsys.readouterr().out.splitlines()[2:5]
    assert len({len(line) for line in lines}) == 1, lines  # right-aligned columns of one width each
    header, first, second = lines
    assert header.split() == ["arm", "best_epoch", "params", "train_accuracy_recomputed"]
    assert first.split() == ["plain_18", "3.500±0.500", "691,930", "0.118±0.000"]
    assert second.split() == ["residual_34", "4", "1,338,586", "0.098±0.012"]


def test_config_naming_a_run_folder_points_to_its_config_json(tmp_path, capsys):
    from netlab.runs.folder import RunWriter

    run = tmp_path / "run"
    RunWriter(run).write_config(tiny_experiment())
    assert main(["train", "--config", str(run), "--out", str(tmp_path / "new")]) == 2
    _one_error_line(capsys, f"{run} is a folder; its settings are {run / 'config.json'}", f"netlab resume {run}")
    (tmp_path / "plain").mkdir()
    assert main(["train", "--config", str(tmp_path / "plain")]) == 2
    _one_error_line(capsys, "cannot read configuration", "Is a directory")
