"""Progress of Keras's dataset downloads, for the window (the CLI sees Keras's own bar).

keras.datasets.*.load_data() downloads through ``keras.utils.get_file``, which
reports to a progress bar on stdout only. While :func:`download_progress` is
active, the same reports also reach a callable of ours. It wraps Keras's
module-level ``urlretrieve``; a Keras without it just downloads without our
reports.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator

# At most this many reports a second reach the callable (plus the last one).
REPORTS_PER_SECOND = 5.0


@contextlib.contextmanager
def download_progress(on_progress: Callable[[str, int, int], None]) -> Iterator[None]:
    """Report ``(url, bytes_done, bytes_total)`` for downloads made inside the block.

    ``bytes_total`` is -1 when the server does not say.
    """
    try:
        from keras.src.utils import file_utils
    except ImportError:
        yield
        return
    original = getattr(file_utils, "urlretrieve", None)
    if original is None:
        yield
        return

    def urlretrieve(url, filename=None, reporthook=None, data=None):
        last = [0.0]

        def hook(block_num, block_size, total_size):
            if reporthook is not None:
                reporthook(block_num, block_size, total_size)
            done = block_num * block_size
            if total_size > 0:
                done = min(done, total_size)
            now = time.monotonic()
            if now - last[0] >= 1.0 / REPORTS_PER_SECOND or (total_size > 0 and done >= total_size):
                last[0] = now
                on_progress(url, done, total_size if total_size > 0 else -1)

        return original(url, filename, hook, data)

    file_utils.urlretrieve = urlretrieve
    try:
        yield
    finally:
        file_utils.urlretrieve = original
