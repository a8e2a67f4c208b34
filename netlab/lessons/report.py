"""A lesson's result as text: the table of arms (mean±std over random seeds) or of a sweep's values,
and the verdict; `netlab experiment` and the lessons benchmark print it."""

from __future__ import annotations

from netlab.lessons.claims import is_count


def print_result(result: dict) -> None:
    if "arithmetic" in result:  # nothing trained: the verdict lists every comparison's numbers
        print(f"\n{result['title']}")
        print(result["verdict"])
        return
    if "sweep" in result:
        print_sweep(result)
        return
    metrics = sorted({m for arm in result["arms"].values() for m in arm["mean"]})
    print(f"\n{result['title']} ({result['budget']} budget, seeds {result['seeds']})")
    rows = [[name, *(mean_std(arm, m) for m in metrics)] for name, arm in result["arms"].items()]
    widths = [max(len(row[i]) for row in [["arm", *metrics], *rows]) for i in range(len(metrics) + 1)]
    for row in [["arm", *metrics], *rows]:  # the arm's name to the left, the numbers to the right
        print("  " + "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                               for i, (cell, w) in enumerate(zip(row, widths, strict=True))))
    print(result["verdict"])


def mean_std(arm: dict, metric: str) -> str:
    """mean±std; a count the same for every seed (parameters, epochs) as the whole number it is."""
    if metric not in arm["mean"]:
        return ""
    mean, std = arm["mean"][metric], arm["std"][metric]
    if std == 0 and is_count(metric, mean):  # an accuracy of 1.0 stays 1.000±0.000
        return f"{int(mean):,}"
    return f"{mean:.3f}±{std:.3f}"


def print_sweep(result: dict) -> None:
    """One row per swept value, one column per arm: converged statistics, then Keras's default."""
    sweep = result["sweep"]
    print(f"\n{result['title']} ({result['budget']} budget, seeds {result['seeds']}, {sweep['steps']} steps a run)")
    if "pretrain" in result:
        print(f"  source model: val accuracy {result['pretrain']['mean']['val_accuracy']:.3f}")
    arms = list(sweep["curves"])
    print(f"  {sweep['label'] or sweep['path']}: {sweep['metric']} (and {sweep['default_metric']}), "
          "mean±std over seeds")
    print("  " + f"{'':>6}" + "".join(f"{arm:>28}" for arm in arms))
    for i, value in enumerate(sweep["values"]):
        cells = []
        for arm in arms:
            conv, default = sweep["curves"][arm][sweep["metric"]], sweep["curves"][arm][sweep["default_metric"]]
            cells.append(f"{conv['mean'][i]:.3f}±{conv['std'][i]:.3f} ({default['mean'][i]:.3f})")
        print("  " + f"{value!s:>6}" + "".join(f"{c:>28}" for c in cells))
    print(result["verdict"])
