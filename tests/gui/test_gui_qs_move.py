"""The Team lead tab moves an inspection to a new version of its question set: the preview
dialog shows what changes, an incompatible move needs the tick, and the window reloads the
inspection on its new version (#15, item 1)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from guikit import OpenWindow, drive, idle
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from probdesk import bundled
from probdesk.domain.records import Assessor
from probdesk.paths import Paths
from probdesk.ui.app import build_main_window
from probdesk.ui.team_lead.move_dialog import MoveQuestionSetDialog

CORE = bundled.question_sets_dir() / "pdu-core.yaml"


def _v2(tmp_path: Path) -> Path:
    data: dict[str, Any] = yaml.safe_load(CORE.read_text(encoding="utf-8"))
    data["version"] = "2026.2-test"
    data["sections"][0]["prompts"][1]["answer"] = "yes_no_na"  # 2.1.1.b: incompatible
    out = tmp_path / "pdu-core-v2.yaml"
    out.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return out


def test_the_lead_previews_ticks_and_moves(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = build_main_window(Paths.resolve(tmp_path / "lead"))
    qtbot.addWidget(window)
    window.show()
    try:
        ws = window.workspace
        ws.set_identity("TL", "team_lead")
        insp = ws.create_inspection(
            "South West", "Plymouth", date(2027, 2, 1), date(2027, 2, 5), CORE
        )
        assert window.fieldwork is not None
        window.fieldwork.set_team(insp.id, [Assessor("AB", "inspector")])
        window.reload_inspections(select=insp.id)
        v2 = _v2(tmp_path)
        monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(v2), ""))
        seen: dict[str, Any] = {}

        def exec_(self: MoveQuestionSetDialog) -> int:
            seen["text"] = self.preview.toPlainText()
            seen["enabled before"] = self.move_button.isEnabled()
            self.accept_incompatible.setChecked(True)
            seen["enabled after"] = self.move_button.isEnabled()
            return 1

        monkeypatch.setattr(MoveQuestionSetDialog, "exec", exec_)
        window.tabs.setCurrentWidget(window.team_lead)
        window.team_lead.move_button.click()
        qtbot.waitUntil(lambda: "now on version" in window.team_lead.pack_message.text(),
                        timeout=10_000)  # fmt: skip
        qtbot.waitUntil(lambda: not window.runner.busy, timeout=10_000)
        assert "2.1.1.b (s2-1-1): answer type changed  INCOMPATIBLE" in seen["text"]
        assert seen["enabled before"] is False and seen["enabled after"] is True
        assert ws.inspection(insp.id).qs_version == "2026.2-test"
        assert window.inspection is not None
        assert window.inspection.qs_version == "2026.2-test"  # the window reloaded it
    finally:
        window.runner.wait()
        window.workspace.close()


def test_the_assessor_opening_the_moved_revision_is_told_what_to_review(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hubworld

    from probdesk.services import qs_move
    from probdesk.ui.sync import OpenSetupPackDialog

    world = hubworld.setup_inspection(
        tmp_path / "world", (("A100001", hubworld.PDUS[0], hubworld.AB, {}),), hubworld.PDUS
    )
    ab = world.assessors[hubworld.AB]
    [case] = ab.ws.cases(world.inspection_id)
    ab.ws.record_answer(case.id, "2.1.1.b", "yes", "seen in the record")
    planned = qs_move.preview(world.lead.ws, world.inspection_id, _v2(tmp_path))
    qs_move.move(world.lead.ws, planned, accept_incompatible=True)
    rev2 = tmp_path / "rev2"
    rev2.mkdir()
    pack = world.lead.fw.create_setup_pack(world.inspection_id, hubworld.PASSPHRASE, rev2, "TL")
    data = ab.paths.data
    world.close()

    window = build_main_window(Paths.resolve(data))
    qtbot.addWidget(window)
    window.show()
    try:

        def exec_(self: OpenSetupPackDialog) -> int:
            self.values = (hubworld.PASSPHRASE, hubworld.AB, "")
            return 1

        monkeypatch.setattr(OpenSetupPackDialog, "exec", exec_)
        assert window.fieldwork is not None
        [incoming] = [p for p in window.fieldwork.incoming(rev2) if p.path == pack]
        window.sync.open_setup_pack(incoming)
        qtbot.waitUntil(lambda: "moved the inspection" in window.sync.incoming_message.text(),
                        timeout=10_000)  # fmt: skip
        qtbot.waitUntil(lambda: not window.runner.busy, timeout=10_000)
        text = window.sync.incoming_message.text()
        assert "version 2026.2-test of its question set" in text
        assert "1 case to review: A100001: 2.1.1.b: answer type yes_no -> yes_no_na" in text
        assert window.workspace.case_state(case.id).notes["2.1.1.b"] == "seen in the record"
        # The case is on the to-do list until the assessor marks the notice done.
        window.reload_inspections(select=window.inspection.id if window.inspection else None)
        model = window.case_list.model
        assert model.headerData(4, Qt.Orientation.Horizontal) == "To do"
        assert model.index(0, 4).data() == "1"
        window.case_form.load(case.id)
        box = window.case_form.comments
        assert box.isVisibleTo(window) and box.done_button.isVisibleTo(window)
        assert "answer type yes_no -&gt; yes_no_na" in box.text.text()
        box.done_button.click()
        assert model.index(0, 4).data() == ""
        assert box.isVisibleTo(window) and not box.done_button.isVisibleTo(window)
        assert "(done " in box.text.text()
    finally:
        window.runner.wait()
        window.workspace.close()


def test_the_preview_counts_the_answers_merged_into_the_leads_hub(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, open_window: OpenWindow
) -> None:
    """The lead's laptop holds no answers of its own: the preview reads the assessors' from
    the hub the window was handed, and says so."""
    import hubworld

    from probdesk.services import hub as hubs

    world = hubworld.setup_inspection(
        tmp_path / "world",
        (("A100001", hubworld.PDUS[0], hubworld.AB, {}),
         ("A100002", hubworld.PDUS[0], hubworld.AB, {})),
        hubworld.PDUS,
    )  # fmt: skip
    ab = world.assessors[hubworld.AB]
    for case in ab.ws.cases(world.inspection_id):
        ab.ws.record_answer(case.id, "2.1.1.b", "yes")
        ab.ws.record_answer(case.id, "2.1.1.a", "no")
    hubworld.export(world, hubworld.AB)
    hub = hubs.open_hub(world.lead.paths.data)  # the lead's own hub, where the window looks
    try:
        hubs.merge(hub, world.lead.fw, world.setup_pack.parent)
    finally:
        hub.close()
    lead, iid = world.lead.paths.data, world.inspection_id
    world.close()

    window = open_window(lead, select=iid, tab="team_lead")
    v2 = _v2(tmp_path)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(v2), ""))
    seen: list[str] = []

    def look(dialog: MoveQuestionSetDialog) -> None:
        seen.append(dialog.preview.toPlainText())  # then cancelled: nothing moves

    driven = drive(monkeypatch, MoveQuestionSetDialog, look)
    window.team_lead.move_button.click()
    qtbot.waitUntil(lambda: not driven.pending, timeout=10_000)
    idle(qtbot, window)
    [text] = seen
    assert "(the answers merged into the hub for 2 of 2 cases" in text
    assert "A100001: 2 answers carried over" not in text  # 2.1.1.b is set aside, not carried
    assert "A100001: 1 answer carried over" in text
    assert "review 2.1.1.b" in text
    assert window.workspace.inspection(iid).qs_version == "2025.1-illustrative"  # cancelled
