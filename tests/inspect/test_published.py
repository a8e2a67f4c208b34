"""Reference figures: each with its source, computed ones shown as computed, and the pretrained table."""

import pytest

from netlab.architectures import all_archs, get_arch
from netlab.cli.main import main
from netlab.inspect.published import compare_published, pretrained_model, pretrained_table
from netlab.inspect.summary import ModelSummary
from netlab.inspect.text import format_comparison

# NetLab's own counts: no one publishes these networks' totals.
COMPUTED = {"alexnet", "vgg11_lrn", "vgg16_c", "googlenet"}


def test_every_reference_figure_names_its_source_and_computed_ones_say_so():
    for spec in all_archs():
        for figure in (spec.params, spec.paper_params):
            if figure is not None:
                assert figure.source and figure.count > 0, spec.name
        if spec.paper_params is not None:
            assert spec.paper_params.printed and "paper" in spec.paper_params.source
    assert {s.name for s in all_archs() if s.params and s.params.computed} == COMPUTED
    assert get_arch("vgg16").paper_params.count == 138_000_000  # Table 2, in millions
    assert get_arch("alexnet").paper_params.printed == "60 million"


def test_a_computed_count_is_shown_as_computed_not_published():
    spec = get_arch("googlenet")
    summary = ModelSummary("googlenet", (224, 224, 3), trainable_params=6_998_552)
    (row,) = compare_published(summary, spec)
    assert (row.reference, row.kind) == (6_998_552, "computed")
    text = format_comparison([row])
    assert "6,998,552 computed" in text and "published" not in text and "Table 1" in text


def test_the_pretrained_table_is_gluoncvs_and_maps_to_registered_architectures():
    source, rows = pretrained_table()
    assert "GluonCV" in source and len(rows) == 14
    for row in rows:
        spec = get_arch(row.arch)
        spec.check_options(row.options)
        assert 0 < row.top1 < row.top5 < 1
    assert pretrained_model(get_arch("densenet121")).params == 8_062_504
    assert pretrained_model(get_arch("mobilenet_v1"), {"alpha": 0.5}).alias == "mobilenet0.5"
    assert pretrained_model(get_arch("mobilenet_v2"), {"stem": "small"}).alias == "mobilenetv2_1.0"
    assert pretrained_model(get_arch("densenet121"), {"growth_rate": 12}) is None
    assert pretrained_model(get_arch("resnet18")) is None


@pytest.mark.slow
def test_summary_reports_trainable_and_all_parameters_of_densenet121_as_the_seed_table(capsys):
    assert main(["summary", "densenet121"]) == 0
    out = capsys.readouterr().out
    # The pretrained-model tables' DenseNet-121 (Huang et al. 2017): 8,062,504 parameters, batch-norm moving statistics included.
    assert "7,978,856 trainable parameters" in out and "8,062,504 in all" in out
    assert "all params incl. BN statistics: 8,062,504 configured vs 8,062,504 pretrained (+0" in out
    assert "trainable params: 7,978,856 configured vs 7,978,856 published" in out
    assert "top-1 74.97%, top-5 92.25%" in out
