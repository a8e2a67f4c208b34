"""The progress line beyond training: a download (a real one, from a local HTTP server) and an
export's steps show in a terminal, nothing of them in a pipe; --quiet leaves out the
multi-worker line too."""

import functools
import http.server
import io
import sys
import threading

import keras
import numpy as np
import pytest

from netlab.cli.main import main
from netlab.cli.progress import LINE
from netlab.cli.train import _cluster, print_event
from netlab.data.download import download_progress
from netlab.training.events import DataProgress, Notice

TF_CONFIG = '{"cluster": {"worker": ["localhost:12345"]}, "task": {"type": "worker", "index": 0}}'


class _Terminal(io.StringIO):
    def isatty(self):
        return True


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # the request lines would land on the stderr under test
        pass


@pytest.fixture
def served(tmp_path):
    """A 3 MB file on a local HTTP server: its URL."""
    folder = tmp_path / "served"
    folder.mkdir()
    (folder / "weights.bin").write_bytes(np.random.default_rng(0).bytes(3_000_000))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/weights.bin"
    server.shutdown()
    server.server_close()


def _download(url, cache):
    cache.mkdir()  # Keras falls back to a shared cache for a folder it cannot write, a missing one too
    with download_progress(lambda u, done, total: print_event(DataProgress(u, done, total))):
        return keras.utils.get_file("weights.bin", origin=url, cache_dir=str(cache))


@pytest.mark.parametrize("stderr", [_Terminal, io.StringIO], ids=["terminal", "pipe"])
def test_a_download_shows_on_the_line_in_place_of_keras_s_bar(served, tmp_path, capsys, monkeypatch, stderr):
    err = stderr()
    monkeypatch.setattr(sys, "stderr", err)
    path = _download(served, tmp_path / "cache")
    assert len(open(path, "rb").read()) == 3_000_000
    out = capsys.readouterr().out
    assert "\r" not in out and "/step" not in out  # no Keras bar on stdout
    if stderr is _Terminal:
        assert "\rdownloading weights.bin  3.0/3.0 MB" in err.getvalue(), err.getvalue()
        assert err.getvalue().endswith("\r")  # wiped at the end
    else:
        assert err.getvalue() == ""
    assert not keras.config.is_interactive_logging_enabled()
    print_event(Notice("the run goes on"))
    assert keras.config.is_interactive_logging_enabled()  # Keras's bar is back for what follows


@pytest.fixture(scope="module")
def tiny_keras_file(tmp_path_factory):
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Rescaling(1 / 255), keras.layers.Flatten(),
                              keras.layers.Dense(3, activation="softmax")])
    path = tmp_path_factory.mktemp("model") / "tiny.keras"
    model.save(path)
    return path


@pytest.mark.parametrize("quiet", [False, True], ids=["shown", "quiet"])
def test_an_export_shows_its_steps_in_a_terminal(tiny_keras_file, tmp_path, capsys, monkeypatch, quiet):
    err = _Terminal()
    monkeypatch.setattr(sys, "stderr", err)
    try:
        assert main(["export", str(tiny_keras_file), "--format", "keras", "--out", str(tmp_path / "out.keras"),
                     *(["--quiet"] if quiet else [])]) == 0
    finally:
        LINE.quiet = False
    assert capsys.readouterr().out.startswith("keras: ")  # the result line, as before
    steps = [f"export {i}/4: " for i in range(1, 5)]
    if quiet:
        assert err.getvalue() == ""
    else:
        assert all(f"\r{step}" in err.getvalue() for step in steps), err.getvalue()
        assert err.getvalue().endswith("\r")


def test_quiet_leaves_out_the_multi_worker_line(capsys, monkeypatch):
    monkeypatch.setenv("TF_CONFIG", TF_CONFIG)
    args = type("Args", (), {"multi_worker": True})()
    try:
        for quiet in (False, True):
            LINE.quiet = quiet
            assert _cluster(args).workers == 1
            said = capsys.readouterr().out
            assert ("waiting for all 1 workers to join" in said) is not quiet, said
    finally:
        LINE.quiet = False
