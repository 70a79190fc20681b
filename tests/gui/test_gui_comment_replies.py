"""The assessor's reply comes back to the lead (#16, part 1): in the assessor's window the
comments box's "Reply to the lead…" answers a question comment (shown at the question and in
the box); the reply and a changed answer travel in the next export, and the lead's case view
shows them under the comment."""

from __future__ import annotations

from pathlib import Path

import rawdb
from demos import Demos
from guikit import Box, OpenWindow, idle, unnamed
from pytestqt.qtbot import QtBot

from probdesk.paths import Paths
from probdesk.services import hub as hubs
from probdesk.services.fieldwork import Fieldwork
from probdesk.services.workspace import Workspace
from probdesk.ui.cases.reply_dialog import ReplyDialog
from probdesk.ui.hub.case_view import CaseViewDialog


def test_a_reply_written_in_the_form_reaches_the_leads_case_view(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path, boxes: list[Box], demos: Demos
) -> None:
    demo = tmp_path / "demo"
    inspection_id = demos.copy(4, demo).inspection_id
    shared = demo / "shared"
    lead_paths = Paths.resolve(demo / "lead")
    hub_url = hubs.default_hub_url(demo / "lead")

    # The lead merges and comments on a question of a case (the services, as the tab would).
    lead_ws = Workspace.open(lead_paths)
    hub = rawdb.hub(hub_url)
    try:
        lead = Fieldwork(lead_ws, lead_paths)
        hubs.merge(hub, lead, shared)
        case = sorted(hub.cases_of(inspection_id), key=lambda c: c.reference)[0]
        answered = sorted({e.question_id for e in hub.events_of_case(case.id)})
        question = answered[0]
        sent = hubs.comment_on_question(hub, lead, inspection_id, case.reference, question,
                                        "Is this answer right?", shared)  # fmt: skip
    finally:
        hub.close()
        lead_ws.close()

    # The assessor's laptop opens the pack and changes the answer the comment is about.
    data = demo / case.assessor.lower()
    paths = Paths.resolve(data)
    ws = Workspace.open(paths)
    try:
        fw = Fieldwork(ws, paths)
        for pack in sent.sendbacks:
            fw.open_sendback(pack)
        state = ws.case_state(case.id)
        if not state.case.status.editable:
            ws.reopen(case.id)
        q = ws.question_set(ws.inspection(inspection_id)).question(question)
        values = list(q.allowed_values() or ())
        current = ws.case_state(case.id).answers.get(question)
        ws.record_answer(case.id, question, next(v for v in values if v != current))
    finally:
        ws.close()

    window = open_window(data, select=inspection_id)
    idle(qtbot, window)
    window.tabs.setCurrentIndex(0)
    window.case_list.select(case.id)
    idle(qtbot, window)
    form = window.case_form
    box = form.comments
    assert box.reply_button.isVisibleTo(window)
    box.reply_button.click()
    dialog = form.reply_dialog
    assert isinstance(dialog, ReplyDialog) and dialog.isVisible()
    assert unnamed(dialog) == []
    assert dialog.choice.currentText() == f"On {question}: Is this answer right?"
    ok = dialog.buttons.buttons()[0]
    dialog.done_box.setChecked(False)
    assert not ok.isEnabled() and "Write a reply" in dialog.problem.text()
    dialog.text.setPlainText("Checked again: corrected it.")
    assert ok.isEnabled()
    dialog.accept()
    idle(qtbot, window)
    at_question = form.rows[question].comments
    assert "Your reply</i>: Checked again: corrected it." in at_question.text()
    assert at_question.accessibleDescription().endswith(
        "Is this answer right?. Your reply: Checked again: corrected it."
    )
    assert "Checked again: corrected it." in box.text.text()
    assert boxes == []
    window.close()

    # Exported and merged: the lead's case view shows the reply and the new answer.
    ws = Workspace.open(paths)
    try:
        assert Fieldwork(ws, paths).export(inspection_id, shared).shared_path is not None
    finally:
        ws.close()
    lead_window = open_window(demo / "lead", shared=shared, select=inspection_id,
                              tab="hub_panel", size=(1366, 768))  # fmt: skip
    panel = lead_window.hub_panel
    idle(qtbot, lead_window)
    panel.merge_button.click()
    qtbot.waitUntil(lambda: "merged" in panel.tally.text(), timeout=15_000)
    idle(qtbot, lead_window)
    assert panel.open_case(case.reference)
    qtbot.waitUntil(lambda: panel.case_dialog is not None, timeout=15_000)
    idle(qtbot, lead_window)
    view = panel.case_dialog
    assert isinstance(view, CaseViewDialog)
    [thread] = view.review.comments
    assert thread.state == "Replied" and thread.answered_since
    text = view.body.toPlainText()
    assert "Comments to the assessor" in text and "Is this answer right?" in text
    assert "Checked again: corrected it." in text and "Answered since:" in text
    assert "[Replied]" in text
    assert boxes == []
