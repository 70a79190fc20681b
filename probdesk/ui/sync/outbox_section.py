"""The Sync tab's outbox: exports and copies to the shared folder, run on the window's Runner."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from probdesk.domain.records import OutboxPackage
from probdesk.errors import ProbdeskError
from probdesk.progress import Cancelled, Progress
from probdesk.ui.kit.changes import Changes
from probdesk.ui.kit.layout import plural
from probdesk.ui.kit.messages import message_label, show_message
from probdesk.ui.kit.tables import record_view
from probdesk.ui.sync.models import OutboxModel, short_id
from probdesk.ui.sync.state import SyncState

if TYPE_CHECKING:  # the package code (cryptography) is loaded with the data, not at start-up
    from probdesk.domain.records import Inspection
    from probdesk.services.fieldwork import ExportResult

    Exported = list[tuple[Inspection, ExportResult]]


log = logging.getLogger("probdesk.ui.sync")


class OutboxSection(SyncState):
    """Sending this laptop's work to the team lead: export now, copy what is still pending,
    and the outbox of packages written here.

    A part of SyncPanel (a mixin): it builds its widgets in its own method and holds their
    slots; the state the sections share (fieldwork, inspection, the shared folder) is
    declared in state.py and set by the panel.
    """

    def _build_send(self) -> QGroupBox:
        send_box = QGroupBox("Send your work to the team lead")
        send_box.setAccessibleName("Send your work")
        send_layout = QVBoxLayout(send_box)
        buttons = QHBoxLayout()
        self.export_button = QPushButton("&Export now")
        self.export_button.setAccessibleName("Export now")
        self.export_button.setToolTip(
            "Write a package of all your work on this inspection and copy it to the shared folder"
        )
        buttons.addWidget(self.export_button)
        self.copy_button = QPushButton("Copy pe&nding")
        self.copy_button.setAccessibleName("Copy pending packages to the shared folder")
        self.copy_button.setToolTip("Copy packages still in the outbox to the shared folder")
        buttons.addWidget(self.copy_button)
        buttons.addStretch(1)
        send_layout.addLayout(buttons)
        self.export_message = message_label("Export result")
        self.export_message.hide()
        send_layout.addWidget(self.export_message)
        outbox_label = QLabel("O&utbox: packages written on this laptop")
        send_layout.addWidget(outbox_label)
        self.outbox_model = OutboxModel(self)
        self.outbox_view = record_view(self.outbox_model, "Outbox")
        outbox_label.setBuddy(self.outbox_view)
        send_layout.addWidget(self.outbox_view, 1)
        return send_box

    # -- export ---------------------------------------------------------------------------
    def export_now(self) -> bool:
        fw, inspection = self.fieldwork, self.inspection
        if fw is None or inspection is None:
            return False
        shared = self.shared_folder()

        def work(progress: Progress, cancelled: Cancelled) -> tuple[Exported, int]:
            # The inspection on screen, and every other one with work no package holds: an
            # answer given in another inspection is never left behind.
            results = fw.export_all(shared, inspection.id, progress, cancelled)
            cleared = 0
            if shared is not None and all(r.copy_problem is None for _, r in results):
                try:
                    cleared = fw.check_receipts(shared)
                except (ProbdeskError, OSError) as exc:  # the export itself has succeeded
                    log.warning("checking receipts failed: %s", type(exc).__name__)
            return results, cleared

        return self.runner.run(
            f"Exporting your work on {inspection.title}", work, self._exported, self._failed,
            changes=Changes.OUTBOX,
        )  # fmt: skip

    def _exported(self, outcome: tuple[Exported, int]) -> None:
        results, cleared = outcome
        lines: list[str] = []
        problem = False
        for inspection, result in results:
            c = result.counts
            what = (
                f"{plural(c.get('cases', 0), 'case')}, {plural(c.get('answers', 0), 'answer')}, "
                f"{plural(c.get('meetings', 0), 'meeting')}, "
                f"{plural(c.get('meeting_notes', 0), 'meeting note')}"
            )
            head = f"Package {short_id(result.package_id)} ({what})"
            if len(results) > 1:
                head = f"{inspection.title}: {head[0].lower()}{head[1:]}"
            if result.copy_problem:
                problem = True
                lines.append(
                    f"{head} is in the outbox but was not copied to the shared folder: "
                    f"{result.copy_problem}"
                )
            elif result.shared_path is not None:
                lines.append(f"{head} exported to {result.shared_path}.")
            else:
                problem = True
                lines.append(
                    f"{head} is in the outbox ({result.outbox_path.parent}). No shared folder "
                    "is set: choose it above, then press Copy pending."
                )
        if len(results) > 1:
            others = len(results) - 1
            lines.insert(
                0,
                f"{plural(others, 'other inspection')} on this laptop had work not yet "
                "exported: each has its own package.",
            )
        if cleared and not problem:
            lines.append(f"The team lead has merged {plural(cleared, 'earlier package')}.")
        show_message(self.export_message, "\n".join(lines), problem=problem)
        self.refresh_outbox()

    def _failed(self, exc: Exception, label: QLabel | None = None) -> None:
        if not isinstance(exc, ProbdeskError):
            self.runner.default_error(exc)
            return
        label = label or self.export_message
        cancelled = self.runner_cancelled(exc)
        show_message(label, exc.message, problem=not cancelled)
        self.refresh_outbox()

    @staticmethod
    def runner_cancelled(exc: Exception) -> bool:
        from probdesk.errors import OperationCancelled

        return isinstance(exc, OperationCancelled)

    def copy_pending(self) -> bool:
        fw, shared = self.fieldwork, self.shared_folder()
        if fw is None or shared is None:
            return False

        def work(progress: Progress, cancelled: Cancelled) -> list[Path]:
            progress(0, 0, f"Copying packages to {shared}")
            return fw.copy_pending(shared, cancelled)  # those copied stay copied

        def done(copied: list[Path]) -> None:
            if copied:
                show_message(
                    self.export_message, f"Copied {plural(len(copied), 'package')} to {shared}."
                )
            else:
                show_message(self.export_message, "No package was waiting to be copied.")
            self.refresh_outbox()

        return self.runner.run(
            "Copying packages to the shared folder", work, done, self._failed,
            changes=Changes.OUTBOX,
        )  # fmt: skip

    def refresh_outbox(self) -> None:
        if self.fieldwork is None:
            self.outbox_model.set_rows([])
            return
        iid = self.inspection.id if self.inspection else None
        try:
            rows: list[OutboxPackage] = self.fieldwork.outbox(iid)
        except ProbdeskError:
            return  # the store cannot be read: the banner says why
        newest_first = sorted(rows, key=lambda p: (p.created_at, p.seq_to), reverse=True)
        self.outbox_model.set_rows(newest_first)
        self.exported.emit()  # written, copied or received: the status bar says which
