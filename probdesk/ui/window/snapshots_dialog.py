"""File > Snapshots…: the database's snapshots, taking one now, and restoring one."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from probdesk.domain.words import moment_text
from probdesk.errors import ProbdeskError
from probdesk.ui.kit.tables import RecordTableModel, record_view

if TYPE_CHECKING:
    from probdesk.services.workspace import Workspace
    from probdesk.store.snapshots import Snapshot


class SnapshotsDialog(QDialog):
    """Lists the snapshots; Restore… asks the window to close, put the chosen snapshot back
    and open the data again (`restore_requested` names it)."""

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.restore_requested: Path | None = None  # the chosen snapshot's path, once confirmed
        self.setWindowTitle("Snapshots of your data")
        self.setAccessibleName("Snapshots of your data")
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        intro = QLabel(
            "probdesk copies your database every 30 minutes while you work and when it "
            "closes; the newest six copies are kept. Restoring one closes probdesk's data, "
            "keeps the current database beside it (nothing is deleted), puts the snapshot "
            "back and opens it."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.model: RecordTableModel[Snapshot] = RecordTableModel([
            ("Taken", lambda s: moment_text(s.taken_at)),
            ("Cases", lambda s: str(s.cases)),
            ("Answers", lambda s: str(s.answers)),
            ("Size", lambda s: f"{max(1, s.size // 1024)} KB"),
        ])  # fmt: skip
        self.view = record_view(self.model, "Snapshots, newest first")
        layout.addWidget(self.view)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Snapshot status")
        layout.addWidget(self.status)
        row = QHBoxLayout()
        self.take_button = QPushButton("&Take a snapshot now")
        self.take_button.setAccessibleName("Take a snapshot now")
        self.restore_button = QPushButton("&Restore the selected snapshot…")
        self.restore_button.setAccessibleName("Restore the selected snapshot")
        row.addWidget(self.take_button)
        row.addWidget(self.restore_button)
        row.addStretch(1)
        layout.addLayout(row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.take_button.clicked.connect(self.take)
        self.restore_button.clicked.connect(self.ask_restore)
        self.view.selectionModel().selectionChanged.connect(lambda *_a: self._update())
        self.refresh()

    def refresh(self) -> None:
        self.model.set_rows(self.workspace.snapshots())
        if self.model.rowCount():
            self.view.selectRow(0)
        self._update()

    def _update(self) -> None:
        self.restore_button.setEnabled(self.selected() is not None)
        if not self.model.rowCount():
            self.status.setText("No snapshots yet.")

    def selected(self) -> Snapshot | None:
        rows = self.view.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def take(self) -> None:
        try:
            self.workspace.take_snapshot()
        except ProbdeskError as exc:
            self.status.setText(exc.message)
            return
        self.refresh()
        self.status.setText("Snapshot taken.")

    def ask_restore(self, confirm: bool = True) -> bool:
        from PySide6.QtWidgets import QMessageBox

        chosen = self.selected()
        if chosen is None:
            return False
        if confirm:
            answer = QMessageBox.question(
                self,
                "Restore a snapshot",
                f"Put back your data as it was at {moment_text(chosen.taken_at)} "
                f"({chosen.cases} cases, {chosen.answers} answers)?\n\nThe current database is "
                "kept beside it, so this can be undone by restoring that file.",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )
            if answer != QMessageBox.StandardButton.Yes:
                return False
        self.restore_requested = chosen.path
        self.accept()
        return True
