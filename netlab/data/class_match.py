"""Which of a model's outputs each class of a dataset is: matched by name, never by position.

A folder's classes are its sub-folders in sorted order, so position says
nothing: rename ``0/`` to ``zero/`` and every label would shift by one, and a
folder with only some of the classes would point past the end. The names a
model was trained on are in the ``classes.json`` beside it (a run folder
always has one); the dataset's class names must be among them. Evaluation
uses this today; fine-tuning on a new folder will use it too.
"""

from __future__ import annotations

from dataclasses import dataclass

from netlab.base.errors import DataError

# Class names listed in an error before "... (N in all)": an ImageNet model has 1,000.
_SHOWN = 20


@dataclass(frozen=True)
class ClassMatch:
    """``model_index[label]`` is the model output of the dataset's class ``label``."""

    model_index: tuple[int, ...]
    model_classes: tuple[str, ...]  # the name of every model output
    note: str | None = None  # an assumption the caller should state (no classes.json)


def _listing(names) -> str:
    names = list(names)
    shown = ", ".join(names[:_SHOWN])
    return shown + (f", ... ({len(names)} in all)" if len(names) > _SHOWN else "")


def match_classes(dataset_classes, model_classes, model_outputs: int,
                  dataset: str = "the dataset", model: str = "the model") -> ClassMatch:
    """Match ``dataset_classes`` to the model's by name, or raise DataError saying why not.

    ``model_classes`` is the model's ``classes.json`` list, or None when it has
    none: then the dataset must have exactly ``model_outputs`` classes and they
    are assumed to be the outputs in sorted order (stated in ``note``).
    """
    dataset_classes = [str(c) for c in dataset_classes]
    if model_classes is None:
        if len(dataset_classes) != model_outputs:
            raise DataError(
                f"{model} has no classes.json beside it, so its class names are unknown, and "
                f"{dataset} has {len(dataset_classes)} classes for its {model_outputs} outputs: "
                "put the classes.json of the run that trained it beside the model file"
            )
        note = (f"{model} has no classes.json beside it: assuming its {model_outputs} outputs are "
                f"{dataset}'s classes in sorted order ({_listing(dataset_classes)})")
        return ClassMatch(tuple(range(model_outputs)), tuple(dataset_classes), note)
    model_classes = [str(c) for c in model_classes]
    if len(model_classes) != model_outputs:
        raise DataError(f"{model}'s classes.json names {len(model_classes)} classes but the model has "
                        f"{model_outputs} outputs: the file belongs to another model")
    position = {name: index for index, name in enumerate(model_classes)}
    unknown = [name for name in dataset_classes if name not in position]
    if unknown:
        raise DataError(
            f"{dataset} has class(es) {model} was not trained on: {_listing(unknown)}. "
            f"Its classes are: {_listing(model_classes)} (class folders are matched by name)"
        )
    return ClassMatch(tuple(position[name] for name in dataset_classes), tuple(model_classes))
