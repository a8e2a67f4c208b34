"""``netlab graph``: JSON, SVG and PNG that parse, a .keras file as well as an architecture,
and one-line errors (unknown model, bad picture type, Netron missing)."""

import importlib.util
import json
import xml.etree.ElementTree as ET

import keras
import pytest
from PIL import Image

from netlab.cli.main import main

SMALL = ["simple_cnn", "--input", "32x32x3", "--classes", "10"]


def test_json_lists_nodes_and_edges_with_their_numbers(capsys):
    assert main(["graph", *SMALL, "--expand", "all", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    nodes = {n["id"]: n for n in data["nodes"]}
    assert {"name", "type", "output_shape", "params", "block", "details"} <= set(nodes["block1_conv1_conv"])
    assert nodes["block1_conv1_conv"]["type"] == "Conv2D"
    assert nodes["block1_conv1_conv"]["output_shape"] == [32, 32, 32]
    assert nodes["predictions"]["params"] == 10 * (nodes["fc1"]["output_shape"][0] + 1)
    assert any("W2 = (W1 - F + 2P)/S + 1" in line for line in nodes["block1_conv1_conv"]["details"])
    assert all(e["source"] in nodes and e["target"] in nodes for e in data["edges"])
    assert ("block1_pool", "block2_conv1_conv") in {(e["source"], e["target"]) for e in data["edges"]}


def test_svg_and_png_pictures(tmp_path, capsys):
    svg, png = tmp_path / "graph.svg", tmp_path / "graph.png"
    assert main(["graph", *SMALL, "--out", str(svg)]) == 0
    assert main(["graph", *SMALL, "--out", str(png)]) == 0
    assert f"{svg}: " in capsys.readouterr().out
    root = ET.parse(svg).getroot()
    ns = {"svg": "http://www.w3.org/2000/svg"}
    boxes = root.findall("svg:g/svg:rect", ns)
    assert len(boxes) == 28  # one per layer of simple_cnn
    assert "block1_conv1_conv" in {t.text for t in root.iterfind(".//svg:text", ns)}
    assert len(root.findall("svg:g/svg:polyline", ns)) == 27  # a chain
    with Image.open(png) as image:
        assert image.format == "PNG" and image.width > 100 and image.height > 28 * 50
        assert len(image.getcolors(1 << 16)) > 3  # boxes, text and arrows, not a blank page


def test_a_keras_file_prints_its_outline(tmp_path, capsys):
    inputs = keras.Input((16, 16, 3), name="image")
    x = keras.layers.Conv2D(4, 3, name="conv")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(2, name="fc")(keras.layers.Flatten(name="flat")(x)))
    path = tmp_path / "tiny.keras"
    model.save(path)
    assert main(["graph", str(path)]) == 0
    out = capsys.readouterr().out
    assert "4 nodes, 3 edges" in out and "flat" in out and "<- conv" in out


@pytest.mark.parametrize(("argv", "message"), [
    (["graph", "no_such_net"], "no_such_net: no such model file or folder, and no architecture"),
    (["graph", "missing.keras"], "missing.keras: no such model file"),
    (["graph", *SMALL, "--out", "graph.pdf"], "a graph is written as .svg or .png"),
    (["graph", *SMALL, "--open", "block9"], "has no block 'block9'"),
])
def test_errors_are_one_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.skipif(importlib.util.find_spec("netron") is not None, reason="netron is installed here")
def test_netron_missing_says_how_to_get_it(capsys):
    assert main(["graph", *SMALL, "--netron"]) == 2
    assert "pip install netron" in capsys.readouterr().err
