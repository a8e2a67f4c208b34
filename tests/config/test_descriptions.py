"""Each setting's description (the window's tooltips, the CLI's flag help) names a real setting and
the paper of the idea it sets."""

import pytest

from netlab.config import Experiment, config_value
from netlab.config.descriptions import SETTING_HELP

PAPERS = {
    "regularization.dropout": "Srivastava et al. 2014",
    "regularization.norm": "Ioffe & Szegedy 2015",
    "regularization.groups": "Wu & He 2018",
    "regularization.initializer": "He et al. 2015",
    "training.early_stopping": "Prechelt 1998",
    "training.optimizer": "Kingma & Ba 2015",
    "training.weight_decay": "Loshchilov & Hutter 2019",
    "data.augmentation.flip": "Krizhevsky et al. 2012",
    "finetune.source": "Yosinski et al. 2014",
}


@pytest.mark.parametrize("path", sorted(SETTING_HELP))
def test_every_description_is_of_a_setting_and_argparse_can_print_it(path):
    config_value(Experiment(), path)  # a path that is no setting raises
    text = SETTING_HELP[path]
    # What it cites is held by tests/test_contracts.py, over all of netlab's text.
    assert text and "%" not in text


def test_layer_norm_and_group_norm_name_their_papers_too():
    assert "Ba et al. 2016" in SETTING_HELP["regularization.norm"]
    assert "Wu & He 2018" in SETTING_HELP["regularization.norm"]


@pytest.mark.parametrize("path, paper", sorted(PAPERS.items()))
def test_a_description_names_the_paper(path, paper):
    assert paper in SETTING_HELP[path]
