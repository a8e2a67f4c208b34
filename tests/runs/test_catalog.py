from netlab.config import Experiment
from netlab.runs.catalog import list_runs, read_run
from netlab.runs.folder import RunWriter


def make_run(root, name, arch, accuracies):
    writer = RunWriter(root / name)
    exp = Experiment()
    exp.model.arch = arch
    exp.training.epochs = 5
    writer.write_config(exp)
    for epoch, acc in enumerate(accuracies):
        writer.add_epoch(epoch, {"loss": 1.0 - acc, "val_accuracy": acc})
    return root / name


def test_lists_runs_newest_first_with_final_and_best_metrics(tmp_path):
    make_run(tmp_path, "20260101-000000-simple_cnn-digits", "simple_cnn", [0.5, 0.8, 0.7])
    make_run(tmp_path, "20260102-000000-resnet18-digits", "resnet18", [0.6])
    (tmp_path / "not-a-run").mkdir()
    runs = list_runs(tmp_path)
    assert [r.arch for r in runs] == ["resnet18", "simple_cnn"]
    first = runs[1]
    assert first.epochs_done == 3 and first.epochs_planned == 5
    assert first.final("val_accuracy") == 0.7 and first.best("val_accuracy") == 0.8
    assert first.series("val_accuracy") == ([1, 2, 3], [0.5, 0.8, 0.7])
    assert not first.has_model


def test_damaged_config_still_lists_the_run(tmp_path):
    path = make_run(tmp_path, "run", "simple_cnn", [0.5])
    (path / "config.json").write_text("{broken")
    info = read_run(path)
    assert info is not None and info.arch == "?" and info.final("val_accuracy") == 0.5
    assert list_runs(tmp_path / "missing") == []


def test_an_experiments_runs_are_listed_by_arm_and_seed(tmp_path):
    from netlab.runs.catalog import list_nested_runs

    make_run(tmp_path / "no_dropout", "seed-0", "simple_cnn", [0.5, 0.9])
    make_run(tmp_path / "no_dropout", "seed-1", "simple_cnn", [0.6])
    make_run(tmp_path / "dropout", "seed-0", "simple_cnn", [0.4])
    (tmp_path / "dropout" / "seed-1").mkdir()  # begun, nothing written yet: not a run
    (tmp_path / "result.json").write_text("{}")
    runs = list_nested_runs(tmp_path)
    assert [r.name for r in runs] == ["dropout/seed-0", "no_dropout/seed-0", "no_dropout/seed-1"]
    assert runs[1].path == tmp_path / "no_dropout" / "seed-0" and runs[1].final("val_accuracy") == 0.9
    assert list_runs(tmp_path) == []  # the runs root's listing does not look inside experiments
    assert list_nested_runs(tmp_path / "missing") == []
