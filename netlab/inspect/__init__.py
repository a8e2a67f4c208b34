"""Looking inside a network. What is here so far:

- :mod:`~netlab.inspect.summary`: per-layer output shapes, parameters and
  multiply-adds of any functional or Sequential Keras model, and their totals;
- :mod:`~netlab.inspect.receptive_field`: each layer's receptive field and
  jump, and the output-size formula;
- :mod:`~netlab.inspect.published`: those figures beside the reference ones
  (published, NetLab-computed, the paper's, the pretrained-model table), each
  with its source;
- :mod:`~netlab.inspect.text`: the plain-text tables the CLI prints.

Feature maps, filters, batch-norm and activation statistics, Grad-CAM and
evaluation views are not written yet (evaluation lives in
:mod:`netlab.training.evaluate`).
"""
