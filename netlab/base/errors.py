"""Errors a user can cause. Every message says what happened and what to do."""


def shown(value, width: int = 60) -> str:
    """``value`` as a message quotes it: its repr, cut to ``width`` characters, so that a pasted
    300-character name or a huge list leaves the message one readable line."""
    text = repr(value)
    return text if len(text) <= width else f"{text[:width - 3]}..."


class NetlabError(Exception):
    """Base of every error NetLab reports to a person (window or CLI)."""


class ConfigError(NetlabError, ValueError):
    """A configuration value is missing, of the wrong type or out of range."""


class DataError(NetlabError):
    """A dataset cannot be loaded or is unusable (empty, one class, ...)."""


class ImageLoadError(NetlabError):
    """A file is not an image, or the image cannot be decoded."""


class ModelLoadError(NetlabError):
    """A model file is missing, unreadable or refused by safe mode."""


class ExportError(NetlabError):
    """A model could not be exported, or its export does not give the Keras model's outputs."""


class SearchError(NetlabError):
    """A hyperparameter search cannot start or go on: its folder, or the database holding its study."""


class TrainingError(NetlabError):
    """Training stopped because of the numbers (NaN loss) or the machine (out of memory)."""


class DivergedError(TrainingError):
    """The loss became NaN or Inf: the learning rate (or the weights' scale) made training diverge."""


class DiskFullError(NetlabError):
    """The disk (or the user's quota) filled up while NetLab wrote a file."""

    def __init__(self, message: str, path=None):
        super().__init__(message)
        self.path = path


class RunFolderError(NetlabError):
    """A run folder cannot be used as asked: it holds another run, or another process writes it."""
