"""The Summary tab while fine-tuning: the fine-tuned model the trainer will build.

Worker-thread job (no Qt). The model is ``input -> [resize, channels] -> base
-> pool -> new head``; its base is one nested model, listed layer by layer
(``base/layer``, and a backbone nested in it the same way) with the freeze the second phase trains with, so the
trainable column shows the cut.
"""

from __future__ import annotations

from gui.forms.finetune_jobs import finetuned_model
from gui.widgets.tables import summary_row
from netlab.base.abort import abort_point
from netlab.inspect.summary import summarize
from netlab.inspect.text import human
from netlab.models.transfer import apply_freeze, weighted_layers

# Keras, and netlab.models.finetune that imports it, are imported inside functions: the window imports
# this module at start-up and shows before Keras loads.


def finetune_summary(experiment, paper_input: bool = False):
    """(rows, totals, comparison, sizes), as ``compute_summary`` returns them."""
    from netlab.models.finetune import base_of, head_only_epochs

    model, report = finetuned_model(experiment)
    ft = experiment.finetune
    base = base_of(model)
    apply_freeze(weighted_layers(base), ft.freeze)  # a head-only phase ends here
    abort_point()
    rows, macs = _expanded(model)
    shape = tuple(model.inputs[0].shape[1:])
    trainable = sum(int(w.numpy().size) for w in model.trainable_weights)
    frozen = sum(int(w.numpy().size) for w in model.non_trainable_weights)
    phases = (f" The first {head_only_epochs(ft)} epoch(s) train the new head alone."
              if head_only_epochs(ft) else "")
    totals = (f"Fine-tuned from {ft.source} at {'x'.join(map(str, shape))}, {model.outputs[0].shape[-1]} "
              f"classes: {trainable:,} trainable + {frozen:,} non-trainable parameters (freeze = {ft.freeze}), "
              f"{human(macs)} multiply-adds per image.{phases}\n{report.summary()}."
              + ("\nFine-tuning is on: the summary shows the fine-tuned model at the training input, "
                 "not the architecture at the paper's." if paper_input else ""))
    return rows, totals, [], (trainable, macs, shape)


def _expanded(model, prefix: str = "") -> tuple[list, int]:
    """(text rows, MACs): one row per layer, a nested model's own layers in its place."""
    import keras

    summary = summarize(model)
    rows, macs = [], summary.macs  # a nested model's row counts no MACs of its own
    for r in summary.rows:
        if r.class_name == "InputLayer":
            if not prefix:
                rows.append(summary_row(r))
            continue
        layer = model.get_layer(r.name)
        if isinstance(layer, keras.Model):
            inner_rows, inner_macs = _expanded(layer, f"{prefix}{r.name}/")
            rows += inner_rows
            macs += inner_macs
        else:
            rows.append(summary_row(r, prefix))
    return rows, macs
