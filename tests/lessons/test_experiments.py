"""The lessons as experiments: each runs end to end at its tiny budget, and
result.json's verdict is the comparison of the numbers it holds."""

import json
from importlib import resources
from pathlib import Path

import pytest

from netlab.base.errors import ConfigError
from netlab.lessons.claims import OPS, at_chance, chance_ceiling
from netlab.lessons.runner import LessonRunner, LessonStarted, read_result
from netlab.lessons.spec import PRETRAIN, lesson_names, load_lesson, parse_lesson

ROOT = Path(__file__).resolve().parents[2]
LESSONS = ("activations", "arithmetic", "augmentation", "aux_classifiers", "batchnorm_lr", "bn_momentum", "dropout",
           "finetune-vs-scratch", "finetune-vs-scratch-digits", "gap_head", "group_norm", "initialization", "residual")
# The lessons whose claim compares arms' means; the fine-tuning ones sweep (tests/lessons/test_lesson_sweep.py).
PAIRED = tuple(name for name in LESSONS if not name.startswith("finetune-vs-scratch") and name != "arithmetic")


def test_the_lessons_are_found_through_importlib_resources():
    folder = resources.files("netlab.resources").joinpath("experiments")
    assert sorted(f.name[:-5] for f in folder.iterdir() if f.name.endswith(".json")) == list(LESSONS)
    assert lesson_names() == list(LESSONS)


