"""No two controls reachable at once share an Alt key (#17, part 4): on every tab of the
team lead's and an assessor's window (with the menu bar's and the tab bar's keys, which are
always reachable) and in the dialogs opened from the case form and the case view.

An Alt key is the letter after "&" in a button's, a check box's, a tab's or a menu's text,
or in a label's that has a buddy; only the controls shown at the moment count (the Hub
tab's pages show one at a time)."""

from __future__ import annotations

from pathlib import Path

import pytest
from altkeys import clashes, keys_shown, window_keys
from demos import Demos
from guikit import OpenWindow, idle
from pytestqt.qtbot import QtBot

from probdesk.domain.records import Comment


@pytest.fixture(scope="module")
def demo(demos: Demos, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("altkeys") / "demo"
    demos.copy(4, out)
    return out


@pytest.mark.parametrize("who", ["lead", "ab"])
def test_every_tab_has_each_alt_key_once(
    qtbot: QtBot, open_window: OpenWindow, demo: Path, who: str
) -> None:
    window = open_window(demo / who, shared=demo / "shared", size=(1366, 768))
    idle(qtbot, window)
    found = {}
    for i in range(window.tabs.count()):
        window.tabs.setCurrentIndex(i)
        idle(qtbot, window)
        page = window.tabs.widget(i)
        if page is window.hub_panel:  # one page at a time: each with the tab's own controls
            from probdesk.ui.hub.state import CONFLICTS, FIGURES, MODERATION, PACKAGES, PROGRESS

            for name in (PACKAGES, PROGRESS, FIGURES, CONFLICTS, MODERATION):
                window.hub_panel.show_page(name)
                got = clashes(window_keys(window), keys_shown(page))
                if got:
                    found[f"Hub/{name}"] = got
            continue
        got = clashes(window_keys(window), keys_shown(page))
        if got:
            found[window.tabs.tabText(i).replace("&", "")] = got
    assert found == {}


def test_the_case_forms_dialogs_have_each_alt_key_once(qtbot: QtBot) -> None:
    from datetime import datetime

    from probdesk.ui.cases.reply_dialog import ReplyDialog
    from probdesk.ui.hub.dialogs import QuestionCommentDialog, ReturnDialog

    comment = Comment("c1", "i1", "k1", "TL", "Is it right?", datetime(2026, 11, 3), "p1",
                      question_id="C1")  # fmt: skip
    questions = [("C1", "Is the assessment right?"), ("C2", "Is the plan right?")]
    for dialog in (
        ReplyDialog([comment]),
        QuestionCommentDialog("X1", questions),
        ReturnDialog("X1", None, questions),
    ):
        qtbot.addWidget(dialog)
        dialog.show()
        assert clashes(keys_shown(dialog)) == {}, type(dialog).__name__
