"""Batch classification: folders, broken files, CSV, test-time augmentation, ensembles, the CLI."""

import json
import threading

import numpy as np
import pytest
from PIL import Image

from netlab.base.abort import JobAborted, abortable
from netlab.base.errors import ConfigError
from netlab.cli.main import main
from netlab.predict.classify import (
    classify_files,
    ensemble,
    predict_probabilities,
    read_csv,
    top_predictions,
    tta_views,
    write_csv,
)
from netlab.predict.model import predict_images
from tests.helpers.classify import CLASSES, SIDE, image_folder, random_image, tiny_model


@pytest.fixture(scope="module")
def model():
    return tiny_model()


def save_model(model, folder, classes):
    folder.mkdir(parents=True, exist_ok=True)
    model.save(folder / "model.keras")
    (folder / "classes.json").write_text(json.dumps({"class_names": classes}))
    return folder


def test_a_folder_with_a_broken_file_lists_the_error_and_classifies_the_rest(model, tmp_path):
    folder = image_folder(tmp_path / "images")
    members = ensemble([(model, CLASSES, "tiny")])
    progress = []
    results = classify_files(members, [folder], top=2, batch_size=2,
                             on_batch=lambda batch, done, total: progress.append((len(batch), done, total)))
    paths = [r.path for r in results]
    assert len(results) == 6  # 5 images and the broken one; notes.txt is not an image
    assert not any(p.endswith("notes.txt") for p in paths)
    errors = [r for r in results if r.error]
    assert len(errors) == 1 and errors[0].path.endswith("broken.png") and "broken.png" in errors[0].error
    assert errors[0].top == []
    assert progress == [(2, 2, 6), (2, 4, 6), (2, 6, 6)]
    for r in results:
        if r.error is None:
            expected = predict_images(model, [Image.open(r.path)], CLASSES, top=2)[0]
            assert [p.label for p in r.top] == [p.label for p in expected]
            assert [p.probability for p in r.top] == pytest.approx([p.probability for p in expected], abs=1e-5)


def test_missing_paths_and_empty_folders_are_errors_not_the_end(model, tmp_path):
    random_image(0).save(tmp_path / "one.png")
    (tmp_path / "empty").mkdir()
    results = classify_files(ensemble([(model, CLASSES, "tiny")]),
                             [tmp_path / "one.png", tmp_path / "gone.png", tmp_path / "empty"])
    assert [r.error is None for r in results] == [True, False, False]
    assert "no such file" in results[1].error and "no images" in results[2].error


def test_a_name_longer_than_the_file_system_allows_is_an_error_not_the_end(model, tmp_path):
    random_image(0).save(tmp_path / "one.png")
    results = classify_files(ensemble([(model, CLASSES, "tiny")]),
                             [tmp_path / ("n" * 300), tmp_path / "one.png"])
    assert [r.error is None for r in results] == [False, True]
    assert "too long" in results[0].error


def test_cancel_stops_at_the_next_batch(model, tmp_path):
    folder = image_folder(tmp_path / "images")
    flag, batches = threading.Event(), []

    def on_batch(batch, done, total):
        batches.append(done)
        flag.set()  # Cancel pressed while the first batch was shown

    with abortable(flag), pytest.raises(JobAborted):
        classify_files(ensemble([(model, CLASSES, "tiny")]), [folder], batch_size=2, on_batch=on_batch)
    assert batches == [2]


def test_csv_round_trip(model, tmp_path):
    folder = image_folder(tmp_path / "images")
    results = classify_files(ensemble([(model, CLASSES, "tiny")]), [folder], top=3, tta="flip")
    write_csv(results, tmp_path / "out.csv", top=3)
    back = read_csv(tmp_path / "out.csv")
    assert [r.path for r in back] == [r.path for r in results]
    assert [r.error for r in back] == [r.error for r in results]
    for mine, read in zip(results, back, strict=True):
        assert [(p.label, p.probability) for p in read.top] == [(p.label, p.probability) for p in mine.top]
        if mine.error is None:
            assert (read.single[0].label, read.single[0].probability) == \
                (mine.single[0].label, mine.single[0].probability)


