"""Datasets: the registry of sources, splits, the tf.data pipeline and image loading.

Every source yields images with pixel values in [0, 255] and integer labels;
scaling and normalization happen inside the model (its first layers, see
``netlab.data.preprocessing``), so a saved model classifies raw images by
itself. Array sources (digits, shapes, Keras's built-ins) hold float32 arrays
(N, H, W, C); image folders stream from disk (``netlab.data.folder``). Both
give ``train_pipeline`` / ``val_pipeline`` / ``test_pipeline`` (tf.data), which
is what the trainer feeds to Keras.
"""

# The built-in sources register themselves in the registry when imported.
from netlab.data import keras_sources, sources  # noqa: E402, F401, I001
from netlab.data.dataset import (  # noqa: F401  (the public names, read as netlab.data.X)
    PER_CLASS_SEED_OFFSET,
    SPLITS,
    Dataset,
    DataSource,
    check_labels,
    convert_channels,
    per_class_indices,
    select_classes,
    split_indices,
    subsample,
)
from netlab.data.registry import get_source, load_dataset, register_source, source_names  # noqa: F401
