"""Case sample import: reading CSV and XLSX files, suggesting a mapping, the row report."""

from __future__ import annotations

import csv
import dataclasses
import zipfile
from datetime import date, datetime, time
from pathlib import Path

import pytest
from openpyxl import Workbook
from openpyxl.styles import PatternFill

from probdesk.domain import loader
from probdesk.domain.questionset import Fact, FactType, QuestionSet
from probdesk.errors import InputError
from probdesk.services.sample_import import (
    IGNORE,
    MAX_ROWS,
    RowProblem,
    SampleCase,
    SampleReport,
    Table,
    mapping_targets,
    read_table,
    sheet_names,
    suggest_mapping,
    validate_sample,
)

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "samples"
PDUS = ["Plymouth", "Dorset", "Ynys Môn"]
ASSESSORS = ["Inspector A", "Inspector B"]

GOOD_MAPPING = {
    "CRN": "reference",
    "PDU": "pdu",
    "Inspector": "assessor",
    "Sentence type": "fact:sentence_type",
    "Contact suspended?": "fact:contact_suspended",
    "RoSH": "fact:rosh_level",
    "Domestic abuse": "fact:domestic_abuse",
    "Children": "fact:child_safeguarding",
    "MAPPA eligible": "fact:mappa_eligible",
    "MAPPA cat": "fact:mappa_category",
    "MAPPA level": "fact:mappa_level",
    "Tier": "fact:tier",
    "Grade": "fact:practitioner_grade",
    "Notes": "ignore",
}

GOOD_CASES = [
    SampleCase(
        2, "X123456", "Plymouth", "Inspector A",
        {
            "sentence_type": "community_order", "contact_suspended": "no", "rosh_level": "high",
            "domestic_abuse": "yes", "child_safeguarding": "unknown", "mappa_eligible": "yes",
            "mappa_category": "cat2", "mappa_level": "level1", "tier": "B2",
            "practitioner_grade": "po",
        },
    ),
    SampleCase(
        3, "X234567", "Ynys Môn", "Inspector B",
        {
            "sentence_type": "licence", "contact_suspended": "no", "rosh_level": "very_high",
            "domestic_abuse": "no", "child_safeguarding": "unknown", "mappa_eligible": "no",
            "tier": "A3", "practitioner_grade": "pso",
        },
    ),
    SampleCase(
        5, "X345678", "Dorset", "Inspector A",
        {
            "sentence_type": "pss", "contact_suspended": "yes", "rosh_level": "low",
            "domestic_abuse": "unknown", "child_safeguarding": "yes", "mappa_eligible": "yes",
            "mappa_category": "cat1", "mappa_level": "level2", "tier": "D0",
            "practitioner_grade": "pqip",
        },
    ),
    SampleCase(
        6, "x456789", "Plymouth", None,
        {
            "sentence_type": "suspended_sentence_order", "contact_suspended": "no",
            "rosh_level": "medium", "domestic_abuse": "unknown", "child_safeguarding": "no",
            "mappa_eligible": "no", "tier": "C1", "practitioner_grade": "po",
        },
    ),
]  # fmt: skip


