"""Sections 3 and 5 of the Hub tab: the team lead's decisions, settling conflicts and
moderating submitted cases."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPushButton

from probdesk.errors import ProbdeskError
from probdesk.progress import Cancelled, Progress
from probdesk.ui.hub.case_view import CaseViews, moderated_text
from probdesk.ui.hub.dialogs import ReturnDialog, SettleDialog
from probdesk.ui.hub.models import ConflictModel, ModerationModel, value_text
from probdesk.ui.kit.changes import Changes
from probdesk.ui.kit.layout import plural, section
from probdesk.ui.kit.messages import message_label, show_message
from probdesk.ui.kit.tables import record_view, selected_rows

if TYPE_CHECKING:
    from probdesk.services.figures import (
        Conflict,
        ModerationItem,
    )
    from probdesk.services.hub import (
        ModerationResult,
        ResolutionResult,
    )


class DecisionsSection(CaseViews):
    """Conflicts to settle and submitted cases to approve or return.

    A part of HubPanel: it builds its widgets in its own method and holds their slots; the
    state the sections share (fieldwork, inspection, the hub, the figures read) is the
    panel's, declared in HubState (state.py).
    """

    def _build_conflicts(self) -> QGroupBox:
        conflicts_box, conflicts = section("Conflicts", "Conflicts")
        self.undecided = QLabel("")
        self.undecided.setAccessibleName("Undecided conflicts")
        self.undecided.setWordWrap(True)
        conflicts.addWidget(self.undecided)
        self.conflict_model = ConflictModel(self)
        self.conflict_view = record_view(self.conflict_model, "Conflicts and parallel updates")
        conflicts.addWidget(self.conflict_view, 1)
        row = QHBoxLayout()
        self.settle_button = QPushButton("&Settle…")
        self.settle_button.setAccessibleName("Settle the selected conflict")
        self.settle_button.setToolTip(
            "Choose which answer stands; the laptops that answered get the decision"
        )
        row.addWidget(self.settle_button)
        row.addStretch(1)
        conflicts.addLayout(row)
        self.conflict_message = message_label("Conflicts: message")
        self.conflict_message.hide()
        conflicts.addWidget(self.conflict_message)
        self.settle_dialog: SettleDialog | None = None
        return conflicts_box

    def _build_moderation(self) -> QGroupBox:
        line = self.fontMetrics().height() + 8
        moderation_box, moderation = section("Moderation", "Moderation")
        self.moderation_model = ModerationModel(self)
        self.moderation_view = record_view(self.moderation_model, "Submitted cases to moderate")
        self.moderation_view.setMinimumHeight(line * 5)
        moderation.addWidget(self.moderation_view, 1)
        row = QHBoxLayout()
        self.approve_button = QPushButton("Appro&ve")
        self.approve_button.setAccessibleName("Approve the selected case")
        self.return_button = QPushButton("&Return with comment…")
        self.return_button.setAccessibleName("Return the selected case with a comment")
        self.return_button.setToolTip(
            "Send the case back to its assessor's laptop with what to look at again"
        )
        self.open_case_button = QPushButton("&Open case…")
        self.open_case_button.setAccessibleName("Open the selected case to read it")
        self.open_case_button.setToolTip(
            "Read the case: every answer with its note, who gave it and when, its history, "
            "conflicts and moderation (or double-click it, or press Enter)"
        )
        row.addWidget(self.approve_button)
        row.addWidget(self.return_button)
        row.addWidget(self.open_case_button)
        row.addStretch(1)
        moderation.addLayout(row)
        self.moderation_message = message_label("Moderation: message")
        self.moderation_message.hide()
        moderation.addWidget(self.moderation_message)
        self.return_dialog: ReturnDialog | None = None
        return moderation_box

    # -- settling conflicts -----------------------------------------------------------------
    def selected_conflict(self) -> Conflict | None:
        rows = selected_rows(self.conflict_view)
        return self.conflict_model.row_at(rows[0]) if rows else None

    def settle_selected(self) -> bool:
        """Open the dialog that settles the selected conflict (window-modal, no nested loop)."""
        conflict = self.selected_conflict()
        if conflict is None or conflict.kind != "conflict":
            return False
        if self.settle_dialog is not None:
            self.settle_dialog.close()
            self.settle_dialog.deleteLater()
        dialog = SettleDialog(conflict, self)
        dialog.accepted.connect(
            lambda: self.settle(conflict, dialog.keep(), both_notes=dialog.both_notes())
        )
        self.settle_dialog = dialog
        dialog.open()
        return True

    def settle(self, conflict: Conflict, keep: int, *, both_notes: bool = False) -> bool:
        """Keep answer `keep` (1 = the one listed first) of `conflict`, through the runner."""
        fw, inspection, shared = self.fieldwork, self.inspection, self.shared_folder()
        if fw is None or inspection is None:
            return False
        try:
            hub = self.hub()
        except ProbdeskError as exc:
            self.runner.default_error(exc)
            return False

        def work(progress: Progress, _cancelled: Cancelled) -> ResolutionResult:
            from probdesk.services import hub as hubs

            progress(0, 0, f"Settling {conflict.question_id} of case {conflict.case_ref}")
            return hubs.resolve_conflict(
                hub, fw, inspection.id, conflict.case_ref, conflict.question_id,
                keep=keep, both_notes=both_notes, shared=shared,
            )  # fmt: skip

        def done(result: ResolutionResult) -> None:
            packs = plural(len(result.sendbacks), "send-back pack")
            where = f" in {shared}" if shared is not None and result.sendbacks else ""
            show_message(
                self.conflict_message,
                f"{result.case_ref} {result.question_id}: {value_text(result.value)} stands; "
                f"{packs} written{where}.",
            )
            self._stale = True
            self.refresh()

        return self.runner.run("Settling a conflict", work, done, changes=Changes.HUB)

    # -- moderation -------------------------------------------------------------------------
    def selected_case(self) -> ModerationItem | None:
        rows = selected_rows(self.moderation_view)
        return self.moderation_model.row_at(rows[0]) if rows else None

    def open_selected_case(self) -> bool:
        case = self.selected_case()
        return case is not None and self.open_case(case.case_ref)

    def approve_selected(self) -> bool:
        case = self.selected_case()
        return case is not None and self.moderate(case.case_ref, "approved", "")

    def return_selected(self) -> bool:
        """Open the dialog that asks for the comment, then returns the selected case."""
        case = self.selected_case()
        if case is None:
            return False
        if self.return_dialog is not None:
            self.return_dialog.close()
            self.return_dialog.deleteLater()
        dialog = ReturnDialog(case.case_ref, self)
        dialog.accepted.connect(lambda: self.moderate(case.case_ref, "returned", dialog.comment()))
        self.return_dialog = dialog
        dialog.open()
        return True

    def moderate(
        self,
        case_ref: str,
        action: str,
        comment: str,
        then: Callable[[ModerationResult], None] | None = None,
        question_id: str | None = None,
    ) -> bool:
        """Approve or return a case through the runner, then read the hub again (after
        `then(result)`, the case view's own reading); a return's comment may be on one
        question."""
        fw, inspection, shared = self.fieldwork, self.inspection, self.shared_folder()
        if fw is None or inspection is None:
            return False
        try:
            hub = self.hub()
        except ProbdeskError as exc:
            self.runner.default_error(exc)
            return False

        def work(progress: Progress, _cancelled: Cancelled) -> ModerationResult:
            from probdesk.services import hub as hubs

            progress(0, 0, f"Recording the decision on case {case_ref}")
            return hubs.moderate(
                hub, fw, inspection.id, case_ref, action, comment, shared, question_id
            )

        def done(result: ModerationResult) -> None:
            show_message(self.moderation_message, moderated_text(result))
            self._stale = True
            if then is not None:
                then(result)  # first: the runner is free; the figures are read after it
            self.refresh()

        title = "Approving a case" if action == "approved" else "Returning a case"
        return self.runner.run(title, work, done, changes=Changes.HUB | Changes.OUTBOX)
