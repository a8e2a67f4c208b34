import json

import numpy as np
from PIL import Image

from netlab.cli.main import main
from netlab.inspect.batchnorm import bn_layers
from netlab.inspect.layers import layer_infos
from netlab.predict.model import load_model


def _loaded(trained_run):
    run_dir, _ = trained_run
    return run_dir, load_model(run_dir / "model.keras")


def test_maps_json_gives_the_layers_shape_and_writes_a_grid(trained_run, digit_png, tmp_path, capsys):
    run_dir, model = _loaded(trained_run)
    layer = next(i for i in layer_infos(model) if i.spatial and i.class_name == "Conv2D")
    out = tmp_path / "maps.png"
    assert main(["inspect", "maps", str(run_dir), str(digit_png), "--layer", layer.name,
                 "--out", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert tuple(report["shape"]) == layer.output_shape
    means = [c["mean"] for c in report["channels"]]
    assert len(means) == layer.output_shape[-1] and means == sorted(means, reverse=True)
    with Image.open(out) as grid:
        assert grid.width >= 32 * int(np.ceil(np.sqrt(layer.output_shape[-1])))


def test_unknown_layer_is_one_line_listing_the_layers(trained_run, digit_png, capsys):
    run_dir, model = _loaded(trained_run)
    assert main(["inspect", "maps", str(run_dir), str(digit_png), "--layer", "nope"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no layer 'nope'" in err
    assert all(i.name in err for i in layer_infos(model))


def test_filters_and_gradcam_write_pngs(trained_run, digit_png, tmp_path, capsys):
    run_dir, model = _loaded(trained_run)
    assert main(["inspect", "filters", str(run_dir), "--out", str(tmp_path / "f.png"), "--json"]) == 0
    filters = json.loads(capsys.readouterr().out)
    assert filters["filters"] > 1 and (tmp_path / "f.png").is_file()
    out = tmp_path / "cam.png"
    assert main(["inspect", "gradcam", str(run_dir), str(digit_png), "--class", "3",
                 "--out", str(out), "--json"]) == 0
    cam = json.loads(capsys.readouterr().out)
    side = model.input_shape[1]
    assert cam["class_index"] == 3 and cam["heatmap_shape"] == [side, model.input_shape[2]]
    with Image.open(out) as overlay:
        assert overlay.size == (model.input_shape[2], side) and overlay.mode == "RGB"
    assert main(["inspect", "gradcam", str(run_dir), str(digit_png), "--layer", "predictions",
                 "--out", str(out)]) == 2
    assert "not maps" in capsys.readouterr().err


def test_bn_json_reports_the_layer_variables_and_both_modes(trained_run, digit_png, tmp_path, capsys):
    run_dir, model = _loaded(trained_run)
    folder = tmp_path / "images"
    folder.mkdir()
    for i in range(3):
        Image.open(digit_png).rotate(90 * i).save(folder / f"{i}.png")
    assert main(["inspect", "bn", str(run_dir), "--images", str(folder), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    names = bn_layers(model)
    assert [layer["layer"] for layer in report["layers"]] == names and names
    first = model.get_layer(names[0])
    np.testing.assert_allclose(report["layers"][0]["moving_variance"], np.asarray(first.moving_variance),
                               rtol=1e-6)
    assert len(report["layers"][0]["batch_mean"]) == first.moving_mean.shape[0]
    assert report["train_vs_inference"]["agreement"] is not None
    assert len(report["train_vs_inference"]["inference_top"]) == 3


def test_activations_of_the_lecture_stack(capsys):
    assert main(["inspect", "activations", "--init", "small", "--width", "64", "--depth", "4",
                 "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    stds = [layer["std"] for layer in stats["layers"]]
    assert len(stds) == 4 and stds == sorted(stds, reverse=True)
    assert len(stats["edges"]) == 51 and all(len(layer["counts"]) == 50 for layer in stats["layers"])


def test_bn_on_the_runs_dataset_reports_accuracy_in_both_modes(trained_run, capsys):
    run_dir, _ = _loaded(trained_run)
    assert main(["inspect", "bn", str(run_dir), "--dataset", "digits", "--limit", "40", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    modes = report["train_vs_inference"]
    assert "40 validation images of digits" == report["images"]
    assert 0 <= modes["training_accuracy"] <= 1 and 0 <= modes["inference_accuracy"] <= 1
