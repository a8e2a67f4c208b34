"""Models out of the app: each format is run in its own runtime and matches Keras."""

import json
import os

import numpy as np
import pytest

from netlab.base.atomic import is_netlab_temporary
from netlab.base.errors import ExportError
from netlab.cli.main import main
from netlab.predict.export import FORMATS, TOLERANCES, export_model, rejected_path, runtime_missing
from netlab.predict.export_formats import run_exported
from tests.helpers import tiny_experiment


def _out(folder, fmt):
    return folder / (f"model{FORMATS[fmt]}" if FORMATS[fmt] else "saved_model")


def _needs_runtime(fmt):
    missing = runtime_missing(fmt)
    if missing:
        pytest.skip(missing)


def _no_temporaries(folder):
    return [name for name in os.listdir(folder) if is_netlab_temporary(name)] == []


def _raw_digit(digit_png, model):
    """A real digit as raw [0, 255] pixels at the model's input: preprocessing is the model's own."""
    from netlab.predict.model import image_to_array, load_image, model_input_shape

    return image_to_array(load_image(digit_png), model_input_shape(model))[None]


def _assert_parity(source_model, fmt, out, result, digit):
    assert result.format == fmt and result.path == str(out)
    assert 0 <= result.max_abs_difference <= TOLERANCES[fmt] == result.tolerance
    assert out.exists() and _no_temporaries(out.parent)
    # Independently of the export's own check: the written file, run in its runtime on an
    # image it never saw, gives the Keras model's probabilities for raw pixels.
    got, _ = run_exported(fmt, out, digit)
    expected = np.asarray(source_model.predict_on_batch(digit))
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() <= TOLERANCES[fmt]
    # Probabilities that say something: not saturated at 0 and 1, where any export matches.
    assert expected.max() < 0.999 and np.ptp(expected) > 0.01, expected


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_simple_cnn_exports_give_the_keras_outputs(trained_run, tmp_path, digit_png, fmt):
    from netlab.predict.model import load_model

    _needs_runtime(fmt)
    run_dir, _ = trained_run
    out = _out(tmp_path / "exported", fmt)
    result = export_model(run_dir, fmt, out)
    assert result.images == 32 and result.images_from == "validation images of digits"
    model = load_model(run_dir)
    _assert_parity(model, fmt, out, result, _raw_digit(digit_png, model))


def move_off_init(model, seed=1):
    """Give a fresh model the kind of values a trained one holds, where it has constants.

    A fresh classifier's head starts at zero (every export would match trivially).
    The batch-norm layers get random scales and shifts, and moving statistics
    taken from one training-mode pass over random images (momentum 0 for that
    pass), so activations keep their scale through the network and its outputs
    depend on its input.
    """
    import keras

    rng = np.random.default_rng(seed)
    for variable in model.weights:
        value = np.asarray(variable)
        if value.size > 1 and np.ptp(value) > 0:
            continue  # randomly initialized already (He, Glorot)
        if "gamma" in variable.path:
            value = rng.uniform(0.8, 1.2, value.shape)
        elif value.ndim == 2:  # the head's kernel
            value = rng.normal(0, 1 / np.sqrt(value.shape[0]), value.shape)
        elif "moving" not in variable.path:
            value = rng.normal(0, 0.1, value.shape)
        variable.assign(value.astype("float32"))
    norms = [layer for layer in model._flatten_layers() if isinstance(layer, keras.layers.BatchNormalization)]
    momenta = [layer.momentum for layer in norms]
    for layer in norms:
        layer.momentum = 0.0
    model(rng.integers(0, 256, (64, *model.input_shape[1:])).astype("float32"), training=True)
    for layer, momentum in zip(norms, momenta):
        layer.momentum = momentum


@pytest.fixture(scope="module")
def batch_norm_model(tmp_path_factory):
    """A registered architecture with batch norm (MobileNet v1 at width 0.25, 32x32) saved as .keras."""
    import keras

    from netlab.architectures import get_arch
    from netlab.config import ModelConfig
    from netlab.config.knobs import RegularizationConfig

    model = get_arch("mobilenet_v1").build((32, 32, 3), 5, RegularizationConfig(),
                                           ModelConfig(arch="mobilenet_v1", options={"alpha": 0.25}),
                                           preprocessing=[keras.layers.Rescaling(1 / 255)], seed=0)
    assert any(isinstance(layer, keras.layers.BatchNormalization) for layer in model.layers)
    move_off_init(model)
    outputs = np.asarray(model.predict_on_batch(np.random.default_rng(2).integers(0, 256, (8, 32, 32, 3))))
    assert np.ptp(outputs, axis=0).max() > 0.01  # the outputs depend on the image
    path = tmp_path_factory.mktemp("bn") / "mobilenet.keras"
    model.save(path)
    return path, model


