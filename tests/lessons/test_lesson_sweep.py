"""Fine-tuning vs training from scratch (Yosinski et al. 2014): a pretraining run, a sweep over the
labeled-set size, every arm judged with recomputed batch-norm statistics and as Keras evaluates."""

import json

import numpy as np
import pytest

from netlab.base.errors import ConfigError
from netlab.config import DataConfig, Experiment
from netlab.lessons.claims import INCONCLUSIVE, at_chance
from netlab.lessons.runner import ArmFinished, ArmStarted, LessonRunner
from netlab.lessons.spec import PRETRAIN, load_lesson, parse_lesson
from netlab.lessons.sweep import HELD, NOT_HELD, PARTLY, Sweep, judge, repeat_for_steps, steps_of

LESSON = "finetune-vs-scratch"


# -- the data it needs: chosen classes, a few images of each -------------------------------
def test_train_per_class_keeps_n_of_each_class_and_the_validation_split_whole():
    from netlab.data import load_dataset

    whole = load_dataset(DataConfig(dataset="digits", classes=["7", "3", "9"], seed=4))
    few = load_dataset(DataConfig(dataset="digits", classes=["7", "3", "9"], train_per_class=2, seed=4))
    assert few.class_names == ["7", "3", "9"] and whole.class_names == ["7", "3", "9"]
    assert np.bincount(few.y_train).tolist() == [2, 2, 2]
    np.testing.assert_array_equal(few.x_val, whole.x_val)
    # Each picked image is one of the whole training split's, with its label.
    for image, label in zip(few.x_train, few.y_train, strict=True):
        match = np.flatnonzero(np.all(whole.x_train == image, axis=(1, 2, 3)))
        assert match.size and whole.y_train[match[0]] == label
    other = load_dataset(DataConfig(dataset="digits", classes=["7", "3", "9"], train_per_class=2, seed=5))
    assert not np.array_equal(other.x_train, few.x_train)  # each seed draws its own few


def test_glyphs_draw_only_the_chosen_kinds_the_same_for_a_seed():
    from netlab.data import load_dataset
    from netlab.data.glyphs import GLYPH_CLASSES, SOURCE_KINDS, TARGET_KINDS
    from netlab.data.input_spec import input_spec

    assert len(SOURCE_KINDS) == 20 and not set(SOURCE_KINDS) & set(TARGET_KINDS)
    assert len(set(GLYPH_CLASSES)) == 25
    config = DataConfig(dataset="glyphs", classes=list(TARGET_KINDS), samples=50, image_size=16)
    a, b = load_dataset(config), load_dataset(config)
    assert a.class_names == list(TARGET_KINDS) == list(input_spec(config).class_names)
    assert np.bincount(np.concatenate([a.y_train, a.y_val])).tolist() == [10] * 5
    assert a.input_shape == (16, 16, 3) and 0 <= a.x_train.min() and a.x_train.max() <= 255
    np.testing.assert_array_equal(a.x_train, b.x_train)


@pytest.mark.parametrize("classes, words", [(["disc", "nope"], "no class 'nope'"), (["disc"], "two or more"),
                                            (["disc", "disc"], "twice")])
def test_bad_classes_are_one_line(classes, words):
    exp = Experiment()
    exp.data.dataset, exp.data.classes = "glyphs", classes
    with pytest.raises(ConfigError, match=words) as info:
        exp.validate()
    assert "\n" not in str(info.value)


