"""The seeds' lessons as paired experiments (issue 12): arms trained alike, a claim checked.

An experiment is a JSON file in ``resources/experiments/``: a question,
the seed it comes from, a base configuration, its arms (each a few dotted
overrides of the base, e.g. ``{"regularization.dropout": 0.5}``), the seeds
each arm trains with, budgets (``tiny`` for the test suite, ``quick`` for a
few CPU minutes, ``full`` for a GPU) and the claim: comparisons of the arms'
mean final metrics, e.g. ``{"left": "dropout.gap", "op": "<", "right":
"no_dropout.gap"}``. Every arm trains with the same budget, the same seeds and
the same data split, and is measured the same way: accuracies are recomputed
in inference mode after training (the training-mode running mean mixes
dropout's noise into the fit), and a probe (batch-norm statistics recomputed,
activation statistics at initialization) runs on every arm alike.

:class:`ExperimentRunner` trains the arms in sequence with the Trainer into
``OUT/ARM/seed-N/`` run folders, reports plain events, stops on request and
writes ``OUT/result.json``: per arm the mean and spread of each metric, each
comparison with its numbers, whether the claim held and a verdict made from
those numbers.

A lesson may judge every arm *at its own convergence* (``"convergence": {"max_epochs": N,
"patience": P, "rule": why N}``): every arm trains at most N epochs with early stopping
on validation loss after P epochs without a better one and its best epoch's weights
restored, so a regularized arm that learns more slowly is not judged half-trained;
each arm's best and last epoch are measured with the rest.

A lesson may also name a *pretraining* (a source run trained first, once, that
arms fine-tune from as ``"finetune.source": "@pretrain"``) and a *sweep* of one
setting over values (every arm at each, the same steps at each; its claim and
verdict in netlab/lessons/sweep.py): fine-tuning vs scratch over the
labeled-set size (issue 10).
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from netlab.base.errors import ConfigError
from netlab.lessons.claims import OPS, Comparison  # noqa: F401  (part of this module's interface)
from netlab.lessons.sweep import Sweep, cell, repeat_for_steps, steps_of
from netlab.runs.files import LESSON_FILE, lesson_in, lesson_resume_command
from netlab.training.events import Event

RESULT_FILE = "result.json"
RUN_METRICS_FILE = "lesson-metrics.json"  # in each finished run's folder: its settings and metrics
PRETRAIN = "pretrain"  # the source run of a lesson that fine-tunes; arms name it as "@pretrain"
BUDGETS = ("tiny", "quick", "full")
# Measured on every run: the last epoch's history plus inference-mode accuracies.
RUN_METRICS = ("loss", "val_loss", "train_accuracy", "val_accuracy", "gap", "params")
PROBE_METRICS = {
    # The model evaluated again after its BN moving statistics are recomputed on its training images.
    "bn_recompute": ("train_accuracy_recomputed", "val_accuracy_recomputed", "gap_recomputed"),
    # The fresh model's activation spread on training images, first and last activation layer.
    "activations": ("act_std_first", "act_std_last", "act_std_ratio"),
}
# Measured when a lesson judges each arm at its convergence: the epoch of lowest val_loss
# (the weights compared) and the epoch training stopped at.
CONVERGENCE_METRICS = ("best_epoch", "stop_epoch")
# The settings the convergence rule sets alike for every arm; an arm may not change them.
CONVERGENCE_SETTINGS = ("training.epochs", "training.early_stopping", "training.patience",
                        "training.restore_best")


# -- events -----------------------------------------------------------------
@dataclass
class ExperimentStarted(Event):
    name: str
    budget: str
    arms: list = field(default_factory=list)
    seeds: list = field(default_factory=list)
    out_dir: str = ""
    sweep: list = field(default_factory=list)  # the swept values (a sweep lesson), else empty
    total: int = 0  # runs in all, a pretraining run included


@dataclass
class ArmStarted(Event):
    """One run of one arm begins; the Trainer's own events for it follow."""

    arm: str
    seed: int
    index: int  # 0-based position among all runs
    total: int
    run_dir: str = ""
    value: object = None  # the swept setting's value for this run (a sweep lesson)
    kept: bool = False  # finished before an interruption, same settings: its metrics are read, not retrained


@dataclass
class ArmFinished(Event):
    arm: str
    seed: int
    index: int
    total: int
    metrics: dict = field(default_factory=dict)
    value: object = None


@dataclass
class ExperimentFinished(Event):
    result: dict = field(default_factory=dict)
    result_path: str = ""


