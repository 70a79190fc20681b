"""The Hub tab lists laptops whose packages are held, and the team lead enrols or refuses them.

A laptop opened without its enrolment code exports; the lead's merge holds its package (no
figure changes); the lead selects it, compares the fingerprint, and enrols it: the package
merges. A stranger's key is refused and stays out.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from guikit import OpenWindow, idle
from pytestqt.qtbot import QtBot
from scenes import AB, Team, build_team

from probdesk.packages import writer
from probdesk.packages.keys import DeviceKeys, Recipient
from probdesk.ui.main_window import MainWindow


@pytest.fixture
def team(tmp_path: Path) -> Iterator[Team]:
    t = build_team(tmp_path / "team", enrol=False)
    t.lead.ws.close()  # the window opens the lead's data itself
    yield t
    for lt in t.laptops.values():
        lt.ws.close()


@pytest.fixture
def lead_window(open_window: OpenWindow, team: Team) -> MainWindow:
    return open_window(
        team.lead.paths.data, shared=team.shared, select=team.inspection_id, tab="hub_panel"
    )


def test_held_laptops_are_listed_then_enrolled_or_refused(
    qtbot: QtBot, team: Team, lead_window: MainWindow
) -> None:
    panel = lead_window.hub_panel
    team.answer_all(AB, submit=True)  # finished: the figures count them
    package = team.export(AB)
    # a stranger's package, encrypted to the lead, saying it is AB's
    stranger = DeviceKeys.generate()
    payload = {"device_id": "99999999-9999-9999-9999-999999999999",
               "inspection_id": team.inspection_id, "device": {"name": AB, "role": "inspector"},
               "seq_to": 0, "cases": [], "answers": [], "meetings": [],
               "meeting_notes": []}  # fmt: skip
    pid, data = writer.build_package(
        kind="events", payload=payload, inspection_id=team.inspection_id,
        device_id=payload["device_id"], hlc="0000000000001.000000.x", counts={}, extra=None,
        signer=stranger,
        recipients=[Recipient("lead", "team_lead", team.lead.fw.keys.encryption_public)],
    )  # fmt: skip
    (team.shared / writer.package_file_name("events", pid)).write_bytes(data)

    idle(qtbot, lead_window)
    panel.merge_button.click()
    qtbot.waitUntil(lambda: "2 held" in panel.tally.text(), timeout=15_000)
    idle(qtbot, lead_window)
    assert panel.held_box.isVisibleTo(lead_window)
    assert panel.held_model.rowCount() == 2
    rows = {panel.held_model.row_at(i).fingerprint: panel.held_model.row_at(i)
            for i in range(2)}  # fmt: skip
    ab_fp = team.laptops[AB].fw.fingerprints()["signing"]
    assert set(rows) == {ab_fp, _fp(stranger)}
    assert all(r.claimed_member == AB for r in rows.values())
    assert "held" in panel.merge_message.text().lower()
    assert panel.figures is not None
    assert all(r.yes == 0 for r in panel.figures.summary["pdu"])  # nothing counted

    # refuse the stranger
    row = next(i for i in range(2) if panel.held_model.row_at(i).fingerprint == _fp(stranger))
    panel.held_view.selectRow(row)
    assert panel.refuse_button.isEnabled()
    panel.refuse_button.click()
    qtbot.waitUntil(lambda: panel.held_model.rowCount() == 1, timeout=15_000)
    idle(qtbot, lead_window)
    assert "refused" in panel.enrol_message.text()

    # enrol AB's laptop: its package merges at once
    panel.held_view.selectRow(0)
    assert panel.enrol_member.currentText() == AB
    panel.enrol_button.click()
    qtbot.waitUntil(lambda: panel.tally.text().startswith("1 merged"), timeout=15_000)
    idle(qtbot, lead_window)
    assert not panel.held_box.isVisibleTo(lead_window)
    assert any(r.yes > 0 for r in panel.figures.summary["pdu"])
    assert package.name in {o.file for o in panel.merge_model.rows}


def _fp(keys: DeviceKeys) -> str:
    from probdesk.packages.keys import fingerprint

    return fingerprint(keys.signing_public)


def test_the_settle_dialog_shows_each_sides_note_laptop_and_time(qtbot: QtBot) -> None:
    from PySide6.QtWidgets import QLabel

    from probdesk.services.hub import Conflict, Side
    from probdesk.ui.hub.dialogs import SettleDialog

    sides = (
        Side("AB", "22222222-2222", "yes", "seen on the second laptop",
             "1790000000000.000001.2222", "2026-11-03T10:15:00"),
        Side("AB", "11111111-1111", "no", "", "1790000000000.000000.1111", "2026-11-03T09:40:00"),
    )  # fmt: skip
    conflict = Conflict("conflict", "X100001", "C1", (("AB", "yes"), ("AB", "no")),
                        sides[0].hlc, sides)  # fmt: skip
    dialog = SettleDialog(conflict)
    qtbot.addWidget(dialog)
    texts = [w.text() for w in dialog.findChildren(QLabel)]
    assert "laptop 22222222, 2026-11-03 10:15. Note: seen on the second laptop" in texts
    assert "laptop 11111111, 2026-11-03 09:40. No note." in texts
    assert [r.text() for r in dialog.radios] == ["AB: Yes", "AB: No"]
