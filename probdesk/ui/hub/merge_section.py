"""Section 1 of the Hub tab: merging the shared folder into the hub, and the laptops whose keys
wait to be enrolled."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from probdesk.errors import ProbdeskError
from probdesk.progress import Cancelled, Progress
from probdesk.ui.hub.models import STATE_LABELS, HeldKeyModel, MergeOutcomeModel
from probdesk.ui.hub.state import PACKAGES, HubState
from probdesk.ui.kit.changes import Changes
from probdesk.ui.kit.layout import hint_label, section
from probdesk.ui.kit.messages import message_label, show_message
from probdesk.ui.kit.tables import record_view, selected_rows

if TYPE_CHECKING:
    from probdesk.services.hub import (
        EnrolledKey,
        HeldKey,
        MergeOutcome,
    )


class MergeSection(HubState):
    """Merging the assessors' packages, and enrolling or refusing the keys held back.

    A part of HubPanel: it builds its widgets in its own method and holds their slots; the
    state the sections share (fieldwork, inspection, the hub, the figures read) is the
    panel's, declared in HubState (state.py).
    """

    def _build_merge(self) -> QGroupBox:
        line = self.fontMetrics().height() + 8
        merge_box, merge = section("Merge the assessors' packages", "Merge")
        row = QHBoxLayout()
        self.merge_button = QPushButton("Me&rge the shared folder")
        self.merge_button.setAccessibleName("Merge the shared folder into the hub")
        self.merge_button.setToolTip(
            "Read every package the assessors have put in the shared folder into the hub; "
            "packages already merged are skipped"
        )
        row.addWidget(self.merge_button)
        self.tally = QLabel("")
        self.tally.setAccessibleName("Merge result in short")
        row.addWidget(self.tally, 1)
        merge.addLayout(row)
        self.held = QLabel("")
        self.held.setAccessibleName("What the hub holds")
        merge.addWidget(self.held)
        self.folder_hint = hint_label(
            "No shared folder is set: set it on the Sync tab, then merge.",
            "Hub: no shared folder",
        )
        merge.addWidget(self.folder_hint)
        self.merge_message = message_label("Merge: message")
        self.merge_message.hide()
        merge.addWidget(self.merge_message)
        self.merge_model = MergeOutcomeModel(self)
        self.merge_view = record_view(self.merge_model, "Packages merged")
        self.merge_view.setMinimumHeight(line * 5)
        # The file names are long and alike: their ends tell them apart.
        self.merge_view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header = self.merge_view.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(
            0, self.fontMetrics().horizontalAdvance("pd-events-0826fd86-04a0-4b19-86…") + 12
        )
        merge.addWidget(self.merge_view, 1)
        self.held_box = QWidget()
        self.held_box.setAccessibleName("Laptops waiting for enrolment")
        held = QVBoxLayout(self.held_box)
        held.setContentsMargins(0, 0, 0, 0)
        self.held_note = QLabel(
            "<b>Laptops waiting for enrolment.</b> Their packages change no figure until you "
            "enrol them. Ask the member to read the fingerprint on their laptop (Sync tab) "
            "aloud; enrol it only if it matches, otherwise refuse it."
        )
        self.held_note.setWordWrap(True)
        held.addWidget(self.held_note)
        self.held_model = HeldKeyModel(self)
        self.held_view = record_view(self.held_model, "Laptops waiting for enrolment")
        self.held_view.setMinimumHeight(line * 3)
        held.addWidget(self.held_view)
        row = QHBoxLayout()
        member_label = QLabel("Enrol &for:")
        self.enrol_member = QComboBox()
        self.enrol_member.setAccessibleName("The team member the laptop is enrolled for")
        member_label.setBuddy(self.enrol_member)
        row.addWidget(member_label)
        row.addWidget(self.enrol_member)
        self.enrol_button = QPushButton("&Enrol the laptop")
        self.enrol_button.setAccessibleName("Enrol the selected laptop's key for the member")
        row.addWidget(self.enrol_button)
        self.refuse_button = QPushButton("Re&fuse the laptop")
        self.refuse_button.setAccessibleName("Refuse the selected laptop's key for good")
        row.addWidget(self.refuse_button)
        row.addStretch(1)
        held.addLayout(row)
        self.enrol_message = message_label("Enrolment: message")
        self.enrol_message.hide()
        held.addWidget(self.enrol_message)
        self.held_box.hide()
        merge.addWidget(self.held_box)
        self.enrol_button.clicked.connect(self.enrol_selected)
        self.refuse_button.clicked.connect(self.refuse_selected)
        self.held_view.selectionModel().currentRowChanged.connect(self._held_selected)
        return merge_box

    # -- merge ----------------------------------------------------------------------------
    def merge_shared(self) -> bool:
        fw, inspection, shared = self.fieldwork, self.inspection, self.shared_folder()
        self._update()
        if fw is None or inspection is None or shared is None:
            return False
        self.show_page(PACKAGES)  # where each package's result shows
        try:
            hub = self.hub()
        except ProbdeskError as exc:
            show_message(self.merge_message, exc.message, problem=True)
            return False

        def work(progress: Progress, cancelled: Cancelled) -> list[MergeOutcome]:
            from probdesk.services import hub as hubs

            def report(done: int, total: int, what: str) -> None:
                if what == "done":
                    progress(total, total, "Reading the figures")
                else:
                    progress(done, total, f"Merging file {done + 1} of {total}: {what}")

            progress(0, 0, f"Looking for packages in {shared}")
            # Cancel stops it before the next package: those merged stay merged.
            return hubs.merge(hub, fw, shared, report, cancelled)

        return self.runner.run(
            "Merging the shared folder into the hub",
            work,
            self._merged,
            self._merge_failed,
            changes=Changes.HUB | Changes.TEAM,  # held laptops, receipts for the assessors
        )

    def _show_outcomes(self, outcomes: list[MergeOutcome]) -> dict[str, int]:
        self.merge_model.set_rows(outcomes)
        n = {s: sum(o.state == s for o in outcomes) for s in STATE_LABELS}
        self.tally.setText(
            f"{n['merged']} merged, {n['already merged']} already merged, {n['held']} held, "
            f"{n['rejected']} rejected, {n['quarantined']} quarantined"
        )
        return n

    def _merged(self, outcomes: list[MergeOutcome]) -> None:
        n = self._show_outcomes(outcomes)
        if not outcomes:
            show_message(
                self.merge_message,
                f"No package from the assessors is in {self.shared_folder()} yet.",
            )
        elif n["held"] and not (n["rejected"] or n["quarantined"]):
            show_message(
                self.merge_message,
                "Some packages are held: they come from laptops not enrolled yet (below).",
                problem=True,
            )
        elif n["rejected"] or n["quarantined"]:
            show_message(
                self.merge_message,
                "Some packages were not merged: the reason is beside each. The others were.",
                problem=True,
            )
        else:
            show_message(self.merge_message, "")
        self._stale = True
        self.refresh()

    def _merge_failed(self, exc: Exception) -> None:
        from probdesk.services.hub import MergeCancelled

        if isinstance(exc, MergeCancelled):  # stopped between two packages, as asked
            self._show_outcomes(exc.outcomes)
            show_message(self.merge_message, exc.message)
            self._stale = True  # read again once the runner is free: some packages merged
            return
        if not isinstance(exc, ProbdeskError):
            self.runner.default_error(exc)
            return
        show_message(self.merge_message, exc.message, problem=True)
        self._stale = True

    # -- enrolment ---------------------------------------------------------------------------
    def _show_held(self, held: list[HeldKey]) -> None:
        self.held_model.set_rows(held)
        self.held_box.setVisible(bool(held))
        members: list[str] = []
        if self.fieldwork is not None and self.inspection is not None:
            members = [a.name for a in self.fieldwork.team(self.inspection.id)]
        current = self.enrol_member.currentText()
        self.enrol_member.clear()
        self.enrol_member.addItems(members)
        if current in members:
            self.enrol_member.setCurrentText(current)
        if held:
            self.held_view.selectRow(0)
        self._held_selected()

    def selected_held(self) -> HeldKey | None:
        rows = selected_rows(self.held_view)
        return self.held_model.row_at(rows[0]) if rows else None

    def _held_selected(self, *_args: object) -> None:
        h = self.selected_held()
        self.enrol_button.setEnabled(h is not None and self.enrol_member.count() > 0)
        self.refuse_button.setEnabled(h is not None)
        if h is not None and self.enrol_member.findText(h.claimed_member) >= 0:
            self.enrol_member.setCurrentText(h.claimed_member)

    def enrol_selected(self) -> bool:
        h = self.selected_held()
        member = self.enrol_member.currentText()
        if h is None or not member:
            return False
        return self._decide_key(h, member)

    def refuse_selected(self) -> bool:
        h = self.selected_held()
        return False if h is None else self._decide_key(h, None)

    def _decide_key(self, h: HeldKey, member: str | None) -> bool:
        fw = self.fieldwork
        if fw is None:
            return False
        try:
            hub = self.hub()
        except ProbdeskError as exc:
            self.runner.default_error(exc)
            return False

        def work(progress: Progress, _cancelled: Cancelled) -> EnrolledKey:
            from probdesk.services import hub as hubs

            progress(0, 0, f"Recording the decision on key {h.fingerprint}")
            if member is None:
                return hubs.refuse_key(hub, fw, h.fingerprint)
            return hubs.enrol_key(hub, fw, h.fingerprint, member)

        def done(key: EnrolledKey) -> None:
            if key.state == "refused":
                text = f"Key {key.fingerprint} refused: its packages are rejected from now on."
                show_message(self.enrol_message, text)
                self._stale = True
                self.refresh()
                return
            show_message(
                self.enrol_message,
                f"Key {key.fingerprint} enrolled for {key.member}: merging its packages now.",
            )
            self.merge_shared()

        def failed(exc: Exception) -> None:
            if not isinstance(exc, ProbdeskError):
                self.runner.default_error(exc)
                return
            show_message(self.enrol_message, exc.message, problem=True)

        title = "Refusing a laptop" if member is None else "Enrolling a laptop"
        return self.runner.run(title, work, done, failed, changes=Changes.HUB | Changes.TEAM)
