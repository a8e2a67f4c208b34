"""NetLab: a desktop lab for the convolutional architectures of the last decade.

The core (this package) never imports Qt; the window lives in ``gui``.
"""

__version__ = "0.1.0"

import os as _os

# TensorFlow's C++ start-up chatter (CUDA probing, CPU feature notes) is not
# for our users; real errors still surface as Python exceptions.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
