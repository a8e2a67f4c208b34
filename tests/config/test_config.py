import json
import re

import pytest

from netlab.base.errors import ConfigError
from netlab.config import Experiment


def test_round_trip_through_json_keeps_every_value():
    exp = Experiment()
    exp.model.arch = "resnet18"
    exp.model.options = {"plain": True}
    exp.regularization.dropout = 0.25
    exp.regularization.norm = "group"
    exp.data.dataset = "shapes"
    exp.data.image_size = 48
    exp.training.learning_rate = 0.01
    again = Experiment.from_json(exp.to_json())
    assert again == exp
    assert again is not exp


def test_save_and_load_file(tmp_path):
    exp = Experiment()
    exp.training.epochs = 3
    path = tmp_path / "exp.json"
    exp.save(path)
    assert Experiment.load(path) == exp
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_defaults_validate():
    assert Experiment().validate() == Experiment()


@pytest.mark.parametrize(
    "section, name, value, words",
    [
        ("training", "learning_rate", -1.0, ["training.learning_rate", "positive"]),
        ("training", "learning_rate", 0.0, ["training.learning_rate", "positive"]),
        ("regularization", "dropout", 1.0, ["regularization.dropout", "[0.0, 1.0)"]),
        ("regularization", "dropout", -0.1, ["regularization.dropout", "[0.0, 1.0)"]),
        ("training", "epochs", 0, ["training.epochs", ">= 1"]),
        ("training", "batch_size", 0, ["training.batch_size", ">= 1"]),
        ("regularization", "norm", "weird", ["regularization.norm", "batch"]),
        ("data", "validation_split", 1.0, ["data.validation_split", "(0.0, 1.0)"]),
        ("regularization", "bn_momentum", 1.5, ["regularization.bn_momentum"]),
    ],
)
def test_bad_values_name_the_field_and_the_range(section, name, value, words):
    exp = Experiment()
    setattr(getattr(exp, section), name, value)
    with pytest.raises(ConfigError) as info:
        exp.validate()
    for word in words:
        assert word in str(info.value)


def test_unknown_architecture_lists_the_known_ones():
    exp = Experiment()
    exp.model.arch = "lenet-9000"
    with pytest.raises(ConfigError, match="unknown architecture 'lenet-9000'.*simple_cnn"):
        exp.validate()


def test_input_smaller_than_the_architecture_accepts():
    exp = Experiment()
    exp.model.arch = "resnet18"
    exp.data.image_size = 16
    with pytest.raises(ConfigError, match=r"data.image_size.*at least 32x32.*16x16"):
        exp.validate()


def test_unknown_option_is_refused():
    exp = Experiment()
    exp.model.arch = "resnet18"
    exp.model.options = {"depth": 7}
    with pytest.raises(ConfigError, match="model.options.depth"):
        exp.validate()


def test_unknown_key_and_wrong_type_in_json():
    data = Experiment().to_dict()
    data["training"]["epochz"] = 3
    with pytest.raises(ConfigError, match="training.epochz"):
        Experiment.from_dict(data)
    data = Experiment().to_dict()
    data["training"]["epochs"] = "ten"
    with pytest.raises(ConfigError, match="training.epochs must be an integer"):
        Experiment.from_dict(data)
    with pytest.raises(ConfigError, match="not valid JSON"):
        Experiment.from_json("{oops")


def test_integer_where_a_float_is_expected_is_accepted():
    data = json.loads(Experiment().to_json())
    data["training"]["learning_rate"] = 1
    assert Experiment.from_dict(data).training.learning_rate == 1.0


@pytest.mark.parametrize("text, words", [
    # JSON's integers have no bound: one past a float's range made math.isnan raise OverflowError.
    ('{"training": {"batch_size": 1' + "0" * 400 + "}}", "training.batch_size must be a finite number (got 1000"),
    ('{"data": {"augmentation": {"crop": Infinity}}}', "data.augmentation.crop must be a finite number (got inf)"),
    ('{"regularization": {"l2": NaN}}', "regularization.l2 must be a finite number (got nan)"),
    ('{"search": {"space": {"training.batch_size": {"choices": [1' + "0" * 400 + "]}}}}",
     "search.space.training.batch_size: 1000"),
    ("[" * 100_000 + "]" * 100_000, "the configuration is not valid JSON"),  # nested past the recursion limit
])
def test_a_number_or_json_beyond_what_python_computes_with_is_one_config_error(text, words):
    with pytest.raises(ConfigError, match=re.escape(words)) as info:
        Experiment.from_json(text).validate()
    assert "\n" not in str(info.value) and len(str(info.value)) < 300  # the huge number is cut short
