"""The history of one answer: every change, who made it and when."""

from __future__ import annotations

from datetime import datetime
from html import escape

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from probdesk.domain.answers import HistoryEntry
from probdesk.domain.hlc import HLC
from probdesk.domain.questionset import Question
from probdesk.domain.words import moment_text
from probdesk.ui.kit.tables import enable_copy


def _value_text(q: Question | None, value: object) -> str:
    if value is None:
        return "(no answer)"
    if isinstance(value, tuple):
        return ", ".join(q.label_of(v) if q else str(v) for v in value)
    return q.label_of(value) if q else str(value)


class HistoryDialog(QDialog):
    def __init__(
        self,
        question: Question | None,
        entries: list[HistoryEntry],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        qid = question.id if question else "?"
        self.setWindowTitle(f"History of {qid}")
        self.setAccessibleName(f"History of {qid}")
        layout = QVBoxLayout(self)
        if question:
            intro = QLabel(f"<b>{escape(question.id)}</b> {escape(question.text)}")
            intro.setWordWrap(True)
            layout.addWidget(intro)
        self.table = QTableWidget(len(entries), 4)
        self.table.setAccessibleName("Changes")
        self.table.setHorizontalHeaderLabels(["When", "Who", "Change", "Note"])
        for i, e in enumerate(entries):
            wall = HLC.parse(e.hlc).wall_ms / 1000
            shown = moment_text(datetime.fromtimestamp(wall), seconds=True)
            change = f"{_value_text(question, e.old_value)} → {_value_text(question, e.new_value)}"
            cells = (shown, e.recorded_by, change, "changed" if e.note_changed else "")
            for j, text in enumerate(cells):
                self.table.setItem(i, j, QTableWidgetItem(text))
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        enable_copy(self.table)
        layout.addWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(640, 320)
