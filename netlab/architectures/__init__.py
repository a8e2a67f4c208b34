"""Every architecture NetLab builds, one module per family, and the registry that lists them.

The registry itself is :mod:`netlab.architectures.registry`; this package
imports the family modules, which register their variants there, and re-exports
the registry's names so ``from netlab.architectures import get_arch`` works.

Importing it imports no Keras or TensorFlow: the family modules import Keras
inside the functions that build layers, so the registry's metadata (names,
families, option schemas, published figures) loads in a fraction of a second
and the window can offer Train before TensorFlow has loaded (a test keeps it so).
"""

from netlab.architectures.registry import (
    STEMS,
    ArchSpec,
    AuxHeads,
    Option,
    ParamCount,
    all_archs,
    arch_names,
    build_model,
    get_arch,
    register,
)

__all__ = ["STEMS", "ArchSpec", "AuxHeads", "Option", "ParamCount", "all_archs", "arch_names",
           "build_model", "get_arch", "register"]

# Family modules register their variants on import; import order is list order
# (the window's and the CLI's), roughly the order of the papers (2012 to 2018).
from netlab.architectures import (  # noqa: E402, F401, I001
    simple_cnn, alexnet, vgg, googlenet, inception_v3, resnet, densenet, mobilenet,
)
