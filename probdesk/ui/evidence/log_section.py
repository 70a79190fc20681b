"""Sections 1 and 2 of the Evidence tab: the evidence log of documents submitted, and the
gaps to clarify. Every write is one quick local unit of work (`EvidenceLog`)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QPushButton,
    QTableView,
    QWidget,
)

from probdesk.domain.evidence import Document, Gap
from probdesk.errors import ProbdeskError
from probdesk.ui.evidence.dialogs import DocumentDialog, GapDialog, PlanDialog, TextDialog
from probdesk.ui.evidence.models import DocumentModel, GapModel, table
from probdesk.ui.evidence.state import EvidenceState
from probdesk.ui.kit.dialog import FormDialog
from probdesk.ui.kit.layout import section
from probdesk.ui.kit.messages import message_label, show_message


class LogSection(EvidenceState):
    """Sections 1 and 2, the evidence log: the documents the PDU or region submitted, and
    the gaps and points to clarify, tracked until answered or closed.

    A part of EvidencePanel (a mixin): it builds its widgets in its own method and holds
    their slots; the state the sections share (log, inspection, qs, meetings, findings)
    is declared in state.py and set by the panel.
    """

    def _build_log(self) -> QWidget:
        """The top row: the documents and the gaps side by side."""
        top = QWidget()
        top_row = QHBoxLayout(top)
        top_row.setContentsMargins(0, 0, 0, 0)
        top_row.addWidget(self._build_documents(), 1)
        top_row.addWidget(self._build_gaps(), 1)
        return top

    def _build_documents(self) -> QGroupBox:
        log_box, log = section("1. Evidence log: documents submitted", "Evidence log")
        row = QHBoxLayout()
        self.add_button = QPushButton("Add &document…")
        self.add_button.setAccessibleName("Add a document to the evidence log")
        self.save_file_button = QPushButton("Sa&ve attached file…")
        self.save_file_button.setAccessibleName("Save the document's attached file")
        self.withdraw_button = QPushButton("&Withdraw…")
        self.withdraw_button.setAccessibleName("Withdraw the document")
        for b in (self.add_button, self.save_file_button, self.withdraw_button):
            row.addWidget(b)
        row.addStretch(1)
        log.addLayout(row)
        self.document_model = DocumentModel(self)
        self.document_view = table(
            self.document_model,
            "Documents in the evidence log",
            5,
            stretch=2,
            widths={3: 12, 4: 22, 5: 18},
        )
        log.addWidget(self.document_view, 1)
        self.log_message = message_label("Evidence log: message")
        self.log_message.hide()
        log.addWidget(self.log_message)
        return log_box

    def _build_gaps(self) -> QGroupBox:
        gaps_box, gaps = section("2. Gaps and points to clarify", "Gaps to clarify")
        row = QHBoxLayout()
        self.raise_button = QPushButton("Rai&se gap…")
        self.raise_button.setAccessibleName("Raise a gap or point to clarify")
        self.plan_button = QPushButton("Pla&n into meeting…")
        self.plan_button.setAccessibleName("Plan the gap into a meeting or focus group")
        self.answer_button = QPushButton("Mar&k answered…")
        self.answer_button.setAccessibleName("Mark the gap answered")
        self.close_button = QPushButton("C&lose gap…")
        self.close_button.setAccessibleName("Close the gap without an answer")
        for b in (self.raise_button, self.plan_button, self.answer_button, self.close_button):
            row.addWidget(b)
        row.addStretch(1)
        self.open_only = QCheckBox("Show &open only")
        self.open_only.setAccessibleName("Show open gaps only")
        row.addWidget(self.open_only)
        gaps.addLayout(row)
        self.gap_model = GapModel(self)
        self.gap_view = table(
            self.gap_model, "Gaps to clarify", 5, stretch=1, widths={3: 24, 4: 22}
        )
        gaps.addWidget(self.gap_view, 1)
        self.gap_message = message_label("Gaps: message")
        self.gap_message.hide()
        gaps.addWidget(self.gap_message)
        return gaps_box

    @staticmethod
    def _reselect(view: QTableView, row: int) -> None:
        if row >= 0:
            view.selectRow(row)

    def selected_document(self) -> Document | None:
        rows = self.document_view.selectionModel().selectedRows()
        return self.document_model.row_at(rows[0].row()) if rows else None

    def selected_gap(self) -> Gap | None:
        rows = self.gap_view.selectionModel().selectedRows()
        return self.gap_model.row_at(rows[0].row()) if rows else None

    def add_document(self) -> Document | None:
        if self.log is None or self.inspection is None or self.qs is None:
            return None
        log, iid = self.log, self.inspection.id
        question = self.current_question()
        dialog = DocumentDialog(
            self.qs,
            lambda title, kind, received, informs, attachment: log.add_document(
                iid, title, kind, received, informs, attachment
            ),
            informs=[question] if question else [],
            parent=self,
        )
        if not dialog.exec() or dialog.result_value is None:
            return None
        doc = dialog.result_value
        show_message(self.log_message, f"Logged {doc.title}.")
        self._written()
        self._reselect(self.document_view, self.document_model.row_of(doc.id))
        return doc

    def save_attachment(self) -> Path | None:
        doc = self.selected_document()
        if self.log is None or doc is None or not doc.has_attachment:
            return None
        proposed = str(Path.home() / (Path(doc.attachment_name).name or "attachment"))
        path, _ = QFileDialog.getSaveFileName(self, "Save the attached file", proposed)
        if not path:
            return None
        try:
            written = self.log.save_attachment(doc.id, Path(path))
        except ProbdeskError as exc:
            show_message(self.log_message, exc.message, problem=True)
            return None
        show_message(self.log_message, f"Saved {doc.attachment_name} to {written}.")
        return written

    def withdraw_document(self) -> Document | None:
        doc = self.selected_document()
        if self.log is None or doc is None:
            return None
        log = self.log
        dialog = TextDialog(
            "Withdraw document",
            f"{doc.title} stays in the log, marked withdrawn, and no longer informs any "
            "question. Say why.",
            "&Reason",
            "Withdraw",
            lambda reason: log.withdraw_document(doc.id, reason),
            self,
        )
        if not dialog.exec():
            return None
        show_message(self.log_message, f"Withdrew {doc.title}.")
        self._written()
        return dialog.result_value  # type: ignore[return-value]  # FormDialog keeps an object: here a Document

    def raise_gap(self) -> Gap | None:
        if self.log is None or self.inspection is None or self.qs is None:
            return None
        log, iid = self.log, self.inspection.id
        dialog = GapDialog(
            self.qs, lambda qid, text: log.raise_gap(iid, qid, text), self.current_question(), self
        )
        if not dialog.exec() or dialog.result_value is None:
            return None
        gap = dialog.result_value
        show_message(self.gap_message, f"Raised a gap on {gap.question_id}.")
        self._written()
        self._reselect(self.gap_view, self.gap_model.row_of(gap.id))
        return gap

    def _gap_done(self, dialog: FormDialog, gap: Gap, what: str) -> Gap | None:
        if not dialog.exec():
            return None
        show_message(self.gap_message, f"{what} the gap on {gap.question_id}.")
        self._written()
        self._reselect(self.gap_view, self.gap_model.row_of(gap.id))
        return dialog.result_value  # type: ignore[attr-defined, no-any-return]  # a FormDialog keeps a Gap here

    def plan_gap(self) -> Gap | None:
        gap = self.selected_gap()
        if self.log is None or gap is None or self.inspection is None:
            return None
        if not self.meetings:
            show_message(
                self.gap_message,
                "There is no meeting or focus group to plan it into yet: add one on the "
                "Meetings and focus groups tab first.",
                problem=True,
            )
            return None
        log = self.log
        dialog = PlanDialog(gap, self.meetings, lambda mid: log.plan_gap(gap.id, mid), self)
        return self._gap_done(dialog, gap, "Planned")

    def answer_gap(self) -> Gap | None:
        gap = self.selected_gap()
        if self.log is None or gap is None:
            return None
        log = self.log
        dialog = TextDialog(
            "Mark answered",
            f"{gap.question_id}: {gap.text}",
            "&What the answer was",
            "Mark answered",
            lambda outcome: log.answer_gap(gap.id, outcome),
            self,
        )
        return self._gap_done(dialog, gap, "Marked answered")

    def close_gap(self) -> Gap | None:
        gap = self.selected_gap()
        if self.log is None or gap is None:
            return None
        log = self.log
        dialog = TextDialog(
            "Close gap",
            f"{gap.question_id}: {gap.text}\n\nClosing it records that it will not be answered. "
            "Say why.",
            "&Reason",
            "Close gap",
            lambda reason: log.close_gap(gap.id, reason),
            self,
        )
        return self._gap_done(dialog, gap, "Closed")
