"""Question sets in a spreadsheet: every bundled set (and the all-answer-types fixture) goes to
a workbook and back with no difference; a bad workbook is refused naming the file, the cell
and the problem, with nothing written."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from openpyxl import Workbook, load_workbook

from probdesk import bundled
from probdesk.domain import loader
from probdesk.errors import InputError, QuestionSetError
from probdesk.services import questionset_xlsx as qx

FIXTURE = Path(__file__).parents[1] / "fixtures" / "question_sets" / "all-answer-types.yaml"
SETS = [*bundled.bundled_question_sets(), FIXTURE]
EXAMPLE = bundled.question_sets_dir() / "pdu-core.xlsx"


def _raw(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("source", SETS, ids=lambda p: Path(p).stem)
def test_every_set_round_trips_with_no_difference(source: Path, tmp_path: Path) -> None:
    book = qx.to_workbook(source, tmp_path / "book.xlsx")
    done = qx.convert_to_yaml(book, tmp_path / "set.yaml")
    assert done.warnings == ()
    back = tmp_path / "set.yaml"
    assert _raw(back) == _raw(Path(source))  # the same data, field for field
    assert loader.load(back).content_hash == loader.load(source).content_hash
    assert back.read_text(encoding="utf-8").startswith("# yaml-language-server: $schema=")


def test_the_shipped_example_workbook_is_up_to_date() -> None:
    """question_sets/pdu-core.xlsx is what to-xlsx makes of pdu-core.yaml: regenerate it with
    `probdesk questionset to-xlsx question_sets/pdu-core.yaml --out question_sets/pdu-core.xlsx
    --force` when the YAML changes."""
    done = qx.from_workbook(EXAMPLE)
    core = bundled.question_sets_dir() / "pdu-core.yaml"
    assert loader.parse_text(done.text).content_hash == loader.load(core).content_hash
    assert yaml.safe_load(done.text) == _raw(core)


def test_the_workbook_has_readable_sheets(tmp_path: Path) -> None:
    book = qx.to_workbook(bundled.question_sets_dir() / "pdu-core.yaml", tmp_path / "b.xlsx")
    wb = load_workbook(book)
    assert wb.sheetnames == [
        "About",
        "Settings",
        "Facts",
        "Choices",
        "Variants",
        "Questions",
        "Groups",
        "Non-case questions",
        "Domain one",
        "Ratings",
        "Standards",
        "Bands",
    ]
    q = wb["Questions"]
    assert [c.value for c in q[1]][:7] == [
        "Section",
        "Section title",
        "Stage",
        "Section variants",
        "Key question or prompt",
        "Id",
        "Text",
    ]
    rows = list(q.iter_rows(min_row=2, values_only=True))
    conditions = [r[10] for r in rows if r[10]]
    assert "domestic_abuse in (yes, unknown)" in conditions
    evidence = next(r[12] for r in rows if r[12])
    assert "\n" in evidence  # one source a line
    assert "probdesk questionset from-xlsx" in str(wb["About"]["A4"].value)


def test_an_invalid_set_is_not_written_as_a_workbook(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(FIXTURE.read_text(encoding="utf-8").replace("answer: text", "answer: txt"))
    with pytest.raises(QuestionSetError):
        qx.to_workbook(bad, tmp_path / "out.xlsx")
    assert not (tmp_path / "out.xlsx").exists()


def test_an_existing_output_is_kept_unless_forced(tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    out.write_bytes(b"keep me")
    with pytest.raises(InputError, match="already exists"):
        qx.to_workbook(FIXTURE, out)
    assert out.read_bytes() == b"keep me"
    qx.to_workbook(FIXTURE, out, force=True)
    assert zipfile.is_zipfile(out)


# -- bad workbooks -----------------------------------------------------------------------------


def _edited(tmp_path: Path, edit: Callable[[Workbook], None], source: Path = FIXTURE) -> Path:
    """The fixture's workbook with `edit` applied (openpyxl, as a methodologist's Excel would)."""
    book = qx.to_workbook(source, tmp_path / "made.xlsx")
    wb = load_workbook(book)
    edit(wb)
    out = tmp_path / "BOOK.xlsx"
    wb.save(out)
    return out


def _problems(book: Path, tmp_path: Path) -> list[str]:
    out = tmp_path / "SET.yaml"
    out.write_text("already here\n", encoding="utf-8")
    with pytest.raises(QuestionSetError) as caught:
        qx.convert_to_yaml(book, out, force=True)
    assert out.read_text(encoding="utf-8") == "already here\n"  # nothing stored changed
    assert caught.value.problems
    return caught.value.problems


def _row_of(wb: Workbook, sheet: str, ident: str, column: int = 6) -> int:
    ws = wb[sheet]
    for row in ws.iter_rows(min_row=2):
        if row[column - 1].value == ident:
            return row[0].row
    raise AssertionError(ident)


def _set(sheet: str, cell: str, value: object) -> Callable[[Workbook], None]:
    def edit(wb: Workbook) -> None:
        wb[sheet][cell] = value

    return edit


# Fixture rows on Questions: 2 is T1 (key question), 3 T2, 4 T3 (choice), ... 9 T8, 10 T9.
@pytest.mark.parametrize(
    ("edit", "where", "words"),
    [
        (_set("Questions", "F1", "Identifier"), "Questions!F1", "unknown column 'Identifier'"),
        (_set("Questions", "F1", None), "Questions!F3", "a value in a column without a header"),
        (_set("Facts", "A3", None), "Facts!A3", "the id is empty"),
        (_set("Questions", "G5", "  "), "Questions!G5", "the text is empty"),
        (_set("Questions", "I4", "levels"), "Questions!I4", "no choices list 'levels'"),
        (
            _set("Questions", "K9", "answer T3 in medium"),
            "Questions!K9",
            "condition column 14: expected '(' and the values after 'in'",
        ),
        (_set("Questions", "H6", "yesno"), "Questions!H6", "'yesno' is not an answer type"),
        (_set("Facts", "E3", "perhaps"), "Facts!E3", "Required is yes or no"),
        (_set("Settings", "B2", "two"), "Settings!B2", "the format must be a whole number"),
        (_set("Settings", "A5", "name"), "Settings!A5", "unknown setting 'name'"),
        (_set("Questions", "E3", "key question"), "Questions!E3", "has a key question already"),
        (_set("Variants", "D2", "answer T1 = yes"), "Variants!D2", "facts only"),
        (_set("Questions", "K9", "colour = red"), "Questions!K9", "unknown case fact 'colour'"),
        (_set("Questions", "F4", "T2"), "Questions!F4", "duplicate question id 'T2'"),
        (_set("Questions", "F4", "T 3"), "Questions!F4", "is not a valid id"),
        (_set("Questions", "J7", "yes"), "Questions!J7", "counts toward findings"),
        (_set("Choices", "B3", "low"), "Choices!B3", "duplicate option value 'low'"),
        (_set("Questions", "D2", "every"), "Questions!D2", "unknown variant 'every'"),
        (
            _set("Questions", "K10", "answer T4 = nobody"),
            "Questions!K10",
            "'nobody' is not a value of answer 'T4'",
        ),
    ],
)
def test_a_bad_cell_is_named_with_the_problem(
    tmp_path: Path, edit: Callable[[Workbook], None], where: str, words: str
) -> None:
    problems = _problems(_edited(tmp_path, edit), tmp_path)
    hits = [p for p in problems if p.startswith(f"{tmp_path / 'BOOK.xlsx'}:{where}: ")]
    assert hits, problems
    assert any(words in p for p in hits), problems


def test_every_problem_is_reported_not_only_the_first(tmp_path: Path) -> None:
    def edit(wb: Workbook) -> None:
        wb["Facts"]["A3"] = None
        wb["Questions"]["H6"] = "yesno"
        wb["Questions"]["K9"] = "T3 = ("
        wb["Questions"]["I4"] = "levels"

    problems = _problems(_edited(tmp_path, edit), tmp_path)
    cells = {p.split(":")[1].split(" ")[0] for p in problems}
    assert {"Facts!A3", "Questions!H6", "Questions!K9", "Questions!I4"} <= cells, problems


def test_sheets_with_spaces_are_named_as_excel_names_them(tmp_path: Path) -> None:
    core = bundled.question_sets_dir() / "pdu-core.yaml"

    def edit(wb: Workbook) -> None:
        wb["Non-case questions"]["E2"] = "nobody"

    problems = _problems(_edited(tmp_path, edit, core), tmp_path)
    assert any(
        "'Non-case questions'!E2: " in p and "unknown participant group 'nobody'" in p
        for p in problems
    ), problems


def test_an_unknown_or_missing_sheet_is_named(tmp_path: Path) -> None:
    def edit(wb: Workbook) -> None:
        wb.create_sheet("Notes")
        del wb["Variants"]

    problems = _problems(_edited(tmp_path, edit), tmp_path)
    assert any("Notes!A1: unknown sheet 'Notes'" in p for p in problems), problems
    assert any("Variants!A1: the sheet 'Variants' is missing" in p for p in problems), problems


def test_a_section_that_starts_with_a_prompt_is_refused(tmp_path: Path) -> None:
    problems = _problems(_edited(tmp_path, _set("Questions", "E2", "prompt")), tmp_path)
    assert any("Questions!E2: section 'answers' starts with a prompt" in p for p in problems)


def test_rows_of_one_section_must_be_together(tmp_path: Path) -> None:
    def edit(wb: Workbook) -> None:
        ws = wb["Questions"]
        ws["A3"] = "other"
        ws["B3"] = "Other"
        ws["E3"] = "key question"

    problems = _problems(_edited(tmp_path, edit), tmp_path)
    assert any("Questions!A4: section 'answers' was already given above" in p for p in problems)


@pytest.mark.parametrize(
    "content",
    [b"id,text\nQ1,hello\n", b"PK\x03\x04 not really a zip", b""],
    ids=["csv", "broken-zip", "empty"],
)
def test_a_file_that_is_not_a_workbook_is_refused(tmp_path: Path, content: bytes) -> None:
    book = tmp_path / "BOOK.xlsx"
    book.write_bytes(content)
    with pytest.raises(InputError, match=r"BOOK\.xlsx is not an Excel workbook"):
        qx.convert_to_yaml(book, tmp_path / "SET.yaml")
    assert not (tmp_path / "SET.yaml").exists()


def test_a_zip_that_is_not_a_workbook_is_refused(tmp_path: Path) -> None:
    book = tmp_path / "BOOK.xlsx"
    with zipfile.ZipFile(book, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(InputError, match=r"BOOK\.xlsx is not an Excel workbook"):
        qx.from_workbook(book)


def test_a_workbook_written_by_hand_reads(tmp_path: Path) -> None:
    """A workbook made from scratch (numbers typed as numbers, headers in any case, columns
    in another order, a sheet left out) gives the set it describes."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Settings"
    for row in (
        ["setting", "value"],
        ["format", 1],
        ["id", "hand-made"],
        ["version", 2.5],
        ["title", "Made by hand"],
    ):
        ws.append(row)
    v = wb.create_sheet("Variants")
    v.append(["label", "id"])
    v.append(["Every case", "all"])
    q = wb.create_sheet("Questions")
    q.append(["section", "section title", "key question or prompt", "id", "text", "answer type"])
    q.append(["s1", "Assessment", "Key question", 1.5, "Is it sound?", "yes/no"])
    q.append(["s1", None, "prompt", "1.5.a", "Is it recorded?", "yes_no_na"])
    book = tmp_path / "hand.xlsx"
    wb.save(book)
    data = yaml.safe_load(qx.from_workbook(book).text)
    assert data == {
        "format": 1,
        "id": "hand-made",
        "version": "2.5",
        "title": "Made by hand",
        "facts": [],
        "variants": [{"id": "all", "label": "Every case"}],
        "sections": [
            {
                "id": "s1",
                "title": "Assessment",
                "key_question": {"id": "1.5", "text": "Is it sound?", "answer": "yes_no"},
                "prompts": [{"id": "1.5.a", "text": "Is it recorded?", "answer": "yes_no_na"}],
            }
        ],
    }


