"""NetLab: a desktop lab for the convolutional architectures of the last decade.

The core (this package) never imports Qt; the window lives in ``gui``.
"""

__version__ = "0.1.0"

import importlib.util as _importlib_util
import os as _os
import sys as _sys
from pathlib import Path as _Path

# TensorFlow's C++ start-up chatter (CUDA probing, CPU feature notes) is not
# for our users; real errors still surface as Python exceptions.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _source_checkout_resources() -> None:
    """In a source checkout, the top-level resources/ is the package ``netlab.resources``.

    pyproject.toml maps resources/ into the package when NetLab is installed (a wheel
    holds netlab/resources/); run from a checkout (PYTHONPATH, python main.py), the same
    folder is imported under the same name, so importlib.resources reads it either way.
    """
    here = _Path(__file__).resolve().parent
    init = here.parent / "resources" / "__init__.py"
    if ("netlab.resources" in _sys.modules or (here / "resources").exists() or not init.is_file()
            or not (here.parent / "pyproject.toml").is_file()):
        return
    spec = _importlib_util.spec_from_file_location("netlab.resources", init,
                                                   submodule_search_locations=[str(init.parent)])
    module = _importlib_util.module_from_spec(spec)
    _sys.modules["netlab.resources"] = module
    spec.loader.exec_module(module)


_source_checkout_resources()
