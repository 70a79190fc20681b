"""The Team lead tab's tables: the team, the case sample, the assessors' exports and the
cases a comment goes back on."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QWidget

from probdesk.domain.records import Assessor, Case
from probdesk.domain.words import moment_text
from probdesk.services.workspace import ROLES
from probdesk.ui.kit.tables import RecordTableModel

if TYPE_CHECKING:
    from probdesk.services.fieldwork import ExportSeen

TEAM_ROLES = ("inspector", "local_assessor")
MIN_PASSPHRASE = 10  # as probdesk.services.fieldwork.MIN_PASSPHRASE (checked again there)
Index = QModelIndex | QPersistentModelIndex
Found = tuple[list["ExportSeen"], dict[Path, datetime | None]]  # exports, when each was written


class TeamModel(RecordTableModel[Assessor]):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            [("Name or initials", lambda a: a.name), ("Role", lambda a: ROLES.get(a.role, a.role))],
            parent=parent,
        )


class SampleCaseModel(RecordTableModel[Case]):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            [
                ("Reference", lambda c: c.reference),
                ("PDU", lambda c: c.pdu or ""),
                ("Assessor", lambda c: c.assessor or "not assigned"),
                ("Status", lambda c: c.status.label),
            ],
            parent=parent,
        )


def export_written(path: Path) -> datetime | None:
    """When an export was written, from its signed manifest (None when it cannot be read)."""
    from probdesk.packages import reader
    from probdesk.packages.format import PackageError

    try:
        stamp = reader.peek_manifest(path).get("created_at")
        return datetime.fromisoformat(str(stamp)) if stamp else None
    except (PackageError, OSError, ValueError):
        return None


def local_time(at: datetime | None) -> str:
    return moment_text(at.astimezone()) if at else ""


class ExportsModel(RecordTableModel["ExportSeen"]):  # quoted: imported for typing only
    """The assessors' exports found in the shared folder: one row per package file."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            [
                ("Assessor", lambda e: e.name or "(not readable)"),
                ("Role", lambda e: ROLES.get(e.role, e.role)),
                ("Laptop key fingerprint", lambda e: e.fingerprint),
                ("Cases", lambda e: str(e.counts.get("cases", ""))),
                ("Answers", lambda e: str(e.counts.get("answers", ""))),
                ("Written", lambda e: local_time(self.written.get(e.path))),
                ("Problem", lambda e: e.problem or ""),
            ],
            tooltip=lambda e: str(e.path),
            parent=parent,
        )
        self.written: dict[Path, datetime | None] = {}

    def set_exports(
        self, exports: Sequence[ExportSeen], written: dict[Path, datetime | None]
    ) -> None:
        self.written = dict(written)
        self.set_rows(exports)


class SendBackCasesModel(QAbstractTableModel):
    """An assessor's cases: which to return for more work, and the comment on each."""

    RETURN_COLUMN = 2
    HEADERS = ("Reference", "Status", "Return for more work", "Comment")

    def __init__(self, cases: Sequence[Case], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cases = list(cases)
        self.returned: set[str] = set()
        self.comments: dict[str, str] = {}

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.cases)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        horizontal = orientation == Qt.Orientation.Horizontal
        if role == Qt.ItemDataRole.DisplayRole and horizontal and 0 <= section < len(self.HEADERS):
            return self.HEADERS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == self.RETURN_COLUMN:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not (0 <= index.row() < len(self.cases)):
            return None
        case, column = self.cases[index.row()], index.column()
        comment = self.comments.get(case.id, "").strip()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return case.reference
            if column == 1:
                return case.status.label
            if column == 3:
                return comment.splitlines()[0] if comment else ""
            return None
        if role == Qt.ItemDataRole.CheckStateRole and column == self.RETURN_COLUMN:
            checked = case.id in self.returned
            return Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.ToolTipRole and column == 3 and comment:
            return comment
        return None

    def setData(self, index: Index, value: object, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if (
            not index.isValid()
            or index.column() != self.RETURN_COLUMN
            or role != Qt.ItemDataRole.CheckStateRole
        ):
            return False
        state = value if isinstance(value, Qt.CheckState) else Qt.CheckState(int(str(value)))
        case_id = self.cases[index.row()].id
        if state == Qt.CheckState.Checked:
            self.returned.add(case_id)
        else:
            self.returned.discard(case_id)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        return True

    def set_comment(self, row: int, text: str) -> None:
        case_id = self.cases[row].id
        if self.comments.get(case_id, "") == text:
            return
        self.comments[case_id] = text
        cell = self.index(row, 3)
        self.dataChanged.emit(cell, cell, [Qt.ItemDataRole.DisplayRole])

    def collected(self) -> tuple[list[tuple[str | None, str]], list[str]]:
        """(case id, comment) for every case with a comment, and the cases to return."""
        comments: list[tuple[str | None, str]] = [
            (c.id, self.comments[c.id].strip())
            for c in self.cases
            if self.comments.get(c.id, "").strip()
        ]
        return comments, [c.id for c in self.cases if c.id in self.returned]


SendBack = Callable[[list[tuple[str | None, str]], list[str]], Path]
