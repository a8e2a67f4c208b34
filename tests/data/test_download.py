"""Download progress, against a real HTTP server on loopback (no internet needed)."""

import functools
import http.server
import threading

import keras

from netlab.data.download import download_progress


def test_keras_downloads_report_their_progress(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    payload = bytes(range(256)) * 2000  # 512,000 bytes
    (served / "data.bin").write_bytes(payload)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    reports = []
    cache = tmp_path / "cache"
    cache.mkdir()  # Keras falls back to /tmp/.keras for a cache folder it cannot write
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/data.bin"
        with download_progress(lambda *report: reports.append(report)):
            path = keras.utils.get_file("data.bin", origin=url, cache_dir=str(cache))
    finally:
        server.shutdown()
    assert path.startswith(str(cache)) and open(path, "rb").read() == payload
    assert reports and reports[-1] == (url, len(payload), len(payload))
    assert all(b[1] >= a[1] for a, b in zip(reports, reports[1:]))
    # Outside the block, Keras downloads as before, reporting nothing to us.
    from keras.src.utils import file_utils

    assert file_utils.urlretrieve.__module__ == "urllib.request"
