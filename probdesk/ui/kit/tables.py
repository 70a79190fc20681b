"""Read-only table models over frozen records, the table view they are shown in, and copying a
table's selection (Ctrl+C, or Copy in its context menu) as tab-separated text with headers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QAction, QGuiApplication, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

Index = QModelIndex | QPersistentModelIndex

Column = tuple[str, Callable[[Any], str]]
R = TypeVar("R")  # the record a row shows


class RowsTableModel(QAbstractTableModel, Generic[R]):
    """A read-only table model over a list of frozen records, one record a row."""

    def __init__(self, headers: Sequence[str], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.headers = list(headers)
        self._rows: list[R] = []

    @property
    def rows(self) -> list[R]:
        return list(self._rows)

    def set_rows(self, rows: Sequence[R]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> R:
        return self._rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        horizontal = orientation == Qt.Orientation.Horizontal
        if role == Qt.ItemDataRole.DisplayRole and horizontal and 0 <= section < len(self.headers):
            return self.headers[section]
        return None

    def _record(self, index: Index) -> R | None:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        return self._rows[index.row()]


class RecordTableModel(RowsTableModel[R]):
    """A read-only table over frozen records; each column is (header, record -> text)."""

    def __init__(
        self,
        columns: Sequence[Column],
        tooltip: Callable[[R], str] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__([c[0] for c in columns], parent)
        self.columns = list(columns)
        self.tooltip = tooltip

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        record = self._record(index)
        if record is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.columns[index.column()][1](record)
        if role == Qt.ItemDataRole.ToolTipRole and self.tooltip is not None:
            return self.tooltip(record)
        return None


def record_view(model: QAbstractItemModel, name: str, *, multi: bool = False) -> QTableView:
    view = QTableView()
    view.setAccessibleName(name)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(
        QAbstractItemView.SelectionMode.ExtendedSelection
        if multi
        else QAbstractItemView.SelectionMode.SingleSelection
    )
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 8)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    enable_copy(view)
    return view


def selected_rows(view: QTableView) -> list[int]:
    """The rows selected in `view`, in order."""
    return sorted({i.row() for i in view.selectionModel().selectedRows()})


# -- copying a selection ------------------------------------------------------------------------

COPY_ACTION = "copy_selection"  # the object name of a table's Copy action
_BREAKS = str.maketrans({"\t": " ", "\n": " ", "\r": " ", "\u2028": " ", "\u2029": " "})


def enable_copy(view: QTableView) -> QAction:
    """Ctrl+C (the platform's Copy key) on `view`, and Copy in its context menu, put its
    selection on the clipboard as tab-separated text with headers (`selection_text`).

    The key is taken by an event filter as well as by the action's shortcut: a shortcut fires
    only in the active window, and a view left to itself copies the current cell alone."""
    existing = view.findChild(QAction, COPY_ACTION)
    if existing is not None:
        return existing
    action = QAction("&Copy", view)
    action.setObjectName(COPY_ACTION)
    action.setShortcut(QKeySequence.StandardKey.Copy)
    action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
    action.setToolTip("Copy the selected rows, with the column headers, as tab-separated text")
    action.triggered.connect(lambda: copy_selection(view))
    view.addAction(action)
    view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
    view.installEventFilter(_CopyKey(action, view))
    return action


class _CopyKey(QObject):
    """The Copy key on a view, taken before the view's own handling (which copies one cell)."""

    def __init__(self, action: QAction, parent: QObject) -> None:
        super().__init__(parent)
        self.action = action

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind not in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress):
            return False
        if not isinstance(event, QKeyEvent) or not event.matches(QKeySequence.StandardKey.Copy):
            return False
        event.accept()
        if kind == QEvent.Type.KeyPress:  # the override only claims the key for the press
            self.action.trigger()
        return True


def copy_selection(view: QTableView) -> str:
    """Put `view`'s selection on the clipboard (see `selection_text`); the text put there, or
    "" when there was nothing to copy (the clipboard is then left alone)."""
    text = selection_text(view)
    if text:
        QGuiApplication.clipboard().setText(text)
    return text


def selection_text(view: QTableView) -> str:
    """The selected cells as tab-separated text: a line of the selected columns' headers, then
    one line per selected row, rows and columns in the order the view shows them (sorted, or
    columns moved), each cell as shown, with tabs and line breaks in it made spaces. With
    nothing selected, the current row; hidden rows and columns are left out."""
    model = view.model()
    if model is None:
        return ""
    chosen = {
        (i.row(), i.column())
        for i in view.selectionModel().selectedIndexes()
        if not i.parent().isValid()
    }
    chosen = {(r, c) for r, c in chosen if not view.isRowHidden(r) and not view.isColumnHidden(c)}
    if not chosen:
        current = view.currentIndex()
        if not current.isValid() or view.isRowHidden(current.row()):
            return ""
        chosen = {
            (current.row(), c) for c in range(model.columnCount()) if not view.isColumnHidden(c)
        }
    rows = sorted({r for r, _ in chosen}, key=view.verticalHeader().visualIndex)
    columns = sorted({c for _, c in chosen}, key=view.horizontalHeader().visualIndex)
    horizontal, display = Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole
    lines = ["\t".join(_cell(model.headerData(c, horizontal, display)) for c in columns)]
    for r in rows:
        lines.append("\t".join(
            _cell(model.index(r, c).data(display)) if (r, c) in chosen else "" for c in columns
        ))  # fmt: skip
    return "\n".join(lines) + "\n"


def _cell(value: object) -> str:
    return "" if value is None else str(value).replace("\r\n", "\n").translate(_BREAKS)
