"""The case list: a table model over CaseProgress rows, with sort and filter."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import (
    QModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from probdesk.domain.records import CaseStatus
from probdesk.services.workspace import CaseProgress
from probdesk.ui.kit import colours
from probdesk.ui.kit.tables import Index, RowsTableModel, record_view

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
ID_ROLE = Qt.ItemDataRole.UserRole + 2


# The columns left to right on screen (the model's numbers): Reference, Status, Progress,
# PDU, Assessor, To do, Variant (what a narrow screen must show comes first).
SHOWN_ORDER = (0, 2, 3, 6, 5, 4, 1)


class CaseTableModel(RowsTableModel[CaseProgress]):
    HEADERS = ("Reference", "Variant", "Status", "Progress", "To do", "Assessor", "PDU")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(self.HEADERS, parent)

    def update_row(self, row: CaseProgress) -> None:
        """One case's row again, telling the views only of the columns that changed: a
        change outside the column the list is sorted by then costs no re-sort of every row
        (an answer changes Progress, not the Reference: #18, 5,000 cases)."""
        for i, r in enumerate(self._rows):
            if r.id == row.id:
                before = [self.data(self.index(i, c)) for c in range(len(self.HEADERS))]
                self._rows[i] = row
                changed = [
                    c
                    for c in range(len(self.HEADERS))
                    if self.data(self.index(i, c)) != before[c] or r.mine != row.mine
                ]
                if changed:
                    self.dataChanged.emit(self.index(i, min(changed)), self.index(i, max(changed)))
                return

    def row_of(self, case_id: str) -> int:
        return next((i for i, r in enumerate(self._rows) if r.id == case_id), -1)

    def case_at(self, row: int) -> CaseProgress:
        return self._rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        horizontal = orientation == Qt.Orientation.Horizontal
        if role == Qt.ItemDataRole.DisplayRole and horizontal and 0 <= section < len(self.HEADERS):
            return self.HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        r = self._rows[index.row()]
        col = index.column()
        if role == ID_ROLE:
            return r.id
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                r.reference,
                r.variant,
                r.status.label
                if r.mine
                else f"{r.assessor}'s: on their laptop"
                if r.elsewhere
                else f"{r.status.label}: now {r.assessor}'s",
                f"{r.answered} / {r.applicable}",
                str(r.to_do) if r.to_do else "",
                r.assessor,
                r.pdu,
            )[col]
        if role == SORT_ROLE:
            if col == 4:
                return r.to_do
            if col == 3:
                return r.answered / r.applicable if r.applicable else 0.0
            if col == 2:
                return list(CaseStatus).index(r.status)
            return self.data(index, Qt.ItemDataRole.DisplayRole)
        if role == Qt.ItemDataRole.ToolTipRole and r.elsewhere:
            return (
                f"Case {r.reference} is {r.assessor}'s: answered on their laptop, read on the "
                "Hub tab once their package is merged. It cannot be changed here."
            )
        if role == Qt.ItemDataRole.ToolTipRole and not r.mine:
            return (f"The team lead has given case {r.reference} to {r.assessor}: it can be read "
                    "here but no longer changed.")  # fmt: skip
        if role == Qt.ItemDataRole.ForegroundRole and not r.mine:
            # Set apart, still readable (a palette's disabled grey is not: 1.9:1 on white).
            return colours.colour("muted")
        if role == Qt.ItemDataRole.ToolTipRole and col == 4 and r.to_do:
            return (f"{_to_do(r.to_do)} open on case {r.reference} (the team lead's, or a "
                    "question-set move's review notice): open the case to read and mark "
                    "them done.")  # fmt: skip
        if role == Qt.ItemDataRole.ToolTipRole and col == 3:
            return f"{r.answered} of {r.applicable} applicable questions answered"
        if role == Qt.ItemDataRole.TextAlignmentRole and col == 3:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


def _to_do(n: int) -> str:
    return "" if n == 0 else f"{n} comment{'s' if n > 1 else ''}"


