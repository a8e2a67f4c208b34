"""The network as a graph: every layer and connection Keras's graph has, nested models opened,
the papers' blocks collapsed and opened, the formulas' numbers, the layout.

Registry models are built once per module at 32x32; the connections they are checked
against are enumerated here from Keras's own nodes (``layer._inbound_nodes`` and each
node's ``parent_nodes``), not through the summary's walk the graph uses.
"""

import json

import keras
import pytest
from keras import layers

from netlab.architectures import get_arch
from netlab.base.errors import ConfigError
from netlab.config import ModelConfig, RegularizationConfig
from netlab.inspect.graph import layout, network_graph
from netlab.inspect.graph_blocks import DENSE, INCEPTION, RESIDUAL, TRANSITION


def keras_connections(model, prefix=""):
    """(source, target) names for every call of every layer of ``model``, from Keras's nodes."""
    names = {layer.name for layer in model.layers}
    found = set()
    for layer in model.layers:
        for node in layer._inbound_nodes:
            for parent in node.parent_nodes:
                if parent.operation.name in names:
                    found.add((prefix + parent.operation.name, prefix + layer.name))
    return found


@pytest.fixture(scope="module")
def registry_models():
    built = {}
    for name in ("googlenet", "resnet50", "densenet121"):
        spec = get_arch(name)
        built[name] = spec.build((32, 32, 3), 10, RegularizationConfig(), ModelConfig(arch=name))
    return built


@pytest.mark.parametrize("name", ["googlenet", "resnet50", "densenet121"])
def test_every_layer_once_and_every_connection_of_keras_graph(registry_models, name):
    model = registry_models[name]
    data = json.loads(json.dumps(network_graph(model, "all").to_dict()))  # what --json prints
    ids = [node["id"] for node in data["nodes"]]
    assert sorted(ids) == sorted(layer.name for layer in model.layers)  # each once, none extra
    edges = {(e["source"], e["target"]) for e in data["edges"]}
    assert len(edges) == len(data["edges"])
    assert edges == keras_connections(model)
    by_id = {node["id"]: node for node in data["nodes"]}
    conv = by_id["conv1_conv"]
    assert conv["params"] == model.get_layer("conv1_conv").count_params()
    assert conv["output_shape"] == list(model.get_layer("conv1_conv").output.shape[1:])


def test_googlenet_collapsed_has_one_node_per_inception_module(registry_models):
    graph = network_graph(registry_models["googlenet"])
    modules = [n for n in graph.nodes if n.type == INCEPTION]
    assert [n.id for n in modules] == [f"inception_{m}" for m in
                                       ("3a", "3b", "4a", "4b", "4c", "4d", "4e", "5a", "5b")]
    assert not any(n.name.startswith("inception_") for n in graph.nodes if not n.children)
    for module in modules:
        assert len(module.children) == 14 and all(c.startswith(module.id + "_") for c in module.children)
        assert module.params == sum(graph.node(c).params for c in module.children)
    # Collapsed edges: the chain of modules, one edge each.
    assert ("inception_3a", "inception_3b") in {(e.source, e.target) for e in graph.edges}
    opened = graph.expanded({"inception_3a"})
    shown = {n.id for n in opened.nodes}
    assert set(modules[0].children) <= shown and "inception_3a" not in shown and "inception_3b" in shown
    assert ("inception_3a_concat", "inception_3b") in {(e.source, e.target) for e in opened.edges}
    assert opened.collapsed({"inception_3a"}).nodes == graph.nodes
    with pytest.raises(ConfigError, match="no block '3z'"):
        graph.expanded({"3z"})


def test_resnet_and_densenet_blocks(registry_models):
    resnet = network_graph(registry_models["resnet50"])
    assert sum(n.type == RESIDUAL for n in resnet.nodes) == 3 + 4 + 6 + 3  # He et al. 2016, Table 1
    dense = network_graph(registry_models["densenet121"])
    kinds = [(n.id, n.type) for n in dense.nodes if n.children]
    assert kinds == [("conv2", DENSE), ("pool2", TRANSITION), ("conv3", DENSE), ("pool3", TRANSITION),
                     ("conv4", DENSE), ("pool4", TRANSITION), ("conv5", DENSE)]
    assert len(dense.node("conv3").children) == 12 * 7  # 12 dense layers of 7 Keras layers


