"""Section 2 of the Hub tab: the figures (a regional inspection's own sample or its region's
PDU inspections pooled), the % Yes bars, and the cases behind a percentage."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QRect, QSize, Qt
from PySide6.QtGui import QFont, QKeyEvent, QPainter, QPen
from PySide6.QtWidgets import (
    QApplication,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QRadioButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from probdesk.domain.records import CaseStatus
from probdesk.progress import Cancelled, Progress
from probdesk.ui.hub.case_view import CaseViews
from probdesk.ui.hub.dialogs import DrillDownDialog
from probdesk.ui.hub.models import (
    DRILL_NOTE,
    NO_CASES,
    NUMERIC,
    PERCENT_ROLE,
    POOLED_DRILL_NOTE,
    POOLED_TEXT,
    Index,
    SummaryModel,
    rating_colours,
)
from probdesk.ui.kit import colours
from probdesk.ui.kit.layout import hint_label, plural, section
from probdesk.ui.kit.tables import record_view, selected_rows

if TYPE_CHECKING:
    from probdesk.services.figures import (
        CaseOutcome,
        InspectionFigures,
        RegionalFigures,
        SummaryRow,
    )
    from probdesk.services.hub import (
        HeldKey,
    )


class PercentBarDelegate(QStyledItemDelegate):
    """The % Yes column: a bar for the percentage over the rating bands, and the number."""

    def __init__(self, model: SummaryModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model = model

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        hint = super().sizeHint(option, index)
        return QSize(max(hint.width(), 260), hint.height())

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        text = opt.text
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)

        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        text_colour = opt.palette.highlightedText() if selected else opt.palette.text()
        area = opt.rect.adjusted(6, 0, -6, 0)
        fm = opt.fontMetrics
        painter.save()
        percent = index.data(PERCENT_ROLE)
        if percent is None:
            font = QFont(opt.font)
            font.setItalic(True)
            painter.setFont(font)
            painter.setPen(text_colour.color() if selected else colours.colour("muted"))
            painter.drawText(
                area, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), text
            )
            painter.restore()
            return
        text_width = fm.horizontalAdvance("100.0%") + 10
        height = max(8, min(area.height() - 8, fm.height() - 2))
        bar = QRect(
            area.left(),
            area.top() + (area.height() - height) // 2,
            max(20, area.width() - text_width),
            height,
        )
        self._paint_bands(painter, bar)
        filled = bar.adjusted(0, height // 4, 0, -(height // 4))
        filled.setWidth(round(bar.width() * max(0.0, min(float(percent), 100.0)) / 100))
        painter.fillRect(filled, colours.colour("bar"))
        painter.setPen(QPen(colours.colour("bar_edge"), 1))
        painter.drawRect(bar.adjusted(0, 0, -1, -1))
        painter.setPen(text_colour.color())
        label = QRect(bar.right() + 1, area.top(), area.right() - bar.right(), area.height())
        painter.drawText(label, int(NUMERIC), text)
        painter.restore()

    def _paint_bands(self, painter: QPainter, bar: QRect) -> None:
        scale = self.model.scale
        if not scale:
            painter.fillRect(bar, colours.colour("track"))
            return
        upper = 100.0
        for pos, level in enumerate(scale):  # best first: each band runs up to the one above
            lower = float(level.min_percent)
            x0 = bar.left() + round(bar.width() * lower / 100)
            x1 = bar.left() + round(bar.width() * upper / 100)
            _fg, bg = rating_colours(pos, len(scale))
            painter.fillRect(QRect(x0, bar.top(), max(0, x1 - x0), bar.height()), bg)
            if lower > 0:  # the threshold itself, as a tick across the bar
                fg, _bg = rating_colours(pos, len(scale))
                painter.setPen(QPen(fg, 1))
                painter.drawLine(x0, bar.top(), x0, bar.bottom())
            upper = lower


class FiguresSection(CaseViews):
    """The figures by question, their source and scope, and the drill-down to the cases.

    A part of HubPanel: it builds its widgets in its own method and holds their slots; the
    state the sections share (fieldwork, inspection, the hub, the figures read) is the
    panel's, declared in HubState (state.py).
    """

    def _build_figures(self) -> QGroupBox:
        line = self.fontMetrics().height() + 8
        figures_box, figures = section("Figures", "Figures")
        # A regional inspection: its own sample, or its region's PDU inspections pooled.
        self.source_row = QWidget()
        self.source_row.setAccessibleName("Figures of the own sample or the pooled PDUs")
        row = QHBoxLayout(self.source_row)
        row.setContentsMargins(0, 0, 0, 0)
        source_label = QLabel("Figures of:")
        row.addWidget(source_label)
        self.own_radio = QRadioButton("This inspection's &own sample")
        self.own_radio.setAccessibleName("Figures of this inspection's own sample")
        self.own_radio.setToolTip(
            "The cases of the regional inspection's own sample, answered against its own "
            "question set"
        )
        self.pooled_radio = QRadioButton(POOLED_TEXT)
        self.pooled_radio.setAccessibleName("Figures of the region's PDU inspections, pooled")
        self.pooled_radio.setToolTip(
            "Every PDU inspection of the region merged into this hub, their cases counted "
            "together (as probdesk summary --region gives)"
        )
        self.source_group = QButtonGroup(self)
        self.source_group.addButton(self.own_radio, 0)
        self.source_group.addButton(self.pooled_radio, 1)
        self.own_radio.setChecked(True)
        row.addWidget(self.own_radio)
        row.addWidget(self.pooled_radio)
        row.addStretch(1)
        figures.addWidget(self.source_row)
        row = QHBoxLayout()
        by_label = QLabel("Fi&gures by:")
        self.scope_combo = QComboBox()
        self.scope_combo.setAccessibleName("Figures by PDU or by region")
        self.scope_combo.addItem("PDU", "pdu")
        self.scope_combo.addItem("Region (all PDUs pooled)", "region")
        by_label.setBuddy(self.scope_combo)
        row.addWidget(by_label)
        row.addWidget(self.scope_combo)
        self.provisional_box = QCheckBox("Pro&visional: count unfinished cases too")
        self.provisional_box.setAccessibleName("Provisional figures over every answered case")
        self.provisional_box.setToolTip(
            "By default the figures count submitted, approved and locked cases only. Ticked, "
            "they count every case with an answer, finished or not, and say PROVISIONAL."
        )
        row.addWidget(self.provisional_box)
        self.figures_note = QLabel(DRILL_NOTE)
        self.figures_note.setAccessibleName("Figures: how to see the cases")
        row.addWidget(self.figures_note, 1)
        figures.addLayout(row)
        self.figures_box = figures_box
        self.coverage_label = QLabel("")
        self.coverage_label.setWordWrap(True)
        self.coverage_label.setObjectName("figuresCoverage")
        self.coverage_label.setAccessibleName("Figures: what they count")
        self.coverage_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        figures.addWidget(self.coverage_label)
        self.empty_hint = hint_label(
            "The hub holds nothing for this inspection yet: press Merge the shared folder on the "
            "Packages page.",
            "Hub: nothing merged yet",
        )
        figures.addWidget(self.empty_hint)
        self.pooled_hint = hint_label("", "Hub: no PDU inspection of the region merged yet")
        figures.addWidget(self.pooled_hint)
        self.pooled_note = QLabel("")
        self.pooled_note.setWordWrap(True)
        self.pooled_note.setAccessibleName("Pooled figures: what they count")
        self.pooled_note.setStyleSheet(f"color: {colours.css('strong')};")
        figures.addWidget(self.pooled_note)
        self.pooled_hint.hide()
        self.pooled_note.hide()
        self.summary_model = SummaryModel(self)
        self.summary_view = record_view(self.summary_model, "Figures by question")
        self.summary_view.setMinimumHeight(line * 8)
        self.bar_delegate = PercentBarDelegate(self.summary_model, self.summary_view)
        self.summary_view.setItemDelegateForColumn(SummaryModel.PERCENT, self.bar_delegate)
        self.summary_view.setWordWrap(False)
        self.summary_view.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.summary_view.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(SummaryModel.QUESTION, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(SummaryModel.PERCENT, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(SummaryModel.PERCENT, 230)
        figures.addWidget(self.summary_view, 1)
        self.drill_dialog: DrillDownDialog | None = None
        return figures_box

    def pooled_shown(self) -> bool:
        """Whether the figures on show are the region's PDU inspections, pooled."""
        return self.is_regional() and self.pooled_radio.isChecked()

    def show_pooled(self, pooled: bool = True) -> None:
        """Show the pooled figures of the region's PDU inspections, or the own sample's."""
        (self.pooled_radio if pooled else self.own_radio).setChecked(True)

    def _show_figures(
        self,
        figures: InspectionFigures | None,
        held: Sequence[HeldKey] = (),
        regional: RegionalFigures | None = None,
    ) -> None:
        self.figures = figures
        self.regional = regional
        self._show_held(list(held))
        self._show_summary()
        self.conflict_model.set_rows(figures.conflicts if figures else [])
        cover = figures.coverage if figures else None
        undecided = cover.undecided_conflicts if cover else 0
        parallel = sum(c.kind == "parallel" for c in figures.conflicts) if figures else 0
        text = f"{undecided} undecided"
        if parallel:
            text += f"; {plural(parallel, 'case')} updated on several laptops without a clash"
        self.undecided.setText(text if figures else "")
        self.held.setText(
            f"The hub holds {plural(figures.packages, 'package')} from the assessors' laptops."
            if figures
            else ""
        )
        self.moderation_model.set_rows(figures.moderation if figures else [])
        # Waiting for the lead: submitted and not approved (a returned case is the assessor's).
        waiting = (
            sum(m.status == "submitted" and m.decision != "approved" for m in figures.moderation)
            if figures
            else 0
        )
        self.title_pages(undecided, waiting, len(held))
        rows = figures.progress if figures else []
        self.progress_model.set_rows(rows)
        cases = sum(r.total for r in rows if r.group == "pdu")
        submitted = sum(
            dict(r.by_status).get(s.value, 0)
            for r in rows
            if r.group == "pdu"
            for s in (CaseStatus.SUBMITTED, CaseStatus.APPROVED, CaseStatus.LOCKED)
        )
        own = " of this inspection's own sample" if self.is_regional() else ""
        self.progress_summary.setText(
            f"{plural(cases, 'case')}{own} in the hub, {submitted} submitted or later."
            if figures
            else ""
        )

    def _show_summary(self) -> None:
        figures, regional = self.figures, self.regional
        by = str(self.scope_combo.currentData())
        pooled = self.pooled_shown()
        if pooled:
            rows = regional.summary.get(by, []) if regional else []
            sets = [p.qs for p in regional.pools] if regional else []
            self.summary_model.set_summary(rows, sets[0] if sets else None, sets[1:])
        else:
            rows = figures.summary.get(by, []) if figures else []
            self.summary_model.set_summary(rows, figures.qs if figures else None)
        self.summary_view.setColumnHidden(SummaryModel.RATING, not self.summary_model.scale)
        self._show_source()
        self._show_coverage(by, pooled)

    def _show_coverage(self, by: str, pooled: bool) -> None:
        """What the figures on show count, whether they are provisional, and whether they
        may be published: above the table, in words."""
        source = self.regional if pooled else self.figures
        cover = source.coverage if source is not None else None
        provisional = cover.provisional if cover is not None else False
        restricted = next((r.publication for r in self.summary_model.rows if r.publication), "")
        parts = [cover.text] if cover is not None else []
        if restricted and by == "pdu":
            parts.append(f"PDU figures: {restricted}.")
        self.coverage_label.setText(" ".join(parts))
        self.coverage_label.setVisible(bool(parts))
        attention = provisional or (cover is not None and not cover.final)
        self.coverage_label.setStyleSheet(
            f"QLabel {{ background: {colours.css('caution_bg')}; "
            f"color: {colours.css('caution_fg')}; "
            f"border: 1px solid {colours.css('caution_border')}; padding: 4px; }}"
            if provisional
            else f"QLabel {{ color: {colours.css('warning')}; }}"
            if attention
            else ""
        )
        self.figures_box.setTitle("Figures (PROVISIONAL)" if provisional else "Figures")

    def _source_toggled(self, _id: int, on: bool) -> None:
        if on:  # the other button's toggle off is not a change of its own
            self._show_summary()

    def _show_source(self) -> None:
        """The pooled choice's label, and what the figures on show count (or why none)."""
        regional, pooled = self.regional, self.pooled_shown()
        none_merged = regional is not None and not regional.pdu_inspections
        text = POOLED_TEXT
        if regional is not None:
            n = len(regional.pdu_inspections)
            text += f" ({plural(n, 'inspection')})" if n else " (none merged yet)"
        self.pooled_radio.setText(text)
        nothing = self.figures is None if not pooled else regional is None
        self.empty_hint.setVisible(self.inspection is not None and nothing)
        self.pooled_hint.setText(
            f"No PDU inspection of {regional.region} has been merged into this hub yet: its "
            "PDUs' figures are pooled here once their packages are merged."
            if regional is not None
            else ""
        )
        self.pooled_hint.setVisible(pooled and none_merged)
        note = ""
        if pooled and regional is not None and regional.pdu_inspections:
            names = ", ".join(sorted(set(regional.pdu_names), key=str.casefold))
            note = (
                f"{regional.region}: {plural(len(regional.pdu_inspections), 'PDU inspection')} "
                f"pooled ({names}), {plural(regional.cases, 'case')}."
            )
            if len(regional.pools) > 1:
                note += (
                    f" They were answered against {len(regional.pools)} versions of the "
                    "question set: only the questions that are the same in every version are "
                    "pooled"
                    + (
                        " (left out: "
                        + "; ".join(
                            f"{o.question_id or 'ratings'}: {o.reason}" for o in regional.left_out
                        )
                        + ")."
                        if regional.left_out
                        else "."
                    )
                )
        self.pooled_note.setText(note)
        self.pooled_note.setVisible(bool(note))
        self.figures_note.setText(POOLED_DRILL_NOTE if pooled else DRILL_NOTE)

    # -- drill-down -----------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.summary_view
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        ):
            self._drill_current()
            return True
        return super().eventFilter(watched, event)

    def _drill_current(self) -> None:
        rows = selected_rows(self.summary_view)
        current = self.summary_view.currentIndex()
        row = rows[0] if rows else (current.row() if current.isValid() else -1)
        if row >= 0:
            self.drill_down(row)

    def drill_down(self, row: int) -> bool:
        """Open the list of cases behind row `row` of the figures."""
        inspection = self.inspection
        if inspection is None or not (0 <= row < self.summary_model.rowCount()):
            return False
        r: SummaryRow = self.summary_model.row_at(row)
        pdu = r.name if r.scope == "pdu" else None
        hub = self.hub()
        pooled_from: tuple[str, ...] = ()  # pooled figures: the inspections of the row's pool
        regional = self.regional
        if self.pooled_shown():
            if regional is None:
                return False
            pooled_from = regional.pdu_inspections

        source = self.regional if pooled_from else self.figures
        provisional = bool(source and source.coverage and source.coverage.provisional)

        def work(progress: Progress, _cancelled: Cancelled) -> list[CaseOutcome]:
            from probdesk.services import figures

            progress(0, 0, f"Finding the cases behind {r.question_id} in {r.name}")
            if pooled_from:
                return figures.pooled_drill_down(
                    hub, pooled_from, r.question_id, pdu, provisional=provisional
                )
            return figures.drill_down(
                hub, inspection.id, r.question_id, pdu, provisional=provisional
            )

        def done(cases: list[CaseOutcome]) -> None:
            text = self.summary_model.question_text(r.question_id)
            percent = NO_CASES if r.percent is None else f"{r.percent:.1f}% Yes"
            where = r.name
            if pooled_from:
                where += f", {plural(len(pooled_from), 'PDU inspection')} pooled"
            heading = f"{r.question_id} in {where} ({percent}): {text}"
            if provisional:
                heading = f"PROVISIONAL: {heading}"
            if self.drill_dialog is not None:
                self.drill_dialog.close()
                self.drill_dialog.deleteLater()

            # A pooled figure's cases are other inspections': each is read in its own.
            def opener(case: CaseOutcome, parent: QWidget) -> object:
                if not pooled_from:
                    return self.open_case(case.case_ref, parent)
                return self.open_case(case.case_ref, parent, inspection_id=case.inspection_id)

            self.drill_dialog = DrillDownDialog(heading, cases, self, open_case=opener)
            self.drill_dialog.open()  # window-modal, without a nested event loop

        return self.runner.run("Finding the cases behind the figure", work, done)
