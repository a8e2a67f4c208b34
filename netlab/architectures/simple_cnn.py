"""A simple CNN in the style of the Keras image-classification examples (Chollet).

Conv-BN-ReLU pairs of 32, 64 and 128 filters, each pair followed by 2x2 max
pooling, then global max pooling, Dropout 0.3, Dense 64 (ReLU), Dropout 0.3 and
the softmax classifier: a teaching network with no paper of its own.
"""

from netlab.architectures.registry import register

STAGES = (32, 64, 128)


def simple_cnn(x, num_classes, blocks):
    for stage, filters in enumerate(STAGES, start=1):
        for i in (1, 2):
            x = blocks.conv_norm_act(x, filters, 3, name=f"block{stage}_conv{i}")
        x = blocks.pool(x, 2, 2, name=f"block{stage}_pool")
        x = blocks.stage_end(x, name=f"block{stage}")
    return blocks.head(x, num_classes, paper_head="gap", fc_units=(64,), global_pool="max")


register(
    "simple_cnn",
    simple_cnn,
    family="Simple CNN",
    paper="After the Keras image-classification examples (Conv-BN-ReLU, global max pooling, dropout 0.3)",
    default_input=(32, 32, 3),
    min_input=8,  # three 2x2 poolings: 8 -> 1
    default_dropout=0.3,
    description="Six 3x3 convolutions in three stages; small and quick to train.",
)
