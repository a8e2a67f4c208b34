"""Worker-thread jobs of the Fine-tune tab and the summary: the per-layer report and the
fine-tuned model, both built by the core (``netlab.models.finetune``). No widgets here.

Moving the freeze cut rebuilds the report; opening the source (reading a
``.keras`` file, building an ImageNet backbone and reading its weights) is the
slow part, so the last opened sources are kept. A lock makes the report and
the summary, asked for at the same moment, open a source once between them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

from gui.downloads import reporting
from netlab.base.abort import abort_point
from netlab.base.errors import NetlabError
from netlab.data.input_spec import input_spec, load_described
from netlab.models.sources import IMAGENET_PREFIX, open_source
from netlab.predict.model import model_file

# netlab.models.finetune, which imports Keras as it loads, is imported inside finetuned_model: the
# window imports this module at start-up and shows before Keras loads.

KEEP_SOURCES = 2
_lock = threading.Lock()
_sources: OrderedDict = OrderedDict()


def _stamp(text: str):
    """What changes when a file source is replaced on disk (None for ImageNet or a missing path)."""
    if text.startswith(IMAGENET_PREFIX):
        return None
    try:
        return model_file(Path(text)).stat().st_mtime_ns
    except (OSError, NetlabError):  # open_source says why, in its own words
        return None


def opened_source(text: str, side: int):
    """The source ``text`` opened for ``side``-pixel images, from the last few opened if it is there."""
    key = (text, side, _stamp(text))
    with _lock:
        if key in _sources:
            _sources.move_to_end(key)
            return _sources[key]
        with reporting():  # ImageNet weights not in Keras's cache are downloaded here
            source = open_source(text, image_side=side)
        _sources[key] = source
        while len(_sources) > KEEP_SOURCES:
            _sources.popitem(last=False)
        return source


def _data(experiment):
    """What the model is built for: the data's description, or the data itself when the
    experiment's preprocessing needs its statistics (NetLab's architecture built for a run's weights)."""
    ft = experiment.finetune
    if ft.into_arch and not ft.source.startswith(IMAGENET_PREFIX) and experiment.data.preprocessing != "scale":
        with reporting():
            return load_described(experiment.data)
    return input_spec(experiment.data)


def finetuned_model(experiment):
    """(the whole fine-tuned model, its FinetuneReport), as the trainer builds them (with cached
    features the trainer trains the head alone, on the base's outputs)."""
    from netlab.models.finetune import build_for_trainer

    experiment.validate()
    data = _data(experiment)
    source = opened_source(experiment.finetune.source, data.input_shape[0])
    abort_point()
    built = build_for_trainer(experiment, data, 1, source)
    return built.model, built.report


def report_job(experiment):
    """The report the layer table shows (``netlab finetune SOURCE --report``'s)."""
    return finetuned_model(experiment)[1]
