"""A comment on one question of a case (#16, part 1): the team lead writes it from the Hub
tab's case view (Comment on a question…, or a return whose comment is on a question), a
send-back pack takes it to the assessor's laptop, and the assessor's form shows it at that
question, in the case's comments (naming the question) and in the To do column."""

from __future__ import annotations

import re
from pathlib import Path

import rawdb
from demos import Demos
from guikit import Box, OpenWindow, idle, unnamed
from pytestqt.qtbot import QtBot

from probdesk.paths import Paths
from probdesk.services import hub as hubs
from probdesk.services.fieldwork import Fieldwork
from probdesk.services.workspace import Workspace
from probdesk.ui.hub.case_view import CaseViewDialog
from probdesk.ui.hub.dialogs import QuestionCommentDialog, ReturnDialog
from probdesk.ui.hub.state import MODERATION


def test_the_lead_comments_on_a_question_and_the_assessor_sees_it_there(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path, boxes: list[Box], demos: Demos
) -> None:
    demo = tmp_path / "demo"
    inspection_id = demos.copy(4, demo).inspection_id
    shared = demo / "shared"
    lead = open_window(
        demo / "lead", shared=shared, select=inspection_id, tab="hub_panel", size=(1366, 768)
    )
    panel = lead.hub_panel
    panel.merge_button.click()
    qtbot.waitUntil(lambda: panel.tally.text().startswith("3 merged"), timeout=15_000)
    idle(qtbot, lead)
    panel.show_page(MODERATION)
    ref = panel.moderation_model.index(0, 0).data()
    assert panel.open_case(ref)
    qtbot.waitUntil(lambda: panel.case_dialog is not None, timeout=15_000)
    idle(qtbot, lead)
    view = panel.case_dialog
    assert isinstance(view, CaseViewDialog) and view.question_button.isEnabled()
    first, second = (q.question_id for q in view.review.questions[:2])

    # Comment on a question…: the question from a combo, the text; Send writes the pack.
    before = set(shared.glob("pd-sendback-*.pdpkg"))
    view.question_button.click()
    asked = view.question_dialog
    assert isinstance(asked, QuestionCommentDialog) and asked.isVisible()
    assert unnamed(asked) == []
    ok = asked.buttons.buttons()[0]
    assert not ok.isEnabled()  # the text is required
    asked.question_choice.setCurrentIndex(asked.question_choice.findData(first))
    asked.comment_edit.setPlainText("Is the RoSH level right?")
    asked.accept()
    qtbot.waitUntil(lambda: f"Comment on {first} sent" in view.message.text(), timeout=15_000)
    idle(qtbot, lead)
    [commented] = set(shared.glob("pd-sendback-*.pdpkg")) - before
    assert commented.name in view.message.text()
    hub = rawdb.hub(hubs.default_hub_url(demo / "lead"))
    try:
        case_id = next(c.id for c in hub.cases_of(inspection_id) if c.reference == ref)
        assert case_id not in hub.moderation_of(inspection_id)  # a comment is no decision
    finally:
        hub.close()

    # A return whose comment is on a question names it.
    view.return_button.click()
    returning = view.return_dialog
    assert isinstance(returning, ReturnDialog) and returning.question_choice is not None
    assert returning.question_id() is None  # the whole case, unless a question is chosen
    returning.question_choice.setCurrentIndex(returning.question_choice.findData(second))
    returning.comment_edit.setPlainText("Please check the evidence here.")
    returning.accept()
    qtbot.waitUntil(lambda: "returned to its assessor" in view.message.text(), timeout=15_000)
    idle(qtbot, lead)
    [returned] = set(shared.glob("pd-sendback-*.pdpkg")) - before - {commented}
    assert boxes == []

    # The assessor's laptop opens both packs.
    assessor = view.review.assessor
    view.close()
    data = demo / assessor.lower()
    paths = Paths.resolve(data)
    ws = Workspace.open(paths)
    try:
        fw = Fieldwork(ws, paths)
        for pack in (commented, returned):
            assert fw.open_sendback(pack).comments == 1
        sent = {c.question_id: c.created_at for c in fw.comments(inspection_id, case_id)}
    finally:
        ws.close()

    window = open_window(data, select=inspection_id)
    idle(qtbot, window)
    window.tabs.setCurrentIndex(0)
    window.case_list.select(case_id)
    idle(qtbot, window)
    form = window.case_form
    at_first = form.rows[first].comments
    assert at_first.isVisibleTo(window)
    assert at_first.accessibleName() == f"Comments on {first}"
    day = f"{sent[first].day} {sent[first]:%b}"
    assert at_first.accessibleDescription() == f"Team lead (TL), {day}: Is the RoSH level right?"
    assert "Is the RoSH level right?" in at_first.text()
    assert form.rows[second].comments.accessibleDescription() == (
        f"Team lead (TL), {day}: Please check the evidence here."
    )
    others = [r for q, r in form.rows.items() if q not in (first, second)]
    assert not any(r.comments.isVisibleTo(window) for r in others)
    listed = form.comments.text.text()
    assert f"on <b>{first}</b>" in listed and f"on <b>{second}</b>" in listed
    model = window.case_list.model
    assert int(model.index(model.row_of(case_id), 4).data()) >= 2
    form.comments.done_button.click()
    assert model.index(model.row_of(case_id), 4).data() == ""
    assert re.fullmatch(
        rf"Team lead \(TL\), {day} \(done \d+ \w+\): Is the RoSH level right\?",
        at_first.accessibleDescription(),
    )
    assert unnamed(window) == []
    assert boxes == []
