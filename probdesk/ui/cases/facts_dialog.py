"""The case facts form (add a case, or edit its facts), generated from the question set.

It calls its save function itself and keeps the inspector's input on screen with the message
when the service refuses it."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QComboBox, QLineEdit, QWidget

from probdesk.domain.questionset import Fact, FactType, QuestionSet
from probdesk.ui.kit.dialog import FormDialog


class FactsDialog(FormDialog):
    """The case facts form, generated from the question set; with a reference for a new case."""

    def __init__(
        self,
        qs: QuestionSet,
        save: Callable[[str, dict[str, object]], object],
        facts: dict[str, object] | None = None,
        reference: str | None = None,
        new_case: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Add case" if new_case else f"Case facts: {reference}", parent)
        self._save = save
        self.result_value: object = None
        facts = facts or {}
        self.reference = QLineEdit(reference or "")
        self.reference.setAccessibleName("Case reference")
        self.reference.setPlaceholderText("CRN or pseudonym, never a name")
        self.reference.setReadOnly(not new_case)
        self.form.addRow("Case &reference", self.reference)
        self.inputs: dict[str, QComboBox | QLineEdit] = {}
        for f in qs.facts:
            widget = self._input(f, facts.get(f.id))
            label = f.label + ("" if f.required else " (optional)")
            self.form.addRow(label, widget)
            if f.help:
                widget.setToolTip(f.help)
            self.inputs[f.id] = widget
        self.resize(520, 0)

    @staticmethod
    def _input(f: Fact, value: object) -> QComboBox | QLineEdit:
        allowed = f.allowed_values()
        if allowed is not None:
            combo = QComboBox()
            combo.setAccessibleName(f.label)
            combo.addItem("— choose —", None)
            for v in allowed:
                combo.addItem(f.label_of(v), v)
            combo.setCurrentIndex(max(0, combo.findData(value)))
            return combo
        edit = QLineEdit("" if value is None else str(value))
        edit.setAccessibleName(f.label)
        if f.type is FactType.DATE:
            edit.setPlaceholderText("YYYY-MM-DD")
        return edit

    def values(self) -> dict[str, object]:
        out: dict[str, object] = {}
        for fid, w in self.inputs.items():
            v = w.currentData() if isinstance(w, QComboBox) else w.text().strip() or None
            if v is not None:
                out[fid] = v
        return out

    def apply(self) -> None:
        self.result_value = self._save(self.reference.text(), self.values())
