import numpy as np
import pytest
from PIL import Image

from netlab.base.errors import ImageLoadError, ModelLoadError
from netlab.predict.model import load_image, load_model, predict_images
from netlab.runs.folder import read_classes


def test_probabilities_sum_to_one_and_top3_is_sorted(trained_run, digit_png):
    run_dir, result = trained_run
    model = load_model(run_dir / "model.keras")
    top = predict_images(model, [load_image(digit_png)], read_classes(run_dir / "model.keras"), top=3)[0]
    assert [p.label for p in top] == [str(p.index) for p in top]
    probs = [p.probability for p in top]
    assert probs == sorted(probs, reverse=True)
    full = predict_images(model, [load_image(digit_png)], top=10)[0]
    assert sum(p.probability for p in full) == pytest.approx(1.0, abs=1e-5)
    assert full[0].label.startswith("class ")  # no class names given


@pytest.mark.parametrize("mode", ["RGBA", "P", "CMYK", "I;16", "1", "LA", "F"])
def test_odd_image_modes_are_converted(tmp_path, mode, trained_run):
    rng = np.random.default_rng(0)
    rgb = Image.fromarray(rng.integers(0, 255, (20, 30, 3), dtype=np.uint8))
    img = {
        "I;16": Image.fromarray(rng.integers(0, 65535, (20, 30), dtype=np.uint16)),
        "F": Image.fromarray(rng.normal(0, 1, (20, 30)).astype(np.float32)),
    }.get(mode) or rgb.convert(mode)
    path = tmp_path / ("img.tif" if mode in ("CMYK", "I;16", "F") else "img.png")
    img.save(path)
    loaded = load_image(path)
    assert loaded.mode in ("L", "RGB") and loaded.size == (30, 20)
    _, result = trained_run
    top = predict_images(result.model, [loaded], result.class_names)[0]
    assert len(top) == 3


def test_exif_rotation_is_applied(tmp_path):
    img = Image.new("RGB", (40, 20), "red")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise
    path = tmp_path / "rotated.jpg"
    img.save(path, exif=exif)
    assert load_image(path).size == (20, 40)


@pytest.mark.parametrize("content", [b"hello, I am text\n", b"", b"\x89PNG\r\n\x1a\n\x00\x00garbage"])
def test_not_an_image_or_broken_image(tmp_path, content):
    path = tmp_path / "thing.png"
    path.write_bytes(content)
    with pytest.raises(ImageLoadError, match="thing.png"):
        load_image(path)


def test_truncated_jpeg(tmp_path):
    path = tmp_path / "cut.jpg"
    Image.new("RGB", (64, 64), "blue").save(path, quality=90)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ImageLoadError, match="cut.jpg"):
        load_image(path)


def test_missing_files():
    with pytest.raises(ImageLoadError, match="no such file"):
        load_image("/nonexistent/x.png")
    with pytest.raises(ModelLoadError, match="no such model file"):
        load_model("/nonexistent/model.keras")


def test_lambda_layer_is_refused_in_safe_mode(tmp_path):
    import keras

    inputs = keras.Input((4,))
    outputs = keras.layers.Lambda(lambda t: t * 2)(inputs)
    path = tmp_path / "evil.keras"
    keras.Model(inputs, outputs).save(path)
    with pytest.raises(ModelLoadError, match="Lambda layer.*safe mode"):
        load_model(path)


def test_garbage_model_file(tmp_path):
    path = tmp_path / "broken.keras"
    path.write_bytes(b"not a zip at all")
    with pytest.raises(ModelLoadError, match="broken.keras"):
        load_model(path)
