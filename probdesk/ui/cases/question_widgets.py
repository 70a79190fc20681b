"""One widget per answer type, all with the same small interface: value(), set_value(), changed.

`WIDGETS` is the factory's table: one widget class per answer type of the domain's registry
(probdesk/domain/answer_types.py), which tests/unit/test_answer_types.py keeps in step. Yes / No /
Not applicable answers take one key each (Y, N, A; Delete clears) while focused.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import ClassVar, Protocol

from PySide6.QtCore import QLocale, Qt, Signal
from PySide6.QtGui import (
    QDoubleValidator,
    QFocusEvent,
    QKeyEvent,
    QPalette,
    QRegularExpressionValidator,
    QValidator,
)
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from probdesk.domain.answer_types import NA, NO, YES, AnswerType, answer_kind
from probdesk.domain.questionset import Question
from probdesk.ui.kit.autosave_text import AutosaveText


class AnswerWidget(QWidget):
    """Base: emits `changed` when the inspector has finished giving a value, and `refused`
    with why when a key cannot give one (the status bar says it)."""

    changed = Signal()
    refused = Signal(str)

    def value(self) -> object:
        raise NotImplementedError

    def set_value(self, value: object) -> None:
        raise NotImplementedError

    def focus_target(self) -> QWidget:
        return self


class YesNoWidget(AnswerWidget):
    KEYS: ClassVar[dict[Qt.Key, str]] = {Qt.Key.Key_Y: YES, Qt.Key.Key_N: NO, Qt.Key.Key_A: NA}

    def __init__(self, question: Question, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.question_id = question.id
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName(f"Answer to {question.id}")
        self.group = QButtonGroup(self)
        self.group.setExclusive(False)  # so that an answer can be cleared
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        self.buttons: dict[str, QRadioButton] = {}
        for option in answer_kind(question.answer).fixed:  # Yes, No (, Not applicable)
            value = option.value
            b = QRadioButton(option.label)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.setAccessibleName(f"{option.label} for {question.id}")
            self.group.addButton(b)
            self.buttons[value] = b
            layout.addWidget(b)
            b.clicked.connect(lambda _checked=False, v=value: self._clicked(v))
        layout.addStretch(1)
        self._value: str | None = None
        keys = "Press Y for Yes, N for No" + (
            ", A for Not applicable" if NA in self.buttons else " (it has no Not applicable)"
        )
        self.setAccessibleDescription(keys)

    # The answer in focus is highlighted through the palette: style sheets would make every
    # widget of the form slow to build.
    def focusInEvent(self, event: QFocusEvent) -> None:
        palette = self.palette()
        colour = palette.color(QPalette.ColorRole.Highlight)
        colour.setAlpha(70)
        palette.setColor(QPalette.ColorRole.Window, colour)
        self.setPalette(palette)
        self.setAutoFillBackground(True)
        super().focusInEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        self.setAutoFillBackground(False)
        self.setPalette(QPalette())
        super().focusOutEvent(event)

    def _clicked(self, value: str) -> None:
        self.set_value(None if self._value == value else value)
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        self.changed.emit()

    def value(self) -> object:
        return self._value

    def set_value(self, value: object) -> None:
        self._value = value if value in self.buttons else None
        for v, b in self.buttons.items():
            b.setChecked(v == self._value)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        key = Qt.Key(event.key())
        if mods == Qt.KeyboardModifier.NoModifier and key in self.KEYS:
            value = self.KEYS[key]
            if value in self.buttons:
                self.set_value(value)
                self.changed.emit()
                event.accept()
                return
            self.refused.emit(
                f"{self.question_id} has no Not applicable answer: answer it Yes (Y) or No (N)."
            )
            event.accept()
            return
        if mods == Qt.KeyboardModifier.NoModifier and key in (
            Qt.Key.Key_Delete,
            Qt.Key.Key_Backspace,
        ):
            self.set_value(None)
            self.changed.emit()
            event.accept()
            return
        super().keyPressEvent(event)


class ChoiceWidget(AnswerWidget):
    def __init__(self, question: Question, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        self.combo = QComboBox()
        self.combo.setAccessibleName(f"Answer to {question.id}")
        self.combo.addItem("— not answered —", None)
        for o in question.options:
            self.combo.addItem(o.label, o.value)
        self.combo.activated.connect(lambda _i: self.changed.emit())
        layout.addWidget(self.combo)
        layout.addStretch(1)

    def focus_target(self) -> QWidget:
        return self.combo

    def value(self) -> object:
        return self.combo.currentData()

    def set_value(self, value: object) -> None:
        i = self.combo.findData(value)
        self.combo.setCurrentIndex(max(i, 0))


class MultiChoiceWidget(AnswerWidget):
    def __init__(self, question: Question, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        self.boxes: dict[str, QCheckBox] = {}
        for o in question.options:
            box = QCheckBox(o.label)
            box.setAccessibleName(f"{o.label} for {question.id}")
            box.toggled.connect(lambda _on: self.changed.emit())
            self.boxes[o.value] = box
            layout.addWidget(box)

    def focus_target(self) -> QWidget:
        return next(iter(self.boxes.values()), self)

    def value(self) -> object:
        chosen = tuple(v for v, b in self.boxes.items() if b.isChecked())
        return chosen or None

    def set_value(self, value: object) -> None:
        chosen = set(value) if isinstance(value, list | tuple) else set()
        for v, b in self.boxes.items():
            b.blockSignals(True)
            b.setChecked(v in chosen)
            b.blockSignals(False)


class _NumberValidator(QDoubleValidator):
    """A number as the store reads it (a point for decimals, whatever the locale); an empty
    field is acceptable too, so that Enter or leaving the field clears the answer."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setLocale(QLocale.c())

    def validate(self, text: str, pos: int) -> object:
        if not text.strip():
            return QValidator.State.Acceptable, text, pos
        return super().validate(text, pos)


