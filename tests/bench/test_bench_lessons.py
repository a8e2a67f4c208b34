"""python -m netlab.bench lessons: each lesson's outcome line, its arms' numbers, its comparisons."""

import json
import re

from netlab.bench.lessons import main


def test_the_bench_prints_each_lesson_its_numbers_and_a_summary(tmp_path, capsys):
    assert main(["bn_momentum", "--budget", "tiny", "--out", str(tmp_path), "--json", str(tmp_path / "r.json")]) == 0
    out = capsys.readouterr().out
    result = json.loads((tmp_path / "r.json").read_text())[0]
    assert (tmp_path / "bn_momentum" / "result.json").is_file()  # --out keeps the lesson's folder
    outcome = result.get("outcome") or ("held" if result["held"] else "did not hold")
    assert out.startswith(f"bn_momentum ({result['seconds']:.0f} s): {outcome.upper()}\n")
    for arm, summary in result["arms"].items():
        row = next(line for line in out.splitlines() if line.strip().startswith(arm + " "))
        mean, std = summary["mean"]["val_accuracy"], summary["std"]["val_accuracy"]
        assert f"val_accuracy {mean:.3f}±{std:.3f}" in row
        assert re.search(rf"params {int(summary['mean']['params']):,}(\s|$)", row)  # not 691930.000±0.000
    assert sum(line.strip().startswith(("ok ", "FAIL ")) for line in out.splitlines()) == len(result["comparisons"])
    assert out.rstrip().splitlines()[-1].split()[:2] == ["bn_momentum", outcome.split()[0]]
    # Again with the same --out: the lesson's finished runs are kept, not trained again.
    model = tmp_path / "bn_momentum" / "momentum_09" / "seed-0" / "model.keras"
    trained_at = model.stat().st_mtime_ns
    assert main(["bn_momentum", "--budget", "tiny", "--out", str(tmp_path), "--json", str(tmp_path / "r.json")]) == 0
    assert model.stat().st_mtime_ns == trained_at
    assert json.loads((tmp_path / "r.json").read_text())[0]["arms"] == result["arms"]


def test_counts_read_whole_and_measurements_to_three_places_even_when_round():
    from netlab.lessons.report import mean_std

    perfect = {"mean": {"train_accuracy": 1.0, "act_std_last": 0.0, "params": 296682.0},
               "std": {"train_accuracy": 0.0, "act_std_last": 0.0, "params": 0.0}}
    assert [mean_std(perfect, k) for k in perfect["mean"]] == ["1.000±0.000", "0.000±0.000", "296,682"]


def test_an_unknown_lesson_is_one_line(capsys):
    assert main(["nosuch"]) == 2
    assert capsys.readouterr().err.startswith("unknown lesson 'nosuch'; the lessons are: ")
