"""One experiment as dataclasses: its knobs, JSON form and validate(), which raises ConfigError."""

from netlab.base.errors import ConfigError  # noqa: F401  (the public names, read as netlab.config.X)
from netlab.config.checks import (  # noqa: F401
    LIMITS,
    MIXED_PRECISIONS,
    OPTIMIZERS,
    PREPROCESSINGS,
    PRUNERS,
    SAMPLERS,
    SCHEDULES,
    validate_data,
)
from netlab.config.experiment import (  # noqa: F401
    AugmentationConfig,
    DataConfig,
    Experiment,
    SearchConfig,
    TrainingConfig,
)
from netlab.config.knobs import (  # noqa: F401
    ACTIVATIONS,
    HEADS,
    INITIALIZERS,
    NORMALIZATIONS,
    POOLINGS,
    ModelConfig,
    RegularizationConfig,
)
from netlab.config.limits import Limit  # noqa: F401
from netlab.config.paths import config_value  # noqa: F401
