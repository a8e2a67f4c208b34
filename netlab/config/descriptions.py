"""What each setting does, in one or two sentences naming its paper: the window's tooltips and the
CLI's flag help read them here, so the two never say different things.

Keyed by the setting's dotted path (``"regularization.dropout"``), as ``LIMITS`` and the
forms' bindings are. An architecture's own options describe themselves in the registry
(``Option.help``). No ``%`` in a text: argparse formats help strings with it.
"""

from __future__ import annotations

SETTING_HELP: dict[str, str] = {
    # -- model ------------------------------------------------------------------------------
    "model.arch": "The network to build, from the registry (each architecture cites its paper)",
    "model.head": "The classifier head: the paper's own, fully connected layers, or global average "
                  "pooling (Lin et al. 2014, Network in Network)",
    "model.pooling": "Kind of the spatial poolings: the paper's, max or average",
    # -- regularization ---------------------------------------------------------------------
    "regularization.dropout": "Dropout rate of the classifier head, in [0, 1): each unit is zeroed with "
                              "this probability while training (Srivastava et al. 2014)",
    "regularization.spatial_dropout": "Drops whole feature maps after each stage, not single pixels, "
                                      "whose neighbours would carry the same signal (Tompson et al. 2015)",
    "regularization.norm": "Normalization after each convolution: batch (Ioffe & Szegedy 2015), group "
                           "(Wu & He 2018), layer (Ba et al. 2016) or none; 'default' is the paper's",
    "regularization.groups": "Number of channel groups of group normalization (Wu & He 2018 use 32)",
    "regularization.bn_momentum": "Momentum of batch norm's moving mean and variance, which inference "
                                  "uses (Ioffe & Szegedy 2015); lower forgets the random start sooner",
    "regularization.bn_epsilon": "Added to the variance before dividing by it, for numerical stability "
                                 "(Ioffe & Szegedy 2015)",
    "regularization.activation": "Activation after each convolution and FC layer: ReLU (Nair & Hinton "
                                 "2010), leaky ReLU (Maas et al. 2013), PReLU (He et al. 2015), ELU "
                                 "(Clevert et al. 2016), SELU (Klambauer et al. 2017), sigmoid or tanh",
    "regularization.activation_alpha": "Leaky ReLU's negative slope (Maas et al. 2013) or ELU's alpha "
                                       "(Clevert et al. 2016)",
    "regularization.initializer": "Weight initialization: zeros, small Gaussian (std 0.01), Xavier "
                                  "(Glorot & Bengio 2010) or He (He et al. 2015)",
    "regularization.l1": "L1 penalty on every kernel: drives weights to exactly zero (with L2: the "
                         "elastic net, Zou & Hastie 2005)",
    "regularization.l2": "L2 penalty on every kernel, weight decay (Krogh & Hertz 1992)",
    # -- data -------------------------------------------------------------------------------
    "data.dataset": "A built-in dataset, or a folder with one sub-folder of images per class",
    "data.image_size": "Side of the square images fed to the network (the dataset's own: as stored; "
                       "an image folder: 64)",
    "data.channels": "1 = grayscale, 3 = RGB (the dataset's own: as stored)",
    "data.samples": "How many images the synthetic shapes dataset draws",
    "data.max_samples": "Use at most this many images of the dataset: quick runs",
    "data.validation_split": "Fraction of the images held out to validate each epoch (seeded, "
                             "stratified by class)",
    "data.test_split": "Fraction held out as a test set, never seen while training or choosing "
                       "(a source's own test set is used instead)",
    "data.seed": "Seed of the split: the same seed, the same images in each part",
    "data.preprocessing": "How the inputs are normalized: scaled to [0, 1], centred, standardized or "
                          "PCA-whitened (LeCun et al. 1998, Efficient BackProp); statistics from the "
                          "training split, stored inside the model",
    "data.augmentation.flip": "Random horizontal flips of the training images (Krizhevsky et al. 2012)",
    "data.augmentation.crop": "Random crops (Krizhevsky et al. 2012): shift by up to this many pixels, "
                              "below 1 a fraction of the side",
    "data.augmentation.rotation": "Rotate the training images by up to this many degrees either way",
    "data.augmentation.zoom": "Zoom the training images in or out by up to this fraction",
    "data.augmentation.contrast": "Scale the training images' contrast by a factor in "
                                  "[1 - contrast, 1 + contrast]",
    "data.augmentation.translation": "Shift the training images by up to this fraction of the side "
                                     "(reflected border)",
    # -- training ---------------------------------------------------------------------------
    "training.optimizer": "Adam (Kingma & Ba 2015), AdamW (Loshchilov & Hutter 2019), SGD or RMSprop "
                          "(Tieleman & Hinton 2012)",
    "training.learning_rate": "Step size of the optimizer; a short sweep of rising rates suggests one "
                              "(Smith 2017)",
    "training.momentum": "Momentum of SGD and RMSprop: a running average of the gradients "
                         "(Polyak 1964; Sutskever et al. 2013)",
    "training.nesterov": "SGD with Nesterov's momentum, the gradient taken after the momentum step "
                         "(Nesterov 1983; Sutskever et al. 2013)",
    "training.weight_decay": "AdamW's decoupled weight decay (Loshchilov & Hutter 2019)",
    "training.batch_size": "Images per gradient step; batch norm's statistics come from as many",
    "training.epochs": "Passes over the training split",
    "training.schedule": "How the learning rate changes: constant, step (He et al. 2016), exponential, "
                         "cosine (Loshchilov & Hutter 2017) or cut on a plateau of the validation loss",
    "training.decay_rate": "Factor the rate is multiplied by at each step or plateau",
    "training.decay_epochs": "Epochs between two cuts of the step and exponential schedules",
    "training.warmup_epochs": "Cosine: a linear warm-up from 0 to the learning rate over this many "
                              "epochs (Goyal et al. 2017)",
    "training.plateau_patience": "Plateau: epochs without a better validation loss before the rate is cut",
    "training.min_learning_rate": "Floor of the cosine and plateau schedules",
    "training.early_stopping": "Stop when the validation loss has not improved for a while "
                               "(Prechelt 1998)",
    "training.patience": "Early stopping: epochs without a better validation loss before the run "
                         "stops (Prechelt 1998)",
    "training.restore_best": "Early stopping: end with the best epoch's weights, not the last "
                             "(Prechelt 1998)",
    "training.mixed_precision": "float16/bfloat16 compute with float32 weights, on a GPU "
                                "(Micikevicius et al. 2018)",
    "training.xla": "Compile the training step with XLA (faster steps on a GPU after a slower first)",
    "training.tensorboard": "Write TensorBoard event logs in the run folder",
    "training.train_eval": "Per epoch: a tenth of the training split in inference mode (dropout off, "
                           "BN on its moving statistics) and batch norm's train/inference gap, drawn "
                           "with the curves",
    "training.health": "Every few batches, on a fixed probe batch: each layer's gradient norm and "
                       "update-to-weight ratio, dead and saturated units, in health.csv and the Health "
                       "tab, with a warning when a layer dies or its gradients vanish",
    "training.health_every": "Measure the health every this many batches; unset, as often as keeps its "
                             "cost within 5 percent of the training time",
    "training.deterministic": "Bit-for-bit repeatable runs (slower, above all on a GPU)",
    "training.seed": "Seed of the weights' initialization, the shuffling and dropout: the same seed, "
                     "the same run",
    # -- fine-tuning ------------------------------------------------------------------------
    "finetune.source": "Start from learned weights (Yosinski et al. 2014): imagenet:ARCH, a NetLab "
                       "run folder, or a .keras file",
    "finetune.into_arch": "Load the weights into NetLab's own architecture (by position and shape) "
                          "instead of a copy of the source's layers",
    "finetune.freeze": "base: the whole base frozen (feature extraction); none: everything trains; "
                       "a layer: every layer below it stays frozen (Yosinski et al. 2014)",
    "finetune.load_up_to": "Load the source's weights from the first layer up to this one; the "
                           "layers above start new",
    "finetune.base_lr_mult": "The unfrozen base's learning rate relative to the new head's",
    "finetune.head_epochs": "Two phases: the new head alone for this many epochs, then the base "
                            "unfrozen to the cut",
    "finetune.cache_features": "With the whole base frozen (or in the head-only epochs) and no "
                               "augmentation: the base runs once over the images and the head trains "
                               "on its outputs (much faster epochs, the same result)",
}


def setting_help(path: str) -> str:
    """What the setting at ``path`` does (KeyError for a path with no text: a test lists them)."""
    return SETTING_HELP[path]
