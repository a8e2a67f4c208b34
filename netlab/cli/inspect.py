"""``netlab inspect ...``: feature maps, filters, batch-norm and activation
statistics and Grad-CAM, headless. The numbers come from :mod:`netlab.inspect`;
this module only reads the files, prints and writes PNGs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from netlab.architectures import get_arch
from netlab.base.errors import ConfigError
from netlab.cli.command import Command, Group
from netlab.cli.flags import number_flag
from netlab.config.knobs import RegularizationConfig
from netlab.inspect.activations import INIT_ALIASES, activation_statistics, init_experiment
from netlab.inspect.batchnorm import bn_statistics, train_vs_inference
from netlab.inspect.filters import conv_filters
from netlab.inspect.gradcam import gradcam
from netlab.inspect.layers import channel_order, feature_maps
from netlab.inspect.render import filters_grid, heatmap_overlay, maps_grid
from netlab.inspect.samples import dataset_images, folder_images
from netlab.predict.model import image_to_array, load_image, model_input_shape, open_model


def _model(path):
    """(model, its file, its class names or None) of a .keras file or a run folder."""
    opened = open_model(path)
    return opened.model, opened.path, opened.class_names


def _image_array(model, path):
    shape = model_input_shape(model)
    return image_to_array(load_image(path, smallest=shape[0]), shape)


def _folder_images(model, folder, limit: int):
    return folder_images(model, folder, limit, flag="--images")


def _dataset_images(model, class_names, dataset: str, limit: int):
    """Up to ``limit`` validation images of a dataset, with labels when its classes are the model's."""
    return dataset_images(model, dataset, limit, class_names, flag="--dataset")


def _images(args, model, class_names):
    if args.images:
        return _folder_images(model, args.images, args.limit)
    if args.dataset:
        return _dataset_images(model, class_names, args.dataset, args.limit)
    return None, None, ""


def _save(image, out) -> str:
    out = Path(out)
    if out.suffix.lower() != ".png":
        raise ConfigError(f"--out {out}: give a .png file name")
    image.save(out)
    return str(out)


def _dump(payload) -> None:
    print(json.dumps(payload, indent=2))


def cmd_maps(args) -> int:
    model, model_path, _ = _model(args.model)
    maps = feature_maps(model, _image_array(model, args.image), [args.layer])[args.layer][0]
    order = channel_order(maps if maps.ndim > 1 else maps[None], by=args.sort)
    flat = maps.reshape(-1, maps.shape[-1])
    out = _save(maps_grid(maps if maps.ndim == 3 else maps[None, None], order), args.out) if args.out else None
    channels = [{"index": int(c), "mean": float(flat[:, c].mean()), "max": float(flat[:, c].max())}
                for c in order]
    if args.json:
        _dump({"model": str(model_path), "image": str(args.image), "layer": args.layer,
               "shape": list(maps.shape), "order": f"by {args.sort} activation, highest first",
               "channels": channels, "out": out})
        return 0
    print(f"{args.layer}: output {'x'.join(map(str, maps.shape))}; channels by {args.sort} activation:")
    for c in channels[:args.top]:
        print(f"  {c['index']:5d}  mean {c['mean']:10.4f}  max {c['max']:10.4f}")
    if out:
        print(f"wrote {out}")
    return 0


def cmd_filters(args) -> int:
    model, _, _ = _model(args.model)
    filters = conv_filters(model, args.layer)
    out = _save(filters_grid(filters.tiles, filters.rgb), args.out)
    kh, kw = filters.raw.shape[:2]
    what = "RGB tiles" if filters.rgb else f"{filters.tiles.shape[1]} input channels each"
    if args.json:
        _dump({"layer": filters.layer, "filters": len(filters.tiles), "kernel": [kh, kw],
               "rgb": filters.rgb, "tiles_shape": list(filters.tiles.shape), "out": out})
    else:
        print(f"wrote {len(filters.tiles)} {kh}x{kw} filters of {filters.layer} ({what}) to {out}")
    return 0


def cmd_bn(args) -> int:
    model, model_path, class_names = _model(args.model)
    x, y, described = _images(args, model, class_names)
    stats = bn_statistics(model, x)
    if not stats:
        raise ConfigError(f"{model_path.name} has no BatchNormalization layer")
    modes = train_vs_inference(model, x, y) if x is not None else None
    if args.json:
        _dump({"model": str(model_path), "images": described, "layers": [s.to_dict() for s in stats],
               "train_vs_inference": modes.to_dict() if modes else None})
        return 0
    print(f"{len(stats)} batch-norm layers of {model_path.name}" + (f", {described}" if described else ""))
    for s in stats:
        line = f"  {s.layer:<40} {len(s.moving_mean):4d} channels  |gamma| {abs(s.gamma).mean():.3f}"
        print(line + (f"  distance {s.distance:.3f}" if s.distance is not None else ""))
    if modes:
        acc = (f"; accuracy {modes.training_accuracy:.2%} (training mode) vs "
               f"{modes.inference_accuracy:.2%} (inference)") if modes.training_accuracy is not None else ""
        print(f"training vs inference mode: same top class for {modes.agreement:.1%} of the images, "
              f"largest probability difference {modes.max_abs_difference:.4f}{acc}")
    return 0


def _arch_model(args):
    spec = get_arch(args.arch)
    side = max(spec.min_input, 32)
    initializer = INIT_ALIASES.get(args.init, args.init)
    reg = RegularizationConfig(initializer=initializer, activation=args.activation or "relu")
    return spec.build((side, side, 3), 10, reg, seed=args.seed), f"{spec.name} ({initializer} init)"


