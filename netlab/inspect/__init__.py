"""Looking inside any Keras model: its numbers, receptive fields, feature maps, filters, statistics, graph.

- :mod:`~netlab.inspect.summary`: per-layer output shapes, parameters and
  multiply-adds of any functional or Sequential Keras model, and their totals;
- :mod:`~netlab.inspect.receptive_field`: each layer's receptive field and
  jump, and the output-size formula;
- :mod:`~netlab.inspect.published`: those figures beside the reference ones
  (published, NetLab-computed, the paper's, the pretrained-model table), each
  with its source;
- :mod:`~netlab.inspect.text`: the plain-text tables the CLI prints;
- :mod:`~netlab.inspect.layers`: the layer tree (nested models opened,
  ``outer/inner``) and every layer's output in one forward pass;
- :mod:`~netlab.inspect.filters`: convolution kernels as tiles;
- :mod:`~netlab.inspect.passes`: statistics over any number of images in
  memory bounded by a batch, each pass traced once per model;
- :mod:`~netlab.inspect.batchnorm`: BN statistics, training vs inference mode;
- :mod:`~netlab.inspect.activations`: per-layer activation statistics and the
  initialization experiment;
- :mod:`~netlab.inspect.gradcam`: Grad-CAM on logits;
- :mod:`~netlab.inspect.render`: those as Pillow images (the CLI's PNGs).
- :mod:`~netlab.inspect.graph`: the model as a graph (layers, tensors, the papers'
  blocks collapsed or open, nested models opened), laid out by
  :mod:`~netlab.inspect.graph_layout`, drawn as SVG or PNG by
  :mod:`~netlab.inspect.graph_draw`, a node's formulas in :mod:`~netlab.inspect.graph_details`.

Evaluation lives in :mod:`netlab.predict.evaluate`.
"""