def test_text_that_starts_with_equals_stays_text(tmp_path: Path) -> None:
    src = tmp_path / "eq.yaml"
    src.write_text(
        FIXTURE.read_text(encoding="utf-8").replace(
            "guidance: A yes / no answer.", 'guidance: "=SUM(A1:A2) is not a formula"'
        ),
        encoding="utf-8",
    )
    book = qx.to_workbook(src, tmp_path / "eq.xlsx")
    assert load_workbook(book)["Questions"]["L2"].data_type == "s"
    assert yaml.safe_load(qx.from_workbook(book).text) == _raw(src)


def _setting_row(wb: Workbook, shown: str) -> int:
    ws = wb["Settings"]
    return next(r[0].row for r in ws.iter_rows(min_row=2) if r[0].value == shown)


def test_the_minimum_base_and_publication_level_are_settings(tmp_path: Path) -> None:
    """Written in the Settings sheet, they reach the set (and a YAML with them goes back to
    the same rows); a word for a number, or a level that is not pdu or region, is named."""

    def edit(wb: Workbook) -> None:
        wb["Settings"][f"B{_setting_row(wb, 'minimum base')}"] = 10
        wb["Settings"][f"B{_setting_row(wb, 'published at')}"] = "region"

    done = qx.convert_to_yaml(_edited(tmp_path, edit), tmp_path / "set.yaml")
    assert done.warnings == ()
    qs = loader.load(tmp_path / "set.yaml")
    assert (qs.figure_rules.minimum_base, qs.figure_rules.published_at) == (10, "region")
    assert qs.figure_rules.restricted("pdu") and not qs.figure_rules.restricted("region")
    assert _raw(tmp_path / "set.yaml")["aggregation"]["minimum_base"] == 10
    again = qx.to_workbook(tmp_path / "set.yaml", tmp_path / "again.xlsx")
    wb = load_workbook(again)
    assert wb["Settings"][f"B{_setting_row(wb, 'minimum base')}"].value == 10
    assert wb["Settings"][f"B{_setting_row(wb, 'published at')}"].value == "region"

    def word(wb: Workbook) -> None:
        wb["Settings"][f"B{_setting_row(wb, 'minimum base')}"] = "ten"

    def level(wb: Workbook) -> None:
        wb["Settings"][f"B{_setting_row(wb, 'published at')}"] = "nation"

    for name, bad, words in (
        ("word", word, "the minimum base must be a whole number, not 'ten'"),
        ("level", level, "'nation'"),
    ):
        (tmp_path / name).mkdir()
        problems = _problems(_edited(tmp_path / name, bad), tmp_path / name)
        assert any(words in p and ":Settings!B" in p for p in problems), problems
