"""Sanity checks before a run trains: a fresh classifier starts at log(C); small BN batches and
unfrozen BN under a frozen base are warned about."""

import math

import keras
import numpy as np
import pytest

from netlab.config import Experiment
from netlab.training.events import Notice
from netlab.training.sanity import first_loss_notice, setup_notices
from netlab.training.trainer import Trainer
from tests.helpers import first_of_each_family, fresh_family_model, tiny_experiment


def _cross_entropy(model, x, y, training):
    p = keras.ops.convert_to_numpy(model(x, training=training))
    return float(np.mean(-np.log(p[np.arange(len(y)), y])))


@pytest.mark.parametrize("spec", first_of_each_family(), ids=lambda s: s.name)
def test_a_fresh_model_of_every_family_starts_at_log_c_in_both_modes(spec):
    """Before the fix simple_cnn under He init (the default) began at 3.6 in inference mode
    and 9.5 in training mode, ResNet-18 at 13.9 in inference mode, against log(10) = 2.30."""
    model = fresh_family_model(spec)  # 5 classes, He init
    side = model.input_shape[1]
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, (16, side, side, 3)).astype(np.float32)
    y = rng.integers(0, 5, 16)
    for training in (False, True):
        assert _cross_entropy(model, x, y, training) == pytest.approx(math.log(5), rel=0.2), training


def test_the_first_loss_is_reported_against_log_c(tmp_path):
    events = []
    Trainer(tiny_experiment(), run_dir=tmp_path / "run", on_event=events.append).run()
    checks = [e for e in events if isinstance(e, Notice) and e.check == "first_loss"]
    assert len(checks) == 1 and checks[0].level == "info"
    assert "expected ≈ 2.30 for 10 classes" in checks[0].text
    loss = float(checks[0].text.split()[2].rstrip(","))
    assert abs(loss - math.log(10)) < 0.2 * math.log(10)
    assert "first_loss" in (tmp_path / "run" / "events.jsonl").read_text()


def test_a_first_loss_far_from_log_c_is_a_warning():
    assert first_loss_notice(8.3, 10).level == "warning"
    assert first_loss_notice(2.5, 10).level == "info"
    assert first_loss_notice(1.2, 3).level == "info"  # log(3) = 1.10


def _bn_model(trainable=True):
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3)(inputs)
    bn = keras.layers.BatchNormalization()
    bn.trainable = trainable
    x = keras.layers.GlobalAveragePooling2D()(bn(x))
    return keras.Model(inputs, keras.layers.Dense(2)(x))


def test_batch_norm_below_a_batch_of_eight_is_warned_about_group_norm_is_not():
    exp = Experiment()
    exp.training.batch_size = 4
    assert [n.check for n in setup_notices(exp, _bn_model())] == ["bn_batch_size"]
    assert setup_notices(exp, _bn_model(trainable=False)) == []  # frozen BN uses its moving statistics
    exp.training.batch_size = 8
    assert setup_notices(exp, _bn_model()) == []


def test_a_frozen_base_whose_batch_norm_still_trains_is_warned_about():
    exp = Experiment()
    exp.finetune.source, exp.finetune.freeze = "some.keras", "base"
    nested = keras.Sequential([keras.Input((8, 8, 3)), _bn_model()])  # BN inside a nested model
    assert [n.check for n in setup_notices(exp, nested)] == ["frozen_bn"]
    exp.finetune.freeze = "none"
    assert setup_notices(exp, nested) == []
