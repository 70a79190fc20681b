"""Comments back to an assessor: a comment per case, or a case returned, sent on the Runner."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QWidget

from probdesk.domain.records import Case
from probdesk.errors import ProbdeskError
from probdesk.progress import Cancelled, Progress
from probdesk.ui.kit.changes import Changes
from probdesk.ui.kit.dialog import FormDialog
from probdesk.ui.kit.layout import name_buttons
from probdesk.ui.kit.runner import Runner
from probdesk.ui.kit.tables import record_view
from probdesk.ui.team_lead.models import Index, SendBack, SendBackCasesModel

if TYPE_CHECKING:
    from probdesk.services.fieldwork import ExportSeen


class SendBackDialog(FormDialog):
    """Comments on an assessor's cases, the cases to return, and a general comment.

    OK writes the pack through the Runner with the dialog still open: when the service refuses
    (nothing to send, the shared folder is away) its message shows here and nothing typed is
    lost. Accepted with `path`, the pack written.
    """

    def __init__(
        self,
        export: ExportSeen,
        cases: Sequence[Case],
        runner: Runner,
        send: SendBack,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(f"Send comments to {export.name}", parent)
        self.export = export
        self.runner = runner
        self.send = send
        self.busy = False
        self.path: Path | None = None
        self.sent: tuple[int, int] = (0, 0)
        self._row: int | None = None
        fp = escape(export.fingerprint).replace(" ", "&nbsp;")  # never broken over two lines
        intro = QLabel(
            f"Comments for <b>{escape(export.name)}</b>, encrypted for the laptop whose key has "
            f"the fingerprint <tt>{fp}</tt>. Select a case to comment "
            "on it; tick <i>Return for more work</i> to reopen it on their laptop. The pack is "
            "written to the shared folder and opened at their next sync."
        )
        intro.setWordWrap(True)
        self.outer.insertWidget(0, intro)
        self.model = SendBackCasesModel(cases, self)
        self.view = record_view(self.model, f"{export.name}'s cases in this inspection")
        self.view.setMinimumHeight(220)
        self.outer.insertWidget(1, self.view, 1)
        if not cases:
            none = QLabel(
                f"No case in this inspection is assigned to {export.name}: you can "
                "still write a general comment."
            )
            none.setWordWrap(True)
            self.outer.insertWidget(2, none)
        self.case_label = QLabel("Comment on the selected &case")
        self.case_comment = QPlainTextEdit()
        self.case_comment.setAccessibleName("Comment on the selected case")
        self.case_comment.setTabChangesFocus(True)
        self.case_comment.setMaximumHeight(110)
        self.case_label.setBuddy(self.case_comment)
        self.form.addRow(self.case_label, self.case_comment)
        self.note = QPlainTextEdit()
        self.note.setAccessibleName("General comment, not about one case")
        self.note.setPlaceholderText("Optional: a comment about their work as a whole")
        self.note.setTabChangesFocus(True)
        self.note.setMaximumHeight(80)
        note_label = QLabel("&General comment")
        note_label.setBuddy(self.note)
        self.form.addRow(note_label, self.note)
        name_buttons(self.buttons, "&Send comments", f"Send the comments to {export.name}")
        self.view.selectionModel().currentRowChanged.connect(self._case_chosen)
        self.case_comment.textChanged.connect(self._comment_edited)
        self._case_chosen(QModelIndex(), QModelIndex())
        if cases:
            self.view.selectRow(0)
        self.resize(720, 640)

    def _case_chosen(self, current: Index, _previous: Index) -> None:
        row = current.row() if current.isValid() else None
        self._row = None  # while the editor is refilled, nothing is written back
        if row is None:
            self.case_comment.setPlainText("")
            self.case_comment.setEnabled(False)
            self.case_comment.setPlaceholderText("Select a case above to comment on it")
            self.case_label.setText("Comment on the selected &case")
        else:
            case = self.model.cases[row]
            self.case_comment.setEnabled(True)
            self.case_comment.setPlainText(self.model.comments.get(case.id, ""))
            self.case_comment.setPlaceholderText(f"What needs more work in case {case.reference}")
            self.case_label.setText(f"Comment on &case {case.reference}")
            self.case_comment.setAccessibleName(f"Comment on case {case.reference}")
        self._row = row

    def _comment_edited(self) -> None:
        if self._row is not None:
            self.model.set_comment(self._row, self.case_comment.toPlainText())

    def comments(self) -> tuple[list[tuple[str | None, str]], list[str]]:
        comments, returned = self.model.collected()
        note = self.note.toPlainText().strip()
        if note:
            comments.insert(0, (None, note))
        return comments, returned

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.buttons.setEnabled(not busy)

    def reject(self) -> None:
        if not self.busy:  # the pack is being written: it finishes, then the dialog closes
            super().reject()

    def _accept(self) -> None:
        if self.busy:
            return
        comments, returned = self.comments()
        self.error.hide()
        send = self.send

        def work(progress: Progress, _cancelled: Cancelled) -> Path:
            progress(0, 0, "Signing, encrypting and writing the comments")
            return send(comments, returned)

        def done(path: Path) -> None:
            self._set_busy(False)
            self.path = path
            self.sent = (len(comments), len(returned))
            self.accept()

        def failed(exc: Exception) -> None:
            self._set_busy(False)
            if not isinstance(exc, ProbdeskError):
                self.runner.default_error(exc)
                return
            details = "\n".join(exc.details)
            self.show_error(exc.message + (f"\n{details}" if details else ""))

        self._set_busy(True)
        title = f"Sending comments to {self.export.name}"
        if not self.runner.run(title, work, done, failed, changes=Changes.HUB | Changes.OUTBOX):
            self._set_busy(False)
            self.show_error("Please wait: another operation is still running.")
