"""Standards, points and bands through the whole pipeline; the non-case evidence digest."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import rawdb
from cli_support import run

from probdesk.domain.records import Assessor, GroupAttendance, MeetingKind
from probdesk.hub.store import Hub
from probdesk.paths import Paths
from probdesk.services import hub as hubs
from probdesk.services.fieldwork import Fieldwork
from probdesk.services.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
FACTS = {
    "sentence_type": "community_order", "rosh_level": "medium", "domestic_abuse": "no",
    "child_safeguarding": "no", "mappa_eligible": "no", "tier": "B2",
    "practitioner_grade": "po",
}  # fmt: skip
KEYS = [f"2.{s}.{k}" for s in range(1, 5) for k in range(1, 4)]
# 5 cases. Key question 2.1.1 gets 4 Yes of 5 (80%: Outstanding) and every other key question
# 5 of 5, except 2.2.2 with 3 of 5 (60%: Requires improvement) and 2.3.3 with 1 of 5 (20%).
NO_ANSWERS = {"2.1.1": {0}, "2.2.2": {0, 1}, "2.3.3": {0, 1, 2, 3}}


@pytest.fixture(scope="module")
def merged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("ratings")
    shared = root / "shared"
    shared.mkdir()
    lead_paths = Paths.resolve(root / "lead").ensure()
    lead_ws = Workspace.open(lead_paths)
    lead = Fieldwork(lead_ws, lead_paths)
    insp = lead_ws.create_inspection(
        "North West", "Salford & Trafford", date(2026, 3, 2), date(2026, 3, 6),
        ROOT / "question_sets" / "pdu-core.yaml",
    )  # fmt: skip
    lead.set_team(insp.id, [Assessor("AB", "inspector")])
    for i in range(5):
        lead.add_sample_case(insp.id, f"X20000{i}", FACTS, "Salford & Trafford", "AB")
    pack = lead.create_setup_pack(insp.id, "passphrase for tests", shared, "TL")
    ab_paths = Paths.resolve(root / "ab").ensure()
    ws = Workspace.open(ab_paths)
    ab = Fieldwork(ws, ab_paths)
    ab.open_setup_pack(pack, "passphrase for tests", "AB", lead.enrolment_codes(insp.id)["AB"])
    qs = ws.question_set(ws.inspection(insp.id))
    for n, case in enumerate(ws.cases(insp.id)):
        for qid in KEYS:
            ws.record_answer(case.id, qid, "no" if n in NO_ANSWERS.get(qid, ()) else "yes")
        ws.submit(case.id)  # finished: the figures count it
    meeting = ws.save_meeting(
        insp.id, MeetingKind.FOCUS_GROUP, date(2026, 3, 3), "Practitioners",
        [GroupAttendance(qs.participant_groups[0].id, 5)], [qs.non_case_questions[0].id],
    )  # fmt: skip
    ws.record_meeting_note(meeting.id, qs.non_case_questions[0].id, "Leaders are visible.")
    ab.export(insp.id, shared)
    ws.close()
    hub = Hub(f"sqlite:///{root / 'hub.sqlite'}")
    try:
        outcomes = hubs.merge(hub, lead, shared)
        assert [o.state for o in outcomes] == ["merged"]
    finally:
        hub.close()
        lead_ws.close()
    return root, insp.id


def test_standards_take_their_lowest_key_question_and_points_add_up(
    merged: tuple[Path, str],
) -> None:
    root, inspection_id = merged
    hub = rawdb.hub(f"sqlite:///{root / 'hub.sqlite'}")  # encrypted once the CLI opened it
    try:
        rows, totals = hubs.standards(hub, inspection_id, "pdu")
    finally:
        hub.close()
    by_id = {r.standard_id: r for r in rows}
    assert (by_id["2.1"].rating, by_id["2.1"].lowest_question, by_id["2.1"].percent) == (
        "Outstanding", "2.1.1", 80.0,
    )  # fmt: skip
    assert (by_id["2.2"].rating, by_id["2.2"].lowest_question) == ("Requires improvement", "2.2.2")
    assert (by_id["2.3"].rating, by_id["2.3"].percent) == ("Inadequate", 20.0)
    assert by_id["2.4"].rating == "Outstanding"
    [total] = totals
    # 3 + 1 + 0 + 3 = 7 points: the set's band from 7 is "Good".
    assert (total.score, total.band) == (7, "Good")


def test_the_table_summary_shows_standards_and_the_evidence_digest_lists_notes(
    merged: tuple[Path, str],
) -> None:
    root, _ = merged
    hub_url = f"sqlite:///{root / 'hub.sqlite'}"
    base = ("--data-dir", root / "lead")
    table = run(*base, "summary", "--hub", hub_url, "--by", "region")
    assert table.returncode == 0, table.stderr
    assert "Standards (rated by their lowest key question)" in table.stdout
    assert "overall: 7 points: Good" in table.stdout
    notes = run(*base, "evidence", "--hub", hub_url)
    assert notes.returncode == 0, notes.stderr
    assert "Leaders are visible." in notes.stdout
    assert "(5)" in notes.stdout  # the head count, never names