def test_flip_tta_on_a_mirror_symmetric_image_equals_single_crop(model):
    members = ensemble([(model, CLASSES, "tiny")])
    left = np.asarray(random_image(3, size=(SIDE, SIDE // 2)))
    symmetric = Image.fromarray(np.concatenate([left, left[:, ::-1]], axis=1))
    with_tta, single = predict_probabilities(members, [symmetric], "flip")
    np.testing.assert_allclose(with_tta, single, atol=1e-7)
    # A lopsided image is not its mirror: there the two differ (so the check above could fail).
    with_tta, single = predict_probabilities(members, [random_image(4, size=(SIDE, SIDE))], "flip")
    assert np.abs(with_tta - single).max() > 1e-4


def test_ten_crops_are_the_corners_centre_and_mirrors():
    image = random_image(5, size=(40, 40))
    views = tta_views(image, (SIDE, SIDE, 3), "10crop")
    assert views.shape == (11, SIDE, SIDE, 3)  # the single crop first, then the ten
    np.testing.assert_array_equal(views[0], np.asarray(image.resize((SIDE, SIDE), Image.Resampling.BILINEAR),
                                                       dtype=np.float32))
    big = np.asarray(image.resize((19, 19), Image.Resampling.BILINEAR), dtype=np.float32)  # ceil(16 / 0.875)
    np.testing.assert_array_equal(views[1], big[:SIDE, :SIDE])
    np.testing.assert_array_equal(views[5], big[1:1 + SIDE, 1:1 + SIDE])  # the centre
    np.testing.assert_array_equal(views[6], views[1][:, ::-1])
    with pytest.raises(ConfigError, match="tta must be one of none, flip, 10crop"):
        tta_views(image, (SIDE, SIDE, 3), "5crop")


def test_an_ensemble_of_a_model_with_itself_is_the_model(model):
    images = [random_image(i) for i in range(4)]
    alone, _ = predict_probabilities(ensemble([(model, CLASSES, "a")]), images)
    twice, _ = predict_probabilities(ensemble([(model, CLASSES, "a"), (model, CLASSES, "b")]), images)
    np.testing.assert_allclose(twice, alone, atol=1e-7)
    # Two different models: the mean of their softmax outputs.
    other = tiny_model(seed=1)
    mixed, _ = predict_probabilities(ensemble([(model, CLASSES, "a"), (other, CLASSES, "b")]), images)
    other_alone, _ = predict_probabilities(ensemble([(other, CLASSES, "b")]), images)
    np.testing.assert_allclose(mixed, (alone + other_alone) / 2, atol=1e-7)
    assert np.abs(other_alone - alone).max() > 1e-3
    top = top_predictions(mixed[0], CLASSES, 3)
    assert [p.probability for p in top] == sorted(mixed[0], reverse=True)


def test_ensemble_members_are_matched_by_class_name(model):
    images = [random_image(i) for i in range(3)]
    alone, _ = predict_probabilities(ensemble([(model, CLASSES, "a")]), images)
    # The same weights with the output units in reverse order, its classes.json reversed to match.
    flipped = tiny_model()
    kernel, bias = flipped.layers[-1].get_weights()
    flipped.layers[-1].set_weights([kernel[:, ::-1], bias[::-1]])
    both, _ = predict_probabilities(ensemble([(model, CLASSES, "a"), (flipped, CLASSES[::-1], "b")]), images)
    np.testing.assert_allclose(both, alone, atol=1e-6)


def test_ensemble_class_mismatch_is_one_clear_error(model, tmp_path, capsys):
    with pytest.raises(ConfigError, match=r"ensemble: b's classes \(cat, dog, fox\) are not a's \(cat, dog, owl\)"):
        ensemble([(model, CLASSES, "a"), (model, ["cat", "dog", "fox"], "b")])
    with pytest.raises(ConfigError, match="are not a's"):
        ensemble([(model, CLASSES, "a"), (tiny_model(classes=4), None, "b")])
    first = save_model(model, tmp_path / "first", CLASSES)
    second = save_model(model, tmp_path / "second", ["cat", "dog", "fox"])
    random_image(0).save(tmp_path / "x.png")
    assert main(["predict", str(first), str(tmp_path / "x.png"), "--ensemble", str(second)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("netlab: error: ensemble: second's classes")


def test_cli_predicts_a_folder_to_csv_and_json(model, tmp_path, capsys):
    run = save_model(model, tmp_path / "run", CLASSES)
    folder = image_folder(tmp_path / "images")
    assert main(["predict", str(run), str(folder), "--top", "2", "--csv", str(tmp_path / "out.csv")]) == 0
    out, err = capsys.readouterr()
    assert "5 images classified, 1 errors" in out and "broken.png" in err
    rows = read_csv(tmp_path / "out.csv")
    assert len(rows) == 6 and all(len(r.top) == 2 for r in rows if r.error is None)
    # --csv FILE --json: both (the JSON was silently dropped)
    assert main(["predict", str(run), str(folder), "--csv", str(tmp_path / "both.csv"), "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 6 and len(read_csv(tmp_path / "both.csv")) == 6
    assert main(["predict", str(run), str(folder), "--tta", "10crop", "--ensemble", str(run), "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    good = [e for e in entries if "error" not in e]
    assert len(entries) == 6 and len(good) == 5
    assert all(len(e["top"]) == 3 and len(e["single_crop"]) == 3 for e in good)
    by_path = {r.path: r for r in rows}
    for e in good:  # the TTA answer is not the plain one, the single crop is
        assert e["single_crop"][0]["probability"] == pytest.approx(by_path[e["image"]].top[0].probability,
                                                                   abs=1e-5)


def test_cli_one_broken_image_is_still_one_error_line(model, tmp_path, capsys):
    run = save_model(model, tmp_path / "run", CLASSES)
    (tmp_path / "bad.png").write_text("nope")
    assert main(["predict", str(run), str(tmp_path / "bad.png")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["netlab: error: bad.png is not an image NetLab can read (PNG, JPEG, BMP, GIF, TIFF, WebP...)"]
    assert main(["predict", str(run), str(tmp_path / "bad.png"), "--csv", "-", "--json"]) == 2
    assert "--csv - and --json" in capsys.readouterr().err
