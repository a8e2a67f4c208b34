"""Image folders: layouts, bad files of every kind, streaming through tf.data."""

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from netlab.base.errors import ConfigError, DataError
from netlab.config import DataConfig, Experiment
from netlab.data import get_source, load_dataset
from netlab.data.folder import FolderDataset
from netlab.data.images import decode_image

COLOURS = {"blue": (20, 40, 230), "green": (30, 200, 40), "red": (230, 30, 20)}


def _image(colour, size=12, seed=0) -> Image.Image:
    rng = np.random.default_rng(seed)
    pixels = np.clip(np.array(colour, float) + rng.normal(0, 20, (size, size, 3)), 0, 255)
    return Image.fromarray(pixels.astype(np.uint8), "RGB")


def make_folder(root: Path, per_class: int = 8, classes=("blue", "green", "red"), suffix=".png") -> Path:
    for name in classes:
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            _image(COLOURS[name], seed=i).save(root / name / f"{name}_{i}{suffix}")
    return root


def jpeg_bytes(img: Image.Image, **kwargs) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, "JPEG", **kwargs)
    return buffer.getvalue()


def add_awkward_files(folder: Path) -> dict[str, str]:
    """Every kind of difficult file into class ``folder``; returns name -> what it is."""
    # 16-bit grayscale PNG spanning the full 0..65535 range.
    ramp = (np.linspace(0, 65535, 12 * 12).reshape(12, 12)).astype(np.uint16)
    Image.fromarray(ramp).save(folder / "sixteen_bit.png")
    assert Image.open(folder / "sixteen_bit.png").mode.startswith("I")
    _image(COLOURS["red"]).convert("CMYK").save(folder / "cmyk.jpg", "JPEG")
    palette = _image(COLOURS["red"]).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    palette.info["transparency"] = 0
    palette.save(folder / "palette.png", transparency=0)
    rgba = _image(COLOURS["red"]).convert("RGBA")
    rgba.putalpha(128)
    rgba.save(folder / "rgba.png")
    _image(COLOURS["red"]).convert("L").save(folder / "gray.png")
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to display
    _image(COLOURS["red"]).save(folder / "rotated.jpg", "JPEG", exif=exif.tobytes())
    # Bad ones: skipped at the scan ...
    (folder / "notes.jpg").write_text("this is not an image\n")
    good_png = (folder / "gray.png").read_bytes()
    (folder / "bad_crc.png").write_bytes(good_png[:40] + bytes([good_png[40] ^ 0xFF]) + good_png[41:])
    (folder / "readme.txt").write_text("a text file among the images\n")
    (folder / "empty.png").write_bytes(b"")
    # ... and one that passes the cheap scan but fails to decode (truncated JPEG).
    whole = jpeg_bytes(_image(COLOURS["red"], size=64))
    (folder / "truncated.jpg").write_bytes(whole[: len(whole) // 2])
    return {"notes.jpg": "scan", "bad_crc.png": "scan", "readme.txt": "scan", "empty.png": "scan",
            "truncated.jpg": "decode"}


def config_for(path: Path, **kwargs) -> DataConfig:
    return DataConfig(dataset=str(path), image_size=kwargs.pop("image_size", 8), **kwargs)


def collect(ds) -> tuple[np.ndarray, np.ndarray]:
    images, labels = [], []
    for x, y in ds.as_numpy_iterator():
        images.append(x)
        labels.append(y)
    return np.concatenate(images), np.concatenate(labels)


# -- layouts -------------------------------------------------------------------------------
def test_folder_is_a_source_split_stratified_and_reproducible(tmp_path):
    root = make_folder(tmp_path / "flowers", per_class=10)
    assert get_source(str(root)).is_folder
    config = config_for(root, validation_split=0.2, test_split=0.2)
    Experiment(data=config).validate()
    data = load_dataset(config)
    assert isinstance(data, FolderDataset) and data.x_train is None  # on disk, decoded by tf.data
    assert data.class_names == ["blue", "green", "red"]
    assert data.input_shape == (8, 8, 3)
    assert (data.train_size, data.val_size, data.test_size) == (18, 6, 6)
    assert np.bincount(data.y_val).tolist() == [2, 2, 2]
    assert np.bincount(data.y_test).tolist() == [2, 2, 2]
    assert not set(data.files["train"]) & set(data.files["val"])
    assert not set(data.files["test"]) & (set(data.files["train"]) | set(data.files["val"]))
    again = load_dataset(config)
    assert again.files == data.files
    other = load_dataset(config_for(root, validation_split=0.2, test_split=0.2, seed=5))
    assert other.files["val"] != data.files["val"]


def test_pipelines_stream_pixels_and_labels(tmp_path):
    root = make_folder(tmp_path / "colours", per_class=6)
    data = load_dataset(config_for(root, validation_split=0.5))
    images, labels = collect(data.train_pipeline(4, seed=0))
    assert images.shape == (9, 8, 8, 3) and images.dtype == np.float32
    assert 0 <= images.min() and images.max() <= 255
    # The dominant colour channel matches the class folder: labels travel with pixels.
    dominant = images.mean(axis=(1, 2)).argmax(axis=1)
    assert (dominant == np.array([2, 1, 0])[labels]).all()
    val_images, val_labels = collect(data.val_pipeline(4))
    np.testing.assert_array_equal(val_labels, data.y_val)
    # Two epochs of a shuffled pipeline visit the same images in different orders.
    ds = data.train_pipeline(9, seed=0)
    first, second = (next(iter(ds))[1].numpy() for _ in range(2))
    assert sorted(first) == sorted(second)


def test_own_train_val_test_folders(tmp_path):
    root = tmp_path / "split"
    make_folder(root / "train", per_class=5)
    make_folder(root / "validation", per_class=2)
    make_folder(root / "test", per_class=3, classes=("blue", "red"))
    data = load_dataset(config_for(root, validation_split=0.5, test_split=0.0))
    assert data.class_names == ["blue", "green", "red"]
    assert (data.train_size, data.val_size, data.test_size) == (15, 6, 6)
    assert all("/validation/" in f for f in data.files["val"])
    assert np.bincount(data.y_test, minlength=3).tolist() == [3, 0, 3]


def test_val_folder_with_an_unknown_class_is_an_error(tmp_path):
    root = tmp_path / "split"
    make_folder(root / "train", per_class=3, classes=("blue", "red"))
    make_folder(root / "val", per_class=2, classes=("blue", "green"))
    with pytest.raises(DataError, match="the training set lacks: green"):
        load_dataset(config_for(root))


def test_grayscale_folder_trains_on_one_channel_unless_configured(tmp_path):
    root = tmp_path / "gray"
    for name in ("a", "b"):
        (root / name).mkdir(parents=True)
        for i in range(4):
            _image(COLOURS["red"], seed=i).convert("L").save(root / name / f"{i}.png")
    assert load_dataset(config_for(root, validation_split=0.5)).input_shape == (8, 8, 1)
    data = load_dataset(config_for(root, validation_split=0.5, channels=3))
    assert data.input_shape == (8, 8, 3)
    images, _ = collect(data.val_pipeline(8))
    np.testing.assert_array_equal(images[..., 0], images[..., 2])


# -- bad inputs --------------------------------------------------------------------------
def test_awkward_and_broken_files_are_handled_or_skipped(tmp_path):
    root = make_folder(tmp_path / "mixed", per_class=6)
    kinds = add_awkward_files(root / "red")
    data = load_dataset(config_for(root, validation_split=0.25))
    skipped = {Path(s.path).name: s.reason for s in data.skipped}
    assert set(skipped) == {name for name, when in kinds.items() if when == "scan"}
    assert "not an image file" in skipped["readme.txt"]
    assert "not a readable image" in skipped["notes.jpg"]
    # 6 + 6 + (6 + 6 readable awkward files + the truncated JPEG) scanned as images.
    assert data.train_size + data.val_size == 25
    assert data.input_shape == (8, 8, 3)
    # A whole epoch runs; the truncated JPEG is logged and left out: of the validation
    # set, or in training its slot goes to another image, so every epoch has the same
    # number of steps.
    train = collect(data.train_pipeline(4, seed=1))[0]
    val = collect(data.val_pipeline(4))[0]
    truncated_in_val = any(name.endswith("truncated.jpg") for name in data.files["val"])
    assert len(train) == data.train_size and len(val) == data.val_size - truncated_in_val
    assert np.isfinite(train).all()
    assert "truncated.jpg" in data.skipped_report()
    assert "could not be decoded" in data.skipped_report()
    # Each failure is listed once, however many epochs ran.
    collect(data.train_pipeline(4, seed=2))
    collect(data.val_pipeline(4))
    assert sum("truncated.jpg" in s.path for s in data.skipped) == 1


def test_each_awkward_mode_decodes_to_8bit_rgb(tmp_path):
    folder = tmp_path / "awkward"
    folder.mkdir()
    add_awkward_files(folder)
    for name in ("cmyk.jpg", "palette.png", "rgba.png", "gray.png", "rotated.jpg"):
        pixels = decode_image(folder / name, 12, 3)
        assert pixels.shape == (12, 12, 3) and pixels.dtype == np.uint8, name
        red, _, blue = pixels.reshape(-1, 3).mean(0)
        if name != "gray.png":
            assert red > blue + 60, name
    sixteen = decode_image(folder / "sixteen_bit.png", 12, 1)[..., 0]
    assert sixteen.min() == 0 and sixteen.max() == 255  # scaled down, not clipped to white
    assert sixteen[0, 0] < sixteen[-1, -1]
    # Half-transparent RGBA is composited over white, as a viewer shows it.
    assert decode_image(folder / "rgba.png", 12, 3).min() > 100


def test_exif_rotation_is_applied(tmp_path):
    half = np.zeros((8, 16, 3), np.uint8)
    half[:, :8] = (250, 0, 0)  # left half red, right half blue
    half[:, 8:] = (0, 0, 250)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display: the left half goes on top
    Image.fromarray(half).save(tmp_path / "turned.jpg", "JPEG", exif=exif.tobytes(), quality=95)
    pixels = decode_image(tmp_path / "turned.jpg", 16, 3).astype(int)
    top, bottom = pixels[:6].mean((0, 1)), pixels[-6:].mean((0, 1))
    assert top[0] > top[2] + 100 and bottom[2] > bottom[0] + 100


def test_empty_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no sub-folders: NetLab expects one sub-folder of images per class"):
        load_dataset(config_for(tmp_path / "empty"))


def test_images_without_class_folders(tmp_path):
    root = tmp_path / "flat"
    root.mkdir()
    _image(COLOURS["red"]).save(root / "a.png")
    with pytest.raises(DataError, match="one sub-folder of images per class"):
        load_dataset(config_for(root))


def test_single_class(tmp_path):
    root = make_folder(tmp_path / "one", classes=("red",))
    with pytest.raises(DataError, match="single class"):
        load_dataset(config_for(root))


def test_class_folder_without_images(tmp_path):
    root = make_folder(tmp_path / "holes", per_class=4, classes=("blue", "red"))
    (root / "green").mkdir()
    (root / "green" / "notes.jpg").write_text("not an image")
    with pytest.raises(DataError, match=r"class folder .*green has no readable images \(1 file\(s\) skipped"):
        load_dataset(config_for(root))


def test_too_few_images_to_split(tmp_path):
    root = make_folder(tmp_path / "tiny", per_class=1, classes=("blue", "red"))
    with pytest.raises(DataError, match="class 'blue' .* has 1 image.*needs at least 2 images"):
        load_dataset(config_for(root))


def test_missing_folder_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="no such folder"):
        Experiment(data=DataConfig(dataset=str(tmp_path / "nowhere"))).validate()


# -- memory ----------------------------------------------------------------------------
def test_cache_only_when_the_decoded_images_fit(tmp_path):
    root = make_folder(tmp_path / "c", per_class=6)
    data = load_dataset(config_for(root, image_size=16))
    assert data.estimated_bytes("train", "val") == 18 * 16 * 16 * 3
    assert data.cache_in_memory
    data.cache_limit = 1000  # a folder "larger than memory": decoded anew each epoch
    assert not data.cache_in_memory
    a = collect(data.train_pipeline(5, seed=3))
    b = collect(data.train_pipeline(5, seed=3))
    np.testing.assert_array_equal(a[1], b[1])  # seeded order without the cache as well
    assert len(a[0]) == data.train_size


def test_config_round_trips_a_folder_and_knobs(tmp_path):
    exp = Experiment(data=config_for(tmp_path, test_split=0.1, channels=1, preprocessing="center"))
    exp.data.augmentation.flip = True
    exp.data.augmentation.crop = 2
    again = Experiment.from_json(exp.to_json())
    assert again == exp
    assert json.loads(exp.to_json())["data"]["augmentation"]["flip"] is True


@pytest.mark.parametrize("cache", [True, False])
def test_a_folders_epoch_order_depends_on_the_seed_and_the_epoch_only(tmp_path, cache):
    root = make_folder(tmp_path / "c", per_class=6)
    data = load_dataset(config_for(root, validation_split=0.25))
    data.cache_limit = 10**9 if cache else 0
    assert data.cache_in_memory == cache
    n = data.train_size
    labels = collect(data.train_pipeline(5, seed=3, epochs=range(3)))[1]
    assert len(labels) == 3 * n
    resumed = collect(data.train_pipeline(5, seed=3, epochs=range(2, 3)))[1]
    np.testing.assert_array_equal(resumed, labels[2 * n:])
    assert sorted(labels[:n]) == sorted(labels[2 * n:]) == sorted(data.y_train)
