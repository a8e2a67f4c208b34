"""resources/ (the package netlab.resources): icons and sample images read through importlib.resources, and shipped in the wheel."""

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from netlab.resources import icon_files, sample_datasets, sample_images, samples_folder

ROOT = Path(__file__).resolve().parents[1]


def test_icons_are_pngs_of_the_size_their_name_says():
    for name in ("netlab", "experiments"):
        icons = icon_files(name)
        assert {16, 32, 256} <= set(icons)
        for size, data in icons.items():
            image = Image.open(io.BytesIO(data))
            assert image.format == "PNG" and image.size == (size, size) and image.mode == "RGBA"
    assert icon_files("no-such-icon") == {}


def test_sample_images_are_class_folders_of_each_built_in_dataset():
    from netlab.data import get_source

    assert sample_datasets() == ["digits", "shapes"]
    for dataset, mode in (("digits", "L"), ("shapes", "RGB")):
        source = get_source(dataset)
        images = sample_images(dataset)
        classes = {p.parent.name for p in images}
        assert classes == set(source.class_names)  # an Evaluate folder: classes matched by name
        assert all(p.is_file() and p.parent.parent == samples_folder(dataset) for p in images)
        for path in images:
            with Image.open(path) as image:
                assert image.size == (source.image_size, source.image_size) and image.mode == mode


def test_the_digit_samples_are_the_digits_datasets_own_images():
    """Not redrawn: each is one of scikit-learn's digits as the digits dataset upscales it."""
    import numpy as np

    from netlab.config import DataConfig
    from netlab.data import load_dataset

    data = load_dataset(DataConfig(dataset="digits"))
    pixels = np.clip(np.rint(data.x_val[..., 0]), 0, 255).astype(np.uint8)
    for path in sample_images("digits")[::5]:
        sample = np.asarray(Image.open(path))
        matches = np.flatnonzero((pixels == sample).all(axis=(1, 2)))
        assert len(matches) >= 1 and data.class_names[data.y_val[matches[0]]] == path.parent.name


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """NetLab's wheel, built from a copy of the sources (the checkout gets no build/ or egg-info)."""
    import shutil

    src = tmp_path_factory.mktemp("src")
    for name in ("netlab", "gui", "resources"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(out), str(src)], check=True, capture_output=True, timeout=120)
    return next(out.glob("netlab-*.whl"))


def test_the_wheel_ships_the_resources(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    here = ROOT / "resources"
    expected = [p for pattern in ("experiments/*.json", "icons/*.png", "samples/*/*/*.png", "*.json", "*.desktop", "README.md")
                for p in here.glob(pattern)]
    assert len(expected) > 50
    missing = [str(p.relative_to(ROOT)) for p in expected
               if "netlab/" + p.relative_to(ROOT).as_posix() not in names]  # resources/ is netlab/resources there
    assert missing == []


def test_an_installed_wheel_finds_its_resources(wheel, tmp_path):
    """Installed (not editable) into a folder of its own: importlib.resources finds the files there."""
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-compile", "-q",
                    "--target", str(target), str(wheel)], check=True, capture_output=True, timeout=120)
    code = ("import netlab.resources as r, netlab.lessons.spec as e; "
            "print(r.__file__); print(len(e.lesson_names())); print(len(r.icon_files('netlab'))); "
            "print(len(r.sample_images('digits')), len(r.sample_images('shapes')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"}, check=True).stdout.split("\n")
    assert Path(out[0]).is_relative_to(target)
    assert int(out[1]) == len(list((ROOT / "resources/experiments").glob("*.json"))) >= 8
    assert int(out[2]) == len(icon_files("netlab"))
    assert out[3] == f"{len(sample_images('digits'))} {len(sample_images('shapes'))}"


def _fresh_venv(path: Path) -> Path:
    """A new virtual environment that sees this interpreter's packages (TensorFlow, PySide6) but not
    NetLab: a .pth names their site-packages as a plain folder, so its editable NetLab's finder
    (itself a .pth there) never runs. Its python, whose pip installs into it."""
    import sysconfig

    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True, timeout=120)
    python = path / "bin" / "python"
    ours = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True, timeout=60).stdout.strip()
    Path(ours, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


@pytest.mark.skipif(sys.platform == "win32", reason="the venv's scripts are in bin/ (Scripts\\ on Windows)")
def test_the_installed_wheel_opens_the_window_from_its_entry_points(wheel, tmp_path):
    """pip installs netlab-gui (gui-scripts) and netlab; each opens the window, which shows and closes;
    the desktop entry it installs starts that netlab-gui with the icon the wheel installed."""
    python = _fresh_venv(tmp_path / "venv")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "NETLAB_RUNS": str(tmp_path / "runs"),
           "QT_QPA_PLATFORM": "offscreen", "NETLAB_TIMING": "1", "NETLAB_CLOSE_AFTER_SHOW": "1"}
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--no-compile", "-q",
                    str(wheel)], check=True, capture_output=True, timeout=120, env=env)
    where = subprocess.run([str(python), "-c", "import gui.app, netlab; print(gui.app.__file__, netlab.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, env=env, check=True, timeout=60).stdout
    assert all(Path(f).is_relative_to(tmp_path / "venv") for f in where.split())  # the wheel's, not the checkout's
    bin_ = tmp_path / "venv" / "bin"
    for command in ([str(bin_ / "netlab-gui")], [str(bin_ / "netlab"), "gui"]):
        proc = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, env=env, timeout=180)
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert "window shown after" in proc.stderr
    help_ = subprocess.run([str(bin_ / "netlab"), "gui", "--help"], cwd=tmp_path, capture_output=True,
                           text=True, env=env, timeout=120)
    assert help_.returncode == 0 and "--install-desktop-entry" in help_.stdout
    entry = subprocess.run([str(bin_ / "netlab"), "gui", "--install-desktop-entry"], cwd=tmp_path,
                           capture_output=True, text=True, env=env, check=True, timeout=120)
    assert entry.stdout.strip() == f"wrote {tmp_path}/.local/share/applications/netlab.desktop"
    fields = dict(line.split("=", 1) for line in (tmp_path / ".local/share/applications/netlab.desktop")
                  .read_text().splitlines() if "=" in line)
    assert fields["Exec"] == str(bin_ / "netlab-gui")
    icon = Path(fields["Icon"])
    assert icon.is_relative_to(tmp_path / "venv") and Image.open(icon).size == (256, 256)
    no_display = {k: v for k, v in env.items() if k != "QT_QPA_PLATFORM"}
    proc = subprocess.run([str(bin_ / "netlab-gui")], cwd=tmp_path, capture_output=True, text=True,
                          env=no_display, timeout=120)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "no display" in proc.stderr
