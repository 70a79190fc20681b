"""Building blocks of a tab's layout: a titled section, a scrolling body, the hint shown while
a tab has nothing to work on, fixed-font labels, named dialog buttons, words for counts."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QFontDatabase, QResizeEvent
from PySide6.QtWidgets import (
    QDialogButtonBox,
    QFrame,
    QGroupBox,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from probdesk.domain.words import plural as plural  # counts in words, for the tabs
from probdesk.ui.kit import colours


def section(title: str, name: str) -> tuple[QGroupBox, QVBoxLayout]:
    """A titled box with an accessible name, and the layout to fill it with."""
    box = QGroupBox(title)
    box.setAccessibleName(name)
    return box, QVBoxLayout(box)


def scrolling_body(panel: QWidget, name: str) -> QVBoxLayout:
    """The panel's layout, inside a scroll area: a short window scrolls, it never clips or
    makes the main window taller than the screen."""
    outer = QVBoxLayout(panel)
    outer.setContentsMargins(0, 0, 0, 0)
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setAccessibleName(name)
    body = QWidget()
    scroll.setWidget(body)
    outer.addWidget(scroll)
    return QVBoxLayout(body)


def hint_label(text: str, name: str) -> QLabel:
    """What to do first, shown while a tab has nothing to work on."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setAccessibleName(name)
    label.setStyleSheet(
        f"background: {colours.css('info_bg')}; color: {colours.css('info_fg')}; "
        f"border: 1px solid {colours.css('info_border')}; padding: 8px;"
    )
    return label


def fixed_font_label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def name_buttons(buttons: QDialogButtonBox, ok_text: str, ok_name: str) -> None:
    """Say what OK does, and give OK and Cancel accessible names."""
    ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
    ok.setText(ok_text)
    ok.setAccessibleName(ok_name)
    buttons.button(QDialogButtonBox.StandardButton.Cancel).setAccessibleName("Cancel")


class OneLineLabel(QLabel):
    """A label on one line: text that does not fit ends in "…", and the whole of it is the
    tooltip and what a screen reader reads (`full`)."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setMinimumWidth(40)
        self.full = ""
        self.set_full(text)

    def set_full(self, text: str) -> None:
        self.full = text
        self.setToolTip(text)
        self.setAccessibleDescription(text)
        self._elide()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        shown = self.fontMetrics().elidedText(self.full, Qt.TextElideMode.ElideRight, self.width())
        if shown != self.text():
            self.setText(shown)

    def minimumSizeHint(self) -> QSize:
        return QSize(40, super().minimumSizeHint().height())

    def sizeHint(self) -> QSize:
        return QSize(self.fontMetrics().horizontalAdvance(self.full), super().sizeHint().height())


class FlowLabel(QLabel):
    """A label that stays on one line where there is room and wraps where there is not (a
    plain word-wrapped label asks for less than a line's width, and so wraps too soon)."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setWordWrap(True)

    def sizeHint(self) -> QSize:
        one_line = self.fontMetrics().horizontalAdvance(self.text()) + 4
        return QSize(one_line, super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:
        return QSize(80, super().minimumSizeHint().height())
