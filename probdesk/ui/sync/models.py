"""The Sync tab's tables: the outbox (packages written on this laptop) and the incoming packs
found in the shared folder."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from probdesk.domain.records import OutboxPackage
from probdesk.domain.words import moment_text
from probdesk.ui.kit.tables import RecordTableModel

if TYPE_CHECKING:  # the package code (cryptography) is loaded with the data, not at start-up
    from probdesk.services.fieldwork import IncomingPack


KINDS = {"setup": "Setup pack", "sendback": "Comments from the team lead", "events": "Your work"}


def short_id(package_id: str) -> str:
    return package_id[:8]


def when_text(at: datetime | None) -> str:
    return moment_text(at) if at else ""


class OutboxModel(RecordTableModel[OutboxPackage]):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            [
                ("Created", lambda p: when_text(p.created_at)),
                ("Package", lambda p: f"{KINDS.get(p.kind, p.kind)} {short_id(p.package_id)}"),
                (
                    "In the shared folder",
                    lambda p: f"Yes, {when_text(p.copied_at)}" if p.copied_at else "Not yet",
                ),
                (
                    "Merged by the team lead",
                    lambda p: f"Yes, {when_text(p.receipt_at)}" if p.receipt_at else "Not yet",
                ),
            ],
            tooltip=lambda p: (
                f"{p.shared_path or p.file_name}\nHolds your changes up to number {p.seq_to}."
            ),
            parent=parent,
        )


class IncomingModel(RecordTableModel["IncomingPack"]):  # quoted: imported for typing only
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            [
                ("Pack", lambda p: KINDS.get(p.kind, "Unreadable file")),
                ("Inspection", lambda p: self.inspection_text(p)),
                ("Signed by key", lambda p: p.signer_fingerprint),
                ("Opened here", lambda p: "Yes" if p.opened else "No"),
                ("Problem", lambda p: p.problem or ""),
            ],
            tooltip=lambda p: str(p.path),
            parent=parent,
        )
        self.inspections: dict[str, str] = {}  # id -> title, of the inspections open here

    def inspection_text(self, pack: IncomingPack) -> str:
        if not pack.inspection_id:
            return ""
        return self.inspections.get(pack.inspection_id) or (
            "A new inspection (open the pack to see which)"
        )
