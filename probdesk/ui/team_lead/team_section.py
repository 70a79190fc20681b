"""Sections 1 and 2 of the Team lead tab: the team, and the case sample with who assesses
each case."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
)

from probdesk.domain.records import Assessor, Case
from probdesk.errors import ProbdeskError
from probdesk.progress import Cancelled, Progress
from probdesk.services.workspace import ROLES
from probdesk.ui.kit.changes import Changes
from probdesk.ui.kit.layout import plural
from probdesk.ui.kit.messages import message_label, show_message
from probdesk.ui.kit.tables import record_view, selected_rows
from probdesk.ui.team_lead.models import TEAM_ROLES, SampleCaseModel, TeamModel
from probdesk.ui.team_lead.sample_import_dialog import ImportSampleDialog
from probdesk.ui.team_lead.state import TeamLeadState


class TeamSection(TeamLeadState):
    """The team (added, removed, saved) and the case sample (imported, assigned).

    A part of SetupPanel (a mixin): it builds its widgets in its own methods and holds
    their slots; the state the sections share (fieldwork, inspection, the team saved)
    is declared in state.py and set by the panel.
    """

    def _build_team(self) -> QGroupBox:
        team_box = QGroupBox("1. The team")
        team_box.setAccessibleName("The team")
        team_layout = QVBoxLayout(team_box)
        self.team_model = TeamModel(self)
        self.team_view = record_view(self.team_model, "Assessors on the team", multi=True)
        team_layout.addWidget(self.team_view, 1)
        row = QHBoxLayout()
        self.name_edit = QLineEdit()
        self.name_edit.setAccessibleName("New assessor's name or initials")
        self.name_edit.setPlaceholderText("Name or initials")
        row.addWidget(self.name_edit, 1)
        self.role_combo = QComboBox()
        self.role_combo.setAccessibleName("New assessor's role")
        for role in TEAM_ROLES:
            self.role_combo.addItem(ROLES[role], role)
        row.addWidget(self.role_combo)
        self.add_button = QPushButton("A&dd")
        self.add_button.setAccessibleName("Add the assessor")
        row.addWidget(self.add_button)
        team_layout.addLayout(row)
        row = QHBoxLayout()
        self.remove_button = QPushButton("&Remove selected")
        self.remove_button.setAccessibleName("Remove the selected assessors")
        row.addWidget(self.remove_button)
        row.addStretch(1)
        self.save_team_button = QPushButton("Sa&ve team")
        self.save_team_button.setAccessibleName("Save the team")
        row.addWidget(self.save_team_button)
        team_layout.addLayout(row)
        self.team_message = message_label("Team: message")
        self.team_message.hide()
        team_layout.addWidget(self.team_message)
        return team_box

    def _build_cases(self) -> QGroupBox:
        cases_box = QGroupBox("2. The case sample and who assesses each case")
        cases_box.setAccessibleName("Case sample")
        cases_layout = QVBoxLayout(cases_box)
        row = QHBoxLayout()
        self.import_button = QPushButton("&Import case sample…")
        self.import_button.setAccessibleName("Import case sample")
        row.addWidget(self.import_button)
        self.cases_summary = QLabel("")
        self.cases_summary.setAccessibleName("Case sample summary")
        row.addWidget(self.cases_summary, 1)
        cases_layout.addLayout(row)
        self.cases_message = message_label("Case sample: message")
        self.cases_message.hide()
        cases_layout.addWidget(self.cases_message)
        self.cases_model = SampleCaseModel(self)
        self.cases_view = record_view(self.cases_model, "Cases and their assessors", multi=True)
        cases_layout.addWidget(self.cases_view, 1)
        row = QHBoxLayout()
        assign_label = QLabel("Assign the selected cases t&o")
        self.assign_combo = QComboBox()
        self.assign_combo.setAccessibleName("Assessor for the selected cases")
        self.assign_combo.setMinimumWidth(160)
        assign_label.setBuddy(self.assign_combo)
        row.addWidget(assign_label)
        row.addWidget(self.assign_combo)
        self.assign_button = QPushButton("A&ssign")
        self.assign_button.setAccessibleName("Assign the selected cases")
        row.addWidget(self.assign_button)
        row.addStretch(1)
        cases_layout.addLayout(row)
        return cases_box

    def reload_team(self) -> None:
        team: list[Assessor] = []
        if self.fieldwork is not None and self.inspection is not None:
            try:
                team = self.fieldwork.team(self.inspection.id)
            except ProbdeskError:
                team = []
        self.saved_team = team
        self.team_model.set_rows(team)
        self.assign_combo.clear()
        for a in team:
            self.assign_combo.addItem(f"{a.name} ({ROLES.get(a.role, a.role)})", a.name)
        self._update_buttons()

    def reload_cases(self) -> None:
        cases: list[Case] = []
        if self.fieldwork is not None and self.inspection is not None:
            try:
                cases = self.fieldwork.ws.cases(self.inspection.id)
            except ProbdeskError:
                cases = []
        self.cases_model.set_rows(cases)
        unassigned = sum(1 for c in cases if not c.assessor)
        text = plural(len(cases), "case")
        if cases:
            text += f", {unassigned} not assigned" if unassigned else ", every case assigned"
        self.cases_summary.setText(text)
        self._update_buttons()

    def _team_dirty(self) -> bool:
        return self.team_model.rows != self.saved_team

    # -- team -----------------------------------------------------------------------------
    def add_assessor(self) -> None:
        name = " ".join(self.name_edit.text().split())
        if not name:
            show_message(self.team_message, "Type the assessor's name or initials.", problem=True)
            return
        if any(a.name.casefold() == name.casefold() for a in self.team_model.rows):
            show_message(
                self.team_message,
                f"{name} is already on the team; use initials to tell two people apart.",
                problem=True,
            )
            return
        role = str(self.role_combo.currentData())
        self.team_model.set_rows([*self.team_model.rows, Assessor(name, role)])
        self.name_edit.clear()
        self._update_buttons()

    def remove_selected(self) -> None:
        gone = set(selected_rows(self.team_view))
        self.team_model.set_rows([a for i, a in enumerate(self.team_model.rows) if i not in gone])
        self._update_buttons()

    def save_team(self) -> bool:
        if self.fieldwork is None or self.inspection is None:
            return False
        try:
            self.fieldwork.set_team(self.inspection.id, self.team_model.rows)
        except ProbdeskError as exc:
            show_message(self.team_message, exc.message, problem=True)
            return False
        self.reload_team()
        show_message(self.team_message, f"Team saved: {plural(len(self.saved_team), 'assessor')}.")
        return True

    # -- cases ----------------------------------------------------------------------------
    def import_sample(self) -> None:
        fw, inspection = self.fieldwork, self.inspection
        if fw is None or inspection is None:
            return
        if self._team_dirty() and not self.save_team():
            return
        pdus = list(inspection.pdus) or [inspection.pdu]
        dialog = ImportSampleDialog(
            fw.ws.question_set(inspection),
            pdus,
            [a.name for a in self.saved_team],
            [c.reference for c in self.cases_model.rows],
            self,
        )
        if not dialog.exec() or not dialog.cases:
            return
        rows = dialog.cases
        default_pdu = pdus[0] if len(pdus) == 1 else None

        def work(progress: Progress, cancelled: Cancelled) -> tuple[int, str | None]:
            for n, row in enumerate(rows):
                if cancelled():
                    return n, "Cancelled."
                progress(n, len(rows), f"Adding case {row.reference} ({n + 1} of {len(rows)})")
                try:
                    fw.add_sample_case(
                        inspection.id, row.reference, row.facts, row.pdu or default_pdu,
                        row.assessor,
                    )  # fmt: skip
                except ProbdeskError as exc:
                    return n, f"Row {row.row}: {exc.message}"
            return len(rows), None

        def done(outcome: tuple[int, str | None]) -> None:
            added, problem = outcome
            if problem is None:
                show_message(self.cases_message, f"Imported {plural(added, 'case')}.")
            else:
                show_message(
                    self.cases_message,
                    f"Imported {added} of {plural(len(rows), 'case')}, then stopped. {problem} "
                    "Import the file again to add the rest: cases already added are left out.",
                    problem=True,
                )
            self.reload_cases()
            self.cases_changed.emit(inspection.id)

        self.runner.run(
            f"Importing {plural(len(rows), 'case')}", work, done, self._failed,
            changes=Changes.TEAM | Changes.CASES,
        )  # fmt: skip

    def selected_cases(self) -> list[Case]:
        return [self.cases_model.row_at(i) for i in selected_rows(self.cases_view)]

    def assign_selected(self) -> bool:
        fw, inspection = self.fieldwork, self.inspection
        cases, name = self.selected_cases(), self.assign_combo.currentData()
        if fw is None or inspection is None or not cases or not name:
            return False

        def work(progress: Progress, cancelled: Cancelled) -> int:
            for n, case in enumerate(cases):
                if cancelled():
                    return n
                progress(n, len(cases), f"Assigning case {case.reference} to {name}")
                fw.assign(case.id, str(name))
            return len(cases)

        def done(n: int) -> None:
            show_message(self.cases_message, f"{plural(n, 'case')} assigned to {name}.")
            self.reload_cases()
            self.cases_changed.emit(inspection.id)

        return self.runner.run(
            f"Assigning cases to {name}", work, done, self._failed,
            changes=Changes.TEAM | Changes.CASES,
        )  # fmt: skip

    def _failed(self, exc: Exception) -> None:
        self.reload_cases()
        self.runner.default_error(exc)
