"""Section 4 of the Hub tab: how far fieldwork has got, and closing the inspection and purging
what has expired (retention)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QHeaderView, QLabel, QMessageBox, QPushButton

from probdesk.domain.words import day_text
from probdesk.errors import OperationCancelled, ProbdeskError
from probdesk.progress import Cancelled, Progress
from probdesk.ui.hub.case_view import CaseViews
from probdesk.ui.hub.models import ProgressModel
from probdesk.ui.kit.changes import Changes
from probdesk.ui.kit.layout import section
from probdesk.ui.kit.messages import message_label, show_message
from probdesk.ui.kit.tables import record_view

if TYPE_CHECKING:
    from probdesk.hub.store import Hub
    from probdesk.services.retention import CloseResult, HubPurgeResult
    from probdesk.ui.hub.close_dialog import CloseInspectionDialog

# What Purge expired… finds: the retention period in days, the dry run, the titles by id.
PurgeFound = tuple[int, "HubPurgeResult", dict[str, str]]


class ProgressSection(CaseViews):
    """Fieldwork progress by status, closing the inspection, purging expired ones.

    A part of HubPanel: it builds its widgets in its own method and holds their slots; the
    state the sections share (fieldwork, inspection, the hub, the figures read) is the
    panel's, declared in HubState (state.py).
    """

    def _build_progress(self) -> QGroupBox:
        line = self.fontMetrics().height() + 8
        progress_box, progress = section("Fieldwork progress", "Fieldwork progress")
        self.progress_summary = QLabel("")
        self.progress_summary.setAccessibleName("Fieldwork progress in short")
        progress.addWidget(self.progress_summary)
        self.progress_model = ProgressModel(self)
        self.progress_view = record_view(self.progress_model, "Cases by status")
        # Three assessors and three PDUs, the usual team, fit without scrolling.
        self.progress_view.setMinimumHeight(line * 7 + 4)
        header = self.progress_view.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        progress.addWidget(self.progress_view, 1)
        self.progress_note = QLabel("Double-click a row, or press Enter, to list its cases.")
        self.progress_note.setAccessibleName("How to list the cases of a row")
        progress.addWidget(self.progress_note)
        row = QHBoxLayout()
        self.closed_label = QLabel("")
        self.closed_label.setAccessibleName("Whether the inspection is closed")
        self.closed_label.setWordWrap(True)
        row.addWidget(self.closed_label, 1)
        self.close_button = QPushButton("Close &inspection…")
        self.close_button.setAccessibleName("Close the inspection")
        self.close_button.setToolTip(
            "Fieldwork and moderation are over: tell the laptops, which may then purge it "
            "once all their work is merged; the hub keeps it for the retention period"
        )
        row.addWidget(self.close_button)
        self.purge_button = QPushButton("P&urge expired…")
        self.purge_button.setAccessibleName("Purge the closed inspections whose time is up")
        self.purge_button.setToolTip(
            "Remove from this hub every closed inspection whose retention period is over "
            "(the organisation's period, set with probdesk hub retention DAYS); a record of "
            "ids and counts stays"
        )
        row.addWidget(self.purge_button)
        progress.addLayout(row)
        self.close_message = message_label("Closing: message")
        self.close_message.hide()
        progress.addWidget(self.close_message)
        self.close_dialog: CloseInspectionDialog | None = None
        self.purge_box: QMessageBox | None = None
        return progress_box

    # -- retention ---------------------------------------------------------------------------
    def ask_close(self) -> bool:
        """Close inspection…: say what closing does, then close it through the runner."""
        from probdesk.ui.hub.close_dialog import CloseInspectionDialog

        fw, inspection = self.fieldwork, self.inspection
        if fw is None or inspection is None or inspection.closed_at is not None:
            return False
        try:
            from probdesk.services.retention import retention_days

            days = retention_days(self.hub())
        except ProbdeskError as exc:
            show_message(self.close_message, exc.message, problem=True)
            return False
        shared = self.shared_folder()
        if self.close_dialog is not None:
            self.close_dialog.close()
            self.close_dialog.deleteLater()
        dialog = CloseInspectionDialog(inspection.title, days, str(shared) if shared else None,
                                       self)  # fmt: skip
        dialog.accepted.connect(self.close_inspection)
        self.close_dialog = dialog
        dialog.open()
        return True

    def close_inspection(self) -> bool:
        fw, inspection, shared = self.fieldwork, self.inspection, self.shared_folder()
        if fw is None or inspection is None:
            return False
        hub = self._retention_hub()
        if hub is None:
            return False

        def work(progress: Progress, _cancelled: Cancelled) -> CloseResult:
            from probdesk.services import retention

            progress(0, 0, "Closing the inspection and telling the laptops")
            return retention.close_inspection(hub, fw, inspection.id, shared)

        def done(result: CloseResult) -> None:
            packs = len(result.packs)
            text = f"Closed on {day_text(result.closed_at)}. "
            from probdesk.domain.words import plural

            text += (
                f"{plural(packs, 'closing pack')} written to the shared folder for the laptops."
                if packs
                else "No laptop has sent packages for it: no closing pack written."
                if shared is not None
                else "No shared folder is set: the laptops are not told yet."
            )
            show_message(self.close_message, text)
            self.set_inspection(fw.ws.inspection(inspection.id))

        return self.runner.run(
            "Closing the inspection", work, done, self._close_failed, changes=Changes.HUB
        )

    def ask_purge_hub(self) -> bool:
        """Purge expired…: list what is due (a dry run, through the runner), ask, then purge."""
        hub = self._retention_hub()
        if hub is None:
            return False

        def work(progress: Progress, _cancelled: Cancelled) -> PurgeFound:
            from probdesk.services import retention

            progress(0, 0, "Looking for inspections past their retention period")
            titles = {i.inspection_id: i.title for i in retention.hub_inspections(hub)}
            return retention.retention_days(hub), retention.purge_hub(hub, dry_run=True), titles

        def done(found: PurgeFound) -> None:
            days, plan, titles = found
            waiting = "".join(
                f"\n- {i.title}: kept until {day_text(i.purge_from) if i.purge_from else 'closed'}"
                for i in plan.waiting
            )
            if not plan.purged:
                text = f"No closed inspection is past its retention period ({days} days)."
                show_message(self.close_message, text + (f" Waiting:{waiting}" if waiting else ""))
                return
            due = "".join(f"\n- {titles.get(r.inspection_id, r.inspection_id[:8])}, closed on "
                          f"{day_text(r.closed_at)}" for r in plan.purged)  # fmt: skip
            box = QMessageBox(self)
            box.setIcon(QMessageBox.Icon.Warning)
            box.setWindowTitle("Purge expired inspections")
            box.setText(
                f"These closed inspections are past the retention period of {days} days. "
                f"Purging removes all their cases, answers, notes, evidence and packages from "
                f"this hub for good; a record of ids and counts stays.{due}"
            )
            box.setStandardButtons(
                QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel
            )
            box.button(QMessageBox.StandardButton.Discard).setText("Purge for good")
            box.setDefaultButton(QMessageBox.StandardButton.Cancel)
            box.finished.connect(
                lambda code: (
                    self.purge_hub() if code == QMessageBox.StandardButton.Discard.value else None
                )
            )
            self.purge_box = box
            box.open()

        return self.runner.run("Looking for expired inspections", work, done, self._close_failed)

    def purge_hub(self) -> bool:
        fw, shared = self.fieldwork, self.shared_folder()
        hub = self._retention_hub()
        if hub is None:
            return False

        def work(progress: Progress, cancelled: Cancelled) -> HubPurgeResult:
            from probdesk.services import retention

            progress(0, 0, "Purging expired inspections")
            # Cancel stops it before the next inspection; those purged stay purged.
            return retention.purge_hub(
                hub,
                shared=shared,
                lead_device_id=fw.ws.device_id if fw is not None else None,
                cancelled=cancelled,
            )

        def done(result: HubPurgeResult) -> None:
            from probdesk.domain.words import plural

            text = (
                f"Purged {plural(len(result.purged), 'inspection')} from the hub; a record of "
                "ids and counts stays."
            )
            if result.left:
                text = (
                    f"Purge cancelled: {text[0].lower()}{text[1:]} "
                    f"{plural(len(result.left), 'other inspection')} past the retention period "
                    f"{'is' if len(result.left) == 1 else 'are'} still in the hub: purge again "
                    f"to remove {'it' if len(result.left) == 1 else 'them'}."
                )
            show_message(self.close_message, text)
            self.refresh()

        return self.runner.run(
            "Purging expired inspections", work, done, self._close_failed, changes=Changes.HUB
        )

    def _retention_hub(self) -> Hub | None:
        """The hub for closing and purging, or None with the reason said under the buttons."""
        try:
            return self.hub()
        except ProbdeskError as exc:
            show_message(self.close_message, exc.message, problem=True)
            return None

    def _close_failed(self, exc: Exception) -> None:
        if not isinstance(exc, ProbdeskError):
            self.runner.default_error(exc)
            return
        cancelled = isinstance(exc, OperationCancelled)  # as asked: said, not a problem
        show_message(self.close_message, exc.message, problem=not cancelled)
