"""Files dropped on a view: the one way every view accepts them."""

from __future__ import annotations


def accept_files(event) -> None:
    """dragEnterEvent: take the drag when it carries files (URLs)."""
    if event.mimeData().hasUrls():
        event.acceptProposedAction()


def dropped_paths(event) -> list[str]:
    """dropEvent: the local paths dropped, the drop accepted; [] (refused) when none is local."""
    paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
    if paths:
        event.acceptProposedAction()
    return paths
