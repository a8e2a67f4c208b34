"""The arithmetic lesson: two small networks per comparison, built by NetLab's blocks and counted by
its summary, against the papers' numbers computed here from the formulas; nothing trains."""

import json

import pytest

from netlab.base.errors import ConfigError
from netlab.lessons.runner import LessonRunner, read_result
from netlab.lessons.spec import load_lesson, parse_lesson


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    out = tmp_path_factory.mktemp("arithmetic")
    return LessonRunner(load_lesson("arithmetic"), out, "quick").run(), out


def sides(result, name):
    return next(c for c in result["arithmetic"] if c["name"] == name)["sides"]


def test_googlenets_1x1_reduction_is_112_9m_against_5_3m_multiply_adds(result):
    """Inception 4a's 5x5 branch on 14x14x480 (Szegedy et al. 2015): H*W*K*K*C_in*C_out."""
    s = sides(result[0], "bottleneck_1x1")
    direct = 14 * 14 * 5 * 5 * 480 * 48
    reduced = 14 * 14 * 1 * 1 * 480 * 16 + 14 * 14 * 5 * 5 * 16 * 48
    assert (s["direct"]["macs"], s["reduced"]["macs"]) == (direct, reduced)
    assert round(direct / 1e6, 1) == 112.9 and round(reduced / 1e6, 1) == 5.3
    assert s["direct"]["params"] == 5 * 5 * 480 * 48 + 48  # weights and biases
    assert s["reduced"]["params"] == 480 * 16 + 16 + 5 * 5 * 16 * 48 + 48


def test_three_3x3_see_what_one_7x7_sees_for_27_against_49_c_squared(result):
    s, c = sides(result[0], "stacked_3x3"), 256
    assert s["three_3x3"]["receptive_field"] == s["one_7x7"]["receptive_field"] == 7
    assert s["three_3x3"]["params"] == 3 * (3 * 3 * c * c + c)
    assert s["one_7x7"]["params"] == 7 * 7 * c * c + c


def test_3x1_then_1x3_is_a_third_cheaper_than_3x3(result):
    s, c = sides(result[0], "asymmetric_3x1"), 192
    assert s["factorized"]["macs"] == 17 * 17 * (3 + 3) * c * c
    assert s["full_3x3"]["macs"] == 17 * 17 * 9 * c * c
    assert s["factorized"]["receptive_field"] == s["full_3x3"]["receptive_field"] == 3


def test_depthwise_separable_costs_1_over_n_plus_1_over_9(result):
    s, n = sides(result[0], "depthwise_separable"), 512
    assert s["separable"]["macs"] == 14 * 14 * (3 * 3 * n + n * n)
    assert s["separable"]["macs"] / s["full"]["macs"] == pytest.approx(1 / n + 1 / 9)


def test_a_gap_head_has_one_49th_of_the_fc_heads_weights(result):
    s = sides(result[0], "gap_head")
    assert s["fc"]["params"] == 7 * 7 * 1024 * 1000 + 1000
    assert s["gap"]["params"] == 1024 * 1000 + 1000


def test_the_claims_verdict_and_folder_come_from_those_numbers(result):
    res, out = result
    assert read_result(out) == json.loads(json.dumps(res))
    assert res["complete"] and res["held"] == all(c["held"] for c in res["comparisons"])
    assert len(res["comparisons"]) == sum(len(c.claim) for c in load_lesson("arithmetic").comparisons)
    assert res["verdict"].startswith("Held" if res["held"] else "Did not hold")
    assert "direct: 112.9M multiply-adds" in res["verdict"] and "reduced: 5.3M multiply-adds" in res["verdict"]


def test_each_comparison_gives_its_two_keras_models_for_the_graph():
    from netlab.lessons.arithmetic import comparison_models

    comparison = next(c for c in load_lesson("arithmetic").comparisons if c.name == "stacked_3x3")
    left, right = comparison_models(comparison)
    assert (left.name, right.name) == ("one_7x7", "three_3x3")
    assert [type(layer).__name__ for layer in right.layers].count("Conv2D") == 3
    assert tuple(right.input.shape[1:]) == (56, 56, 256)


def test_the_cli_prints_the_numbers(tmp_path, capsys):
    from netlab.cli.main import main

    assert main(["experiment", "arithmetic", "--out", str(tmp_path / "a")]) == 0
    out = capsys.readouterr().out
    assert "reduced.macs 5,268,480 < 0.1 x direct.macs 112,896,000" in out


@pytest.mark.parametrize("change, words", [
    (lambda c: c["left"]["layers"].append({"pool": 2}), "a layer is one of"),
    (lambda c: c["claim"].append({"left": "nobody.macs", "op": "<", "right": "direct.macs"}), "'nobody.macs'"),
    (lambda c: c["claim"].append({"left": "direct.flops", "op": "<", "right": "direct.macs"}), "'direct.flops'"),
    (lambda c: c.update(input=[14, 14]), "input is [height, width, channels]"),
])
def test_a_malformed_comparison_is_refused_in_one_line(change, words):
    from importlib import resources

    raw = json.loads(resources.files("netlab.resources").joinpath("experiments/arithmetic.json").read_text())
    change(raw["comparisons"][0])
    with pytest.raises(ConfigError, match="bottleneck_1x1") as info:
        parse_lesson("broken", raw)
    assert words in str(info.value) and "\n" not in str(info.value)
