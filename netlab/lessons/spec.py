"""A lesson's description: a JSON file in ``resources/experiments/``, read into a :class:`LessonSpec`.

A lesson states a question, the papers it comes from (``reference``), a base configuration,
its arms (each a few dotted overrides of the base, e.g.
``{"regularization.dropout": 0.5}``), the random seeds each arm trains with, budgets
(``tiny`` for the test suite, ``quick`` for a few CPU minutes, ``full`` for a
GPU) and the claim: comparisons of the arms' mean final metrics, e.g.
``{"left": "dropout.gap", "op": "<", "right": "no_dropout.gap"}``
(netlab/lessons/claims.py). :meth:`LessonSpec.config` gives the settings each
run trains with; netlab/lessons/runner.py trains them.

A lesson may judge every arm *at its own convergence* (``"convergence": {"max_epochs": N,
"patience": P, "rule": why N}``): every arm trains at most N epochs with early stopping
on validation loss after P epochs without a better one and its best epoch's weights
restored, so a regularized arm that learns more slowly is not judged half-trained;
each arm's best and last epoch are measured with the rest.

A lesson may also name a *pretraining* (a source run trained first, once, that
arms fine-tune from as ``"finetune.source": "@pretrain"``) and a *sweep* of one
setting over values (every arm at each, the same steps at each; its claim and
verdict in netlab/lessons/sweep.py): fine-tuning vs scratch over the
labeled-set size.

A lesson of ``"kind": "arithmetic"`` trains nothing: it lists comparisons of two small
networks' parameters, multiply-adds and receptive fields (netlab/lessons/arithmetic.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from netlab.base.errors import ConfigError
from netlab.config import Experiment
from netlab.lessons.arithmetic import ARITHMETIC, parse_comparisons
from netlab.lessons.claims import OPS, Comparison
from netlab.lessons.sweep import Sweep

PRETRAIN = "pretrain"  # the source run of a lesson that fine-tunes; arms name it as "@pretrain"
BUDGETS = ("tiny", "quick", "full")
# Measured on every run: the last epoch's history plus inference-mode accuracies, and whether
# its loss became NaN/Inf (diverged 1, measured with its last finite epoch's weights; else 0).
RUN_METRICS = ("loss", "val_loss", "train_accuracy", "val_accuracy", "gap", "params", "diverged")
PROBE_METRICS = {
    # The model evaluated again after its BN moving statistics are recomputed on its training images.
    "bn_recompute": ("train_accuracy_recomputed", "val_accuracy_recomputed", "gap_recomputed"),
    # The fresh model's activation spread on training images, first and last activation layer.
    "activations": ("act_std_first", "act_std_last", "act_std_ratio"),
    # Gradients and units of the trained model on a fixed probe batch (netlab/inspect/health.py), and
    # the first layer's gradient over the classifier's after the first step (the run's health.csv).
    "health": ("grad_norm_first", "grad_ratio_first_start", "grad_ratio_first_end", "dead_fraction"),
}
# With a target training accuracy: the first epoch that reached it (epochs trained + 1 when none did).
TARGET_METRICS = ("epochs_to_target",)
# Measured when a lesson judges each arm at its convergence: the epoch of lowest val_loss
# (the weights compared) and the epoch training stopped at.
CONVERGENCE_METRICS = ("best_epoch", "stop_epoch")
# The settings the convergence rule sets alike for every arm; an arm may not change them.
CONVERGENCE_SETTINGS = ("training.epochs", "training.early_stopping", "training.patience",
                        "training.restore_best")


@dataclass
class LessonSpec:
    name: str
    title: str
    question: str
    reference: str  # the papers the lesson's claim comes from, e.g. "He et al. 2016, Fig. 4"
    base: dict
    arms: dict  # arm name -> {dotted path: value}
    claim: list[Comparison]
    seeds: int = 2
    budgets: dict = field(default_factory=dict)  # budget -> {dotted path: value, "seeds": n}
    probe: str | list | None = None  # one of PROBE_METRICS, or a list of them
    # A training accuracy whose first epoch each run reports (Krizhevsky et al. 2012, Fig. 1).
    target_accuracy: float | None = None
    # Overrides of base for a source run trained first (once, with the first seed); an arm's
    # "finetune.source": "@pretrain" fine-tunes from it. Budget keys "pretrain.PATH" apply to it alone.
    pretrain: dict | None = None
    # One setting swept over values, every arm at each (netlab/lessons/sweep.py).
    sweep: Sweep | None = None
    # Every arm at its own convergence: {"max_epochs": N, "patience": P, "rule": how N was chosen}.
    convergence: dict | None = None
    # The settings each run's seed goes to (data.seed too: each seed draws its own few images).
    seed_paths: list = field(default_factory=lambda: ["training.seed"])
    kind: str = "paired"  # or "arithmetic": comparisons counted, nothing trained
    comparisons: list = field(default_factory=list)  # an arithmetic lesson's (netlab/lessons/arithmetic.py)

    @property
    def parts(self) -> list[str]:
        """What the lesson compares: its arms, or an arithmetic lesson's comparisons."""
        return list(self.arms) or [c.name for c in self.comparisons]

    @property
    def metrics(self) -> tuple[str, ...]:
        converge = CONVERGENCE_METRICS if self.convergence else ()
        target = TARGET_METRICS if self.target_accuracy is not None else ()
        return RUN_METRICS + converge + target + tuple(m for p in self.probes for m in PROBE_METRICS.get(p, ()))

    @property
    def probes(self) -> list[str]:
        return [self.probe] if isinstance(self.probe, str) else list(self.probe or [])

    def seeds_for(self, budget: str) -> list[int]:
        return list(range(int(self.budgets.get(budget, {}).get("seeds", self.seeds))))

    def sweep_for(self, budget: str):
        return self.sweep.for_budget(self.budgets.get(budget, {})) if self.sweep is not None else None

    def pretrain_dir(self, out_dir: Path, seed: int) -> Path:
        return Path(out_dir) / PRETRAIN / f"seed-{seed}"

    def config(self, arm: str, budget: str, seed: int, value=None, pretrain_dir: str | Path | None = None):
        """The arm's Experiment: base, then the budget's overrides, then the arm's (or the
        pretraining's), then the swept value; seed set, checked. "@pretrain" becomes ``pretrain_dir``."""
        data = Experiment.from_dict(self.base).to_dict()
        if self.convergence:  # before the budget's overrides: a tiny budget still trains 1 epoch
            data["training"].update(epochs=self.convergence["max_epochs"], early_stopping=True,
                                    patience=self.convergence["patience"], restore_best=True)
        budget_overrides = self.budgets.get(budget, {})
        overrides = {k: v for k, v in budget_overrides.items()
                     if k != "seeds" and not k.startswith(("sweep.", PRETRAIN + "."))}
        if arm == PRETRAIN:
            prefix = PRETRAIN + "."
            own = {**(self.pretrain or {}),
                   **{k[len(prefix):]: v for k, v in budget_overrides.items() if k.startswith(prefix)}}
        else:
            own = self.arms[arm]
        for path, value_ in {**overrides, **own}.items():
            _set_path(data, path, value_, f"{self.name}: arm {arm}")
        if value is not None:
            _set_path(data, self.sweep.path, value, f"{self.name}: sweep")
        for path in self.seed_paths:
            _set_path(data, path, seed, f"{self.name}: seed_paths")
        if data["finetune"]["source"] == "@" + PRETRAIN and pretrain_dir is not None:
            data["finetune"]["source"] = str(pretrain_dir)
        # Event logs cost time and show nothing the experiment's curves do not.
        data["training"]["tensorboard"] = False
        return Experiment.from_dict(data).validate()


