"""Progress of Keras's downloads (datasets, pretrained weights), for the window.

keras.datasets.*.load_data() and keras.applications download through
``keras.utils.get_file``, which reports to a progress bar on stdout only.
While :func:`download_progress` is active, the same reports also reach a
callable of ours. It wraps Keras's module-level ``urlretrieve`` once, however
many threads are inside a block (the trainer, the window's report and summary
jobs), and each report goes to the callable of the thread downloading: the
blocks of two threads never undo each other's wrapper. A Keras without
``urlretrieve`` just downloads without our reports.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator

# Keras is imported inside functions: the window and `netlab --help` import this module at start-up
# and show before Keras loads.

# At most this many reports a second reach the callable (plus the last one).
REPORTS_PER_SECOND = 5.0

_lock = threading.Lock()
_callbacks: dict[int, Callable[[str, int, int], None]] = {}  # thread ident -> its callable
_original: list = []  # Keras's own urlretrieve, kept once ours has been in place


def _file_utils():
    try:
        from keras.src.utils import file_utils
    except ImportError:
        return None
    return file_utils if getattr(file_utils, "urlretrieve", None) is not None else None


@contextlib.contextmanager
def download_progress(on_progress: Callable[[str, int, int], None]) -> Iterator[None]:
    """Report ``(url, bytes_done, bytes_total)`` for downloads this thread makes inside the block.

    ``bytes_total`` is -1 when the server does not say.
    """
    file_utils = _file_utils()
    if file_utils is None:
        yield
        return
    me = threading.get_ident()
    with _lock:
        if not _callbacks:
            if not _original:
                _original.append(file_utils.urlretrieve)
            file_utils.urlretrieve = _urlretrieve
        previous = _callbacks.get(me)
        _callbacks[me] = on_progress
    try:
        yield
    finally:
        with _lock:
            if previous is None:
                del _callbacks[me]
            else:
                _callbacks[me] = previous
            if not _callbacks:
                file_utils.urlretrieve = _original[0]


def _urlretrieve(url, filename=None, reporthook=None, data=None):
    original = _original[0]
    on_progress = _callbacks.get(threading.get_ident())
    if on_progress is None:  # a thread outside any block: Keras's own behaviour
        return original(url, filename, reporthook, data)
    last = [0.0]

    def hook(block_num, block_size, total_size):
        done = block_num * block_size
        if total_size > 0:
            done = min(done, total_size)
        now = time.monotonic()
        # Ours before Keras's bar: the CLI's report turns that bar off before it prints.
        if now - last[0] >= 1.0 / REPORTS_PER_SECOND or (total_size > 0 and done >= total_size):
            last[0] = now
            on_progress(url, done, total_size if total_size > 0 else -1)
        if reporthook is not None:
            reporthook(block_num, block_size, total_size)

    return original(url, filename, hook, data)