def test_the_package_data_listing_ships_every_lesson():
    """setuptools globs package-data patterns from each package's folder; the JSONs must be matched."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    listing = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]["package-data"]
    package = ROOT / "resources"
    patterns = listing.get("*", []) + listing.get("netlab.resources", [])
    shipped = {p.resolve() for pattern in patterns for p in package.glob(pattern)}
    lessons = set((package / "experiments").glob("*.json"))
    assert lessons and {p.resolve() for p in lessons} <= shipped


def test_a_bad_name_is_one_line_listing_the_lessons():
    with pytest.raises(ConfigError) as info:
        load_lesson("dropuot")
    text = str(info.value)
    assert "\n" not in text and "dropuot" in text
    assert all(name in text for name in LESSONS)


def test_the_cli_refuses_a_bad_name_in_one_line(capsys):
    from netlab.cli.main import main

    assert main(["experiment", "nope"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("netlab: error:") and "\n" not in err and "residual" in err


def test_the_cli_refuses_an_out_folder_that_holds_files(tmp_path, capsys):
    from netlab.cli.main import main

    out = tmp_path / "lesson"
    out.mkdir()
    (out / "config.json").write_text("{}")  # say, a run folder given by mistake
    assert main(["experiment", "dropout", "--budget", "tiny", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("netlab: error:") and "\n" not in err and "lesson-2" in err
    assert sorted(p.name for p in out.iterdir()) == ["config.json"]  # no arm ran there
    (out / "lesson.json").write_text('{"name": "residual", "budget": "tiny"}')  # a lesson's folder: go on with it
    assert main(["experiment", "residual", "--out", str(out)]) == 2
    assert f"netlab experiment residual --budget tiny --resume {out} goes on" in capsys.readouterr().err


def test_the_cli_lists_every_lesson(capsys):
    from netlab.cli.main import main

    assert main(["experiment", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [entry["name"] for entry in listed] == list(LESSONS)
    assert all(entry["arms"] and entry["reference"] for entry in listed)


def test_a_claim_naming_an_unknown_arm_or_metric_is_refused():
    raw = json.loads(resources.files("netlab.resources").joinpath("experiments/dropout.json").read_text())
    raw["claim"] = [{"left": "dropout.gap", "op": "<", "right": "no_such_arm.gap"}]
    with pytest.raises(ConfigError, match="no_such_arm"):
        parse_lesson("broken", raw)


def test_every_arm_config_validates_at_every_budget():
    for name in LESSONS:
        spec = load_lesson(name)
        for budget in ("tiny", "quick", "full"):
            values = spec.sweep_for(budget).values if spec.sweep else [None]
            for arm in spec.arms:
                for value in values:
                    exp = spec.config(arm, budget, seed=1, value=value)
                    assert exp.training.seed == 1
            if spec.pretrain:
                assert spec.config(PRETRAIN, budget, seed=0).finetune.source is None


@pytest.mark.slow
@pytest.mark.parametrize("name", PAIRED)
def test_each_lesson_runs_at_the_tiny_budget_and_its_verdict_is_its_numbers(name, tmp_path):
    events = []
    spec = load_lesson(name)
    result = LessonRunner(spec, tmp_path, "tiny", on_event=events.append).run()
    assert isinstance(events[0], LessonStarted)
    assert read_result(tmp_path) == json.loads(json.dumps(result))
    assert result["complete"] and set(result["arms"]) == set(spec.arms)
    for arm, summary in result["arms"].items():
        # A run whose loss became NaN in its first epoch has no finite epoch to keep.
        diverged_at_once = summary["mean"]["diverged"] and "loss" not in summary["mean"]
        assert (tmp_path / arm / "seed-0" / "model.keras").is_file() or diverged_at_once
        assert set(spec.metrics) <= set(summary["mean"])
        assert 0.0 <= summary["mean"]["val_accuracy"] <= 1.0
        run = summary["runs"][0]["metrics"]
        assert summary["mean"]["gap"] == pytest.approx(run["train_accuracy"] - run["val_accuracy"])
    held = []
    for check in result["comparisons"]:
        for side, value in (("left", check["left_value"]), ("right", check["right_value"])):
            ref = check[side]
            expected = ref if isinstance(ref, float | int) else \
                result["arms"][ref.split(".")[0]]["mean"][ref.split(".", 1)[1]]
            assert value == pytest.approx(expected)
        assert check["held"] == OPS[check["op"]](check["left_value"], check["right_value"] + check["margin"])
        held.append(check["held"])
    assert len(held) == len(spec.claim)
    assert result["held"] == all(held)
    # Inconclusive exactly when every arm's validation accuracy is within guessing's reach.
    guessing = all(a["mean"]["val_accuracy"] <= max(chance_ceiling(r["metrics"]) for r in a["runs"])
                   for a in result["arms"].values())
    assert (result.get("outcome") == "inconclusive") == guessing
    assert result["verdict"].startswith("Inconclusive" if guessing else "Held" if result["held"] else "Did not hold")


def test_a_lesson_where_no_arm_beats_guessing_is_inconclusive_whatever_the_comparison():
    def arms(*accuracies, val_images=60):
        return {f"arm{i}": {"mean": {"val_accuracy": a},
                            "runs": [{"metrics": {"classes": 10, "val_images": val_images, "val_accuracy": a}}]}
                for i, a in enumerate(accuracies)}

    ceiling = 0.1 + 3 * (0.1 * 0.9 / 60) ** 0.5  # 0.216
    assert chance_ceiling({"classes": 10, "val_images": 60}) == pytest.approx(ceiling)
    text = at_chance(arms(0.10, 0.20))
    assert "no arm learned beyond guessing" in text and "0.216 on 60 validation images" in text
    assert at_chance(arms(0.10, 0.25)) is None  # one arm learned: the comparison stands
    assert at_chance(arms(0.10, 0.20, val_images=1500)) is None  # 0.20 is far above chance on 1,500 images


def test_a_stopped_experiment_gives_no_verdict(tmp_path):
    spec = load_lesson("dropout")
    runner = LessonRunner(spec, tmp_path, "tiny")
    runner.request_stop()
    result = runner.run()
    assert result["complete"] is False and result["held"] is None
    assert result["arms"]["dropout"]["runs"] == []


def test_the_gap_head_asked_by_name_averages_even_where_the_paper_pools_by_max():
    from netlab.architectures import build_model
    from netlab.config import Experiment

    kinds = {}
    for head in ("default", "gap"):
        exp = Experiment()
        exp.model.head = head
        model = build_model(exp, (16, 16, 1), 10)
        kinds[head] = type(model.get_layer("global_pool")).__name__
    assert kinds == {"default": "GlobalMaxPooling2D", "gap": "GlobalAveragePooling2D"}


def test_a_stopped_lesson_goes_on_with_its_finished_runs_kept(tmp_path, capsys):
    """Stopped after its first run, the lesson goes on in its folder: that run is kept (not trained
    again, its metrics as they were), the others train, and the verdict comes as for an unbroken run."""
    from netlab.cli.main import main
    from netlab.lessons.runner import ArmFinished, ArmStarted
    from netlab.training.events import EpochEnd

    spec = load_lesson("bn_momentum")

    def stop_after_the_first_run(event):
        if isinstance(event, ArmFinished):
            runner.request_stop()

    runner = LessonRunner(spec, tmp_path, "tiny", on_event=stop_after_the_first_run)
    stopped = runner.run()
    first = list(spec.arms)[0]
    assert not stopped["complete"] and len(stopped["arms"][first]["runs"]) == 1
    model = tmp_path / first / "seed-0" / "model.keras"
    trained_at = model.stat().st_mtime_ns
    events = []
    result = LessonRunner(spec, tmp_path, "tiny", on_event=events.append, resume=True).run()
    started = [e for e in events if isinstance(e, ArmStarted)]
    assert [e.kept for e in started] == [True] + [False] * (len(started) - 1)
    assert not any(isinstance(e, EpochEnd) for e in events[:events.index(started[1])])  # nothing retrained
    assert model.stat().st_mtime_ns == trained_at
    assert result["complete"] and result["held"] is not None
    assert result["arms"][first]["runs"] == stopped["arms"][first]["runs"]
    assert read_result(tmp_path) == json.loads(json.dumps(result))
    # Another lesson or budget is refused in one line naming what the folder holds.
    assert main(["experiment", "dropout", "--resume", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"--budget tiny --resume {tmp_path}" in err and "bn_momentum" in err
    assert main(["resume", str(tmp_path)]) == 2  # a run's resume points to the lesson's
    assert f"netlab experiment bn_momentum --budget tiny --resume {tmp_path}" in capsys.readouterr().err


def test_a_finished_run_is_kept_only_with_the_same_settings(tmp_path):
    from netlab.lessons.runner import RUN_METRICS_FILE, check_resumable, kept_metrics
    from netlab.runs.files import LESSON_FILE

    settings = load_lesson("dropout").config("dropout", "tiny", seed=0).to_dict()
    (tmp_path / RUN_METRICS_FILE).write_text(json.dumps({"settings": settings, "metrics": {"val_accuracy": 0.5}}))
    assert kept_metrics(tmp_path, settings) == {"val_accuracy": 0.5}
    changed = json.loads(json.dumps(settings))
    changed["training"]["epochs"] += 1  # the lesson's description changed since: train it again
    assert kept_metrics(tmp_path, changed) is None
    assert kept_metrics(tmp_path / "nothing", settings) is None
    (tmp_path / RUN_METRICS_FILE).write_text("{not json")
    assert kept_metrics(tmp_path, settings) is None
    with pytest.raises(ConfigError, match="holds no lesson to go on with"):
        check_resumable(tmp_path, "dropout", "tiny")
    (tmp_path / LESSON_FILE).write_text(json.dumps({"name": "dropout", "budget": "quick"}))
    with pytest.raises(ConfigError, match="dropout at the quick budget, not dropout at tiny"):
        check_resumable(tmp_path, "dropout", "tiny")
    check_resumable(tmp_path, "dropout", "quick")


def test_a_comparison_reads_counts_whole_and_measurements_to_three_places():
    from netlab.lessons.claims import Comparison

    means = {"gap": {"params": 296682.0, "val_accuracy": 1.0}, "fc": {"params": 308266.0, "val_accuracy": 0.9875}}
    assert Comparison("gap.params", "<", "fc.params").check(means)["text"] == "gap.params 296,682 < fc.params 308,266"
    checked = Comparison("gap.val_accuracy", ">", "fc.val_accuracy", -0.02).check(means)
    assert checked["held"] and checked["text"] == "gap.val_accuracy 1.000 > fc.val_accuracy 0.988 - 0.02"
    assert Comparison("gap.params", ">", "fc.params").check(means)["text"].startswith("gap.params 296,682 <= ")