class LineWidget(AnswerWidget):
    """A typed answer, checked when the field is left or Enter is pressed: the store refuses
    what is not a value of the type, with a message."""

    PLACEHOLDER = ""

    def __init__(self, question: Question, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        self.edit = QLineEdit()
        self.edit.setAccessibleName(f"Answer to {question.id}")
        self.edit.setValidator(self.validator(self.edit))
        self.edit.setPlaceholderText(self.PLACEHOLDER)
        self.edit.setMaximumWidth(160)
        self.edit.editingFinished.connect(self.changed.emit)
        layout.addWidget(self.edit)
        layout.addStretch(1)

    def focus_target(self) -> QWidget:
        return self.edit

    def value(self) -> object:
        return self.edit.text().strip() or None

    def set_value(self, value: object) -> None:
        self.edit.setText("" if value is None else str(value))

    def validator(self, parent: QWidget) -> QValidator:
        raise NotImplementedError


class NumberWidget(LineWidget):
    PLACEHOLDER = "number"

    def validator(self, parent: QWidget) -> QValidator:
        return _NumberValidator(parent)


class DateWidget(LineWidget):
    PLACEHOLDER = "YYYY-MM-DD"

    def validator(self, parent: QWidget) -> QValidator:
        return QRegularExpressionValidator(r"\d{0,4}-?\d{0,2}-?\d{0,2}", parent)


class TextWidget(AnswerWidget):
    def __init__(self, question: Question, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        self.edit = AutosaveText()
        self.edit.setAccessibleName(f"Answer to {question.id}")
        self.edit.setFixedHeight(56)
        self.edit.settled.connect(self.changed.emit)
        layout.addWidget(self.edit)

    def focus_target(self) -> QWidget:
        return self.edit

    def value(self) -> object:
        return self.edit.toPlainText() or None

    def set_value(self, value: object) -> None:
        self.edit.set_text_quietly("" if value is None else str(value))


class AnswerWidgetClass(Protocol):
    """What the factory's table holds: an answer widget's class, built from its question."""

    def __call__(self, question: Question, parent: QWidget | None = None, /) -> AnswerWidget: ...


# The factory's table: every answer type of the registry has its widget.
WIDGETS: Mapping[AnswerType, AnswerWidgetClass] = MappingProxyType(
    {
        AnswerType.YES_NO: YesNoWidget,
        AnswerType.YES_NO_NA: YesNoWidget,
        AnswerType.CHOICE: ChoiceWidget,
        AnswerType.MULTI_CHOICE: MultiChoiceWidget,
        AnswerType.NUMBER: NumberWidget,
        AnswerType.DATE: DateWidget,
        AnswerType.TEXT: TextWidget,
    }
)


def answer_widget(question: Question) -> AnswerWidget:
    widget = WIDGETS.get(question.answer)
    if widget is None:
        raise KeyError(
            f"answer type '{question.answer}' has no widget in "
            "probdesk/ui/cases/question_widgets.py"
        )
    return widget(question)