# -- the description --------------------------------------------------------
@dataclass
class LessonSpec:
    name: str
    title: str
    question: str
    seed: str  # the seed (lecture notes) the lesson comes from
    base: dict
    arms: dict  # arm name -> {dotted path: value}
    claim: list[Comparison]
    seeds: int = 2
    budgets: dict = field(default_factory=dict)  # budget -> {dotted path: value, "seeds": n}
    probe: str | None = None
    # Overrides of base for a source run trained first (once, with the first seed); an arm's
    # "finetune.source": "@pretrain" fine-tunes from it. Budget keys "pretrain.PATH" apply to it alone.
    pretrain: dict | None = None
    # One setting swept over values, every arm at each (netlab/lessons/sweep.py).
    sweep: Sweep | None = None
    # Every arm at its own convergence: {"max_epochs": N, "patience": P, "rule": how N was chosen}.
    convergence: dict | None = None
    # The settings each run's seed goes to (data.seed too: each seed draws its own few images).
    seed_paths: list = field(default_factory=lambda: ["training.seed"])

    @property
    def metrics(self) -> tuple[str, ...]:
        converge = CONVERGENCE_METRICS if self.convergence else ()
        return RUN_METRICS + converge + PROBE_METRICS.get(self.probe, ())

    def seeds_for(self, budget: str) -> list[int]:
        return list(range(int(self.budgets.get(budget, {}).get("seeds", self.seeds))))

    def sweep_for(self, budget: str):
        return self.sweep.for_budget(self.budgets.get(budget, {})) if self.sweep is not None else None

    def pretrain_dir(self, out_dir: Path, seed: int) -> Path:
        return Path(out_dir) / PRETRAIN / f"seed-{seed}"

    def config(self, arm: str, budget: str, seed: int, value=None, pretrain_dir: str | Path | None = None):
        """The arm's Experiment: base, then the budget's overrides, then the arm's (or the
        pretraining's), then the swept value; seed set, checked. "@pretrain" becomes ``pretrain_dir``."""
        from netlab.config import Experiment

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
    try:
        raw = dict(raw)
        # A sweep lesson's claim is made by its sweep: every arm against the baseline at each value.
        claim = [Comparison(**c) for c in raw.pop("claim", [] if "sweep" in raw else None)]
        spec = LessonSpec(name=name, claim=claim, **raw)
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"experiment {name}: malformed description ({exc})") from None
    if spec.probe is not None and spec.probe not in PROBE_METRICS:
        raise ConfigError(f"experiment {name}: unknown probe {spec.probe!r} ({', '.join(PROBE_METRICS)})")
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


# -- measuring one run --------------------------------------------------------
def accuracy(model, data, split: str) -> float:
    """Inference-mode accuracy of ``model`` on a split (no augmentation, no dropout)."""
    labels = data.labels(split)
    predicted = np.concatenate([np.argmax(np.asarray(model(b, training=False)), axis=-1)
                                for b in data.batches(split, 128)])
    return float(np.mean(predicted == labels))


def run_metrics(result, data, restored: bool = False) -> dict:
    """Inference-mode accuracies of the model as returned; losses of the epoch it comes from
    (the best one when ``restored``, with the best and the last epoch), else of the last epoch."""
    history = result.history
    at = result.best_epoch - 1 if restored and result.best_epoch else -1
    metrics = {key: float(history[key][at]) for key in ("loss", "val_loss") if history.get(key)}
    metrics["train_accuracy"] = accuracy(result.model, data, "train")
    metrics["val_accuracy"] = accuracy(result.model, data, "val")
    metrics["gap"] = metrics["train_accuracy"] - metrics["val_accuracy"]
    metrics["params"] = float(result.model.count_params())
    if restored:
        metrics["best_epoch"] = float(result.best_epoch or len(history.get("loss", [])))
        metrics["stop_epoch"] = float(len(history.get("loss", [])))
    return metrics


def bn_recompute_metrics(model, data, images: int = 2048) -> dict:
    """Accuracies after the moving statistics are recomputed on (up to ``images``) training images, in place."""
    from netlab.inspect.batchnorm import bn_layers, recompute_bn_statistics

    if bn_layers(model):  # one pass: a couple of thousand images pin the statistics down
        recompute_bn_statistics(model, data.x_train[:images])
    train, val = accuracy(model, data, "train"), accuracy(model, data, "val")
    return {"train_accuracy_recomputed": train, "val_accuracy_recomputed": val,
            "gap_recomputed": train - val}


