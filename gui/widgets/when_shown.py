"""A tab that computes only while it is seen: asked while hidden, it computes when next shown."""

from __future__ import annotations


class ComputedWhenShown:
    """Mixin for a QWidget with ``model`` and a ``_compute()`` that starts its job: ``refresh()``
    computes now if the widget is visible, else marks it stale for its next ``showEvent``."""

    _stale = False  # something changed while the widget was hidden

    def refresh(self) -> None:
        if self.model is None:
            return
        if not self.isVisible():
            self._stale = True
            return
        self._stale = False
        self._compute()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()
