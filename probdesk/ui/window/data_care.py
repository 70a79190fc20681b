"""The care of the data on this laptop, from the main window: the full integrity check once
start-up is over, the snapshots (taken every 30 minutes and on close; File > Snapshots… to
put one back) and File > Purge inspection…. Each runs through the window's runner."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer

from probdesk.errors import ProbdeskError
from probdesk.ui.kit.changes import Changes
from probdesk.ui.window.state import WindowState

if TYPE_CHECKING:
    from pathlib import Path

    from PySide6.QtWidgets import QMessageBox

    from probdesk.domain.records import Inspection
    from probdesk.hub.store import Hub
    from probdesk.progress import Cancelled, Progress
    from probdesk.services.retention import PurgePlan, PurgeResult
    from probdesk.ui.window.purge_dialog import PurgeDialog
    from probdesk.ui.window.snapshots_dialog import SnapshotsDialog

log = logging.getLogger("probdesk.window")
CHECK_AFTER_MS = 3000  # the full integrity check, once start-up is over


class DataCarePart(WindowState):
    """A part of MainWindow (a mixin): the integrity check, the snapshots and the purge."""

    snapshots_dialog: SnapshotsDialog  # File > Snapshots…, while open
    purge_dialog: PurgeDialog  # File > Purge inspection…, once checked
    purge_done: QMessageBox  # what the purge removed

    # -- the integrity check ----------------------------------------------------------------
    def check_data_later(self, after_ms: int = CHECK_AFTER_MS) -> None:
        """The full integrity check, in the background once start-up is over."""
        QTimer.singleShot(after_ms, self, self.check_data)  # dropped if the window has gone

    def check_data(self) -> bool:
        """Run the full check through the runner (again in 30 s if it is busy); a problem is
        said at once, with the way back (File > Snapshots…)."""
        from PySide6.QtWidgets import QMessageBox

        if not self.views_built or not self.isVisible():  # closed meanwhile: nothing to check
            return False
        if self.runner.busy:
            self.check_data_later(30_000)
            return False
        workspace = self.workspace

        def work(_p: Any, _c: Any) -> tuple[str, list[str]]:
            result = workspace.full_check()
            # Then what was changed outside probdesk (its signed chain heads).
            return result, workspace.verify() if workspace.keys is not None else []

        def done(found: tuple[str, list[str]]) -> None:
            result, changed = found
            self.data_check = result
            self.tamper_findings = changed
            if changed:
                log.error("verify: %s finding(s)", len(changed))
                QMessageBox.warning(
                    self, "probdesk: changes made outside probdesk",
                    "Your database does not match what this laptop signed as it saved:\n\n- "
                    + "\n- ".join(changed) + "\n\nTake a copy of the data folder and tell "
                    "your team lead; `probdesk verify` lists this again.",
                )  # fmt: skip
            if result != "ok":
                log.error("the full integrity check found a problem")
                QMessageBox.warning(
                    self, "probdesk: a problem in your data",
                    f"The full check of your database found a problem ({result}). What you "
                    "see may be incomplete, and saving may fail. Take a copy of the data "
                    "folder, then restore the newest good snapshot (File > Snapshots…) or "
                    "contact the probdesk team.",
                )  # fmt: skip

        return self.runner.run("Checking your data", work, done)

    # -- snapshots ----------------------------------------------------------------------------
    def show_snapshots(self) -> None:
        """File > Snapshots…; a restore chosen there closes the window, and run_gui puts the
        snapshot back and opens the data again."""
        from probdesk.ui.window.snapshots_dialog import SnapshotsDialog

        if not self.views_built:
            return
        self.snapshots_dialog = SnapshotsDialog(self.workspace, self)
        self.snapshots_dialog.accepted.connect(
            lambda: self.request_restore(self.snapshots_dialog.restore_requested)
        )
        self.snapshots_dialog.open()

    def request_restore(self, snapshot: Path | None) -> bool:
        """Close, so that the snapshot can be put in place of the open database."""
        if snapshot is None:
            return False
        if self.runner.busy:
            self.statusBar().showMessage(f"Please wait: {self.runner.title} is running.", 5000)
            return False
        self.restore_requested = snapshot
        if not self.close():  # unsaved changes the user kept: no restore
            self.restore_requested = None
            return False
        return True

    def take_snapshot(self) -> bool:
        """A snapshot of the database through the runner, if it changed since the newest one
        (False when another operation is running: the next tick takes it)."""
        if not self.views_built or self.runner.busy:
            return False
        workspace = self.workspace

        def done(path: Path | None) -> None:
            if path is not None:
                self.statusBar().showMessage("Snapshot of your data taken", 5000)

        return self.runner.run(
            "Taking a snapshot",
            lambda _progress, _cancelled: workspace.snapshot_if_changed(),
            done,
        )

    def _snapshot_on_close(self) -> None:
        try:
            self.workspace.snapshot_if_changed()
        except (ProbdeskError, OSError) as exc:  # closing goes on: the data itself is saved
            log.warning("no snapshot on close: %s", type(exc).__name__)

    # -- retention ----------------------------------------------------------------------------
    def _purge_hub(self, inspection: Inspection) -> Hub | None:
        """The hub that must hold a team lead's own changes (None on an assessor's laptop)."""
        if inspection.lead_device_id != self.workspace.device_id:
            return None
        if self.hub is None or not self.hub.exists():
            return None
        return self.hub.get()

    def purge_inspection(self) -> bool:
        """File > Purge inspection…: check in the runner what purging the chosen inspection
        removes, or what is still unmerged, and show it; the purge runs once confirmed."""
        fw, inspection = self.fieldwork, self.inspection
        if not self.views_built or fw is None:
            return False
        if inspection is None:
            self.statusBar().showMessage("Choose the inspection to purge first.", 5000)
            return False
        if self.saver.pending:
            self.statusBar().showMessage("Please wait: a change is still being saved.", 5000)
            return False
        shared = self.sync.shared_folder()
        try:
            hub = self._purge_hub(inspection)
        except ProbdeskError as exc:
            self.runner.default_error(exc)
            return False

        def work(progress: Progress, _cancelled: Cancelled) -> PurgePlan:
            from probdesk.services import retention

            progress(0, 0, "Reading the merge receipts")
            return retention.plan_purge(fw, inspection.id, shared=shared, hub=hub)

        return self.runner.run("Checking the inspection before a purge", work, self._show_purge)

    def _show_purge(self, plan: PurgePlan) -> None:
        from probdesk.ui.window.purge_dialog import PurgeDialog

        dialog = PurgeDialog(plan, self)
        dialog.accepted.connect(lambda: self._run_purge(dialog.plan.inspection_id))
        self.purge_dialog = dialog
        dialog.open()

    def _run_purge(self, inspection_id: str) -> bool:
        fw = self.fieldwork
        if fw is None:
            return False
        shared = self.sync.shared_folder()
        inspection = self.workspace.inspection(inspection_id)
        try:
            hub = self._purge_hub(inspection)
        except ProbdeskError as exc:
            self.runner.default_error(exc)
            return False
        self.case_form.clear()  # nothing of it stays on screen either

        def work(progress: Progress, cancelled: Cancelled) -> PurgeResult:
            from probdesk.services import retention

            # Cancel is heard after the check, before anything is removed.
            return retention.purge(
                fw, inspection_id, shared=shared, hub=hub, progress=progress, cancelled=cancelled
            )

        def done(result: PurgeResult) -> None:
            from PySide6.QtWidgets import QMessageBox

            from probdesk.services.retention import counts_in_words

            self.settings.remove("main/case")
            self.reload_inspections()
            self._refresh_unexported()
            text = (
                f"The inspection was purged from this laptop: "
                f"{counts_in_words(result.rows)} removed, with {result.files} package file(s) "
                f"and {result.snapshots} snapshot(s); the database was compacted and a new "
                "snapshot taken."
            )
            kept = result.kept_copies
            if kept:
                text += (
                    " Older copies of the database were not removed: "
                    + ", ".join(str(p) for p in kept)
                    + ". Delete them once you are sure they are not needed."
                )
            self.statusBar().showMessage("Inspection purged", 5000)
            box = QMessageBox(QMessageBox.Icon.Information, "Inspection purged", text,
                              QMessageBox.StandardButton.Ok, self)  # fmt: skip
            self.purge_done = box  # not modal-blocking: the window goes on
            box.open()

        def failed(exc: Exception) -> None:
            from probdesk.errors import OperationCancelled

            self.reload_inspections(select=inspection_id)
            if isinstance(exc, OperationCancelled):
                self.statusBar().showMessage("Purge cancelled: nothing was removed.", 5000)
                return
            self.runner.default_error(exc)

        return self.runner.run(
            "Purging the inspection", work, done, failed,
            changes=Changes.INSPECTIONS | Changes.CASES | Changes.MEETINGS | Changes.EVIDENCE
            | Changes.OUTBOX,
        )  # fmt: skip
