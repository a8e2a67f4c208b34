"""RunFolder, the one owner of a folder, and open_model, the one way a model is opened, on real folders."""

import ast
import json
import shutil
from pathlib import Path

import pytest

from netlab.base.errors import ConfigError, ModelLoadError, NetlabError
from netlab.predict.model import open_model
from netlab.runs import files
from netlab.runs.folder import RunWriter
from netlab.runs.run import RunFolder, load_settings, run_folder_of
from tests.helpers import tiny_experiment

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def run_copy(tmp_path, trained_run):
    """The shared trained run, copied: these tests lock it and take its files away."""
    run_dir, _ = trained_run
    return Path(shutil.copytree(run_dir, tmp_path / "run"))


def test_a_trained_runs_folder_answers_what_its_files_hold(trained_run):
    run_dir, result = trained_run
    run = RunFolder(run_dir)
    assert run.kind == "run" and run.is_run and not run.is_search
    assert run.described() == "a run's folder"
    assert run.config_path == run_dir / "config.json" and run.config_path.is_file()
    assert run.model_path.is_file() and run.best_path.is_file() and run.checkpoint_path.is_file()
    settings = run.settings()
    assert (settings.model.arch, settings.training.epochs) == ("simple_cnn", 2)
    assert run.classes() == list(result.class_names)
    assert run.checkpoint()["epoch"] == 2
    assert [int(row["epoch"]) for row in run.history()] == [1, 2]
    assert run.resume_problem() == "it is finished (2 of 2 epochs)"
    assert RunFolder.of_model(run.model_path) == run == RunFolder.of_model(run.best_path)
    assert run_folder_of(run.model_path) == run_dir and run_folder_of(None) is None


def test_open_model_gives_the_model_its_classes_input_and_run(trained_run, tmp_path):
    run_dir, result = trained_run
    opened = open_model(run_dir)
    stored = json.loads((run_dir / "classes.json").read_text("utf-8"))
    assert opened.path == run_dir / "model.keras" and opened.run == RunFolder(run_dir)
    assert opened.class_names == stored["class_names"] == list(result.class_names)
    assert list(opened.input_shape) == stored["input_shape"]
    assert int(opened.model.output_shape[-1]) == len(opened.class_names)
    assert opened.name == run_dir.name
    assert open_model(run_dir, best=True).path == run_dir / "best.keras"
    # A model file of no run: no classes, no run, named by its file.
    alone = tmp_path / "alone.keras"
    shutil.copyfile(run_dir / "model.keras", alone)
    opened = open_model(alone)
    assert (opened.class_names, opened.run, opened.name) == (None, None, "alone.keras")


def test_a_folder_without_the_model_asked_for_says_what_to_give(run_copy):
    (run_copy / "model.keras").unlink()
    with pytest.raises(ModelLoadError, match="has no model.keras yet: its training has not finished"):
        open_model(run_copy)
    assert open_model(run_copy, best=True).path == run_copy / "best.keras"
    assert "netlab resume" in RunFolder(run_copy).why_no_model()


def test_what_a_folder_is_by_the_files_it_holds(tmp_path):
    RunWriter(tmp_path / "started").write_config(tiny_experiment())
    (tmp_path / "search").mkdir()
    (tmp_path / "search" / files.SEARCH_FILE).write_text("{}", "utf-8")
    RunWriter(tmp_path / "lesson" / "adam" / "seed-1").write_config(tiny_experiment())
    (tmp_path / "plain").mkdir()
    kinds = {name: RunFolder(tmp_path / name).kind for name in ("started", "search", "lesson", "plain", "missing")}
    assert kinds == {"started": "run", "search": "search", "lesson": "lesson", "plain": None, "missing": None}
    assert RunFolder(tmp_path / "lesson" / "adam").kind == "arm"
    assert RunFolder(tmp_path / "plain").described() is None
    started = RunFolder(tmp_path / "started")
    assert started.checkpoint() is None and started.classes() is None
    assert started.resume_problem() == "it has no checkpoint: no epoch was completed"
    assert "search's folder" in RunFolder(tmp_path / "search").why_no_model()


def test_the_lock_is_the_folders_and_its_state_follows_it(run_copy):
    folder = RunFolder(run_copy)
    assert folder.state().kind == "run"
    with folder.lock():
        state = folder.state()
        assert state.kind == "refused" and "being written by another NetLab process" in state.message
        with pytest.raises(NetlabError, match="being written by another"):
            folder.claim(resume=True)
    assert folder.state().kind == "run"


def test_a_runs_folder_given_as_settings_points_to_its_config_json(run_copy):
    with pytest.raises(ConfigError, match=f"its settings are {run_copy / 'config.json'}"):
        load_settings(run_copy)
    assert load_settings(RunFolder(run_copy).config_path).training.epochs == 2


def _file_name_literals(path: Path) -> list[str]:
    names = {value for key, value in vars(files).items() if key.endswith("_FILE")}
    tree = ast.parse(path.read_text("utf-8"))
    return [f"{path.relative_to(ROOT)}:{node.lineno} {node.value!r}" for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and node.value in names]


def test_only_netlab_runs_spells_the_names_of_a_folders_files():
    runs = ROOT / "netlab" / "runs"
    sources = [p for package in ("netlab", "gui") for p in (ROOT / package).rglob("*.py") if runs not in p.parents]
    assert sources
    assert [hit for path in sources for hit in _file_name_literals(path)] == []