def activation_metrics(trainer, data, images: int = 256) -> dict:
    """The fresh model's activation spread (std) at its first and last activation layer."""
    import keras

    from netlab.inspect.activations import activation_layers, activation_statistics
    from netlab.inspect.layers import flat_graph

    keras.utils.set_random_seed(trainer.experiment.training.seed)
    steps = math.ceil(data.train_size / trainer.experiment.training.batch_size)
    _, model, _ = trainer.build_model(data, steps)
    # The convolutions' feature maps: the classifier's softmax (zero-initialized) says nothing of depth.
    graph = flat_graph(model)
    names = [n for n in activation_layers(model) if len(graph.objects[n].output.shape) == 4]
    stds = activation_statistics(model, data.x_train[:images], layer_names=names or None).stds
    first, last = stds[0], stds[-1]
    return {"act_std_first": first, "act_std_last": last, "act_std_ratio": last / first if first else 0.0}


def summarize(values: list[float]) -> tuple[float, float]:
    """Mean and standard deviation (0 for one seed)."""
    a = np.asarray(values, dtype=np.float64)
    return float(a.mean()), float(a.std(ddof=1)) if len(a) > 1 else 0.0


INCONCLUSIVE = "inconclusive"
CHANCE_SES = 3  # an arm has learned when its validation accuracy is this many standard errors above chance


def chance_ceiling(run_metrics: dict) -> float:
    """The validation accuracy a run must pass to have learned anything: chance (1 / classes)
    plus CHANCE_SES binomial standard errors of guessing on its validation images."""
    p, n = 1.0 / run_metrics["classes"], max(run_metrics["val_images"], 1)
    return p + CHANCE_SES * math.sqrt(p * (1.0 - p) / n)


def at_chance(arms: dict) -> str | None:
    """When no arm has learned (each one's mean validation accuracy at most the ceiling of
    guessing), why the claim cannot be judged on these runs; else None."""
    ceilings, accuracies = [], []
    for arm, summary in arms.items():
        runs = [r["metrics"] for r in summary["runs"] if "classes" in r["metrics"]]
        if not runs or "val_accuracy" not in summary["mean"]:
            return None
        ceiling = max(chance_ceiling(m) for m in runs)
        if summary["mean"]["val_accuracy"] > ceiling:
            return None
        ceilings.append((runs[0]["classes"], runs[0]["val_images"], ceiling))
        accuracies.append(f"{arm} {summary['mean']['val_accuracy']:.3f}")
    classes, images, ceiling = max(ceilings, key=lambda c: c[2])
    return (f"no arm learned beyond guessing (val_accuracy {', '.join(accuracies)}; chance is "
            f"{1 / classes:.3f} for {classes} classes, and {CHANCE_SES} standard errors above it "
            f"{ceiling:.3f} on {images} validation images), so this budget cannot test the claim")


def verdict(spec: LessonSpec, checks: list[dict], held: bool, means: dict | None = None,
            inconclusive: str | None = None) -> str:
    head = f"Inconclusive: {inconclusive}. The comparison as measured" if inconclusive else \
        "Held" if held else "Did not hold"
    text = f"{head}: " + "; ".join(c["text"] for c in checks) + "."
    if spec.convergence and means:
        epochs = ", ".join(f"{arm} best epoch {m['best_epoch']:.1f} (stopped at {m['stop_epoch']:.1f})"
                           for arm, m in means.items() if "best_epoch" in m)
        text += (f" Each arm judged at its lowest val_loss (early stopping, patience "
                 f"{spec.convergence['patience']}, the same maximum of epochs for all; mean over seeds): {epochs}.")
    return text


