"""Batch classification: ``netlab.predict.classify`` vs the obvious loop, and what TTA costs.

Writes a folder of ``--images`` JPEGs, builds a small CNN (untrained: only the
speed is measured), then, in one run:
  - the obvious loop: for each file, ``load_image`` then ``predict_images`` of
    that one image (images/s);
  - ``classify_files``: batches, decoded by a few threads while the model runs;
  - ``classify_files`` with ``--tta flip`` and ``10crop`` (2 and 11 views per image).
It prints images/s and the ratios to the obvious loop.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from netlab.architectures import get_arch
from netlab.config import ModelConfig, RegularizationConfig
from netlab.predict.classify import classify_files, ensemble
from netlab.predict.model import load_image, model_input_shape, predict_images


def write_images(root: Path, count: int, side: int, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    for k in range(count):
        base = rng.integers(0, 255, 3)
        pixels = np.clip(base + rng.normal(0, 40, (side, side, 3)), 0, 255).astype(np.uint8)
        Image.fromarray(pixels).save(root / f"{k:05d}.jpg", quality=90)
    return root


def obvious_loop(model, files, class_names) -> float:
    side = model_input_shape(model)[0]
    started = time.perf_counter()
    for path in files:
        predict_images(model, [load_image(path, smallest=side)], class_names)
    return len(files) / (time.perf_counter() - started)


def batched(members, folder, count, tta, batch_size) -> float:
    started = time.perf_counter()
    results = classify_files(members, [folder], tta=tta, batch_size=batch_size)
    assert len(results) == count and not any(r.error for r in results)
    return count / (time.perf_counter() - started)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m netlab.bench classify", description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=600)
    parser.add_argument("--side", type=int, default=256, help="side of the JPEGs written")
    parser.add_argument("--input", type=int, default=64, help="the model's input side")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    model = get_arch("simple_cnn").build((args.input, args.input, 3), 10, RegularizationConfig(),
                                         ModelConfig(arch="simple_cnn"))
    names = [str(i) for i in range(10)]
    members = ensemble([(model, names, "simple_cnn")])
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_images(Path(tmp) / "images", args.images, args.side)
        files = sorted(folder.glob("*.jpg"))
        # Warm-up: trace the model's predict function and fill the page cache.
        obvious_loop(model, files[:8], names)
        batched(members, folder, args.images, "none", args.batch_size)
        result = {"images": args.images, "side": args.side, "input": args.input,
                  "obvious_loop": obvious_loop(model, files, names)}
        for tta in ("none", "flip", "10crop"):
            result[f"batched_{tta}"] = batched(members, folder, args.images, tta, args.batch_size)
    loop = result["obvious_loop"]
    ratios = {key: result[key] / loop for key in result if key.startswith("batched_")}
    if args.json:
        print(json.dumps({**result, "ratios_to_loop": ratios}, indent=2))
        return 0
    print(f"{args.images} JPEGs of {args.side}x{args.side} through simple_cnn at {args.input}x{args.input}")
    print(f"  obvious loop (one image per call) {loop:8.1f} images/s")
    for tta in ("none", "flip", "10crop"):
        value = result[f"batched_{tta}"]
        print(f"  classify_files, tta {tta:<6}       {value:8.1f} images/s  ({value / loop:.2f}x the loop)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
