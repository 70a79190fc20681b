"""`probdesk export-data --format xlsx`: the analysts' workbook from the command line, on the
demo (60 cases over three PDUs, merged into DIR/hub.sqlite by the demo). Its Answers sheet
holds what the CSV export holds, row for row."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from cli_support import run_in as run
from demos import Demos
from openpyxl import load_workbook

from probdesk.domain.cells import safe_cell
from probdesk.services.demo import DemoResult

SHEETS = ["Cover", "Cases", "Answers", "Codebook", "Figures"]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("home")


@pytest.fixture(scope="module")
def demo(demos: Demos, tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    result = demos.copy(11, tmp_path_factory.mktemp("demo") / "demo")  # built once per session
    assert result.hub is not None and result.hub.is_file()
    return result


def export(home: Path, demo: DemoResult, fmt: str, out: Path, *more: str) -> str:
    assert demo.hub is not None
    done = run(home, "--data-dir", demo.lead, "export-data", "--hub", f"sqlite:///{demo.hub}",
               "--format", fmt, "--out", out, *more)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_workbook_holds_what_the_csv_export_holds(
    demo: DemoResult, home: Path, tmp_path: Path
) -> None:
    export(home, demo, "csv", tmp_path / "rows.csv", "--with-notes")
    with (tmp_path / "rows.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    out = tmp_path / "book.xlsx"
    said = export(home, demo, "xlsx", out, "--with-notes")
    assert re.fullmatch(
        rf"Workbook written to {re.escape(str(out))}: 60 cases, {len(rows)} answers, [1-9]\d* "
        rf"figure rows \({', '.join(SHEETS)}\)",
        said,
    ), said
    book = load_workbook(out, read_only=True)
    try:
        assert book.sheetnames == SHEETS
        header, *answers = list(book["Answers"].iter_rows(values_only=True))
        cases = list(book["Cases"].iter_rows(values_only=True))[1:]
        marking = book["Cover"]["A1"].value
    finally:
        book.close()
    assert header == ("case_ref", "pdu", "question_id", "answer", "answer_label", "applicable",
                      "note")  # fmt: skip
    got = [
        {"case_ref": r[0], "pdu": r[1], "question_id": r[2], "answer": r[3] or "",
         "applicable": r[5], "note": safe_cell(r[6] or "")}
        for r in answers
    ]  # fmt: skip
    # The CSV in its own order (by PDU then case); the workbook's notes are kept as typed and
    # the CSV's neutralised with an apostrophe.
    want = [{k: r[k] for k in got[0]} for r in rows]

    def key(r: dict[str, object]) -> tuple[str, str]:
        return str(r["case_ref"]), str(r["question_id"])

    assert sorted(got, key=key) == sorted(want, key=key)
    assert any(r["note"] for r in got)
    assert len(cases) == 60 and len({c[0] for c in cases}) == 60
    assert marking == "OFFICIAL-SENSITIVE"


def test_the_marking_is_the_one_asked_for_and_notes_only_when_asked(
    demo: DemoResult, home: Path, tmp_path: Path
) -> None:
    out = tmp_path / "book.xlsx"
    export(home, demo, "xlsx", out, "--marking", "OFFICIAL")
    book = load_workbook(out, read_only=True)
    try:
        assert book["Cover"]["A1"].value == "OFFICIAL"
        assert "note" not in next(book["Answers"].iter_rows(values_only=True))
    finally:
        book.close()


def test_a_folder_that_is_not_there_is_a_plain_error(
    demo: DemoResult, home: Path, tmp_path: Path
) -> None:
    assert demo.hub is not None
    out = tmp_path / "nowhere" / "book.xlsx"
    done = run(home, "--data-dir", demo.lead, "export-data", "--hub", f"sqlite:///{demo.hub}",
               "--format", "xlsx", "--out", out)  # fmt: skip
    assert done.returncode == 2 and done.stdout == ""
    assert f"The folder {out.parent} does not exist" in done.stderr
    assert not out.parent.exists()


def test_the_help_says_what_the_workbook_holds(home: Path) -> None:
    done = run(home, "export-data", "--help")
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stdout.split())
    assert "XLSX: the workbook for analysts" in text and "--marking TEXT" in text
