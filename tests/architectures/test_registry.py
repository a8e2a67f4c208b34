"""The registry's option schema, read by config.validate() and the CLI (the window: tests/gui).

Parametrized over the registry, so a new architecture's options are checked
the moment it is registered.
"""

import json

import pytest

from netlab.architectures import all_archs, get_arch
from netlab.base.errors import ConfigError, TrainingError
from netlab.cli.main import main
from netlab.cli.settings import parse_options
from netlab.config import Experiment, ModelConfig
from tests.helpers import python_prints

OPTIONS = [(spec, key, option) for spec in all_archs() for key, option in spec.options.items()]
IDS = [f"{spec.name}.{key}" for spec, key, _ in OPTIONS]


@pytest.mark.parametrize(("spec", "key", "option"), OPTIONS, ids=IDS)
def test_every_option_has_a_schema_its_default_satisfies(spec, key, option):
    assert option.help and option.kind in (bool, int, float, str)
    assert bool(option.choices) == (option.kind is str)  # a str takes one of its choices
    option.check(key, option.default)
    assert spec.option_defaults[key] == option.default


def _outside(option, cli=False):
    """A value the option must refuse (in a config, or as command-line text)."""
    if option.kind is bool:
        return "maybe" if cli else "yes"
    if option.choices:
        return "bogus"
    if option.maximum is not None:
        return option.kind(option.maximum * 2 + 1)
    return option.kind(option.minimum) - 1


@pytest.mark.parametrize(("spec", "key", "option"), OPTIONS, ids=IDS)
def test_validate_refuses_a_value_outside_the_schema(spec, key, option):
    exp = Experiment(model=ModelConfig(arch=spec.name, options={key: _outside(option)}))
    exp.data.image_size = max(spec.min_input, 32)
    with pytest.raises(ConfigError, match=f"model.options.{key} must"):
        exp.validate()


@pytest.mark.parametrize(("spec", "key", "option"), OPTIONS, ids=IDS)
def test_cli_takes_exactly_the_registry_choices(spec, key, option, capsys):
    values = option.choices or ((True, False) if option.kind is bool else (option.default,))
    for value in values:
        text = str(value).lower() if option.kind is bool else str(value)
        assert parse_options(spec.name, [f"{key}={text}"]) == {key: value}
    assert main(["summary", spec.name, "--option", f"{key}={_outside(option, cli=True)}"]) == 2
    err = capsys.readouterr().err
    assert f"model.options.{key} must" in err
    if option.choices:
        assert f"must be one of {', '.join(option.choices)} (got" in err


def test_cli_lists_the_registry_schema(capsys):
    assert main(["archs", "--json"]) == 0
    listed = {entry["name"]: entry["options"] for entry in json.loads(capsys.readouterr().out)}
    assert listed == {spec.name: {k: o.to_dict() for k, o in spec.options.items()} for spec in all_archs()}
    assert main(["archs", "--options"]) == 0
    assert "--option stem=  auto, imagenet, small (default auto)" in capsys.readouterr().out


def test_an_older_stem_name_is_still_accepted():
    stem = get_arch("resnet18").options["stem"]
    stem.check("stem", "cifar")
    assert stem.canonical("cifar") == "small" and "cifar" not in stem.choices


def test_aux_loss_weight_follows_the_options():
    spec = get_arch("googlenet")
    assert spec.aux_loss_weight({"aux_weight": 0.5}) == 0.5
    assert spec.aux_loss_weight({"aux_classifiers": False}) == 0.0
    assert get_arch("resnet18").aux_loss_weight() == 0.0


def test_the_registry_and_validate_import_no_tensorflow():
    """The window fills its form and enables Train from the registry alone (Train
    usable within 4 s of the start), so the registry's metadata must not import Keras or TensorFlow."""

    code = ("import sys\n"
            "from netlab.architectures import all_archs\n"
            "from netlab.config import Experiment\n"
            "Experiment.from_dict({'model': {'arch': 'alexnet', 'options': {'lrn': False}}}).validate()\n"
            "specs = all_archs()\n"
            "print(len(specs), sum(len(s.options) for s in specs) > 0, 'keras' in sys.modules, "
            "'tensorflow' in sys.modules)\n")
    count, has_options, keras, tensorflow = python_prints(code)
    assert int(count) == len(all_archs()) and has_options == "True"
    assert (keras, tensorflow) == ("False", "False")


@pytest.mark.slow  # TensorFlow's allocator waits 10 s for memory before it gives up
def test_a_model_too_large_for_memory_is_one_training_error():
    """A width the option schema allows (no upper end) whose weights no machine holds: the summary
    and Train showed TensorFlow's ResourceExhaustedError as "unexpected error"."""
    with pytest.raises(TrainingError, match=r"resnet18 at 32x32x1 does not fit in memory") as info:
        get_arch("resnet18").build((32, 32, 1), 10, model_config=ModelConfig(arch="resnet18",
                                                                           options={"width": 2**40}))
    assert "\n" not in str(info.value)