class CaseFilter(QSortFilterProxyModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = ""
        self.status: CaseStatus | None = None
        self.setSortRole(SORT_ROLE)

    def _refilter(self, change: Callable[[], None]) -> None:
        """Make a change to what the filter keeps, and apply it: Qt 6.10's begin and
        endFilterChange where there are (invalidateFilter and invalidateRowsFilter are
        deprecated in 6.12), invalidateFilter on the older Qt that pyproject allows."""
        if hasattr(self, "beginFilterChange"):
            self.beginFilterChange()
            change()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:  # pragma: no cover - Qt before 6.10
            change()
            self.invalidateFilter()

    def set_text(self, text: str) -> None:
        self._refilter(lambda: setattr(self, "text", text.strip().lower()))

    def set_status(self, status: CaseStatus | str | None) -> None:
        """Only cases of this status (None: all). The combo's data comes back as the status's
        text (Qt keeps a str enum as a string), so it is read as a status again: compared
        with `is`, the text matched no case and the filter showed none."""
        self._refilter(lambda: setattr(self, "status", CaseStatus(status) if status else None))

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        model = self.sourceModel()
        assert isinstance(model, CaseTableModel)
        r = model.case_at(source_row)
        if self.status is not None and r.status is not self.status:
            return False
        if self.text:
            hay = f"{r.reference} {r.variant} {r.assessor} {r.status.label} {r.pdu}".lower()
            return self.text in hay
        return True


class CaseListPanel(QWidget):
    case_selected = Signal(str)
    add_case_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter cases (Ctrl+F)")
        self.filter_edit.setAccessibleName("Filter cases")
        self.filter_edit.setClearButtonEnabled(True)
        bar.addWidget(self.filter_edit, 1)
        self.status_combo = QComboBox()
        self.status_combo.setAccessibleName("Show cases with status")
        self.status_combo.addItem("All statuses", None)
        for st in CaseStatus:
            self.status_combo.addItem(st.label, st)
        bar.addWidget(self.status_combo)
        self.add_button = QPushButton("A&dd case…")
        self.add_button.setAccessibleName("Add case")
        self.add_button.clicked.connect(self.add_case_requested)
        bar.addWidget(self.add_button)
        layout.addLayout(bar)
        self.model = CaseTableModel(self)
        self.proxy = CaseFilter(self)
        self.proxy.setSourceModel(self.model)
        self.view = record_view(self.proxy, "Cases")
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        # On screen: what an assessor looks for first, the variant last (the model keeps its
        # columns; only the header's order changes, and a moved header is remembered).
        header = self.view.horizontalHeader()
        for visual, logical in enumerate(SHOWN_ORDER):
            header.moveSection(header.visualIndex(logical), visual)
        layout.addWidget(self.view, 1)
        self.filter_edit.textChanged.connect(self.proxy.set_text)
        self.status_combo.currentIndexChanged.connect(
            lambda _i: self.proxy.set_status(self.status_combo.currentData())
        )
        self.view.selectionModel().currentRowChanged.connect(self._current_changed)
        # End, Ctrl+End and the arrows move the current cell sideways too: the view then
        # scrolls to it and the reference goes off the left edge. Keep the row's first column
        # in view instead (the whole row is selected anyway).
        self.view.selectionModel().currentChanged.connect(self._keep_reference_visible)

    def set_rows(self, rows: list[CaseProgress], select: str | None = None) -> None:
        self.model.set_rows(rows)
        if select:
            self.select(select)

    def select(self, case_id: str) -> None:
        row = self.model.row_of(case_id)
        if row < 0:
            return
        proxy_index = self.proxy.mapFromSource(self.model.index(row, 0))
        if proxy_index.isValid():
            self.view.setCurrentIndex(proxy_index)
            self.view.scrollTo(proxy_index)

    def _keep_reference_visible(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid() and current.column() != 0:
            self.view.horizontalScrollBar().setValue(0)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            case_id = current.data(ID_ROLE)
            if case_id:
                self.case_selected.emit(case_id)
