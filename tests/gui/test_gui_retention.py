"""Retention in the window: the team lead's Close inspection… on the Hub tab, and
File > Purge inspection… on a laptop (refused with what is unmerged, then confirmed)."""

from __future__ import annotations

from pathlib import Path

from guikit import OpenWindow, done_with, idle
from pytestqt.qtbot import QtBot
from scenes import AB, build_team

from probdesk.paths import Paths
from probdesk.services import hub as hubs
from probdesk.services.fieldwork import Fieldwork
from probdesk.services.workspace import Workspace
from probdesk.ui.hub.close_dialog import CloseInspectionDialog
from probdesk.ui.window.purge_dialog import PurgeDialog


def sync(data: Path, shared: Path) -> None:
    paths = Paths.resolve(data)
    ws = Workspace.open(paths)
    try:
        fw = Fieldwork(ws, paths)
        fw.check_receipts(shared)
        for pack in fw.incoming(shared):
            if pack.kind == "sendback" and not pack.opened:
                fw.open_sendback(pack.path)
    finally:
        ws.close()


def test_the_lead_closes_and_the_laptop_purges_once_all_is_merged(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path
) -> None:
    team = build_team(tmp_path / "team")
    ab = team.laptops[AB]
    case = team.case(AB, "A1")
    qs = ab.ws.question_set(ab.ws.inspection(team.inspection_id))
    question = next(q.id for q in qs.questions if "yes" in (q.allowed_values() or ()))
    ab.ws.record_answer(case, question, "yes", note="Fictional GUI purge note")
    team.export(AB)
    hub = hubs.open_hub(team.lead.paths.data)
    try:
        hubs.merge(hub, team.lead.fw, team.shared)
    finally:
        hub.close()
    shared, inspection_id = team.shared, team.inspection_id
    team.close()

    # The laptop first: not closed yet, so the dialog says why and offers no purge.
    window = open_window(tmp_path / "team" / "ab", shared=shared, select=inspection_id)
    window.purge_action.trigger()
    qtbot.waitUntil(lambda: getattr(window, "purge_dialog", None) is not None, timeout=15_000)
    dialog = window.purge_dialog
    assert isinstance(dialog, PurgeDialog) and dialog.purge_button is None
    assert "not closed" in dialog.text.text() and "Fictional" not in dialog.text.text()
    dialog.reject()
    done_with(window)

    # The team lead closes it on the Hub tab.
    lead = open_window(tmp_path / "team" / "lead", shared=shared, select=inspection_id)
    lead.tabs.setCurrentWidget(lead.hub_panel)
    idle(qtbot, lead)
    panel = lead.hub_panel
    assert panel.close_button.isEnabled() and panel.closed_label.text().startswith("Open")
    panel.close_button.click()
    close_dialog = panel.close_dialog
    assert isinstance(close_dialog, CloseInspectionDialog)
    assert "365 days" in close_dialog.text.text()
    close_dialog.close_button.click()
    qtbot.waitUntil(lambda: panel.close_message.text().startswith("Closed on"), timeout=15_000)
    assert "1 closing pack written" in panel.close_message.text()
    assert not panel.close_button.isEnabled() and panel.closed_label.text().startswith("Closed")
    idle(qtbot, lead)
    done_with(lead)

    # The laptop reads the closing pack and the receipt: now the purge is offered, once the
    # confirmation is ticked.
    sync(tmp_path / "team" / "ab", shared)
    window = open_window(tmp_path / "team" / "ab", shared=shared, select=inspection_id)
    window.purge_action.trigger()
    qtbot.waitUntil(
        lambda: (
            getattr(window, "purge_dialog", None) is not None
            and window.purge_dialog.purge_button is not None
        ),
        timeout=15_000,
    )
    dialog = window.purge_dialog
    assert "cannot be undone" in dialog.confirm.text()
    assert "2 cases" in dialog.text.text()
    assert not dialog.purge_button.isEnabled()
    dialog.confirm.setChecked(True)
    assert dialog.purge_button.isEnabled()
    dialog.purge_button.click()
    qtbot.waitUntil(lambda: getattr(window, "purge_done", None) is not None, timeout=30_000)
    assert "purged from this laptop" in window.purge_done.text()
    assert window.inspection is None
    assert window.workspace.inspections() == []
    window.purge_done.accept()


def test_the_lead_purges_expired_inspections_from_the_hub_after_confirming(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path
) -> None:
    from PySide6.QtWidgets import QMessageBox

    from probdesk.services import retention

    team = build_team(tmp_path / "team")
    team.answer_all(AB)
    team.export(AB)
    hub = hubs.open_hub(team.lead.paths.data)
    try:
        hubs.merge(hub, team.lead.fw, team.shared)
        retention.close_inspection(hub, team.lead.fw, team.inspection_id, team.shared)
    finally:
        hub.close()
    shared, inspection_id = team.shared, team.inspection_id
    team.close()

    lead = open_window(tmp_path / "team" / "lead", shared=shared, select=inspection_id)
    lead.tabs.setCurrentWidget(lead.hub_panel)
    idle(qtbot, lead)
    panel = lead.hub_panel
    # Within the retention period (365 days by default): nothing is due, nothing asked.
    panel.purge_button.click()
    qtbot.waitUntil(lambda: "No closed inspection" in panel.close_message.text(), timeout=15_000)
    assert "kept until" in panel.close_message.text() and panel.purge_box is None
    idle(qtbot, lead)

    hub = hubs.open_hub(tmp_path / "team" / "lead")
    try:
        retention.set_retention_days(hub, 0)  # the organisation's period: over at once
    finally:
        hub.close()
    panel.purge_button.click()
    qtbot.waitUntil(lambda: panel.purge_box is not None, timeout=15_000)
    box = panel.purge_box
    assert "Plymouth" in box.text() and "for good" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()  # first, no: nothing changes
    idle(qtbot, lead)
    hub = hubs.open_hub(tmp_path / "team" / "lead")
    try:
        assert inspection_id in hub.inspection_ids()
    finally:
        hub.close()
    panel.purge_box = None
    panel.purge_button.click()
    qtbot.waitUntil(lambda: panel.purge_box is not None, timeout=15_000)
    panel.purge_box.button(QMessageBox.StandardButton.Discard).click()
    qtbot.waitUntil(lambda: panel.close_message.text().startswith("Purged"), timeout=30_000)
    assert "Purged 1 inspection from the hub" in panel.close_message.text()
    idle(qtbot, lead)
    done_with(lead)
    hub = hubs.open_hub(tmp_path / "team" / "lead")
    try:
        assert inspection_id not in hub.inspection_ids()
    finally:
        hub.close()