@pytest.fixture(scope="module")
def qs() -> QuestionSet:
    return loader.load(ROOT / "question_sets" / "dipp-public-protection.yaml")


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    """A workbook with one sheet per entry; None cells are left out (no cell at all)."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r, values in enumerate(rows, start=1):
            for c, value in enumerate(values, start=1):
                if value is not None:
                    ws.cell(row=r, column=c, value=value)
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def good_xlsx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """good.csv as Excel would hold it: TRUE/FALSE cells, a styled empty cell far out."""
    with (SAMPLES / "good.csv").open(encoding="utf-8-sig", newline="") as f:
        rows: list[list[object]] = [list(r) for r in csv.reader(f)]
    eligible = rows[0].index("MAPPA eligible")
    for row in rows[1:]:
        if row[eligible]:
            row[eligible] = row[eligible].lower() in ("yes", "true")
    rows = [[v if v != "" else None for v in row] for row in rows]
    path = write_xlsx(
        tmp_path_factory.mktemp("xlsx") / "good.xlsx",
        {"Cases": rows, "Lists": [["PDU"], ["Plymouth"], ["Dorset"]]},
    )
    from openpyxl import load_workbook

    wb = load_workbook(path)
    wb["Cases"].cell(row=40, column=30).fill = PatternFill("solid", fgColor="FFFF00")
    wb.save(path)
    return path


def validate(table: Table, mapping: dict[str, str], qs: QuestionSet, **kw: object) -> SampleReport:
    kw.setdefault("known_pdus", PDUS)
    kw.setdefault("assessors", ASSESSORS)
    return validate_sample(table, mapping, qs, **kw)  # type: ignore[arg-type]


# -- reading ----------------------------------------------------------------------------------
def test_good_csv_reads_with_spreadsheet_row_numbers() -> None:
    table = read_table(SAMPLES / "good.csv")
    assert table.headers == list(GOOD_MAPPING)
    assert [n for n, _ in table.rows] == [2, 3, 5, 6]  # row 4 is blank
    assert table.rows[1][1][1] == "Ynys Môn"
    assert table.rows[2][1][-1] == "Seen twice, see file"
    assert table.rows[3][1][:2] == ["x456789", "Plymouth"]  # cells trimmed
    assert table.notes == []
    assert table.sheet is None


def test_good_csv_and_xlsx_give_the_same_cases(qs: QuestionSet, good_xlsx: Path) -> None:
    from_csv = validate(read_table(SAMPLES / "good.csv"), GOOD_MAPPING, qs)
    xlsx_table = read_table(good_xlsx)
    from_xlsx = validate(xlsx_table, GOOD_MAPPING, qs)
    assert from_csv.problems == []
    assert from_csv.rows == GOOD_CASES
    assert from_xlsx == from_csv
    assert xlsx_table.headers == list(GOOD_MAPPING)  # the styled empty column is dropped
    assert xlsx_table.sheet == "Cases"
    assert from_csv.ok
    assert from_csv.summary() == "4 cases ready; no problems"


def test_a_named_sheet_is_read_and_matched_loosely(good_xlsx: Path) -> None:
    table = read_table(good_xlsx, sheet=" lists ")
    assert table.sheet == "Lists"
    assert table.headers == ["PDU"]
    assert table.rows == [(2, ["Plymouth"]), (3, ["Dorset"])]
    assert sheet_names(good_xlsx) == ["Cases", "Lists"]
    assert sheet_names(SAMPLES / "good.csv") == []


def test_xlsx_cells_become_text_as_typed(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "types.xlsx",
        {
            "Sheet": [
                ["Ref", "Whole", "Int", "Fraction", "Date", "Datetime", "Bool", "Time", "Blank"],
                [123456.0, 1e15, 42, 2.5, date(2025, 10, 3), datetime(2025, 10, 3), True,
                 time(9, 30), None, None],
                [None],
                [None],
                ["X1", -3.0, 0, 0.1, None, datetime(2025, 10, 3, 14, 5), False, None, "  x  "],
            ]
        },
    )  # fmt: skip
    table = read_table(path)
    assert table.rows == [
        (2, ["123456", "1000000000000000", "42", "2.5", "2025-10-03", "2025-10-03", "TRUE",
             "09:30:00", ""]),
        (5, ["X1", "-3", "0", "0.1", "", "2025-10-03 14:05:00", "FALSE", "", "x"]),
    ]  # fmt: skip


def test_rows_start_counting_at_the_top_of_the_sheet(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "gaps.xlsx", {"S": [["CRN"], [None], [None], ["X1"]]})
    assert read_table(path).rows == [(4, ["X1"])]


def test_csv_rows_are_records_not_lines(tmp_path: Path) -> None:
    path = tmp_path / "multiline.csv"
    path.write_text('CRN,Notes\nX1,"two\nlines"\n\nX2,x\n', encoding="utf-8")
    assert read_table(path).rows == [(2, ["X1", "two\nlines"]), (4, ["X2", "x"])]


def test_cp1252_csv_is_read_with_a_note(qs: QuestionSet) -> None:
    table = read_table(SAMPLES / "cp1252.csv")
    assert table.rows[0][1][1] == "Brûlée Road"
    assert len(table.notes) == 1
    assert "cp1252.csv" in table.notes[0]
    assert "Windows-1252" in table.notes[0]
    report = validate(
        table, suggest_mapping(table.headers, qs), qs, known_pdus=["BRÛLÉE ROAD", "Dorset"]
    )
    assert report.problems == []
    assert report.rows[0].pdu == "BRÛLÉE ROAD"  # the inspection's spelling


def test_semicolon_csv(qs: QuestionSet) -> None:
    table = read_table(SAMPLES / "semicolon.csv")
    assert table.headers == ["CRN", "PDU", "RoSH", "Tier", "Notes"]
    assert table.rows == [
        (2, ["X600001", "Plymouth", "High", "B2", "score 1,5"]),
        (3, ["X600002", "Dorset", "Low", "C1", "a;b, c"]),
    ]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_the_delimiter_is_sniffed(tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / "cases.csv"
    lines = [["CRN", "PDU", "Notes"], ["X1", "Dorset", "1,5; 2"], ["X2", "Plymouth", ""]]
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, delimiter=delimiter).writerows(lines)
    assert read_table(path).rows == [(2, lines[1]), (3, lines[2])]


def test_a_single_column_csv(tmp_path: Path) -> None:
    path = tmp_path / "refs.csv"
    path.write_text("CRN\nX1\nX2\n", encoding="utf-8")
    assert read_table(path) == Table(["CRN"], [(2, ["X1"]), (3, ["X2"])])


def test_a_header_without_cases_is_an_empty_table(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text("CRN,PDU\n", encoding="utf-8")
    assert read_table(path) == Table(["CRN", "PDU"], [])


# -- files that cannot be read ----------------------------------------------------------------
def big_file(path: Path) -> Path:
    with path.open("wb") as f:
        f.truncate(20 * 1024 * 1024 + 1)  # sparse: the size is checked before reading
    return path


def too_many_rows(path: Path) -> Path:
    lines = ["CRN"] + [f"X{n:06d}" for n in range(MAX_ROWS + 1)]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def not_a_zip_workbook(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    return path


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda d: d / "missing.csv", ["File not found", "missing.csv"]),
        (lambda d: d, ["is a folder, not a file"]),
        (lambda d: SAMPLES / "empty.csv", ["empty.csv is empty"]),
        (lambda d: SAMPLES / "no_header.csv", ["no_header.csv: row 1 is blank", "no header row"]),
        (lambda d: SAMPLES / "blank_rows_only.csv", ["blank_rows_only.csv is empty", "header"]),
        (lambda d: big_file(d / "big.csv"), ["big.csv is 20.0 MB", "at most 20 MB"]),
        (lambda d: big_file(d / "big.xlsx"), ["big.xlsx is 20.0 MB"]),
        (lambda d: too_many_rows(d / "many.csv"), ["many.csv has more than 10,000 rows"]),
        (lambda d: SAMPLES / "not_a_workbook.xlsx", ["not_a_workbook.xlsx is not a valid Excel"]),
        (lambda d: not_a_zip_workbook(d / "zip.xlsx"), ["zip.xlsx is not a valid Excel workbook"]),
        (lambda d: SAMPLES / "cases.xls", ["cases.xls: .xls files are not supported",
                                           ".csv or .xlsx", "save it as an Excel workbook"]),
        (lambda d: SAMPLES / "good.csv.txt", ["File not found"]),
        (lambda d: SAMPLES / "duplicate_headers.csv", ["duplicate_headers.csv",
                                                       "'CRN' is the name of columns A and D"]),
        (lambda d: SAMPLES / "empty_header.csv", ["empty_header.csv: column B has data but no "
                                                  "name in row 1"]),
    ],
)  # fmt: skip
def test_unreadable_files_are_refused_naming_the_file(
    tmp_path: Path, make: object, expected: list[str]
) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    with pytest.raises(InputError) as info:
        read_table(path)
    for text in expected:
        assert text in str(info.value)


def test_unsupported_extension(tmp_path: Path) -> None:
    path = tmp_path / "cases.txt"
    path.write_text("CRN\nX1\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"cases\.txt: \.txt files are not supported; .*\.csv"):
        read_table(path)


def test_a_renamed_workbook_is_not_read_as_csv(good_xlsx: Path, tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    path.write_bytes(good_xlsx.read_bytes())
    with pytest.raises(InputError, match=r"cases\.csv is an Excel file.*Rename it to \.xlsx"):
        read_table(path)


def test_unknown_sheet_lists_the_sheets(good_xlsx: Path) -> None:
    with pytest.raises(InputError) as info:
        read_table(good_xlsx, sheet="Sample")
    assert str(info.value) == (
        "good.xlsx has no sheet named 'Sample'. Its sheets are: 'Cases', 'Lists'."
    )


def test_xlsx_empty_sheet_and_blank_first_row(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "e.xlsx", {"Empty": [], "Cases": [[None], ["CRN"], ["X1"]]})
    with pytest.raises(InputError) as info:
        read_table(path)
    assert str(info.value).startswith("e.xlsx, sheet 'Empty' is empty: there is no header row")
    assert "'Empty', 'Cases'" in str(info.value)
    with pytest.raises(InputError, match=r"e\.xlsx, sheet 'Cases': row 1 is blank"):
        read_table(path, sheet="Cases")


def test_xlsx_duplicate_and_empty_headers(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "h.xlsx", {"S": [["CRN", "RoSH", "rosh"], ["X1", "Low", "Low"]]})
    with pytest.raises(InputError, match=r"'RoSH' is the name of columns B and C"):
        read_table(path)
    path = write_xlsx(tmp_path / "n.xlsx", {"S": [["CRN", None, None], ["X1", None, "Low"]]})
    with pytest.raises(InputError, match=r"n\.xlsx, sheet 'S': column C has data but no name"):
        read_table(path)


# -- mapping ----------------------------------------------------------------------------------
def test_suggest_mapping_on_the_good_file(qs: QuestionSet) -> None:
    assert suggest_mapping(list(GOOD_MAPPING), qs) == GOOD_MAPPING


@pytest.mark.parametrize(
    ("header", "target"),
    [
        ("CRN", "reference"), ("Case ref", "reference"), ("Reference", "reference"),
        ("Case reference number", "reference"), ("nDelius CRN", "reference"),
        ("RoSH", "fact:rosh_level"), ("RoSH level", "fact:rosh_level"),
        ("Risk level", "fact:rosh_level"), ("rosh_level", "fact:rosh_level"),
        ("Sentence type", "fact:sentence_type"), ("SentenceType", "fact:sentence_type"),
        ("Sentence", "fact:sentence_type"),
        ("PDU", "pdu"), ("Probation Delivery Unit", "pdu"), ("PDU name", "pdu"),
        ("Assessor", "assessor"), ("Inspector", "assessor"), ("Allocated inspector", "assessor"),
        ("Contact suspended early", "fact:contact_suspended"),
        ("Domestic abuse indicator", "fact:domestic_abuse"),
        ("Child safeguarding concern", "fact:child_safeguarding"),
        ("MAPPA eligible?", "fact:mappa_eligible"), ("MAPPA category", "fact:mappa_category"),
        ("Level of MAPPA", "fact:mappa_level"), ("Tier", "fact:tier"),
        ("Practitioner grade", "fact:practitioner_grade"),
        ("Name", "ignore"), ("Offender name", "ignore"), ("Date of birth", "ignore"),
        ("Sentence date", "ignore"), ("MAPPA", "ignore"), ("Level", "ignore"),
        ("Notes", "ignore"), ("", "ignore"),
    ],
)  # fmt: skip
def test_suggest_mapping_one_header(qs: QuestionSet, header: str, target: str) -> None:
    assert suggest_mapping([header], qs) == {header: target}


def test_each_target_goes_to_the_best_header(qs: QuestionSet) -> None:
    headers = ["Case ref", "CRN", "RoSH level", "Risk level", "Inspector", "Assessor"]
    assert suggest_mapping(headers, qs) == {
        "Case ref": "reference",  # equally good: the first column wins
        "CRN": "ignore",
        "RoSH level": "fact:rosh_level",
        "Risk level": "ignore",
        "Inspector": "assessor",
        "Assessor": "ignore",
    }


def test_suggest_mapping_only_offers_the_extra_targets_asked_for(qs: QuestionSet) -> None:
    assert suggest_mapping(["CRN", "PDU", "Inspector"], qs, extra_targets=("reference",)) == {
        "CRN": "reference",
        "PDU": "ignore",
        "Inspector": "ignore",
    }
    with pytest.raises(ValueError, match="extra_targets"):
        suggest_mapping(["CRN"], qs, extra_targets=("region",))


def test_mapping_targets_lists_every_case_fact(qs: QuestionSet) -> None:
    targets = [t for t, _ in mapping_targets(qs)]
    assert targets[:3] == ["reference", "pdu", "assessor"]
    assert targets[-1] == IGNORE
    assert targets[3:-1] == [f"fact:{f.id}" for f in qs.facts]


# -- validation -------------------------------------------------------------------------------
def test_each_row_problem_is_reported_by_row_and_column(qs: QuestionSet) -> None:
    table = read_table(SAMPLES / "bad.csv")
    mapping = suggest_mapping(table.headers, qs)
    assert set(mapping.values()) == {
        "reference", "pdu", "assessor", "fact:sentence_type", "fact:contact_suspended",
        "fact:rosh_level", "fact:domestic_abuse", "fact:child_safeguarding",
        "fact:mappa_eligible", "fact:tier", "fact:practitioner_grade",
    }  # fmt: skip
    report = validate(
        table, mapping, qs, known_pdus=["Plymouth", "Dorset"], existing_references=["x100007"]
    )
    assert report.problems == [
        RowProblem(3, "CRN", "A case needs a reference: the CRN or a pseudonym."),
        RowProblem(4, "CRN", "'X100002' is also on row 6"),
        RowProblem(
            5,
            "CRN",
            "'Test Person' looks like a person's name. Record the CRN or a pseudonym, never a "
            "name.",
        ),
        RowProblem(6, "CRN", "'x100002' is also on row 4"),
        RowProblem(7, "RoSH", "'Extreme' is not one of Low, Medium, High, Very high"),
        RowProblem(8, "PDU", "'Atlantis' is not one of the inspection's PDUs: Plymouth, Dorset"),
        RowProblem(
            9,
            "Assessor",
            "'Inspector Z' is not one of the inspection's assessors: Inspector A, Inspector B",
        ),
        RowProblem(10, "Tier", "Tier is required but this cell is empty"),
        RowProblem(11, "CRN", "'X100007' is already a case in this inspection"),
    ]
    assert [c.reference for c in report.rows] == ["X100001", "X100008"]
    assert report.rows[1] == SampleCase(
        12, "X100008", "Dorset", "Inspector B",
        {
            "sentence_type": "licence", "contact_suspended": "no", "rosh_level": "medium",
            "domestic_abuse": "yes", "child_safeguarding": "no", "mappa_eligible": "no",
            "tier": "B1", "practitioner_grade": "pso",
        },
    )  # fmt: skip
    assert not report.ok
    assert report.rows_with_problems == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert report.summary() == "2 cases ready; 9 rows with problems"
    assert str(report.problems[4]) == (
        "row 7, column 'RoSH': 'Extreme' is not one of Low, Medium, High, Very high"
    )


def test_a_reference_on_three_rows_names_the_other_two(qs: QuestionSet) -> None:
    table = Table(["CRN"], [(2, ["X1"]), (3, ["X2"]), (5, ["x1"]), (9, ["X1 "])])
    report = validate(table, {"CRN": "reference"}, qs)
    assert [str(p) for p in report.problems if p.column] == [
        "row 2, column 'CRN': 'X1' is also on rows 5 and 9",
        "row 5, column 'CRN': 'x1' is also on rows 2 and 9",
        "row 9, column 'CRN': 'X1' is also on rows 2 and 5",
    ]
    assert [c.row for c in report.rows] == [3]


def test_unmapped_required_facts_are_one_mapping_problem(qs: QuestionSet) -> None:
    table = read_table(SAMPLES / "good.csv")
    mapping = {**GOOD_MAPPING, "Tier": "ignore", "Grade": "ignore", "MAPPA level": "ignore"}
    report = validate(table, mapping, qs)
    assert report.problems == [
        RowProblem(
            1,
            "",
            "no column is mapped to the required facts Tier and Grade of the responsible "
            "practitioner: map a column to each, or add them to the file",
        )
    ]
    assert str(report.problems[0]).startswith("row 1: no column is mapped")
    assert len(report.rows) == 4  # the rows themselves are fine
    assert "mappa_level" not in report.rows[0].facts
    assert not report.ok
    assert report.summary() == "4 cases ready; 1 problem with the column mapping"


def test_without_a_reference_column_no_case_is_ready(qs: QuestionSet) -> None:
    table = read_table(SAMPLES / "good.csv")
    report = validate(table, {**GOOD_MAPPING, "CRN": "ignore"}, qs)
    assert report.rows == []
    assert [(p.row, p.column) for p in report.problems] == [(1, "")]
    assert "Case reference" in report.problems[0].message
    assert report.summary() == "0 cases ready; 1 problem with the column mapping"


def test_optional_facts_may_be_empty_and_blank_pdu_or_assessor_is_none(qs: QuestionSet) -> None:
    report = validate(read_table(SAMPLES / "good.csv"), GOOD_MAPPING, qs)
    assert "mappa_category" not in report.rows[1].facts
    assert report.rows[3].assessor is None


def test_without_lists_pdu_and_assessor_are_kept_as_written(qs: QuestionSet) -> None:
    table = read_table(SAMPLES / "bad.csv")
    mapping = suggest_mapping(table.headers, qs)
    report = validate(table, mapping, qs, known_pdus=None, assessors=None)
    assert {p.column for p in report.problems} == {"CRN", "RoSH", "Tier"}
    assert [(c.pdu, c.assessor) for c in report.rows if c.row in (8, 9)] == [
        ("Atlantis", "Inspector A"),
        ("Dorset", "Inspector Z"),
    ]


def test_pdu_and_assessor_match_loosely_and_return_the_canonical_name(qs: QuestionSet) -> None:
    table = Table(["CRN", "PDU", "Who"], [(2, ["X1", "bath and  north somerset", "inspector b"])])
    report = validate(
        table,
        {"CRN": "reference", "PDU": "pdu", "Who": "assessor"},
        qs,
        known_pdus=["Bath & North Somerset"],
    )
    assert (report.rows[0].pdu, report.rows[0].assessor) == ("Bath & North Somerset", "Inspector B")
    report = validate(table, {"CRN": "reference", "PDU": "pdu"}, qs, known_pdus=[])
    assert report.problems[-1].message == (
        "'bath and  north somerset' is not one of the inspection's PDUs (none are set up yet)"
    )


@pytest.mark.parametrize(
    ("fact_id", "spellings", "value"),
    [
        ("contact_suspended", ["yes", "Y", " TRUE ", "1", "Yes"], "yes"),
        ("contact_suspended", ["no", "n", "False", "0", "NO"], "no"),
        ("domestic_abuse", ["unknown", "Not known", "NK", "?", "not  known"], "unknown"),
        ("domestic_abuse", ["y", "true"], "yes"),
        ("rosh_level", ["Very high", "very_high", "VERY HIGH", " very  high "], "very_high"),
        ("sentence_type", ["Licence", "licence (after custody)", "LICENCE"], "licence"),
        ("sentence_type", ["pss", "Post-sentence supervision only"], "pss"),
        ("practitioner_grade", ["PO", "Probation officer", "probation officer (po)"], "po"),
        ("practitioner_grade", ["PQiP", "trainee probation officer"], "pqip"),
        ("mappa_category", ["Category 3", "cat3"], "cat3"),
        ("mappa_level", ["Level 2", "level2"], "level2"),
    ],
)
def test_fact_values_accept_values_labels_and_common_spellings(
    qs: QuestionSet, fact_id: str, spellings: list[str], value: str
) -> None:
    table = Table(["CRN", "Fact"], [(n, [f"X{n}", s]) for n, s in enumerate(spellings, start=2)])
    report = validate(table, {"CRN": "reference", "Fact": f"fact:{fact_id}"}, qs)
    assert [p for p in report.problems if p.row != 1] == []
    assert [c.facts[fact_id] for c in report.rows] == [value] * len(spellings)


@pytest.mark.parametrize(
    ("fact_id", "raw", "message"),
    [
        ("contact_suspended", "maybe", "'maybe' is not one of Yes, No"),
        ("contact_suspended", "unknown", "'unknown' is not one of Yes, No"),
        ("child_safeguarding", "2", "'2' is not one of Yes, No, Not known"),
        ("mappa_category", "Category 4", "'Category 4' is not one of Category 1 (registered "
         "sexual offender), Category 2 (violent offender and some others), Category 3 (other "
         "dangerous offender)"),
    ],
)  # fmt: skip
def test_unknown_fact_values_name_the_allowed_labels(
    qs: QuestionSet, fact_id: str, raw: str, message: str
) -> None:
    table = Table(["CRN", "Fact"], [(2, ["X1", raw])])
    report = validate(table, {"CRN": "reference", "Fact": f"fact:{fact_id}"}, qs)
    assert [p for p in report.problems if p.row != 1] == [RowProblem(2, "Fact", message)]
    assert report.rows == []


def test_number_and_date_facts(qs: QuestionSet) -> None:
    extra = (
        Fact("start", "Start date", FactType.DATE, required=False),
        Fact("months", "Months supervised", FactType.NUMBER, required=False),
    )
    qs2 = dataclasses.replace(qs, facts=qs.facts + extra)
    table = Table(
        ["CRN", "Start", "Months"],
        [
            (2, ["X1", "2025-10-03", "12"]),
            (3, ["X2", "3/10/2025", "1.5"]),
            (4, ["X3", "31/02/2025", "twelve"]),
            (5, ["X4", "10-03-2025", ""]),
        ],
    )
    mapping = {"CRN": "reference", "Start": "fact:start", "Months": "fact:months"}
    report = validate(table, mapping, qs2)
    assert [(c.row, c.facts["start"], c.facts["months"]) for c in report.rows] == [
        (2, "2025-10-03", 12),
        (3, "2025-10-03", 1.5),
    ]
    assert [str(p) for p in report.problems if p.row != 1] == [
        "row 4, column 'Start': '31/02/2025' is not a date (YYYY-MM-DD or DD/MM/YYYY)",
        "row 4, column 'Months': 'twelve' is not a number",
        "row 5, column 'Start': '10-03-2025' is not a date (YYYY-MM-DD or DD/MM/YYYY)",
    ]


def test_a_target_mapped_twice_is_refused(qs: QuestionSet) -> None:
    table = read_table(SAMPLES / "good.csv")
    with pytest.raises(InputError) as info:
        validate(table, {**GOOD_MAPPING, "Notes": "fact:tier"}, qs)
    assert "columns 'Tier' and 'Notes' are both mapped to Tier" in str(info.value)
    # ignore may be used any number of times
    assert validate(table, dict.fromkeys(GOOD_MAPPING, "ignore"), qs).rows == []


def test_unknown_targets_and_columns_are_refused(qs: QuestionSet) -> None:
    table = read_table(SAMPLES / "good.csv")
    with pytest.raises(InputError, match=r"'fact:offence'.*not a case fact"):
        validate(table, {**GOOD_MAPPING, "Notes": "fact:offence"}, qs)
    with pytest.raises(InputError, match=r"not in the file: 'Region'"):
        validate(table, {**GOOD_MAPPING, "Region": "ignore"}, qs)


def test_headers_left_out_of_the_mapping_are_ignored(qs: QuestionSet) -> None:
    table = read_table(SAMPLES / "good.csv")
    mapping = {h: t for h, t in GOOD_MAPPING.items() if t != "ignore"}
    assert validate(table, mapping, qs).rows == GOOD_CASES


def test_summary_wording() -> None:
    case = SampleCase(2, "X1", None, None, {})
    assert SampleReport([case], []).summary() == "1 case ready; no problems"
    problems = [RowProblem(1, "", "m"), RowProblem(1, "", "n"), RowProblem(3, "CRN", "x")]
    assert SampleReport([case], problems).summary() == (
        "1 case ready; 1 row with problems; 2 problems with the column mapping"
    )