@pytest.mark.slow
@pytest.mark.parametrize("fmt", list(FORMATS))
def test_a_batch_norm_architecture_exports_give_the_keras_outputs(batch_norm_model, tmp_path, digit_png, fmt):
    _needs_runtime(fmt)
    path, model = batch_norm_model
    out = _out(tmp_path, fmt)
    result = export_model(path, fmt, out)
    assert result.images_from == "images of random pixels"  # a lone .keras file has no run data
    _assert_parity(model, fmt, out, result, _raw_digit(digit_png, model))


def test_a_failed_check_is_reported_and_the_file_moved_aside(trained_run, tmp_path):
    """ONNX Runtime's kernels sum in another order than TensorFlow's, so its probabilities
    differ from Keras's in the last bits: a tolerance of 0 fails the check for real."""
    _needs_runtime("onnx")
    run_dir, _ = trained_run
    out = tmp_path / "model.onnx"
    with pytest.raises(ExportError, match=r"does not match the Keras model: max abs difference .* > 0 ") as info:
        export_model(run_dir, "onnx", out, tolerance=0)
    assert not out.exists()
    assert rejected_path(out).is_file() and str(rejected_path(out)) in str(info.value)
    assert _no_temporaries(tmp_path)


def test_the_cli_prints_the_parity_line_and_json(trained_run, tmp_path, capsys):
    run_dir, _ = trained_run
    out = tmp_path / "copy.keras"
    assert main(["export", str(run_dir), "--format", "keras", "--out", str(out), "--images", "8"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith(f"keras: {out} written; max abs difference ") and "8 validation images" in line
    assert main(["export", str(run_dir), "--best", "--format", "keras", "--out", str(out), "--json",
                 "--overwrite"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["max_abs_difference"] <= 1e-4 and report["images"] == 32 and report["path"] == str(out)


@pytest.mark.parametrize("args, message", [
    (["nowhere", "--format", "keras", "--out", "{tmp}/m.keras"], "nowhere: no such run folder or model file"),
    (["{tmp}", "--format", "keras", "--out", "{tmp}/m.keras"], "has no model.keras"),
    (["{run}", "--format", "pb", "--out", "{tmp}/m.pb"], "argument --format: invalid choice: 'pb'"),
    (["{run}", "--format", "onnx", "--out", "{tmp}/m.tflite"], "give a path ending in .onnx"),
    (["{run}", "--format", "keras", "--out", "{tmp}/file.txt/m.keras"], "is not a folder you can write to"),
    (["{run}", "--format", "savedmodel", "--out", "{tmp}/full"], "holds files"),
    (["{run}", "--format", "keras", "--out", "{tmp}/m.keras", "--tolerance", "-1"], "must be a number >= 0"),
    (["{run}/config.json", "--format", "keras", "--out", "{tmp}/m.keras"], "Keras 3 model files"),
    (["{run}", "--format", "keras", "--out", "{tmp}/" + "m" * 300 + ".keras"], "is too long (306 bytes"),
])
def test_bad_requests_give_one_clear_line(trained_run, tmp_path, capsys, args, message):
    (tmp_path / "file.txt").write_text("not a folder")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine")
    run_dir, _ = trained_run
    argv = ["export", *[a.format(tmp=tmp_path, run=run_dir) for a in args]]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("netlab: error: ") and message in err[0]
    assert sorted(os.listdir(tmp_path)) == ["file.txt", "full"]  # nothing written
    assert os.listdir(tmp_path / "full") == ["notes.txt"]


def test_an_unknown_format_is_refused_by_the_core(trained_run, tmp_path):
    with pytest.raises(ExportError, match="unknown export format 'pb' .known: keras, savedmodel, tflite, onnx"):
        export_model(trained_run[0], "pb", tmp_path / "m.pb")


@pytest.mark.slow
def test_the_command_keeps_converter_and_runtime_logs_off_stderr(trained_run, tmp_path):
    """The TFLite converter and LiteRT's interpreter log to descriptor 2 ("Created TensorFlow Lite
    XNNPACK delegate"): the command's stderr stays for NetLab's own lines."""
    import subprocess
    import sys
    from pathlib import Path

    _needs_runtime("tflite")
    out = tmp_path / "digits.tflite"
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "-m", "netlab", "export", str(trained_run[0]), "--format", "tflite",
                           "--out", str(out)], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(root), "TF_CPP_MIN_LOG_LEVEL": "0"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"tflite: {out} written; max abs difference ") and "LiteRT" in proc.stdout
    assert proc.stderr == "", proc.stderr


def _one_error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("netlab: error: "), err
    return err[0].removeprefix("netlab: error: ")


@pytest.mark.parametrize("fmt", ["keras", "tflite", "onnx"])
def test_an_existing_file_is_replaced_only_with_overwrite(trained_run, tmp_path, capsys, fmt):
    """It was replaced without a word: another run's 3.67 MB model.keras became a copy of this one's."""
    run_dir, _ = trained_run
    out = tmp_path / f"theirs{FORMATS[fmt]}"
    out.write_bytes(b"someone's model")
    assert main(["export", str(run_dir), "--format", fmt, "--out", str(out)]) == 2
    assert _one_error(capsys) == f"{out} already exists; give another path, or --overwrite to replace it"
    assert out.read_bytes() == b"someone's model" and os.listdir(tmp_path) == [out.name]
    if fmt == "keras":  # the same path for every format; one conversion shows the replacement
        assert main(["export", str(run_dir), "--format", fmt, "--out", str(out), "--overwrite"]) == 0
        assert capsys.readouterr().out.startswith(f"keras: {out} written; ")
        assert out.read_bytes()[:2] == b"PK" and _no_temporaries(tmp_path)  # a .keras file is a zip


def test_a_failed_export_leaves_the_file_it_was_to_replace_and_earlier_rejects(trained_run, tmp_path):
    _needs_runtime("onnx")
    out = tmp_path / "model.onnx"
    out.write_bytes(b"the good one")
    rejected_path(out).write_bytes(b"an earlier reject")
    with pytest.raises(ExportError, match="the one already there is left as it was") as info:
        export_model(trained_run[0], "onnx", out, tolerance=0, overwrite=True)
    assert out.read_bytes() == b"the good one"
    assert rejected_path(out).read_bytes() == b"an earlier reject"
    assert rejected_path(out, 2).is_file() and f"moved aside to {rejected_path(out, 2)}," in str(info.value)
    assert _no_temporaries(tmp_path)


def _netlab_folders(tmp_path, trained_run_dir):
    """A run (the trained one), a search's and a lesson's folder, and one of the lesson's arms."""

    from netlab.runs.folder import RunWriter
    from netlab.search.study import Search

    search = tmp_path / "search"
    Search(tiny_experiment(), search)
    lesson = tmp_path / "lesson"
    RunWriter(lesson / "dropout" / "seed-0").write_config(tiny_experiment())
    return {trained_run_dir: "a run's folder", search: "a search's folder", lesson: "a lesson's folder",
            lesson / "dropout": "a folder of a lesson's runs"}


def test_no_export_goes_into_a_folder_netlab_keeps_even_with_overwrite(trained_run, tmp_path, capsys):
    run_dir, _ = trained_run
    before = {path: path.read_bytes() for path in run_dir.iterdir() if path.is_file()}
    for folder, what in _netlab_folders(tmp_path, run_dir).items():
        files = sorted(os.listdir(folder))
        for fmt, out in (("keras", folder / "model.keras"), ("onnx", folder / "m.onnx"),
                         ("savedmodel", folder / "saved_model"), ("savedmodel", folder)):
            for overwrite in ([], ["--overwrite"]):
                assert main(["export", str(run_dir), "--format", fmt, "--out", str(out), *overwrite]) == 2
                name = "saved_model" if fmt == "savedmodel" else out.name
                assert _one_error(capsys) == (f"{folder} is {what}, whose files are NetLab's: NetLab writes no "
                                              f"export into it; give a path outside it, such as "
                                              f"{folder / 'export' / name}")
        assert sorted(os.listdir(folder)) == files
    assert {path: path.read_bytes() for path in run_dir.iterdir() if path.is_file()} == before
    # Its own export/ folder (the window's default) is outside the run's files: that one is written.
    out = run_dir / "export" / "model.keras"
    try:
        assert main(["export", str(run_dir), "--format", "keras", "--out", str(out), "--images", "4"]) == 0
        assert out.is_file()
    finally:
        import shutil

        shutil.rmtree(run_dir / "export", ignore_errors=True)  # the run is shared by other tests


@pytest.mark.parametrize("fmt, what", [("onnx", "a .onnx file"), ("savedmodel", "a new folder for the SavedModel")])
def test_an_empty_destination_says_to_choose_one(trained_run, capsys, fmt, what):
    """It said '.: onnx exports are .onnx files; give a path ending in .onnx'."""
    assert main(["export", str(trained_run[0]), "--format", fmt, "--out", " "]) == 2
    assert _one_error(capsys) == f"choose where to write the export: give the path of {what}"


def test_overwrite_never_replaces_a_folder(trained_run, tmp_path, capsys):
    (tmp_path / "saved").mkdir()
    (tmp_path / "saved" / "notes.txt").write_text("mine")
    assert main(["export", str(trained_run[0]), "--format", "savedmodel", "--out", str(tmp_path / "saved"),
                 "--overwrite"]) == 2
    assert _one_error(capsys).endswith("holds files; give a new or empty folder for the SavedModel "
                                       "(--overwrite replaces a file, never a folder)")
    assert os.listdir(tmp_path / "saved") == ["notes.txt"]