def _set_path(data: dict, path: str, value, where: str) -> None:
    *parents, key = path.split(".")
    for part in parents:
        if not isinstance(data.get(part), dict):
            raise ConfigError(f"{where}: unknown setting {path}")
        data = data[part]
    if key not in data and parents != ["model", "options"]:
        raise ConfigError(f"{where}: unknown setting {path}")
    data[key] = value


def _lesson_files() -> dict:
    folder = resources.files("netlab.resources").joinpath("experiments")
    return {f.name[:-5]: f for f in folder.iterdir() if f.name.endswith(".json")}


def lesson_names() -> list[str]:
    return sorted(_lesson_files())


def load_lesson(name: str) -> LessonSpec:
    files = _lesson_files()
    if name not in files:
        raise ConfigError(f"unknown experiment {name!r}; the experiments are: {', '.join(sorted(files))}")
    return parse_lesson(name, json.loads(files[name].read_text("utf-8")))


def parse_lesson(name: str, raw: dict) -> LessonSpec:
    if raw.get("kind") == ARITHMETIC:
        return _parse_arithmetic(name, dict(raw))
    try:
        raw = dict(raw)
        # A sweep lesson's claim is made by its sweep: every arm against the baseline at each value.
        claim = [Comparison(**c) for c in raw.pop("claim", [] if "sweep" in raw else None)]
        spec = LessonSpec(name=name, claim=claim, **raw)
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"experiment {name}: malformed description ({exc})") from None
    if spec.kind != "paired":
        raise ConfigError(f"experiment {name}: kind is paired (the default) or {ARITHMETIC} (got {spec.kind!r})")
    for probe in spec.probes:
        if probe not in PROBE_METRICS:
            raise ConfigError(f"experiment {name}: unknown probe {probe!r} ({', '.join(PROBE_METRICS)})")
    if spec.convergence is not None:
        _check_convergence(spec)
    if spec.sweep is not None:
        spec.sweep = Sweep.parse(spec.sweep, spec.arms, spec.metrics, f"experiment {name}")
    for c in claim:
        if c.op not in OPS:
            raise ConfigError(f"experiment {name}: claim op must be < or > (got {c.op!r})")
        for side in (c.left, c.right):
            if isinstance(side, str):
                arm, _, metric = side.partition(".")
                if arm not in spec.arms or metric not in spec.metrics:
                    raise ConfigError(f"experiment {name}: the claim names {side!r}; arms: "
                                      f"{', '.join(spec.arms)}; metrics: {', '.join(spec.metrics)}")
    return spec


def _check_convergence(spec: LessonSpec) -> None:
    where = f"experiment {spec.name}: convergence"
    c = spec.convergence
    if not isinstance(c, dict) or set(c) - {"max_epochs", "patience", "rule"}:
        raise ConfigError(f"{where} is {{\"max_epochs\": N, \"patience\": P, \"rule\": \"why N\"}}")
    for key in ("max_epochs", "patience"):
        if not isinstance(c.get(key), int) or c[key] < 1:
            raise ConfigError(f"{where}.{key} must be a whole number >= 1 (got {c.get(key)!r})")
    for arm, overrides in spec.arms.items():
        changed = sorted(set(overrides) & set(CONVERGENCE_SETTINGS))
        if changed:
            raise ConfigError(f"{where}: every arm trains by the same rule; arm {arm} sets {changed[0]}")


def _parse_arithmetic(name: str, raw: dict) -> LessonSpec:
    where = f"experiment {name}"
    comparisons = parse_comparisons(raw.pop("comparisons", None), where)
    try:
        return LessonSpec(name=name, base={}, arms={}, claim=[], seeds=0, comparisons=comparisons, **raw)
    except TypeError as exc:
        raise ConfigError(f"{where}: malformed description ({exc})") from None
