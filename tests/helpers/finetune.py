"""Fine-tuning sources without a download: a small .keras classifier with a nested backbone, and
a weights=None keras.applications backbone's weights placed where Keras's cache keeps the ImageNet
file."""

import h5py
import keras
from keras.src.legacy.saving import legacy_h5_format  # the .h5 layout keras.applications reads

# The keras.applications backbones the tests place, by NetLab's source name.
_APPLICATIONS = {"mobilenetv2": "MobileNetV2", "vgg16": "VGG16"}


def nested_keras_file(path, classes=7):
    """The usual transfer-learning shape: scaling, a nested RGB backbone as one layer, GAP, Dense."""
    inner = keras.Input((32, 32, 3))
    x = keras.layers.Conv2D(8, 3, strides=2, name="b_conv1")(inner)
    x = keras.layers.BatchNormalization(name="b_bn1")(x)
    x = keras.layers.ReLU()(x)
    x = keras.layers.Conv2D(16, 3, strides=2, name="b_conv2")(x)
    x = keras.layers.BatchNormalization(name="b_bn2")(x)
    backbone = keras.Model(inner, x, name="backbone")
    inputs = keras.Input((32, 32, 3))
    y = backbone(keras.layers.Rescaling(1 / 127.5, offset=-1)(inputs))
    y = keras.layers.Dense(classes, activation="softmax", name="old_head")(keras.layers.GlobalAveragePooling2D()(y))
    model = keras.Model(inputs, y)
    # Moving statistics away from their 0/1 start, so "unchanged" is a real claim.
    for layer in backbone.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            gamma, beta, mean, var = layer.get_weights()
            layer.set_weights([gamma, beta, mean + 0.3, var * 2.0])
    model.save(path)
    return model


def place_imagenet_weights(keras_home, arch="mobilenetv2", side=32):
    """A weights=None ``arch`` backbone's weights where Keras's cache under ``keras_home`` keeps
    the ImageNet file: keras.applications reads them as if downloaded. Returns the backbone."""
    keras.utils.set_random_seed(3)
    backbone = getattr(keras.applications, _APPLICATIONS[arch])(include_top=False, weights=None,
                                                                 input_shape=(side, side, 3))
    folder = keras_home / "models"
    folder.mkdir(parents=True)
    with h5py.File(folder / imagenet_weights_file(arch, side), "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, backbone)
    return backbone


def imagenet_weights_file(arch: str, side: int) -> str:
    """The file name keras.applications keeps the headless ImageNet weights of ``arch`` under
    (tests place a file made from weights=None there: nothing downloads)."""
    if arch == "mobilenetv2":
        rows = side if side in (96, 128, 160, 192, 224) else 224
        return f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_{rows}_no_top.h5"
    if arch == "mobilenet":
        rows = side if side in (128, 160, 192, 224) else 224
        return f"mobilenet_1_0_{rows}_tf_no_top.h5"
    name = "inception_v3" if arch == "inceptionv3" else arch
    return f"{name}_weights_tf_dim_ordering_tf_kernels_notop.h5"


