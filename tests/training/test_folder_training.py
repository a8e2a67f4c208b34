"""An image folder end to end: train (streamed through tf.data), evaluate, classify."""

import json

import numpy as np
from PIL import Image

from netlab.cli.main import main
from netlab.config import Experiment
from netlab.training.trainer import Trainer


def write_folder(root, per_class=12):
    rng = np.random.default_rng(0)
    colours = {"red": (220, 30, 30), "blue": (30, 30, 220)}
    for name, colour in colours.items():
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            pixels = np.clip(np.array(colour) + rng.normal(0, 20, (24, 24, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(root / name / f"{i}.png")
    (root / "red" / "notes.png").write_text("not an image")  # skipped and listed, never a crash
    return root


def test_folder_trains_evaluates_and_lists_skipped_files(tmp_path, capsys):
    folder = write_folder(tmp_path / "colours")
    exp = Experiment()
    exp.data.dataset = str(folder)
    exp.data.image_size = 16
    exp.data.validation_split = 0.25
    exp.training.epochs = 2
    exp.training.batch_size = 8
    run = tmp_path / "run"
    result = Trainer(exp, run_dir=run).run()
    assert result.class_names == ["blue", "red"]
    assert len(result.history["val_accuracy"]) == 2
    assert "notes.png" in (run / "skipped_files.txt").read_text()

    assert main(["evaluate", str(run), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["samples"] == 6 and report["class_names"] == ["blue", "red"]
    assert sum(map(sum, report["confusion_matrix"])) == 6

    assert main(["predict", str(run / "model.keras"), str(folder / "red" / "0.png"), "--json"]) == 0
    top = json.loads(capsys.readouterr().out)["top"]
    assert {t["label"] for t in top} == {"blue", "red"}