# -- the runner ---------------------------------------------------------------
class ExperimentRunner:
    """Trains every arm x seed in sequence, then judges the claim; ``request_stop`` from any thread."""

    def __init__(self, spec: LessonSpec, out_dir: str | Path, budget: str = "quick",
                 on_event: Callable[[Event], None] | None = None, resume: bool = False):
        """``resume``: ``out_dir`` holds this lesson at this budget, stopped; each run that finished
        there with the same settings is kept (its metrics read back), the others train again."""
        if budget not in BUDGETS:
            raise ConfigError(f"budget must be one of {', '.join(BUDGETS)} (got {budget!r})")
        self.spec, self.out_dir, self.budget = spec, Path(out_dir), budget
        self.on_event = on_event
        self.resume = resume
        self.stop_event = threading.Event()

    def request_stop(self) -> None:
        self.stop_event.set()

    def emit(self, event: Event) -> None:
        if self.on_event is not None:
            self.on_event(event)

    def plan(self) -> list[tuple[str, int, object, Path]]:
        """(arm, seed, swept value or None, run folder) of every run, in order: the pretraining
        first, then each value (smallest first) for every seed and arm."""
        spec, seeds, sweep = self.spec, self.spec.seeds_for(self.budget), self.spec.sweep_for(self.budget)
        jobs = [(PRETRAIN, seeds[0], None, spec.pretrain_dir(self.out_dir, seeds[0]))] if spec.pretrain else []
        if sweep is None:
            return jobs + [(arm, s, None, self.out_dir / arm / f"seed-{s}") for arm in spec.arms for s in seeds]
        return jobs + [(arm, s, v, self.out_dir / cell(arm, v) / f"seed-{s}")
                       for v in sweep.values for s in seeds for arm in spec.arms]

    def run(self) -> dict:
        from netlab.base.atomic import atomic_write_text

        spec, seeds, sweep = self.spec, self.spec.seeds_for(self.budget), self.spec.sweep_for(self.budget)
        jobs = self.plan()
        # Every configuration is checked before anything trains; the pretraining is plan()'s first run.
        source = jobs[0][3] if spec.pretrain else None
        configs = [spec.config(arm, self.budget, s, v, source) for arm, s, v, _ in jobs]
        if self.resume:
            check_resumable(self.out_dir, spec.name, self.budget)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.out_dir / LESSON_FILE, json.dumps({"name": spec.name, "budget": self.budget}) + "\n")
        self.emit(ExperimentStarted(spec.name, self.budget, list(spec.arms), seeds, str(self.out_dir),
                                    list(sweep.values) if sweep else [], len(jobs)))
        # result.json's arms, in plan() order: each arm, or each arm at each swept value.
        names = [arm if value is None else cell(arm, value) for arm, _, value, _ in jobs]
        arm_of = dict(zip(names, (job[0] for job in jobs)))
        runs: dict[str, list[dict]] = {name: [] for name in names}
        keep = self.resume
        for index, ((arm, seed, value, run_dir), exp) in enumerate(zip(jobs, configs, strict=True)):
            if self.stop_event.is_set():
                break
            settings = _settings(exp, source)
            metrics = kept_metrics(run_dir, settings) if keep else None
            # A pretraining trained again is a new source: the runs fine-tuned from the old one go too.
            keep = keep and (metrics is not None or arm != PRETRAIN)
            self.emit(ArmStarted(arm, seed, index, len(jobs), str(run_dir), value, kept=metrics is not None))
            if metrics is None:
                metrics = self._run_one(exp, run_dir, sweep.steps if sweep and arm != PRETRAIN else None,
                                        probe=arm != PRETRAIN)
                if metrics is None:  # stopped mid-run: an unfinished arm is not compared
                    break
                atomic_write_text(run_dir / RUN_METRICS_FILE,
                                  json.dumps({"settings": settings, "metrics": metrics}, indent=2) + "\n")
            runs[names[index]].append({"seed": seed, "run_dir": str(run_dir), "metrics": metrics})
            self.emit(ArmFinished(arm, seed, index, len(jobs), metrics, value))
        result = self._result(runs, arm_of, seeds, sweep)
        path = self.out_dir / RESULT_FILE
        atomic_write_text(path, json.dumps(result, indent=2) + "\n")
        self.emit(ExperimentFinished(result, str(path)))
        return result

    def _run_one(self, exp, run_dir: Path, steps: int | None = None, probe: bool = True) -> dict | None:
        import dataclasses

        from netlab.data.input_spec import load_described
        from netlab.training.trainer import Trainer

        # The same split the Trainer loads (same config, same seed); a repeated split would
        # measure the same accuracies and batch-norm moments, so it is loaded once, unrepeated.
        data = load_described(exp.data)
        t = exp.training
        if steps is not None:  # the same optimizer steps on 5 images as on 250
            repeat = repeat_for_steps(steps, data.train_size, t.batch_size, t.epochs)
            exp = dataclasses.replace(exp, data=dataclasses.replace(exp.data, train_repeat=repeat)).validate()
        trainer = Trainer(exp, on_event=self.on_event, run_dir=run_dir, stop_event=self.stop_event,
                          overwrite=True)
        act = activation_metrics(trainer, data) if probe and self.spec.probe == "activations" else {}
        result = trainer.run()
        if result.stopped:
            return None
        restored = bool(self.spec.convergence) and t.early_stopping and t.restore_best
        metrics = {**run_metrics(result, data, restored), **act}
        epochs = int(metrics.get("stop_epoch", t.epochs))  # early stopping trains fewer steps
        metrics["steps"] = float(steps_of(data.train_size, exp.data.train_repeat, t.batch_size, epochs))
        metrics["classes"], metrics["val_images"] = data.num_classes, data.val_size  # what chance is
        if probe and self.spec.probe == "bn_recompute":
            metrics.update(bn_recompute_metrics(result.model, data))
        return metrics

    def _result(self, runs: dict, arm_of: dict, seeds: list[int], sweep=None) -> dict:
        spec = self.spec
        pretrain = runs.pop(PRETRAIN, None)
        complete = all(len(r) == len(seeds) for r in runs.values()) and (pretrain is None or len(pretrain) == 1)
        arms = {name: self._summary(arm_of[name], arm_runs) for name, arm_runs in runs.items()}
        result = {"name": spec.name, "title": spec.title, "question": spec.question, "seed": spec.seed,
                  "budget": self.budget, "seeds": seeds, "arms": arms, "complete": complete}
        if pretrain is not None:
            result[PRETRAIN] = self._summary(PRETRAIN, pretrain)
        if not complete:
            result.update(comparisons=[], held=None,
                          verdict="Stopped before every arm had trained: no verdict.")
            return result
        if sweep is not None:
            from netlab.lessons.sweep import sweep_summary

            result.update(sweep_summary(sweep, list(spec.arms), arms))
            inconclusive = at_chance(arms)  # every arm at every value: what the sweep compares
            if inconclusive:  # held stays as measured, as for a paired lesson
                result.update(outcome=INCONCLUSIVE,
                              verdict=f"Inconclusive: {inconclusive}. As measured: {result['verdict']}")
            return result
        means = {arm: a["mean"] for arm, a in arms.items()}
        checks = [c.check(means) for c in spec.claim]
        held = all(c["held"] for c in checks)
        inconclusive = at_chance(arms)
        result.update(comparisons=checks, held=held, verdict=verdict(spec, checks, held, means, inconclusive))
        if inconclusive:
            result["outcome"] = INCONCLUSIVE
        return result

    def _summary(self, arm: str, arm_runs: list[dict]) -> dict:
        """One arm's (or one cell's: the arm at a swept value) runs, and the mean and spread of each
        metric over its seeds."""
        spec = self.spec
        overrides = spec.pretrain if arm == PRETRAIN else spec.arms[arm]
        summary = {"runs": arm_runs, "overrides": overrides, "mean": {}, "std": {}}
        for metric in spec.metrics:
            values = [r["metrics"][metric] for r in arm_runs if metric in r["metrics"]]
            if values:
                summary["mean"][metric], summary["std"][metric] = summarize(values)
        return summary


