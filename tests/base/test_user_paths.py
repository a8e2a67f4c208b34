"""A path a person types (run folder, --out, dataset folder, model, configuration, fine-tuning
source) is checked in one place: a name the file system refuses is one NetlabError line, in the
window's core calls and on the command line, never Python 3.11's OSError from Path.exists()."""

import os
from pathlib import Path

import pytest

from netlab.base.errors import ConfigError, ModelLoadError, RunFolderError
from netlab.base.user_paths import NAME_MAX, checked_path
from netlab.config import Experiment

LONG_NAME = "a" * 300  # ENAMETOOLONG: Path.exists() and is_dir() raise for it on Python 3.11


def _long(tmp_path):
    return str(tmp_path / LONG_NAME)


@pytest.mark.parametrize("text, words", [
    ("", "the path is empty"),
    ("   ", "the path is empty"),
    ("runs/a\0b", "holds a NUL character"),
    ("{tmp}/" + LONG_NAME, "the name 'aaaa"),
    ("{tmp}/" + "é" * 128, "is too long (256 bytes"),  # 128 characters, but a name's limit is in bytes
    ("{tmp}/" + "/".join(["d" * 200] * 25), "is too long for the file system"),  # every name fits, the path not
])
def test_a_path_the_file_system_refuses_is_one_line_naming_the_field(text, words, tmp_path):
    with pytest.raises(ConfigError) as info:
        checked_path(text.replace("{tmp}", str(tmp_path)), "data.dataset")
    message = str(info.value)
    assert message.startswith("data.dataset: ") and words in message
    assert "\n" not in message and len(message) < 200  # the long name is cut short


def test_a_path_the_file_system_cannot_resolve_says_why(tmp_path):
    (tmp_path / "loop").symlink_to(tmp_path / "loop")  # ELOOP: exists() called it missing, mkdir then failed
    with pytest.raises(RunFolderError, match=r"^the run folder: cannot look at .*/loop/run': Too many levels of"):
        checked_path(tmp_path / "loop" / "run", "the run folder", RunFolderError)


def test_paths_the_callers_answer_for_themselves_pass(tmp_path):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x")
    name = "n" * NAME_MAX  # the longest name allowed
    for path in ("/proc", str(a_file), str(a_file / "under"), str(tmp_path / "new" / name), "relative/run",
                 str(tmp_path / "données")):
        assert checked_path(path, "x") == Path(path)
    assert (tmp_path / "new").exists() is False  # nothing made


def test_a_run_folder_with_a_too_long_name_is_refused_before_anything_is_made(tmp_path):
    from netlab.runs.lock import claim_run_dir, folder_state

    state = folder_state(_long(tmp_path))
    assert state.kind == "refused" and state.message.startswith("the run folder: the name 'aaaa")
    assert "too long" in state.message
    assert folder_state(str(tmp_path / "a\0b")).kind == "refused"
    with pytest.raises(RunFolderError, match="the run folder: the name 'aaaa.* too long"):
        claim_run_dir(_long(tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_a_configuration_a_fine_tuning_source_and_a_model_path_are_checked_alike(tmp_path):
    from netlab.predict.model import load_model

    with pytest.raises(ConfigError, match="configuration: the name 'aaaa.* too long"):
        Experiment.load(_long(tmp_path))
    exp = Experiment()
    exp.finetune.source = _long(tmp_path)
    with pytest.raises(ConfigError, match="finetune.source: the name 'aaaa.* too long"):
        exp.validate()
    with pytest.raises(ModelLoadError, match="the model: the name 'aaaa.* too long"):
        load_model(_long(tmp_path))


def test_a_run_named_after_a_long_dataset_folder_still_fits_a_file_name(tmp_path):
    from netlab.runs.folder import new_run_dir

    dataset = tmp_path / ("é" * 120)  # 240 bytes: a valid folder name, too long with a time and an arch
    path = new_run_dir(tmp_path / "runs", "densenet121", str(dataset))
    assert len(os.fsencode(path.name)) <= NAME_MAX - 40 and path.name.endswith("é")
    path.mkdir(parents=True)  # makeable, with room for "-2" and ".old-<time>" beside it


@pytest.mark.parametrize("argv", [
    ["train", "--out", "{long}"], ["train", "--dataset", "{long}"], ["train", "--config", "{long}"],
    ["resume", "{long}"], ["finetune", "{long}"], ["evaluate", "{long}"], ["predict", "{long}", "x.png"],
], ids=lambda argv: " ".join(argv[:2]))
def test_the_cli_refuses_a_too_long_path_in_one_line(argv, tmp_path, capsys):
    from netlab.cli.main import main

    assert main([arg.replace("{long}", _long(tmp_path)) for arg in argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("netlab: error:") and "the name 'aaaa" in err[0], err
    assert "too long" in err[0] and list(tmp_path.iterdir()) == []
