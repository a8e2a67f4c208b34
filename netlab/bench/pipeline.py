"""Input pipeline: an image folder through NetLab's tf.data pipeline vs a plain PIL loop.

Writes a folder of ``--images`` small JPEGs (one sub-folder per class), then
measures, in one run:
  - a plain Python/PIL loop: open, convert, resize, to numpy (images/s);
  - NetLab's pipeline: the first (decoding) epoch and a cached epoch (images/s);
  - training a small CNN on arrays already in memory (images/s), the speed
    the pipeline has to keep up with.
It prints the ratios. The pipeline is not the bottleneck when its first-epoch
throughput is above the training throughput (ratio > 1).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import keras
import numpy as np
from PIL import Image

from netlab.architectures import get_arch
from netlab.config import DataConfig
from netlab.data import load_dataset
from netlab.data.pipeline import make_dataset


def write_folder(root: Path, count: int, classes: int, side: int, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    for k in range(count):
        folder = root / f"class{k % classes}"
        folder.mkdir(parents=True, exist_ok=True)
        base = rng.integers(0, 255, 3)
        pixels = np.clip(base + rng.normal(0, 40, (side, side, 3)), 0, 255).astype(np.uint8)
        Image.fromarray(pixels).save(folder / f"{k}.jpg", quality=90)
    return root


def plain_pil_loop(root: Path, size: int) -> float:
    """Images/s of the obvious single-threaded loop."""
    files = sorted(root.rglob("*.jpg"))
    started = time.perf_counter()
    images = []
    for path in files:
        with Image.open(path) as img:
            images.append(np.asarray(img.convert("RGB").resize((size, size), Image.Resampling.BILINEAR),
                                     dtype=np.float32))
    np.stack(images)
    return len(files) / (time.perf_counter() - started)


def netlab_epochs(root: Path, size: int, batch_size: int) -> tuple[float, float, float, int]:
    """Seconds of the folder scan; images/s of the first (decoding) and second (cached) epoch."""
    started = time.perf_counter()
    data = load_dataset(DataConfig(dataset=str(root), image_size=size, channels=3))
    scan = time.perf_counter() - started
    rates = []
    pipeline = data.train_pipeline(batch_size, seed=0)
    for _ in range(2):
        started = time.perf_counter()
        seen = sum(int(images.shape[0]) for images, _ in pipeline)
        elapsed = time.perf_counter() - started
        rates.append(seen / elapsed)
    return scan, rates[0], rates[1], seen


def training_speed(size: int, batch_size: int, samples: int = 1024) -> float:
    """Images/s of simple_cnn training steps on arrays in memory (after a warm-up epoch)."""
    keras.utils.set_random_seed(0)
    model = get_arch("simple_cnn").build((size, size, 3), 10, preprocessing=[keras.layers.Rescaling(1 / 255)])
    model.compile("adam", "sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, (samples, size, size, 3)).astype(np.float32)
    y = rng.integers(0, 10, samples)
    ds = make_dataset(x, y, batch_size, shuffle=False)
    model.fit(ds, epochs=1, verbose=0)
    started = time.perf_counter()
    model.fit(ds, epochs=2, verbose=0)
    return 2 * samples / (time.perf_counter() - started)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m netlab.bench pipeline", description=__doc__)
    parser.add_argument("--images", type=int, default=3000)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--side", type=int, default=96, help="side of the JPEGs written")
    parser.add_argument("--size", type=int, default=32, help="side fed to the network")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        root = write_folder(Path(tmp) / "images", args.images, args.classes, args.side)
        pil = plain_pil_loop(root, args.size)
        scan, first, cached, seen = netlab_epochs(root, args.size, args.batch_size)
    train = training_speed(args.size, args.batch_size)
    result = {
        "images": args.images, "train_split_images": seen, "scan_seconds": round(scan, 2),
        "plain_pil_loop_images_per_s": round(pil, 1),
        "netlab_first_epoch_images_per_s": round(first, 1),
        "netlab_cached_epoch_images_per_s": round(cached, 1),
        "simple_cnn_training_images_per_s": round(train, 1),
        "first_epoch_vs_pil_loop": round(first / pil, 2),
        "first_epoch_vs_training": round(first / train, 2),
        "cached_epoch_vs_training": round(cached / train, 2),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{args.images} JPEGs of {args.side}x{args.side} -> {args.size}x{args.size}, "
              f"batch {args.batch_size}")
        print(f"plain PIL loop            {pil:10.0f} images/s")
        print(f"NetLab, folder scan       {scan:10.2f} s once (verifies every file, lists the bad ones)")
        print(f"NetLab, first epoch       {first:10.0f} images/s  ({first / pil:.2f}x the PIL loop)")
        print(f"NetLab, cached epoch      {cached:10.0f} images/s")
        print(f"simple_cnn training       {train:10.0f} images/s")
        verdict = "not the bottleneck" if first > train else "THE BOTTLENECK in the first epoch"
        print(f"pipeline / training: first epoch {first / train:.2f}x, cached {cached / train:.2f}x "
              f"-> the pipeline is {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