def test_a_nested_backbone_is_opened_and_its_edges_cross_the_boundary():
    backbone = keras.applications.MobileNetV2(weights=None, input_shape=(32, 32, 3), alpha=0.35,
                                              include_top=False)
    head = keras.Sequential([keras.Input((1280,)), layers.Dense(8, name="fc1"), layers.ReLU(name="fc1_relu")],
                            name="head")
    x = inputs = keras.Input((32, 32, 3), name="image")
    x = backbone(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    outputs = layers.Dense(3, name="out")(head(x))
    model = keras.Model(inputs, outputs)
    graph = network_graph(model, "all")
    b = backbone.name + "/"
    inner = {b + layer.name for layer in backbone.layers if not isinstance(layer, layers.InputLayer)}
    ids = {n.id for n in graph.nodes}
    assert ids == inner | {"image", "gap", "head/fc1", "head/fc1_relu", "out"}
    edges = {(e.source, e.target) for e in graph.edges}
    first = b + "Conv1"
    inside = {(s, t) for s, t in keras_connections(backbone, b) if s != b + backbone.layers[0].name}
    assert inside <= edges
    assert {("image", first), (b + "out_relu", "gap"), ("gap", "head/fc1"), ("head/fc1_relu", "out")} <= edges
    assert len(edges) == len(inside) + 4 + 1  # + fc1 -> fc1_relu
    collapsed = network_graph(model)
    assert b + "block_1" in {n.id for n in collapsed.nodes}
    assert collapsed.node(b + "block_1").type == "Inverted residual"
    # The nested layers' receptive fields are the outer image's: Conv1 is a 3x3 at stride 2.
    assert graph.node(b + "Conv1").receptive_field == 3 and graph.node(b + "block_1_depthwise").receptive_field > 3


def test_inception_modules_with_keras_generic_names_are_found_from_the_graph():
    """Keras's Inception v3 names a module's branches conv2d_N: the module is what lies between
    its output (mixedK) and the previous one; a branch concatenation named after another
    module (mixed9_1 sits in mixed10) goes with the graph, not the name."""
    def module(x, name, inner_name=None):
        a = layers.Conv2D(4, 1)(x)
        b = layers.Conv2D(4, 1)(x)
        b = layers.Conv2D(4, 3, padding="same")(b)
        if inner_name:
            b = layers.Concatenate(name=inner_name)([b, layers.Conv2D(2, 1)(b)])
        return layers.Concatenate(name=name)([a, b])

    x = inputs = keras.Input((8, 8, 3))
    stem = layers.Conv2D(4, 3, name="stem")(x)
    m0 = module(stem, "mixed0")
    m1 = module(m0, "mixed1", inner_name="mixed0_1")
    graph = network_graph(keras.Model(inputs, layers.GlobalAveragePooling2D(name="gap")(m1)))
    # The module's node is not its output layer's: mixed0_module holds the layer mixed0.
    assert [n.id for n in graph.nodes] == [graph.layers[0].id, "stem", "mixed0_module", "mixed1_module", "gap"]
    assert graph.node("mixed0_module").children[-1] == "mixed0"
    assert len(graph.node("mixed0_module").children) == 4 and "mixed0_1" in graph.node("mixed1_module").children
    assert [(e.source, e.target) for e in graph.edges][1:] == [
        ("stem", "mixed0_module"), ("mixed0_module", "mixed1_module"), ("mixed1_module", "gap")]


def test_formula_lines_carry_the_layers_numbers():
    x = inputs = keras.Input((33, 33, 3), name="image")
    x = layers.Conv2D(16, 5, padding="same", name="same5")(x)  # F=5, P=2, S=1: 33
    x = layers.Conv2D(8, 3, strides=2, name="valid3")(x)  # F=3, P=0, S=2: (33-3)/2+1 = 16
    outputs = layers.Dense(4, name="fc")(layers.Flatten(name="flat")(x))
    graph = network_graph(keras.Model(inputs, outputs))
    same = "\n".join(graph.details("same5"))
    assert "W2 = (W1 - F + 2P)/S + 1 = (33 - 5 + 2\u00b72)/1 + 1 = 33" in same
    assert "(F\u00b7F\u00b7D1)\u00b7D2 + D2 = (5\u00b75\u00b73)\u00b716 + 16 = 1,216" in same
    assert f"= 33\u00b733\u00b716\u00b7(5\u00b75\u00b73) = {33 * 33 * 16 * 75:,}" in same
    assert "r = r_in + (F - 1)\u00b7j_in = 1 + (5 - 1)\u00b71 = 5 pixels" in same
    valid = "\n".join(graph.details("valid3"))
    assert "(33 - 3 + 2\u00b70)/2 + 1 = 16" in valid
    assert "(3\u00b73\u00b716)\u00b78 + 8 = 1,160" in valid
    assert "5 + (3 - 1)\u00b71 = 7 pixels; jump j = j_in\u00b7S = 1\u00b72 = 2" in valid
    assert f"D1\u00b7D2 + D2 = {16 * 16 * 8}\u00b74 + 4 = {16 * 16 * 8 * 4 + 4:,}" in "\n".join(graph.details("fc"))


def test_layout_places_every_node_above_what_it_feeds(registry_models):
    graph = network_graph(registry_models["googlenet"]).expanded({"inception_4a"})
    placed = layout(graph)
    assert set(placed) == {n.id for n in graph.nodes}
    for edge in graph.edges:
        assert placed[edge.source][1] < placed[edge.target][1]
        route = placed.routes[(edge.source, edge.target)]
        assert route[0][1] < route[-1][1]
    rows: dict[float, list[tuple]] = {}
    for node_id in placed:
        left, top, width, _ = placed.box(node_id)
        rows.setdefault(top, []).append((left, left + width))
    for boxes in rows.values():  # boxes side by side never overlap
        boxes.sort()
        assert all(a[1] <= b[0] for a, b in zip(boxes, boxes[1:]))
    assert max(len(b) for b in rows.values()) == 4  # inception 4a's four branches
