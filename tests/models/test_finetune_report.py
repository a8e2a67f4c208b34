"""The fine-tuning report as the window reads it, and downloads reported from several threads."""

import functools
import http.server
import threading

import pytest

from tests.helpers import tiny_experiment
from tests.helpers.finetune import place_imagenet_weights


@pytest.mark.slow  # VGG16's 14.7M base parameters, written and read back (~4 s)
def test_report_rows_say_what_trains_when_the_source_has_an_imagenet_map(tmp_path, monkeypatch):
    """The rows leave out imagenet_bgr_mean; their trainable flags must not shift by one because of it."""
    from netlab.data.input_spec import input_spec
    from netlab.models.finetune import finetune_report

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("NETLAB_OFFLINE", "1")
    place_imagenet_weights(tmp_path / "keras", "vgg16")
    exp = tiny_experiment()
    exp.data.image_size = 32
    exp.finetune.source, exp.finetune.freeze = "imagenet:vgg16", "none"
    data = input_spec(exp.validate().data)
    rows = finetune_report(exp, data).rows
    assert rows[0].name == "block1_conv1" and all(r.trainable for r in rows)
    exp.finetune.freeze = "block2_conv1"
    rows = finetune_report(exp, data).rows
    assert [(r.name, r.trainable) for r in rows[:4]] == [
        ("block1_conv1", False), ("block1_conv2", False), ("block2_conv1", True), ("block2_conv2", True)]


def test_imagenet_source_for_a_registry_architecture():
    from netlab.architectures import arch_names
    from netlab.models.sources import IMAGENET_ARCHS, imagenet_source_for

    assert imagenet_source_for("mobilenet_v2") == "imagenet:mobilenetv2"
    assert imagenet_source_for("mobilenet_v1") == "imagenet:mobilenet"
    assert imagenet_source_for("inception_v3") == "imagenet:inceptionv3"
    assert imagenet_source_for("simple_cnn") is None and imagenet_source_for("vgg16_bn") is None
    covered = {imagenet_source_for(name) for name in arch_names()} - {None}
    assert covered == {f"imagenet:{name}" for name in IMAGENET_ARCHS}  # every Keras counterpart reachable


def test_two_threads_downloading_each_hear_their_own_progress_and_keras_is_restored(tmp_path):
    import keras
    from keras.src.utils import file_utils

    from netlab.data.download import download_progress

    served = tmp_path / "served"
    served.mkdir()
    for name in ("a.bin", "b.bin"):
        (served / name).write_bytes(bytes(range(256)) * 1000)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    heard = {"a.bin": [], "b.bin": []}
    inside = threading.Barrier(2)

    def fetch(name):
        cache = tmp_path / f"cache_{name}"
        cache.mkdir()
        with download_progress(lambda url, done, total: heard[name].append(url)):
            inside.wait()  # both blocks open at once
            keras.utils.get_file(name, origin=base + name, cache_dir=str(cache))
            inside.wait()

    try:
        threads = [threading.Thread(target=fetch, args=(name,)) for name in heard]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        server.shutdown()
    assert heard["a.bin"] and set(heard["a.bin"]) == {base + "a.bin"}
    assert heard["b.bin"] and set(heard["b.bin"]) == {base + "b.bin"}
    assert file_utils.urlretrieve.__module__ == "urllib.request"
