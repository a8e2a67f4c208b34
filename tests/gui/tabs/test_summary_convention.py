"""The window's summary text explains trainable vs all parameters (as the published tables of pretrained models count them)."""

import pytest

from gui.tabs.summary import compute_summary
from netlab.config import Experiment, ModelConfig


@pytest.mark.slow
def test_summary_view_reports_both_counts_of_densenet121_as_the_seed_table():
    rows, totals, comparison, sizes = compute_summary(Experiment(model=ModelConfig(arch="densenet121")),
                                                      paper_input=True)
    assert sizes[0] == 7_978_856
    assert "7,978,856 trainable parameters" in totals and "8,062,504 in all" in totals
    assert "moving mean and variance" in totals
    pretrained = [row for row in comparison if row[4] == "pretrained"]
    assert [row[:4] for row in pretrained] == [
        ("all params incl. BN statistics", "8,062,504", "8,062,504", "+0 (+0.00%)")]
    assert "GluonCV" in pretrained[0][5]
