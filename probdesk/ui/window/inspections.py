"""The inspection chosen at the top of the main window and its cases: choosing and creating an
inspection, opening a question set, adding a case and editing its facts, the answer history,
and what the status bar says about saving and exporting."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from probdesk.errors import ProbdeskError
from probdesk.ui.window.state import WindowState

if TYPE_CHECKING:
    from datetime import date
    from pathlib import Path

    from PySide6.QtWidgets import QWidget

    from probdesk.domain.questionset import QuestionSet
    from probdesk.domain.records import Inspection


class InspectionsPart(WindowState):
    """A part of MainWindow (a mixin): the inspection chooser, the case list and form around
    it (the File menu's New inspection and Open question set, the Case menu's dialogs), and
    the save and unexported indicators."""

    # -- inspections ----------------------------------------------------------------------
    def reload_inspections(self, select: str | None = None) -> None:
        inspections = self.workspace.inspections()
        self.inspection_combo.clear()
        for i in inspections:
            self.inspection_combo.addItem(i.title, i.id)
        self._show_welcome(not inspections)
        if not inspections:
            self.inspection_combo.addItem(
                "No inspection yet: join one or set one up (the Welcome tab)", None
            )
            self.set_inspection(None)
            return
        index = max(0, self.inspection_combo.findData(select)) if select else 0
        self.inspection_combo.setCurrentIndex(index)
        self.set_inspection(self.inspection_combo.currentData())

    def _show_welcome(self, shown: bool) -> None:
        """The Welcome tab first, and chosen, while there is no inspection; gone after."""
        at = self.tabs.indexOf(self.welcome)
        if shown and at < 0:
            self.tabs.insertTab(0, self.welcome, "Welcome")
            self.tabs.setCurrentWidget(self.welcome)
        elif not shown and at >= 0:
            self.tabs.removeTab(at)

    # -- the Welcome tab's three ways in ----------------------------------------------------
    def join_inspection(self) -> None:
        """An assessor: to the Sync tab, in the shared folder's field."""
        from PySide6.QtCore import Qt

        self.tabs.setCurrentWidget(self.sync)
        self.sync.folder_edit.setFocus(Qt.FocusReason.OtherFocusReason)
        self.statusBar().showMessage(
            "Choose the shared folder your team lead uses, then open the setup pack in it.", 10_000
        )

    def set_one_up(self) -> None:
        """A team lead: New inspection…, then the Team lead tab."""
        if self.new_inspection() is not None:
            self.tabs.setCurrentWidget(self.team_lead)

    def open_demo(self) -> bool:
        """Someone looking around: the demo built beside this data folder (on the runner),
        then opened in a window of its own; built before, it opens at once."""
        from probdesk.progress import Cancelled, Progress
        from probdesk.ui.window.welcome import demo_folder, open_demo_window

        out = demo_folder(self.workspace.store.path.parent)
        if (out / "lead").is_dir():
            open_demo_window(out, self._keep_window)
            self.welcome.say(f"The demo, built before in {out}, is open in its own window.")
            return True

        def work(progress: Progress, _cancelled: Cancelled) -> Path:
            from probdesk.services.demo import build_demo

            progress(0, 0, f"Building the demo in {out}")
            build_demo(out, seed=1, report=lambda line: progress(0, 0, line))
            return out

        def done(built: Path) -> None:
            open_demo_window(built, self._keep_window)
            self.welcome.say(f"The demo is open in its own window (its folders: {built}).")

        def failed(exc: Exception) -> None:
            message = exc.message if isinstance(exc, ProbdeskError) else str(exc)
            self.welcome.say(f"The demo could not be built: {message}", problem=True)

        return self.runner.run("Building the demo", work, done, failed)

    def _keep_window(self, window: QWidget) -> None:
        kept: list[QWidget] = getattr(self, "other_windows", [])
        self.other_windows = [w for w in kept if w.isVisible()] + [window]

    def _inspection_chosen(self, _index: int) -> None:
        self.set_inspection(self.inspection_combo.currentData())

    def set_inspection(self, inspection_id: str | None) -> None:
        self.case_form.clear()
        self.inspection = self.workspace.inspection(inspection_id) if inspection_id else None
        qs = self.workspace.question_set(self.inspection) if self.inspection else None
        has = self.inspection is not None
        for w in (self.add_case_action, self.case_list.add_button):
            w.setEnabled(has)
        self.case_list.set_rows(self.workspace.case_rows(inspection_id) if inspection_id else [])
        if qs is not None:
            self.case_form.prepare_at_idle(qs)  # each variant's form, built while idle
        self.meetings.set_inspection(inspection_id, qs)
        self.sync.set_inspection(self.inspection)
        self.team_lead.set_inspection(self.inspection)
        self.hub_panel.set_inspection(self.inspection)
        self.reports_panel.set_inspection(self.inspection)
        # An assessor's laptop that opened the team lead's setup pack has no team lead work:
        # a pack written here would be signed by the wrong key.
        leads_here = self.inspection is None or self.inspection.lead_device_id in (
            None,
            self.workspace.device_id,
        )
        self.tabs.setTabVisible(self.tabs.indexOf(self.team_lead), leads_here)
        self.tabs.setTabVisible(self.tabs.indexOf(self.hub_panel), leads_here)
        self.tabs.setTabVisible(self.tabs.indexOf(self.reports_panel), leads_here)
        from probdesk.ui.evidence import applies_to

        # Everyone gathers domain one evidence: shown wherever the set has questions for it.
        self.evidence.set_inspection(self.inspection, qs, lead=leads_here)
        self.tabs.setTabVisible(self.tabs.indexOf(self.evidence), applies_to(qs))
        self.show_window_title()  # with the hub, when it is not the data folder's own

    def new_inspection(self) -> Inspection | None:
        """File > New inspection…: the dialog, then the new inspection chosen."""
        device = self.workspace.device()

        def create(
            region: str,
            pdu: str,
            start: date,
            end: date,
            qs_path: str,
            who: str,
            role: str,
            kind: str = "pdu",
        ) -> Inspection:
            self.workspace.set_identity(who, role)
            if kind == "region":  # a regional sample spans the PDUs listed; named by the region
                pdus = [p.strip() for p in pdu.split(",") if p.strip()]
                return self.workspace.create_inspection(
                    region, region, start, end, qs_path, pdus=pdus, kind="region"
                )
            return self.workspace.create_inspection(region, pdu, start, end, qs_path)

        from probdesk.domain.records import Inspection
        from probdesk.ui.window.new_inspection_dialog import NewInspectionDialog

        dialog = NewInspectionDialog(create, device.assessor, device.role, self)
        if dialog.exec() and isinstance(dialog.result_value, Inspection):
            self.reload_inspections(select=dialog.result_value.id)
            self._refresh_unexported()
            return dialog.result_value
        return None

    def open_question_set(self, path: str | None = None) -> QuestionSet | None:
        """File > Open question set…: load one into the Question sets tab and show it."""
        from PySide6.QtWidgets import QFileDialog

        if not path:
            path, _ = QFileDialog.getOpenFileName(
                self, "Open question set", "", "Question sets (*.yaml *.yml)"
            )
            if not path:
                return None
        from probdesk.domain import loader

        try:
            qs = loader.load(path)
        except ProbdeskError as exc:
            from probdesk.ui.kit.messages import show_problem

            show_problem(self, exc)
            return None
        sets = [s for s in self.browser.sets if s.content_hash != qs.content_hash] + [qs]
        self.browser.set_question_sets(sets)
        self.tabs.setCurrentWidget(self.browser)
        self.statusBar().showMessage(f"Loaded {qs.title} ({qs.version})", 5000)
        return qs

    # -- cases ----------------------------------------------------------------------------
    def open_case(self, case_id: str) -> None:
        if self.case_form.state is not None and self.case_form.state.case.id == case_id:
            return
        self.case_form.load(case_id)
        self.guidance.show_question(None, None)

    def add_case(self) -> None:
        if self.inspection is None:
            return
        inspection = self.inspection
        qs = self.workspace.question_set(inspection)
        from probdesk.domain.records import Case
        from probdesk.ui.cases.facts_dialog import FactsDialog

        dialog = FactsDialog(
            qs, lambda ref, facts: self.workspace.add_case(inspection.id, ref, facts), parent=self
        )
        if dialog.exec() and isinstance(dialog.result_value, Case):
            case_id = dialog.result_value.id
            self.case_list.set_rows(self.workspace.case_rows(inspection.id), select=case_id)
            self.open_case(case_id)
            self._refresh_unexported()
            self.case_form.next_unanswered()

    def edit_facts(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        state = self.case_form.state
        if state is None:
            return
        case = state.case
        if not case.status.editable:
            QMessageBox.information(
                self,
                "Case facts",
                f"Case {case.reference} is {case.status.label.lower()}; reopen it "
                "(Ctrl+Return) to change its facts.",
            )
            return
        from probdesk.ui.cases.facts_dialog import FactsDialog

        dialog = FactsDialog(
            state.question_set,
            lambda _ref, facts: self.workspace.update_facts(case.id, facts),
            facts=dict(case.facts),
            reference=case.reference,
            new_case=False,
            parent=self,
        )
        if dialog.exec():
            self.case_form.load(case.id)
            self._case_changed(case.id)

    def _case_changed(self, case_id: str) -> None:
        if self.inspection is None:
            return
        # While the store cannot be read the banner says why; the list catches up on recovery.
        with contextlib.suppress(ProbdeskError):
            for row in self.workspace.case_rows(self.inspection.id, case_id):  # that case only
                self.case_list.model.update_row(row)
        self._refresh_unexported()

    def _cases_changed_elsewhere(self, inspection_id: str) -> None:
        if self.inspection is not None and self.inspection.id == inspection_id:
            with contextlib.suppress(ProbdeskError):
                self.case_list.set_rows(self.workspace.case_rows(inspection_id))
        self._refresh_unexported()

    def show_history(self, case_id: str, question_id: str) -> None:
        state = self.case_form.state
        q = state.question_set.question(question_id) if state else None
        from probdesk.ui.cases.history_dialog import HistoryDialog

        HistoryDialog(q, self.workspace.history(case_id, question_id), self).exec()

    def _show_guidance(self, question: object) -> None:
        """The case form's focus moved: `question` is a Question, or None (the signal's
        type is object)."""
        from probdesk.domain.questionset import Question

        state = self.case_form.state
        self.guidance.show_question(
            state.question_set if state else None,
            question if isinstance(question, Question) else None,
        )

    def focus_filter(self) -> None:
        self.tabs.setCurrentIndex(0)
        self.case_list.filter_edit.setFocus()
        self.case_list.filter_edit.selectAll()

    def focus_case_list(self) -> None:
        self.tabs.setCurrentIndex(0)
        self.case_list.view.setFocus()

    # -- saving ---------------------------------------------------------------------------
    def _saved(self, at: str) -> None:
        if self.saver.pending:
            self.save_indicator.not_saved(self.saver.pending)
        else:
            self.save_indicator.saved(at)
        self._refresh_unexported()

    def _save_failed(self, message: str) -> None:
        self.banner.show_message(message)
        self.save_indicator.not_saved(self.saver.pending)

    def _recovered(self) -> None:
        self.banner.hide()
        if self.inspection is not None:
            with contextlib.suppress(ProbdeskError):
                for row in self.workspace.case_rows(self.inspection.id):
                    self.case_list.model.update_row(row)
        self._refresh_unexported()

    def _refresh_unexported(self) -> None:
        # When the store cannot be read the banner already says why.
        with contextlib.suppress(ProbdeskError):
            self.unexported.set_state(self.workspace.export_state())
