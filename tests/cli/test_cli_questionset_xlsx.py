"""`probdesk questionset to-xlsx` and `from-xlsx`: a set goes to a workbook and back with no
difference, an existing --out is kept without --force, and a bad cell is named with its sheet
and cell while nothing is written (tests/integration/test_questionset_xlsx.py checks every
kind of bad cell)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from cli_support import run

from probdesk import bundled

CORE = bundled.question_sets_dir() / "pdu-core.yaml"


def test_to_and_from_a_workbook_gives_the_same_set(tmp_path: Path) -> None:
    book, back = tmp_path / "core.xlsx", tmp_path / "core.yaml"
    done = run("questionset", "to-xlsx", CORE, "--out", book)
    assert done.returncode == 0, done.stderr
    done = run("questionset", "from-xlsx", book, "--out", back)
    assert done.returncode == 0, done.stderr
    assert f"{back}: written from {book}" in done.stdout
    same = run("questionset", "diff", CORE, back)
    assert same.returncode == 0 and "no differences" in same.stdout


def test_an_existing_out_is_kept_unless_force(tmp_path: Path) -> None:
    book = tmp_path / "core.xlsx"
    book.write_bytes(b"keep me")
    refused = run("questionset", "to-xlsx", CORE, "--out", book)
    assert refused.returncode == 2
    assert "already exists" in refused.stderr
    assert book.read_bytes() == b"keep me"
    assert run("questionset", "to-xlsx", CORE, "--out", book, "--force").returncode == 0
    assert book.read_bytes() != b"keep me"


def test_a_bad_cell_is_named_and_nothing_is_written(tmp_path: Path) -> None:
    book, out = tmp_path / "core.xlsx", tmp_path / "core.yaml"
    assert run("questionset", "to-xlsx", CORE, "--out", book).returncode == 0
    wb = openpyxl.load_workbook(book)
    sheet = wb["Questions"]
    headers = [c.value for c in sheet[1]]
    column = next(i for i, h in enumerate(headers, start=1) if "answer" in str(h).lower())
    sheet.cell(row=2, column=column, value="maybe")
    wb.save(book)
    done = run("questionset", "from-xlsx", book, "--out", out)
    assert done.returncode == 2
    assert f"{book}:Questions!" in done.stderr
    assert "maybe" in done.stderr
    assert not out.exists()
