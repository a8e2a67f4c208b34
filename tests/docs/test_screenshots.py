"""docs/make_screenshots.py runs offscreen and takes every shot (into tmp_path: the committed
images are not touched)."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "docs" / "make_screenshots.py"


def _shots() -> dict:
    """The script's own table of shots (docs/ is no package)."""
    spec = importlib.util.spec_from_file_location("make_screenshots", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SHOTS


@pytest.mark.slow
def test_the_screenshots_script_takes_every_shot_offscreen(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen", "TF_CPP_MIN_LOG_LEVEL": "2",
           "NETLAB_RUNS": str(tmp_path / "runs")}
    proc = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path), "--fast"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    shots = _shots()
    for name in shots:
        with Image.open(tmp_path / f"{name}.png") as image:
            assert image.width >= 800 and image.height >= 600, (name, image.size)
            # A window drawn: many colours (a blank or one-colour grab has a handful).
            colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
            assert colours is None or len(colours) > 200, (name, len(colours))
    assert sorted(p.stem for p in tmp_path.glob("*.png")) == sorted(shots)
