"""Domain one evidence from the command line, as the team runs it: `probdesk doc|gap|survey|judge|
triangulate` (in this process) against a real data folder holding a pdu-core inspection.

No command may show a traceback; refused input exits 2 with one line on stderr and changes
nothing. All content is fictional.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from cli_support import Ran
from cli_support import run_in as run
from demos import Demos

from probdesk import bundled
from probdesk.cli.output import pick
from probdesk.domain.evidence import ATTACHMENT_LIMIT
from probdesk.domain.records import GroupAttendance, MeetingKind
from probdesk.errors import InputError
from probdesk.paths import Paths
from probdesk.services.workspace import Workspace

PDU_CORE = bundled.question_sets_dir() / "pdu-core.yaml"
SCALE = "Outstanding, Good, Requires improvement, Inadequate"


@dataclass
class Folder:
    """A data folder with one pdu-core inspection and one focus group, and a way to run the
    real command line on it."""

    root: Path
    data: Path
    inspection_id: str
    meeting_id: str

    def run(self, *args: str | Path) -> Ran:
        done = run(self.root / "home", "--data-dir", self.data, *args)
        assert "Traceback" not in done.stdout, done.stdout
        return done

    def ok(self, *args: str | Path) -> str:
        done = self.run(*args)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def refused(self, *args: str | Path) -> str:
        """The one-line message of a refused command (exit code 2)."""
        done = self.run(*args)
        assert done.returncode == 2, (done.stdout, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("probdesk: "), done.stderr
        return lines[0]


@pytest.fixture
def folder(tmp_path: Path) -> Folder:
    data = tmp_path / "data"
    ws = Workspace.open(Paths.resolve(data).ensure())
    try:
        ws.set_identity("AB", "team_lead")
        insp = ws.create_inspection(
            "South West", "Plymouth", date(2026, 11, 2), date(2026, 11, 6), PDU_CORE
        )
        meeting = ws.save_meeting(
            insp.id, MeetingKind.FOCUS_GROUP, date(2026, 11, 3), "Probation officers group",
            [GroupAttendance("practitioners_po", 6), GroupAttendance("middle_managers", 1)],
            ["N1", "N3"],
        )  # fmt: skip
        ws.record_meeting_note(
            meeting.id, "N1", "Officers could describe the public protection plan."
        )
    finally:
        ws.close()
    return Folder(tmp_path, data, insp.id, meeting.id)


def test_documents_are_logged_listed_saved_and_withdrawn(folder: Folder) -> None:
    pdf = b"%PDF-1.7 fictional PDU delivery plan\n" * 300
    attached = folder.root / "delivery-plan.pdf"
    attached.write_bytes(pdf)
    plan = folder.ok(
        "doc", "add", "--title", "PDU delivery plan 2026/27", "--kind", "strategy",
        "--received", "2026-10-01", "--informs", "1.1", "N1", "--attach", attached,
    ).strip()  # fmt: skip
    staffing = folder.ok(
        "doc", "add", "--title", "Staffing return", "--kind", "workforce data",
        "--received", "2026-09-20", "--informs", "1.2",
    ).strip()  # fmt: skip
    assert len(plan) == 36 and len(staffing) == 36  # the ids, whole

    listed = folder.ok("doc", "list").splitlines()
    assert listed[0].split() == ["ID", "RECEIVED", "KIND", "TITLE", "INFORMS", "ATTACHMENT",
                                 "WITHDRAWN"]  # fmt: skip
    assert listed[1].startswith(staffing[:8]) and "2026-09-20" in listed[1]  # by date received
    assert "Staffing return" in listed[1] and "workforce data" in listed[1]
    assert plan[:8] in listed[2] and "PDU delivery plan 2026/27" in listed[2]
    assert "1.1, N1" in listed[2] and "delivery-plan.pdf (11 KB)" in listed[2]
    assert "withdrawn" not in "\n".join(listed[1:])

    # The attached file comes back byte for byte, named by a prefix of the document id.
    out = folder.root / "copy.pdf"
    assert folder.ok("doc", "save", plan[:6], "--out", out).strip() == str(out)
    assert out.read_bytes() == pdf
    into = folder.root / "saved"
    into.mkdir()
    folder.ok("doc", "save", plan, "--out", into)
    assert (into / "delivery-plan.pdf").read_bytes() == pdf
    assert "has no attached file" in folder.refused("doc", "save", staffing[:8], "--out", out)

    # A file over 10 MB is refused with its size, before anything is logged.
    big = folder.root / "scanned-minutes.pdf"
    with big.open("wb") as f:
        f.truncate(ATTACHMENT_LIMIT + 1)
    message = folder.refused(
        "doc", "add", "--title", "Scanned minutes", "--kind", "minutes",
        "--received", "2026-10-02", "--attach", big,
    )  # fmt: skip
    assert "scanned-minutes.pdf is 10.1 MB" in message and "at most 10 MB" in message
    assert "Nothing was saved" in message
    assert "Scanned minutes" not in folder.ok("doc", "list")

    # Other bad input: a date, a question, an id that is too short or unknown.
    assert "YYYY-MM-DD" in folder.refused(
        "doc", "add", "--title", "T", "--kind", "k", "--received", "1 October"
    )
    assert "C1 is not a domain-one or non-case question" in folder.refused(
        "doc", "add", "--title", "T", "--kind", "k", "--received", "2026-10-01", "--informs", "C1"
    )
    assert "at least 4 characters" in folder.refused("doc", "save", plan[:3], "--out", out)
    assert "No document with an id starting 'zzzz'" in folder.refused(
        "doc", "withdraw", "zzzz", "--reason", "r"
    )
    assert len(folder.ok("doc", "list").splitlines()) == 3

    # Withdrawing needs a reason and keeps the document in the log, marked.
    assert "Say why the document is withdrawn" in folder.refused("doc", "withdraw", plan[:8])
    assert folder.ok("doc", "withdraw", plan[:8], "--reason", "Replaced by v2").strip() == (
        f"document {plan[:8]} withdrawn"
    )
    row = next(line for line in folder.ok("doc", "list").splitlines() if plan[:8] in line)
    assert row.endswith("withdrawn: Replaced by v2")
    assert "already withdrawn" in folder.refused("doc", "withdraw", plan[:8], "--reason", "again")


def test_gaps_are_planned_into_a_meeting_answered_and_closed(folder: Folder) -> None:
    audits = folder.ok("gap", "raise", "--question", "1.1.b", "--text", "No audit results sent")
    vacancies = folder.ok("gap", "raise", "--question", "N3", "--text", "Vacancy figures by grade")
    audits, vacancies = audits.strip(), vacancies.strip()
    assert "not a domain-one or non-case question" in folder.refused(
        "gap", "raise", "--question", "X9", "--text", "t"
    )

    meetings = folder.ok("gap", "meetings")
    assert folder.meeting_id[:8] in meetings and "Probation officers group" in meetings
    assert "practitioners_po (6)" in meetings and "N1, N3" in meetings

    assert "No meeting with an id starting 'ffff0000'" in folder.refused(
        "gap", "plan", audits[:8], "--meeting", "ffff0000"
    )
    planned = folder.ok("gap", "plan", audits[:5], "--meeting", folder.meeting_id[:4])
    assert planned.strip() == (
        f"gap {audits[:8]} planned into {folder.meeting_id[:8]} Probation officers group"
    )
    assert "Say what the answer was" in folder.refused("gap", "answer", audits[:8])
    folder.ok("gap", "answer", audits[:8], "--outcome", "Quarterly audits shown in the group")

    # Closing without an answer needs the reason; refused, the gap stays open.
    message = folder.refused("gap", "close", vacancies[:8])
    assert "Give the reason for closing this gap" in message
    still_open = folder.ok("gap", "list", "--open").splitlines()
    assert len(still_open) == 2 and still_open[1].split()[:3] == [vacancies[:8], "N3", "open"]
    assert "Vacancy figures by grade" in still_open[1]

    folder.ok("gap", "close", vacancies[:8], "--reason", "Figures arrived by email")
    assert folder.ok("gap", "list", "--open").strip() == "No open gaps."
    listed = folder.ok("gap", "list").splitlines()
    assert listed[0].split()[:4] == ["ID", "QUESTION", "STATE", "MEETING"]
    assert listed[1].split()[:3] == [audits[:8], "1.1.b", "answered"]
    assert f"{folder.meeting_id[:8]} Probation officers group" in listed[1]
    assert listed[1].endswith("Quarterly audits shown in the group")
    assert listed[2].split()[:3] == [vacancies[:8], "N3", "closed"]
    assert listed[2].endswith("closed: Figures arrived by email")
    assert "already closed" in folder.refused("gap", "answer", vacancies[:8], "--outcome", "x")


def test_judgements_keep_their_history_and_stay_on_the_scale(folder: Folder) -> None:
    message = folder.refused(
        "judge", "--question", "1.1", "--rating", "Excellent", "--rationale", "Strong."
    )
    assert "'Excellent' is not on the rating scale" in message and SCALE in message
    assert "recorded on the key question 1.1" in folder.refused(
        "judge", "--question", "1.1.a", "--rating", "Good", "--rationale", "r"
    )
    assert "Write the rationale" in folder.refused("judge", "--question", "1.1", "--rating", "Good")
    assert folder.ok("judge", "history", "--question", "1.1").strip() == (
        "No judgement recorded on 1.1 yet."
    )

    first = folder.ok(
        "judge",
        "--question",
        "1.1",
        "--rating",
        "good",
        "--rationale",
        "A clear vision staff share.",
    )
    assert first.startswith("judgement on 1.1: Good")
    folder.ok(
        "judge", "--question", "1.1", "--rating", "Requires improvement",
        "--rationale", "Audits are not followed up.",
    )  # fmt: skip
    history = folder.ok("judge", "history", "--question", "1.1").splitlines()
    assert history[0] == "1.1: 2 judgement(s), oldest first"
    assert history[1].split()[2:] == ["AB", "Good"]
    assert history[2].strip() == "A clear vision staff share."
    assert history[3].split()[2:] == ["AB", "Requires", "improvement"]
    assert history[4].strip() == "Audits are not followed up."


def test_triangulate_lines_up_the_evidence_of_one_question(folder: Folder) -> None:
    doc = folder.ok(
        "doc", "add", "--title", "Public protection strategy", "--kind", "strategy",
        "--received", "2026-10-01", "--informs", "1.1.a",
    ).strip()  # fmt: skip
    folder.ok("doc", "add", "--title", "Vacancy return", "--kind", "data",
              "--received", "2026-10-01", "--informs", "1.2")  # fmt: skip
    gap = folder.ok("gap", "raise", "--question", "N1", "--text", "Ask partners about the plan")
    figure = folder.ok(
        "survey", "--question", "1.1", "--label", "Know the vision", "--value", "71%"
    )
    assert figure.strip() == "survey figure on 1.1: Know the vision: 71%"
    folder.ok("survey", "--question", "1.1", "--label", "Old figure", "--value", "12%")
    assert "cleared" in folder.ok("survey", "--question", "1.1", "--label", "Old figure",
                                  "--value", "")  # fmt: skip
    folder.ok("judge", "--question", "1.1", "--rating", "Good", "--rationale", "Shared vision.")
    folder.ok("judge", "--question", "1.1", "--rating", "Outstanding", "--rationale", "Best seen.")

    out = folder.ok("triangulate", "--question", "1.1")
    section = {s.split("\n", 1)[0]: s for s in out.split("\n\n")}
    assert out.startswith("1.1  Leadership\n") and "  1.1.a  Is there a clear vision" in out
    assert doc[:8] in section["Documents (1)"]
    assert "Public protection strategy" in out and "Vacancy return" not in out
    notes = section["Meeting and focus-group notes, by participant group"]
    assert "  Middle managers (senior probation officers)\n" in notes
    assert "  Probation officers (PO)\n" in notes
    assert "Probation officers group (focus group, 6 attending)  N1: Officers could describe" in (
        notes
    )
    assert "1.1  Know the vision: 71%" in section["Staff survey figures"]
    assert "Old figure" not in out
    assert gap.strip()[:8] in section["Open gaps (1)"]
    assert "Judgement: Outstanding\n  Best seen.\n  recorded by AB" in out
    history = section["History (2, oldest first)"]
    assert "Good" in history and "Shared vision." in history and "Best seen." in history

    # Without a hub it says how to get the case findings, and creates no hub file.
    assert "merge the packages to see the case findings" in section["Case findings"]
    assert not (folder.data / "hub.sqlite").exists()
    other = folder.root / "elsewhere.sqlite"
    assert "merge the packages" in folder.ok(
        "triangulate", "--question", "N3", "--hub", f"sqlite:///{other}"
    )
    assert not other.exists()
    assert "is a prompt of 1.1" in folder.refused("triangulate", "--question", "1.1.a")

    # Nothing of what was recorded reaches the log file.
    log_text = Paths.resolve(folder.data).log_file.read_text(encoding="utf-8")
    assert "document" in log_text  # the log is written at all
    for secret in ("Public protection strategy", "Shared vision", "71%", "Ask partners"):
        assert secret not in log_text


def test_several_inspections_need_inspection_and_ids_need_one_match(folder: Folder) -> None:
    ws = Workspace.open(Paths.resolve(folder.data))
    try:
        second = ws.create_inspection(
            "South West", "Dorset", date(2026, 12, 1), date(2026, 12, 4), PDU_CORE
        )
    finally:
        ws.close()
    message = folder.refused("gap", "list")
    assert "several inspections here; choose one with --inspection" in message
    assert folder.inspection_id[:8] in message and second.id[:8] in message
    assert folder.ok("gap", "list", "--inspection", second.id[:6]).strip() == (
        "No gaps raised for this inspection yet."
    )
    assert "No inspection with an id starting 'zzzz'" in folder.refused(
        "gap", "list", "--inspection", "zzzz"
    )

    items = ["abcd1234", "abcd5678", "abce0000"]
    assert pick("ABCE", items, str, "gap", "see the list") == "abce0000"
    with pytest.raises(InputError, match="'abcd' matches 2 gaps"):
        pick("abcd", items, str, "gap", "see the list")


def test_triangulate_shows_the_case_findings_from_the_leads_hub(
    tmp_path: Path, demos: Demos
) -> None:
    demo = demos.copy(5, tmp_path / "demo")  # tests/support/demos.py: built once per session
    assert demo.hub is not None
    shutil.copy(demo.hub, demo.lead / "hub.sqlite")  # where the team lead's hub lives
    lead = Folder(tmp_path, demo.lead, demo.inspection_id, "")
    out = lead.ok("triangulate", "--question", "N1")
    assert out.startswith("N1  ") and "(non-case question)" in out
    findings = out.split("Case findings", 1)[1].splitlines()
    assert "key questions" in findings[0]
    rows = [line.split() for line in findings[1:] if line.strip()]
    assert {r[0] for r in rows} >= {"C1", "C2", "C3", "C4"}
    for r in rows:
        assert r[1] == "relevant" and r[3] == "yes"
        assert r[5].endswith("%") or " ".join(r[5:]) == "no relevant cases"
