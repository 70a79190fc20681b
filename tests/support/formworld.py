"""One assessor's laptop with an inspection of the dynamic public-protection set and a few
core-variant cases, open in a window on the first of them: the scene of the case form's GUI
tests (submit, undo, keyboard, never frozen)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from guikit import OpenWindow

from probdesk import bundled
from probdesk.ui.main_window import MainWindow

DIPP = next(p for p in bundled.bundled_question_sets() if p.name == "dipp-public-protection.yaml")
# A core-variant case with every optional branch switched off.
CORE_FACTS: dict[str, str] = {
    "sentence_type": "community_order", "contact_suspended": "no", "rosh_level": "low",
    "domestic_abuse": "no", "child_safeguarding": "no", "mappa_eligible": "no", "tier": "B2",
    "practitioner_grade": "po",
}  # fmt: skip


def window_with_cases(open_window: OpenWindow, data: Path, *references: str) -> MainWindow:
    """A shown, active window on `data` (assessor AB) with one inspection and a case per
    reference, the first of them open in the form."""
    w = open_window(data, active=True)
    ws = w.workspace
    ws.set_identity("AB", "inspector")
    inspection = ws.create_inspection(
        "South West", "Plymouth", date(2025, 10, 6), date(2025, 10, 17), DIPP
    )
    w.reload_inspections(select=inspection.id)
    ids = [ws.add_case(inspection.id, ref, CORE_FACTS).id for ref in references]
    w.case_list.set_rows(ws.case_rows(inspection.id))
    if ids:
        w.case_list.select(ids[0])
    return w
