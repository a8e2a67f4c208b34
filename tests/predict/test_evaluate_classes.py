"""`netlab evaluate MODEL --dataset FOLDER` matches the folder's classes to the model's by name."""

import json
import shutil

import numpy as np
import pytest
from PIL import Image

from netlab.base.errors import DataError
from netlab.cli.main import main
from netlab.data.class_match import match_classes
from netlab.predict.evaluate import evaluate
from tests.helpers.classify import digit_folder


def _model_side(run_dir):
    from netlab.predict.model import load_model, model_input_shape

    model = load_model(run_dir / "model.keras")
    return model, model_input_shape(model)[0]


def test_a_subset_of_the_classes_is_evaluated_on_that_subset(trained_run, tmp_path):
    run_dir, _ = trained_run
    model, side = _model_side(run_dir)
    folder = tmp_path / "three_digits"
    # The folder's own val/ split is evaluated whole, so the expected numbers can be computed here.
    digit_folder(folder / "train", {3: "3", 5: "5", 8: "8"}, 4, side)
    digit_folder(folder / "val", {3: "3", 5: "5", 8: "8"}, 12, side, offset=4)
    report = evaluate(run_dir, dataset=str(folder))
    assert report["class_names"] == ["3", "5", "8"]
    assert report["samples"] == 36
    matrix = np.array(report["confusion_matrix"])
    assert matrix.shape == (3, 3)
    assert (matrix.sum(axis=1) + np.array(report["other_predictions"]) == 12).all()

    files = sorted((folder / "val").glob("*/*.png"))
    x = np.stack([np.asarray(Image.open(f), dtype=np.float32)[..., None] for f in files])
    truth = np.array([int(f.parent.name) for f in files])  # the model's output index of each image
    predicted = np.asarray(model.predict_on_batch(x)).argmax(axis=1)
    assert report["accuracy"] == pytest.approx((predicted == truth).mean())
    for digit in (3, 5, 8):
        mine = truth == digit
        assert report["per_class_accuracy"][str(digit)] == pytest.approx((predicted[mine] == digit).mean())


def test_another_folder_is_evaluated_whole_the_runs_own_on_its_validation_split(trained_run, tmp_path, capsys):
    """README: point evaluate at samples/digits (2 images a class): too few to split, all are scored."""
    from importlib import resources

    run_dir, _ = trained_run
    samples = resources.files("netlab.resources").joinpath("samples/digits")
    assert main(["evaluate", str(run_dir), "--dataset", str(samples), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["split"] == "whole folder" and report["samples"] == 20
    assert np.sum(report["confusion_matrix"]) + sum(report.get("other_predictions", [])) == 20

    _, side = _model_side(run_dir)
    folder = digit_folder(tmp_path / "own", {d: str(d) for d in range(10)}, 5, side)
    own_run = tmp_path / "run"
    shutil.copytree(run_dir, own_run)
    config = json.loads((own_run / "config.json").read_text())
    config["data"]["dataset"] = str(folder)  # as if the run had trained on this folder
    (own_run / "config.json").write_text(json.dumps(config))
    own = evaluate(own_run, dataset=str(folder))
    assert own["split"] == "validation" and own["samples"] < 50  # its held-out images only


def test_an_unknown_class_folder_is_an_error_listing_the_models_classes(trained_run, tmp_path, capsys):
    run_dir, _ = trained_run
    _, side = _model_side(run_dir)
    folder = digit_folder(tmp_path / "digits", {d: str(d) for d in range(10)}, 5, side)
    (folder / "0").rename(folder / "zero")
    assert main(["evaluate", str(run_dir), "--dataset", str(folder)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("netlab: error:")
    assert "zero" in err[0] and "0, 1, 2, 3, 4, 5, 6, 7, 8, 9" in err[0]


def test_a_model_without_classes_json(trained_run, tmp_path, capsys):
    run_dir, _ = trained_run
    _, side = _model_side(run_dir)
    bare = tmp_path / "bare" / "digits.keras"
    bare.parent.mkdir()
    shutil.copy(run_dir / "model.keras", bare)
    three = digit_folder(tmp_path / "three", {3: "a", 5: "b", 8: "c"}, 5, side)
    with pytest.raises(DataError, match="no classes.json.*3 classes for its 10 outputs"):
        evaluate(bare, dataset=str(three))
    ten = digit_folder(tmp_path / "ten", {d: str(d) for d in range(10)}, 5, side)
    assert main(["evaluate", str(bare), "--dataset", str(ten)]) == 0
    assert "netlab: note: digits.keras has no classes.json beside it: assuming" in capsys.readouterr().err


def test_match_classes_by_name():
    model = [str(d) for d in range(10)]
    assert match_classes(["8", "3", "5"], model, 10).model_index == (8, 3, 5)
    with pytest.raises(DataError, match="zero.*Its classes are: 0, 1"):
        match_classes(["zero", "1"], model, 10)
    with pytest.raises(DataError, match="names 10 classes but the model has 4 outputs"):
        match_classes(["1"], model, 4)
    many = [f"n{i:04d}" for i in range(1000)]
    with pytest.raises(DataError, match=r"\.\.\. \(1000 in all\)"):
        match_classes(["cat"], many, 1000)