def cmd_activations(args) -> int:
    if args.model and args.arch:
        raise ConfigError("give a MODEL or --arch, not both")
    if args.model:
        model, model_path, class_names = _model(args.model)
        x, _, described = _images(args, model, class_names)
        name = str(model_path)
    elif args.arch and args.arch != "stack":
        model, name = _arch_model(args)
        x, described = None, ""
    else:
        model = None
    if model is None:
        stats = init_experiment(args.init or "small_gaussian", args.activation or "tanh",
                                depth=args.depth, width=args.width, seed=args.seed, bins=args.bins)
    else:
        if x is None:  # no images given: uniform noise in the pixel range, like an untrained look
            shape = tuple(int(d) for d in model.input_shape[1:])
            x = np.random.default_rng(args.seed).uniform(0, 255, (args.limit, *shape)).astype(np.float32)
            described = f"{args.limit} uniform noise images"
        stats = activation_statistics(model, x, bins=args.bins)
        stats.description = f"{name}, {described}"
    if args.json:
        _dump(stats.to_dict())
        return 0
    print(stats.description)
    for layer in stats.layers:
        print(f"  {layer.layer:<40} mean {layer.mean:10.4f}  std {layer.std:10.4f}")
    return 0


def _class_index(value: str | None, class_names) -> int | None:
    if value is None:
        return None
    names = class_names or []
    if value in names:
        return names.index(value)
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"--class {value!r}: not a class index or one of the model's classes "
                          f"({', '.join(names) or 'it has no classes.json'})") from None


def cmd_gradcam(args) -> int:
    model, model_path, class_names = _model(args.model)
    image = _image_array(model, args.image)
    result = gradcam(model, image, _class_index(args.class_, class_names), args.layer)
    out = _save(heatmap_overlay(image, result.heatmap), args.out)
    if args.json:
        _dump({"model": str(model_path), "image": str(args.image), **result.to_dict(), "out": out})
    else:
        print(f"Grad-CAM of class {result.class_index} (logit {result.logit:.3f}) at {result.layer} "
              f"({'x'.join(map(str, result.cam.shape))} maps); wrote {out}")
    return 0


def _add_image_source(p) -> None:
    one = p.add_mutually_exclusive_group()  # both given: --dataset was silently left out
    one.add_argument("--images", metavar="DIR", help="a folder of images")
    one.add_argument("--dataset", help="a dataset name or folder (its validation images)")
    p.add_argument("--limit", type=number_flag(int, 1), default=32, help="at most this many images")


def add_maps_arguments(p) -> None:
    p.add_argument("model", help="a .keras file or a run folder")
    p.add_argument("image", help="an image file")
    p.add_argument("--layer", required=True, help="layer name as Keras reports it; nested: outer/inner")
    p.add_argument("--sort", choices=("mean", "max"), default="mean", help="channel order")
    p.add_argument("--top", type=number_flag(int, 1), default=16, help="channels listed")
    p.add_argument("--out", help="PNG: the grid of channels")
    p.add_argument("--json", action="store_true", help="print the result as JSON")


def add_filters_arguments(p) -> None:
    p.add_argument("model", help="a .keras file or a run folder")
    p.add_argument("--layer", help="default: the first convolution")
    p.add_argument("--out", required=True, help="PNG")
    p.add_argument("--json", action="store_true", help="print the result as JSON")


def add_bn_arguments(p) -> None:
    p.add_argument("model", help="a .keras file or a run folder")
    _add_image_source(p)
    p.add_argument("--json", action="store_true", help="print the result as JSON")


def add_activations_arguments(p) -> None:
    p.add_argument("model", nargs="?", help="a .keras file or a run folder")
    p.add_argument("--arch", help="a registered architecture, freshly initialized, or 'stack' "
                                  "(CS231n's fully connected stack, the default)")
    p.add_argument("--init", help="zeros, small_gaussian (small), glorot_normal (xavier), he_normal (he), ...")
    p.add_argument("--activation", help="tanh or relu (default: tanh for the stack, relu for an arch)")
    p.add_argument("--depth", type=number_flag(int, 1), default=6, help="the stack's layers")
    p.add_argument("--width", type=number_flag(int, 1), default=512, help="the stack's units per layer")
    p.add_argument("--bins", type=number_flag(int, 1), default=50, help="histogram bins, shared by all layers")
    p.add_argument("--seed", type=int, default=0, help="seed of the fresh weights and the noise images")
    _add_image_source(p)
    p.add_argument("--json", action="store_true", help="print the result as JSON")


def add_gradcam_arguments(p) -> None:
    p.add_argument("model", help="a .keras file or a run folder")
    p.add_argument("image", help="an image file")
    p.add_argument("--class", dest="class_", metavar="K", help="class index or name (default: the predicted)")
    p.add_argument("--layer", help="default: the last layer with spatial output")
    p.add_argument("--out", required=True, help="PNG: the heat map over the image")
    p.add_argument("--json", action="store_true", help="print the result as JSON")


INSPECT_COMMANDS = {
    "maps": Command("one layer's feature maps for an image", add_maps_arguments, cmd_maps),
    "filters": Command("a convolution's kernels as a PNG", add_filters_arguments, cmd_filters),
    "bn": Command("batch-norm statistics; training vs inference mode", add_bn_arguments, cmd_bn),
    "activations": Command("per-layer activation statistics (the initialization experiment)",
                           add_activations_arguments, cmd_activations),
    "gradcam": Command("Grad-CAM heat map over an image", add_gradcam_arguments, cmd_gradcam),
}
INSPECT = Group("look inside a model: feature maps, filters, BN, activations, Grad-CAM", "inspect_command",
                INSPECT_COMMANDS)