def test_classes_of_an_image_folder_are_refused(tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    exp = Experiment()
    exp.data.dataset, exp.data.classes = str(tmp_path), ["a", "b"]
    with pytest.raises(ConfigError, match="folder"):
        exp.validate()


# -- the lesson's configurations -------------------------------------------------------------
def test_the_lesson_pretrains_on_other_kinds_then_sweeps_n_with_the_same_steps(tmp_path):
    spec = load_lesson(LESSON)
    source = spec.config(PRETRAIN, "quick", 0)
    assert source.finetune.source is None and len(source.data.classes) == 20
    target = spec.config("frozen_base", "quick", 2, value=5, pretrain_dir=tmp_path / "src")
    assert not set(source.data.classes) & set(target.data.classes)
    assert target.data.train_per_class == 5 and target.finetune.source == str(tmp_path / "src")
    assert (target.training.seed, target.data.seed) == (2, 2)
    assert spec.config("scratch", "quick", 0, value=1).finetune.source is None
    assert spec.config("full_finetune", "quick", 0, value=1).finetune.freeze == "none"
    # The budget's pretraining keys reach the pretraining only; its image size reaches both.
    tiny_source, tiny_arm = spec.config(PRETRAIN, "tiny", 0), spec.config("scratch", "tiny", 0, value=1)
    assert tiny_source.training.epochs == 1 and tiny_source.data.samples == 120
    assert tiny_arm.data.samples == 60 and tiny_source.data.image_size == tiny_arm.data.image_size == 16
    assert spec.sweep_for("tiny").values == [1, 2] and spec.sweep_for("quick").values == [1, 2, 5, 10, 50]
    # 5 images are passed over 128 times an epoch: 10 epochs of 20 steps, as 50 images x 13 give 10 x 21.
    assert repeat_for_steps(200, 5, 32, 10) == 128 and steps_of(5, 128, 32, 10) == 200
    assert steps_of(50, repeat_for_steps(200, 50, 32, 10), 32, 10) == 210
    assert repeat_for_steps(200, 5000, 32, 10) == 1


def test_a_repeated_training_split_holds_whole_copies():
    from netlab.data import load_dataset

    once = load_dataset(DataConfig(dataset="digits", train_per_class=3))
    thrice = load_dataset(DataConfig(dataset="digits", train_per_class=3, train_repeat=3))
    np.testing.assert_array_equal(thrice.x_train, np.concatenate([once.x_train] * 3))
    np.testing.assert_array_equal(thrice.x_val, once.x_val)


def test_a_sweep_naming_an_unknown_baseline_is_one_line():
    from importlib import resources

    raw = json.loads(resources.files("netlab.resources").joinpath(f"experiments/{LESSON}.json").read_text())
    raw["sweep"]["baseline"] = "nobody"
    with pytest.raises(ConfigError, match="nobody") as info:
        parse_lesson("broken", raw)
    assert "\n" not in str(info.value)


def _checks(held_by_value):
    return [{"value": v, "held": h} for v, hs in held_by_value.items() for h in hs]


@pytest.mark.parametrize("held, outcome, vanishes", [
    ({1: [True, False], 2: [True, True], 5: [False, False]}, HELD, 5),
    ({1: [False, False], 2: [False, True], 5: [False, True]}, PARTLY, None),
    ({1: [False, False], 2: [False, False], 5: [False, False]}, NOT_HELD, None),
])
def test_the_outcome_follows_where_an_arm_beats_the_baseline(held, outcome, vanishes):
    sweep = Sweep("data.train_per_class", [1, 2, 5], 10, "scratch")
    found = judge(sweep, _checks(held), _checks({v: [True] for v in held}))
    assert (found.outcome, found.vanishes_at) == (outcome, vanishes)
    assert found.default_held_at == [1, 2, 5]


# -- the lesson end to end at its tiny budget (the session's shared run) ------------------------------
@pytest.mark.slow
def test_the_lesson_runs_end_to_end_and_its_numbers_hold_together(finetune_lesson):
    from netlab.predict.model import load_model

    result, events, out = finetune_lesson
    spec, sweep = load_lesson(LESSON), load_lesson(LESSON).sweep_for("tiny")
    assert json.loads((out / "result.json").read_text()) == json.loads(json.dumps(result))
    assert result["complete"] and result["outcome"] in (HELD, PARTLY, NOT_HELD, INCONCLUSIVE)
    # Inconclusive exactly when no arm at any n left guessing (the tiny budget's usual case).
    assert (result["outcome"] == INCONCLUSIVE) == (at_chance(result["arms"]) is not None)
    assert result["verdict"].startswith("Inconclusive: no arm learned" if result["outcome"] == INCONCLUSIVE
                                        else "Held" if result["held"] else ("Partly held", "Did not hold"))
    if result["outcome"] != INCONCLUSIVE:
        assert result["held"] == (result["outcome"] == HELD)
    started = [e for e in events if isinstance(e, ArmStarted)]
    assert [(e.arm, e.value) for e in started] == [(PRETRAIN, None)] + [
        (arm, v) for v in sweep.values for arm in spec.arms]
    assert len([e for e in events if isinstance(e, ArmFinished)]) == len(started)
    assert set(result["arms"]) == {f"{arm}@{v}" for arm in spec.arms for v in sweep.values}
    source = load_model(out / PRETRAIN / "seed-0" / "model.keras")
    assert int(source.outputs[0].shape[-1]) == 20
    for v in sweep.values:
        for arm in spec.arms:
            run = result["arms"][f"{arm}@{v}"]["runs"][0]
            config = json.loads((out / f"{arm}@{v}" / "seed-0" / "config.json").read_text())
            # 5 kinds x v images, repeated so the epochs give the sweep's steps whatever v is.
            repeat = repeat_for_steps(sweep.steps, 5 * v, 32, config["training"]["epochs"])
            assert config["data"]["train_repeat"] == repeat
            assert run["metrics"]["steps"] == steps_of(5 * v, repeat, 32, config["training"]["epochs"]) >= sweep.steps
            assert config["data"]["train_per_class"] == v
            assert (config["finetune"]["source"] is None) == (arm == "scratch")
            for metric in (sweep.metric, sweep.default_metric):
                assert 0.0 <= run["metrics"][metric] <= 1.0
                index = sweep.values.index(v)
                assert result["sweep"]["curves"][arm][metric]["mean"][index] == run["metrics"][metric]
        # The frozen base is the source's, bit for bit; scratch's is not.
        frozen = load_model(out / f"frozen_base@{v}" / "seed-0" / "model.keras")
        scratch = load_model(out / f"scratch@{v}" / "seed-0" / "model.keras")
        kernel = source.get_layer("block1_conv1_conv").get_weights()[0]
        frozen_kernel = next(w for w in frozen.get_weights() if w.shape == kernel.shape)
        np.testing.assert_array_equal(frozen_kernel, kernel)
        assert not np.array_equal(scratch.get_layer("block1_conv1_conv").get_weights()[0], kernel)
    # The claim: each fine-tuning arm against scratch at each n, on the converged numbers.
    means = {name: arm["mean"] for name, arm in result["arms"].items()}
    assert len(result["comparisons"]) == len(sweep.values) * 2
    for check in result["comparisons"]:
        assert check["left_value"] == means[f"{check['arm']}@{check['value']}"][sweep.metric]
        assert check["right_value"] == means[f"scratch@{check['value']}"][sweep.metric]
        assert check["held"] == (check["left_value"] > check["right_value"] + sweep.margin)
    held_at = sorted({c["value"] for c in result["comparisons"] if c["held"]})
    assert result["sweep"]["held_at"] == held_at
    assert result["held"] == (bool(held_at) and held_at[0] == sweep.values[0])
    for i, v in enumerate(sweep.values):
        best = max(means[f"{arm}@{v}"][sweep.metric] for arm in ("frozen_base", "full_finetune"))
        assert result["sweep"]["advantage"][sweep.metric][i] == pytest.approx(best - means[f"scratch@{v}"][sweep.metric])


@pytest.mark.slow
def test_the_cli_prints_the_table_of_the_sweep(finetune_lesson, capsys):
    from netlab.lessons.report import print_result

    result, _, _ = finetune_lesson
    print_result(result)
    out = capsys.readouterr().out
    assert "scratch" in out and "frozen_base" in out and result["verdict"] in out
    rows = [line.split()[0] for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert rows[:2] == ["1", "2"]


def test_a_sweep_where_no_arm_left_guessing_is_inconclusive(tmp_path):
    """At the tiny budget every cell sat near 1/5 and the verdict said 'Did not hold' as if measured."""
    spec = load_lesson(LESSON)
    sweep = spec.sweep_for("tiny")
    runner = LessonRunner(spec, tmp_path, "tiny")

    def run(accuracy, val_images=30):
        return [{"seed": 0, "run_dir": "r", "metrics": {"classes": 5, "val_images": val_images,
                                                        "val_accuracy": accuracy, "val_accuracy_recomputed": accuracy}}]

    names = [f"{arm}@{v}" for v in sweep.values for arm in spec.arms]
    arm_of = {name: name.split("@")[0] for name in names}
    guessing = {PRETRAIN: run(0.5), **{name: run(0.2 + 0.03 * (name.startswith("frozen"))) for name in names}}
    result = runner._result(guessing, arm_of, [0], sweep)
    assert result["outcome"] == INCONCLUSIVE and result["held"] is False
    assert result["verdict"].startswith("Inconclusive: no arm learned beyond guessing")
    assert "As measured: Did not hold" in result["verdict"]
    learned = {PRETRAIN: run(0.5), **{name: run(0.9 if name.startswith("frozen") else 0.2) for name in names}}
    result = runner._result(learned, arm_of, [0], sweep)
    assert result["outcome"] == HELD and result["verdict"].startswith("Held")