def _settings(exp, source: Path | None) -> dict:
    """What a run was trained with, independent of where the lesson's folder is."""
    settings = exp.to_dict()
    if source is not None and settings["finetune"]["source"] == str(source):
        settings["finetune"]["source"] = "@" + PRETRAIN
    return settings


def kept_metrics(run_dir: Path, settings: dict) -> dict | None:
    """A finished run's metrics, when it was trained with ``settings``; else None (train it again)."""
    try:
        saved = json.loads((Path(run_dir) / RUN_METRICS_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(saved, dict) or saved.get("settings") != settings:
        return None
    return saved.get("metrics") if isinstance(saved.get("metrics"), dict) else None


def check_resumable(out_dir: Path, name: str, budget: str) -> None:
    """``out_dir`` holds lesson ``name`` at ``budget``; else one line saying what it holds."""
    held = lesson_in(out_dir)
    if held is None:
        raise ConfigError(f"{out_dir} holds no lesson to go on with (no readable {LESSON_FILE})")
    if held["name"] != name or held["budget"] != budget:
        raise ConfigError(f"{out_dir} holds lesson {held['name']} at the {held['budget']} budget, not {name} "
                          f"at {budget}: {lesson_resume_command(out_dir)}")


def default_out_dir(name: str, root: str | Path = "runs") -> Path:
    """ROOT/experiments/<time>-lesson-NAME, a fresh folder."""
    from netlab.runs.folder import new_run_dir

    return new_run_dir(Path(root) / "experiments", "lesson", name)


def read_result(out_dir: str | Path) -> dict:
    return json.loads((Path(out_dir) / RESULT_FILE).read_text("utf-8"))
