"""AutosaveText: plain text that says when to save (after a pause in typing, and when left).

The case form's notes and text answers and the meeting notes use it."""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import QPlainTextEdit, QWidget

NOTE_PAUSE_MS = 800


class AutosaveText(QPlainTextEdit):
    """Plain text that reports `settled` after a short pause in typing and when left."""

    settled = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTabChangesFocus(True)
        self._dirty = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(NOTE_PAUSE_MS)
        self._timer.timeout.connect(self.flush)
        self.textChanged.connect(self._typed)
        self._loading = False

    def set_text_quietly(self, text: str) -> None:
        self._loading = True
        self.setPlainText(text)
        self._loading = False
        self._dirty = False

    def _typed(self) -> None:
        if self._loading:
            return
        self._dirty = True
        self._timer.start()

    @property
    def dirty(self) -> bool:
        return self._dirty

    def flush(self) -> None:
        self._timer.stop()
        if self._dirty:
            self._dirty = False
            self.settled.emit()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        self.flush()
        super().focusOutEvent(event)
