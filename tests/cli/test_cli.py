import json
import subprocess
import sys

from netlab.architectures import arch_names
from netlab.cli.main import main
from tests.helpers import python_prints


def test_archs_lists_the_registry(capsys):
    assert main(["archs"]) == 0
    out = capsys.readouterr().out
    for name in arch_names():
        assert name in out
    assert main(["archs", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [a["name"] for a in listed] == arch_names()


def test_train_writes_a_run_folder_and_prints_epochs(tmp_path, capsys):
    out = tmp_path / "digits"
    code = main(["train", "--arch", "simple_cnn", "--dataset", "digits", "--epochs", "2",
                 "--max-samples", "200", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "epoch 1/2" in printed and "epoch 2/2" in printed and "val_accuracy" in printed
    for name in ("config.json", "history.csv", "model.keras"):
        assert (out / name).is_file()
    config = json.loads((out / "config.json").read_text())
    assert config["training"]["epochs"] == 2 and config["data"]["max_samples"] == 200


def test_predict_json(trained_run, digit_png, capsys):
    run_dir, _ = trained_run
    assert main(["predict", str(run_dir / "model.keras"), str(digit_png), "--top", "3", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert len(result["top"]) == 3
    assert {r["label"] for r in result["top"]} <= {str(d) for d in range(10)}
    assert sum(r["probability"] for r in result["top"]) <= 1.0 + 1e-6


def test_errors_print_one_line_and_exit_nonzero(tmp_path, capsys):
    bad = tmp_path / "notes.txt"
    bad.write_text("not an image")
    assert main(["train", "--arch", "nope", "--epochs", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("netlab: error:") and "unknown architecture" in err[0]
    assert main(["train", "--lr", "-1"]) == 2
    assert "training.learning_rate" in capsys.readouterr().err
    assert main(["predict", str(tmp_path / "missing.keras"), str(bad)]) == 2
    assert "no such model file" in capsys.readouterr().err


def test_the_netlab_command_is_installed():
    proc = subprocess.run([sys.executable, "-m", "netlab", "train", "--dropout", "1.5"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "regularization.dropout must be in [0.0, 1.0)" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_help_answers_without_loading_keras_or_tensorflow():
    """`netlab --help` imports every command's module; one that imports Keras as it loads made
    the help wait about 3 s for TensorFlow."""
    code = ("import contextlib, io, sys\n"
            "from netlab.cli.main import main\n"
            "with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.suppress(SystemExit):\n"
            "    main(['--help'])\n"
            "print('finetune' in out.getvalue(), 'keras' in sys.modules, 'tensorflow' in sys.modules)\n")
    assert python_prints(code) == ["True", "False", "False"]


def test_summary_table_and_json(capsys):
    assert main(["summary", "resnet18", "--input", "32x32x3", "--classes", "10"]) == 0
    out = capsys.readouterr().out
    assert "conv2_block1_1_conv" in out and "11,689,512 published" in out
    assert main(["summary", "simple_cnn", "--input", "32x32x1", "--classes", "10", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    # By hand: six bias-free 3x3 convs with BN (gamma, beta), Dense 64, Dense 10.
    convs = [(1, 32), (32, 32), (32, 64), (64, 64), (64, 128), (128, 128)]
    expected = sum(9 * cin * cout + 2 * cout for cin, cout in convs) + (128 * 64 + 64) + (64 * 10 + 10)
    assert data["trainable_params"] == expected == 295_786


def test_resuming_a_finished_run_says_nothing_is_left_to_train(capsys):
    from netlab.cli.train import print_event
    from netlab.training.events import RunStarted

    started = dict(arch="simple_cnn", dataset="digits", epochs=3, steps_per_epoch=5, train_samples=100,
                   val_samples=20, params=1000, device="CPU")
    print_event(RunStarted(**started, initial_epoch=1))
    print_event(RunStarted(**started, initial_epoch=3))
    first, second = capsys.readouterr().out.splitlines()
    assert first.endswith("resuming after epoch 1")
    assert second.endswith("all 3 epochs were already done, nothing left to train")
