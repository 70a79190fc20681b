"""Question sets in a spreadsheet: a YAML set as a workbook a methodologist can read and edit,
and such a workbook back to YAML, checked cell by cell and then as any YAML set is.

`to_workbook(SET.yaml, BOOK.xlsx)` writes one sheet per part of the set (see SHEETS);
`from_workbook(BOOK.xlsx)` gives the YAML text, or raises QuestionSetError listing every
problem as `BOOK.xlsx:Sheet!C12: what is wrong`, the loader's findings included (mapped back to
the cell they come from). Comments in the YAML are not kept. openpyxl loads on the first
workbook, not at start-up.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
import warnings
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from probdesk import fs
from probdesk.domain.answer_types import AnswerType, FactType
from probdesk.domain.condition_text import ConditionTextError, format_condition, parse_condition
from probdesk.errors import InputError, QuestionSetError

if TYPE_CHECKING:  # openpyxl loads on the first workbook, not at start-up
    from openpyxl.worksheet.worksheet import Worksheet

JsonPath = tuple[str | int, ...]
MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 20_000
MODELINE = "# yaml-language-server: $schema=schema/question-set.schema.json\n"
KEY_QUESTION, PROMPT = "key question", "prompt"


@dataclass(frozen=True)
class Column:
    header: str  # as written in row 1 (matched ignoring case and repeated spaces)
    key: str  # the field it holds
    kind: str  # id, text, required text, choice of words, yes/no, condition, list, lines, ...
    width: int = 18
    note: str = ""

    @property
    def required(self) -> bool:
        """Whether the column must be on its sheet (its field is never left out)."""
        return self.kind in REQUIRED_KINDS


REQUIRED_KINDS = frozenset(
    {"required id", "required text", "word", "any", "fact type", "answer type", "role"}
    | {"number", "whole number"}
)


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: tuple[Column, ...]
    about: str
    required: bool = False


def _c(header: str, key: str, kind: str, width: int = 18, note: str = "") -> Column:
    return Column(header, key, kind, width, note)


SETTINGS = Sheet(
    "Settings",
    (
        _c("Setting", "setting", "word", 22),
        _c("Value", "value", "any", 70),
        _c("About this setting", "about", "ignored", 60),
    ),
    "the set's id, version, title, framework notes, file format and percentage rule",
    required=True,
)
FACTS = Sheet(
    "Facts",
    (
        _c("Id", "id", "required id"),
        _c("Label", "label", "required text", 40),
        _c("Type", "type", "fact type", 16),
        _c("Choices list", "options", "choices", 18),
        _c("Required", "required", "yes/no", 10),
        _c("Help", "help", "text", 60),
    ),
    "the case facts an assessor records; a choice fact names its list on the Choices sheet",
)
CHOICES = Sheet(
    "Choices",
    (
        _c("List", "list", "required id"),
        _c("Value", "value", "required id"),
        _c("Label", "label", "required text", 40),
    ),
    "the options of choice facts and questions, one row each, grouped by list name",
)
VARIANTS = Sheet(
    "Variants",
    (
        _c("Id", "id", "required id"),
        _c("Label", "label", "required text", 30),
        _c("Description", "description", "text", 40),
        _c("Chosen when", "when", "condition", 50),
    ),
    "the variants of the case questions: the first whose 'Chosen when' holds is used; "
    "one with it empty always holds",
    required=True,
)
QUESTIONS = Sheet(
    "Questions",
    (
        _c("Section", "section", "required id"),
        _c("Section title", "title", "text", 28),
        _c("Stage", "stage", "text", 14),
        _c("Section variants", "variants", "list", 16),
        _c("Key question or prompt", "role", "role", 14),
        _c("Id", "id", "required id", 10),
        _c("Text", "text", "required text", 60),
        _c("Answer type", "answer", "answer type", 14),
        _c("Choices list", "options", "choices", 14),
        _c("Counts", "counts", "yes/no", 9),
        _c("Applies when", "applies_when", "condition", 40),
        _c("Guidance", "guidance", "text", 60),
        _c("Evidence sources", "evidence", "lines", 36),
    ),
    "one row per case question: each section is its rows with the same Section id, the key "
    "question first, then its prompts; the section's title, stage and variants are on the key "
    "question's row",
    required=True,
)
GROUPS = Sheet(
    "Groups",
    (_c("Id", "id", "required id", 22), _c("Label", "label", "required text", 50)),
    "the participant groups met during fieldwork",
)
NON_CASE = Sheet(
    "Non-case questions",
    (
        _c("Id", "id", "required id", 10),
        _c("Theme", "theme", "required text", 30),
        _c("Text", "text", "required text", 60),
        _c("Guidance", "guidance", "text", 50),
        _c("Groups", "groups", "list", 30),
    ),
    "questions for meetings and focus groups; Groups names ids on the Groups sheet",
)
DOMAIN_ONE = Sheet(
    "Domain one",
    (
        _c("Key question or prompt", "role", "role", 14),
        _c("Id", "id", "required id", 10),
        _c("Title", "title", "text", 24),
        _c("Text", "text", "required text", 60),
        _c("Guidance", "guidance", "text", 50),
        _c("Non-case questions", "non_case_questions", "list", 20),
    ),
    "organisational key questions the team judges, each followed by its prompts",
)
RATINGS = Sheet(
    "Ratings",
    (
        _c("Id", "id", "required id", 22),
        _c("Label", "label", "required text", 26),
        _c("Min percent", "min_percent", "number", 12),
        _c("Points", "points", "whole number", 10),
    ),
    "the rating scale, best first: a percentage at or above Min percent earns the level",
)
STANDARDS = Sheet(
    "Standards",
    (
        _c("Id", "id", "required id", 10),
        _c("Title", "title", "required text", 36),
        _c("Key questions", "key_questions", "list", 30),
    ),
    "the rated standards, each rated from its lowest-scoring key question",
)
BANDS = Sheet(
    "Bands",
    (
        _c("Min score", "min_score", "whole number", 12),
        _c("Label", "label", "required text", 30),
    ),
    "the overall rating from the standards' points added up, best band first",
)
SHEETS = (
    SETTINGS,
    FACTS,
    CHOICES,
    VARIANTS,
    QUESTIONS,
    GROUPS,
    NON_CASE,
    DOMAIN_ONE,
    RATINGS,
    STANDARDS,
    BANDS,
)
ABOUT = "About"

# Settings rows: (what the sheet shows, the field, required, about it)
SETTING_ROWS = (
    ("format", "format", True, "the version of the file format: always 1"),
    ("id", "id", True, "the set's identifier, for example pdu-core"),
    ("version", "version", True, "a new version for every change once the set has been used"),
    ("title", "title", True, "the name shown to users"),
    ("framework notes", "framework_notes", False, "a short paragraph shown with summaries"),
    ("percentage", "percentage", False, "how answers become percentages: yes_over_relevant"),
    (
        "minimum base",
        "minimum_base",
        False,
        "the fewest relevant cases a percentage is read on: below it, a caution and no rating",
    ),
    (
        "published at",
        "published_at",
        False,
        "pdu or region: with region, PDU figures are for the inspection team, not publication",
    ),
)
AGGREGATION_SETTINGS = ("percentage", "minimum_base", "published_at")
ANSWER_TYPES = tuple(t.value for t in AnswerType)
FACT_TYPES = tuple(t.value for t in FactType)


def shown_name(key: str) -> str:
    return next((shown for shown, k, *_ in SETTING_ROWS if k == key), key)


def _norm(text: object) -> str:
    return " ".join(str(text).split()).casefold()


def cell_name(sheet: str, column: int, row: int) -> str:
    """`Sheet!C12`, the sheet quoted as Excel does when its name has spaces or punctuation."""
    from openpyxl.utils import get_column_letter

    shown = sheet if re.fullmatch(r"[A-Za-z0-9_]+", sheet) else "'" + sheet.replace("'", "''") + "'"
    return f"{shown}!{get_column_letter(column)}{row}"


# -- YAML to workbook --------------------------------------------------------------------------


def _yaml_data(path: Path) -> dict[str, Any]:
    """The set's plain data as written in the file (before the schema's defaults), checked
    first: only a valid set is written as a workbook."""
    from probdesk.domain import loader

    loader.load(path)  # QuestionSetError for any problem
    data: dict[str, Any] = _iso_dates(yaml.safe_load(path.read_text(encoding="utf-8-sig")))
    return data


def _iso_dates(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _iso_dates(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_iso_dates(v) for v in x]
    return x.isoformat() if isinstance(x, date) else x


class _ChoiceLists:
    """Option lists by name, one per distinct list: a list two items share is written once."""

    def __init__(self) -> None:
        self.lists: dict[str, list[dict[str, Any]]] = {}

    def name_for(self, wanted: str, options: list[dict[str, Any]]) -> str:
        for name, opts in self.lists.items():
            if opts == options:
                return name
        name, n = wanted, 1
        while name in self.lists:
            n += 1
            name = f"{wanted}-{n}"
        self.lists[name] = options
        return name


def _yes_no(value: object) -> str:
    return "" if value is None else ("yes" if value else "no")


def _rows(data: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Each sheet's rows (field -> cell value) for the set's data."""
    lists = _ChoiceLists()
    out: dict[str, list[dict[str, Any]]] = {s.name: [] for s in SHEETS}
    about = {key: text for _, key, _, text in SETTING_ROWS}
    aggregation = data.get("aggregation", {})
    settings = {**data, **{k: aggregation.get(k) for k in AGGREGATION_SETTINGS}}
    for shown, key, _, _ in SETTING_ROWS:
        out[SETTINGS.name].append(
            {"setting": shown, "value": settings.get(key), "about": about[key]}
        )
    for f in data.get("facts", []):
        choices = lists.name_for(f["id"], f["options"]) if "options" in f else None
        out[FACTS.name].append({**f, "options": choices, "required": _yes_no(f.get("required"))})
    for v in data["variants"]:
        when = format_condition(v["when"]) if "when" in v else None
        out[VARIANTS.name].append({**v, "when": when})
    for s in data["sections"]:
        for i, q in enumerate([s["key_question"], *s.get("prompts", [])]):
            row: dict[str, Any] = {"section": s["id"]}
            if i == 0:
                row.update(
                    title=s["title"],
                    stage=s.get("stage"),
                    variants=", ".join(s["variants"]) if "variants" in s else None,
                )
            choices = lists.name_for(q["id"], q["options"]) if "options" in q else None
            row.update(
                role=KEY_QUESTION if i == 0 else PROMPT,
                id=q["id"],
                text=q["text"],
                answer=q["answer"],
                options=choices,
                counts=_yes_no(q.get("counts")),
                applies_when=format_condition(q["applies_when"]) if "applies_when" in q else None,
                guidance=q.get("guidance"),
                evidence="\n".join(q["evidence"]) if "evidence" in q else None,
            )
            out[QUESTIONS.name].append(row)
    for name, opts in lists.lists.items():
        out[CHOICES.name].extend({"list": name, **o} for o in opts)
    out[GROUPS.name] = [dict(g) for g in data.get("participant_groups", [])]
    for q in data.get("non_case_questions", []):
        out[NON_CASE.name].append({**q, "groups": ", ".join(q["groups"])})
    for k in data.get("domain_one", []):
        ncq = k.get("non_case_questions")
        out[DOMAIN_ONE.name].append(
            {
                **k,
                "role": KEY_QUESTION,
                "non_case_questions": None if ncq is None else ", ".join(ncq),
            }
        )
        out[DOMAIN_ONE.name].extend({"role": PROMPT, **p} for p in k.get("prompts", []))
    ratings = aggregation.get("ratings") or {}
    out[RATINGS.name] = [dict(x) for x in ratings.get("scale", [])]
    for st in ratings.get("standards", []):
        out[STANDARDS.name].append({**st, "key_questions": ", ".join(st["key_questions"])})
    out[BANDS.name] = [dict(b) for b in ratings.get("bands", [])]
    return out


def _about_lines() -> list[str]:
    lines = [
        "A probdesk question set in a spreadsheet.",
        "",
        "Edit the sheets, then turn the workbook into the set's YAML file with",
        "    probdesk questionset from-xlsx BOOK.xlsx --out SET.yaml",
        "which checks every cell and the set as a whole, and names the cell of each problem "
        "(for example BOOK.xlsx:Questions!G12). Row 1 of each sheet names its columns; keep "
        "those names. Rows are read in order; empty rows are skipped. An empty cell leaves the "
        "field out. Ids are letters, digits, '_', '.' and '-'.",
        "Lists in one cell (Section variants, Groups, Non-case questions, Key questions) are "
        "separated by commas; evidence sources by new lines (Alt+Enter in Excel).",
        "Conditions (Chosen when, Applies when) are written as, for example:",
        "    domestic_abuse in (yes, unknown) and answer C1.4 = yes",
        "    not (mappa_level = level1)        age >= 18        answer C2.1 answered",
        "A bare name is a case fact; 'answer ID' is the answer to a question. Operators: =, in "
        "(...), >=, <=, answered, not answered; combine with and, or, not and parentheses. "
        "Put a value in double quotes when it has spaces or punctuation.",
        "",
        "The sheets:",
    ]
    lines += [f"  {s.name}: {s.about}." for s in SHEETS]
    lines += [
        "",
        "See docs/question-sets.md for what every field means. Comments in a YAML file are "
        "not kept in a workbook.",
    ]
    return lines


def to_workbook(yaml_path: str | Path, out_path: str | Path, *, force: bool = False) -> Path:
    """Write the (valid) set at `yaml_path` as a workbook at `out_path`, checked to read back
    as the same set; refuses an existing `out_path` unless `force`."""
    source, out = Path(yaml_path), Path(out_path)
    data = _yaml_data(source)
    _refuse_existing(out, force)
    with tempfile.TemporaryDirectory(prefix="probdesk-xlsx-") as tmp:
        draft = Path(tmp) / out.name
        _write_book(data, draft)
        back = _read_book(draft, out.name)
        if back.problems:  # pragma: no cover - a set the workbook cannot carry
            raise QuestionSetError(str(source), back.problems)
        if back.data != data:
            raise InputError(
                f"{source} cannot be written as a workbook without a difference (an empty "
                "text, an empty list or a value a cell cannot hold): nothing was written"
            )
        payload = draft.read_bytes()
    _write_out(out, payload, force)
    return out


def _refuse_existing(out: Path, force: bool) -> None:
    if out.exists() and not force:
        raise InputError(f"{out} already exists: give another --out, or --force to replace it")
    if out.is_dir():
        raise InputError(f"{out} is a folder: give a file name for --out")


def _write_out(out: Path, payload: bytes, force: bool) -> None:
    try:
        fs.atomic_write(out, payload, mode=0o644, exclusive=not force)
    except FileExistsError as exc:
        raise InputError(f"{out} already exists: give another --out, or --force") from exc
    except OSError as exc:
        raise InputError(f"{out} cannot be written: {exc.strerror or exc}") from exc


def _write_book(data: Mapping[str, Any], path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    rows = _rows(data)
    wb = Workbook()
    about = wb.active
    assert about is not None
    about.title = ABOUT
    about.column_dimensions["A"].width = 110
    for i, line in enumerate(_about_lines(), start=1):
        c = about.cell(row=i, column=1, value=line)
        c.data_type = "s"
        c.alignment = Alignment(wrap_text=True, vertical="top")
    about["A1"].font = Font(bold=True)
    for sheet in SHEETS:
        ws = wb.create_sheet(sheet.name)
        _fill(ws, sheet, rows[sheet.name])
    wb.properties.creator = "probdesk"
    wb.save(path)


def _fill(ws: Worksheet, sheet: Sheet, rows: Sequence[Mapping[str, Any]]) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    for col, column in enumerate(sheet.columns, start=1):
        c = ws.cell(row=1, column=col, value=column.header)
        c.font = Font(bold=True)
        ws.column_dimensions[get_column_letter(col)].width = column.width
    ws.freeze_panes = "A2"
    wrap = Alignment(wrap_text=True, vertical="top")
    for r, row in enumerate(rows, start=2):
        for col, column in enumerate(sheet.columns, start=1):
            value = row.get(column.key)
            if value is None or value == "":
                continue
            c = ws.cell(row=r, column=col, value=value)
            c.alignment = wrap
            if isinstance(value, str):
                c.data_type = "s"  # text, never a formula, whatever it starts with
                c.number_format = "@"  # stays text when edited: 2.1 is not made a number


# -- workbook to YAML --------------------------------------------------------------------------


@dataclass
class _Book:
    """What was read from a workbook: the set's data, every cell problem, and where each part
    of the data came from (data path -> `Sheet!C12`)."""

    name: str
    data: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    cells: dict[JsonPath, str] = field(default_factory=dict)

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{self.name}:{where}: {message}")


@dataclass(frozen=True)
class _Cell:
    value: Any
    where: str


@dataclass
class _Row:
    number: int
    cells: dict[str, _Cell]
    first: str  # where the row starts, for a problem with the whole row

    def has(self, key: str) -> bool:
        return key in self.cells and not _empty(self.cells[key].value)

    def where(self, key: str) -> str:
        return self.cells[key].where if key in self.cells else self.first


def _empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class _Reader:
    """Reads the sheets' cells into the set's data, recording each problem against its cell."""

    def __init__(self, book: _Book) -> None:
        self.book = book

    # cells ---------------------------------------------------------------------------------

    def text(self, row: _Row, key: str, *, required: bool = False, what: str = "") -> str | None:
        if not row.has(key):
            if required:
                self.book.problem(row.where(key), f"the {what or key} is empty")
            return None
        value = row.cells[key].value
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, datetime):
            return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    def ident(self, row: _Row, key: str, *, required: bool = False, what: str = "") -> str | None:
        value = self.text(row, key, required=required, what=what)
        return None if value is None else value.strip()

    def word(self, row: _Row, key: str, allowed: Sequence[str], what: str) -> str | None:
        value = self.ident(row, key, required=True, what=what)
        if value is None:
            return None
        if value not in allowed:
            near = {_norm(a.replace("_", " ")): a for a in allowed}
            found = near.get(_norm(re.sub(r"[_/]", " ", value)))
            if found is not None:
                return found
            self.book.problem(
                row.where(key), f"'{value}' is not {what}: use one of {', '.join(allowed)}"
            )
            return None
        return value

    def yes_no(self, row: _Row, key: str, what: str) -> bool | None:
        if not row.has(key):
            return None
        value = row.cells[key].value
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word in ("yes", "y", "true"):
            return True
        if word in ("no", "n", "false"):
            return False
        self.book.problem(row.where(key), f"{what} is yes or no (or empty), not '{value}'")
        return None

    def number(self, row: _Row, key: str, what: str, *, whole: bool) -> int | float | None:
        if not row.has(key):
            self.book.problem(row.where(key), f"the {what} is empty")
            return None
        value = row.cells[key].value
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = float(value.strip()) if "." in value else int(value.strip())
        if isinstance(value, float) and value.is_integer() and whole:
            value = int(value)
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok or (whole and not isinstance(value, int)):
            kind = "a whole number" if whole else "a number"
            self.book.problem(row.where(key), f"the {what} must be {kind}, not '{value}'")
            return None
        assert isinstance(value, int | float)
        return value

    def id_list(self, row: _Row, key: str) -> list[str] | None:
        value = self.text(row, key)
        if value is None:
            return None
        return [p.strip() for p in re.split(r"[,\n;]", value) if p.strip()]

    def lines(self, row: _Row, key: str) -> list[str] | None:
        value = self.text(row, key)
        if value is None:
            return None
        return [line.strip() for line in value.splitlines() if line.strip()]

    def condition(self, row: _Row, key: str) -> dict[str, Any] | None:
        value = self.text(row, key)
        if value is None:
            return None
        try:
            return parse_condition(value)
        except ConditionTextError as exc:
            self.book.problem(row.where(key), f"condition {exc}: {value!r}")
            return None


def _sheet_rows(ws: Worksheet, sheet: Sheet, book: _Book) -> list[_Row] | None:
    """The rows of a sheet under its headers; None when its headers are wrong."""
    from openpyxl.utils import get_column_letter

    ws.reset_dimensions()
    grid = ws.iter_rows(min_row=1, values_only=True)
    header = next(grid, ())
    known = {_norm(c.header): c for c in sheet.columns}
    known.update({_norm(c.key): c for c in sheet.columns})
    columns: dict[int, Column] = {}
    ok = True
    blank: set[int] = set()
    for i, h in enumerate(header, start=1):
        if _empty(h):
            blank.add(i)
            continue
        column = known.get(_norm(h))
        if column is None:
            headers = ", ".join(c.header for c in sheet.columns)
            book.problem(
                cell_name(sheet.name, i, 1),
                f"unknown column '{h}' on the {sheet.name} sheet (its columns are: {headers})",
            )
            ok = False
        elif column in columns.values():
            book.problem(cell_name(sheet.name, i, 1), f"the column '{h}' is there twice")
            ok = False
        else:
            columns[i] = column
    for c in sheet.columns:
        if c.required and c not in columns.values():
            book.problem(
                cell_name(sheet.name, len(header) + 1 if header else 1, 1),
                f"the column '{c.header}' is missing from the {sheet.name} sheet (row 1 "
                "names the columns)",
            )
            ok = False
    rows: list[_Row] = []
    for r, values in enumerate(grid, start=2):
        if r > MAX_ROWS:
            book.problem(f"{cell_name(sheet.name, 1, r)}", f"more than {MAX_ROWS:,} rows")
            return None
        if all(_empty(v) for v in values):
            continue
        cells: dict[str, _Cell] = {}
        for i, v in enumerate(values, start=1):
            if i in columns:
                cells[columns[i].key] = _Cell(v, cell_name(sheet.name, i, r))
            elif not _empty(v) and (i in blank or i > len(header)):
                book.problem(
                    cell_name(sheet.name, i, r),
                    f"a value in a column without a header (column {get_column_letter(i)})",
                )
                ok = False
        rows.append(_Row(r, cells, cell_name(sheet.name, 1, r)))
    return rows if ok else None


def _read_book(path: Path, name: str) -> _Book:
    book = _Book(name)
    with _open(path, name) as wb:
        by_name = {_norm(ws.title): ws for ws in wb.worksheets}
        specs = {_norm(s.name): s for s in SHEETS}
        for ws in wb.worksheets:
            if _norm(ws.title) not in specs and _norm(ws.title) != _norm(ABOUT):
                names = ", ".join(s.name for s in SHEETS)
                book.problem(
                    cell_name(ws.title, 1, 1),
                    f"unknown sheet '{ws.title}' (the sheets are: {ABOUT}, {names})",
                )
        rows: dict[str, list[_Row]] = {}
        for sheet in SHEETS:
            ws = by_name.get(_norm(sheet.name))
            if ws is None:
                if sheet.required:
                    book.problem(
                        cell_name(sheet.name, 1, 1), f"the sheet '{sheet.name}' is missing"
                    )
                rows[sheet.name] = []
                continue
            got = _sheet_rows(ws, sheet, book)
            rows[sheet.name] = got or []
    if book.problems:
        return book
    _Build(book, rows).run()
    return book


@contextlib.contextmanager
def _open(path: Path, name: str) -> Iterator[Any]:
    from openpyxl import load_workbook

    def refused(reason: str) -> InputError:
        return InputError(
            f"{name} is not an Excel workbook ({reason}): give the .xlsx file that "
            "probdesk questionset to-xlsx wrote, or one saved from Excel as .xlsx"
        )

    if not path.exists():
        raise InputError(f"{name}: no such file")
    if path.is_dir():
        raise InputError(f"{name} is a folder, not a workbook")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise InputError(f"{name} is {size:,} bytes; a question-set workbook may be {MAX_BYTES:,}")
    if not zipfile.is_zipfile(path):
        raise refused("it is not an .xlsx file inside")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl(\.|$)")
        try:
            wb = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # untrusted file: any parse failure means "not a workbook"
            text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise refused(text) from exc
        try:
            yield wb
        finally:
            wb.close()


class _Build(_Reader):
    """The set's data from the rows of each sheet, in the YAML's conventional key order."""

    def __init__(self, book: _Book, rows: Mapping[str, list[_Row]]) -> None:
        super().__init__(book)
        self.rows = rows
        self.choices: dict[str, tuple[list[dict[str, Any]], list[str]]] = {}

    def at(self, path: JsonPath, where: str) -> None:
        self.book.cells[path] = where

    def run(self) -> None:
        d = self.book.data
        settings = self.settings()
        for key in ("format", "id", "version", "title", "framework_notes"):
            if key in settings:
                d[key] = settings[key]
        self.read_choices()
        d["facts"] = self.facts()
        d["variants"] = self.variants()
        d["sections"] = self.sections()
        for key, rows in (
            ("participant_groups", self.groups()),
            ("non_case_questions", self.non_case()),
            ("domain_one", self.domain_one()),
        ):
            if rows:
                d[key] = rows
        aggregation: dict[str, Any] = {
            k: settings[k] for k in AGGREGATION_SETTINGS if k in settings
        }
        ratings = self.ratings()
        if ratings:
            aggregation["ratings"] = ratings
        if aggregation:
            d["aggregation"] = aggregation

    def settings(self) -> dict[str, Any]:
        names = {_norm(shown): (key, req) for shown, key, req, _ in SETTING_ROWS}
        names.update({_norm(key): (key, req) for _, key, req, _ in SETTING_ROWS})
        out: dict[str, Any] = {}
        seen: dict[str, str] = {}
        for row in self.rows[SETTINGS.name]:
            setting = self.text(row, "setting", required=True, what="setting")
            if setting is None:
                continue
            found = names.get(_norm(setting))
            if found is None:
                shown = ", ".join(s for s, *_ in SETTING_ROWS)
                self.book.problem(
                    row.where("setting"), f"unknown setting '{setting}' (the settings are: {shown})"
                )
                continue
            key, required = found
            if key in seen:
                self.book.problem(row.where("setting"), f"'{setting}' is given twice")
                continue
            seen[key] = row.where("value")
            if key in ("format", "minimum_base"):
                value: Any = (
                    self.number(row, "value", shown_name(key), whole=True)
                    if required or row.has("value")
                    else None
                )
            elif key in ("id", "percentage", "published_at"):
                value = self.ident(row, "value", required=required, what=shown_name(key))
            else:
                value = self.text(row, "value", required=required, what=shown_name(key))
            if value is not None:
                out[key] = value
                path: JsonPath = ("aggregation", key) if key in AGGREGATION_SETTINGS else (key,)
                self.at(path, row.where("value"))
        for shown, key, required, _ in SETTING_ROWS:
            if required and key not in seen:
                self.book.problem(
                    cell_name(SETTINGS.name, 1, 1), f"the Settings sheet has no row for '{shown}'"
                )
        self.book.cells.setdefault((), cell_name(SETTINGS.name, 1, 1))
        return out

    def read_choices(self) -> None:
        for row in self.rows[CHOICES.name]:
            name = self.ident(row, "list", required=True, what="list name")
            value = self.ident(row, "value", required=True, what="value")
            label = self.text(row, "label", required=True, what="label")
            if name is None or value is None or label is None:
                continue
            opts, places = self.choices.setdefault(name, ([], []))
            opts.append({"value": value, "label": label})
            places.append(row.where("value"))

    def options(self, row: _Row, path: JsonPath) -> list[dict[str, Any]] | None:
        name = self.ident(row, "options")
        if name is None:
            return None
        if name not in self.choices:
            known = ", ".join(sorted(self.choices)) or "none yet"
            self.book.problem(
                row.where("options"),
                f"there is no choices list '{name}' on the Choices sheet (its lists: {known})",
            )
            return None
        opts, places = self.choices[name]
        self.at((*path, "options"), row.where("options"))
        for i, where in enumerate(places):
            self.at((*path, "options", i), where)
        return [dict(o) for o in opts]

    def put(self, out: dict[str, Any], path: JsonPath, row: _Row, key: str, value: Any) -> None:
        if value is not None:
            out[key] = value
            self.at((*path, key), row.where(key))

    def facts(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for row in self.rows[FACTS.name]:
            path: JsonPath = ("facts", len(out))
            self.at(path, row.first)
            f: dict[str, Any] = {}
            self.put(f, path, row, "id", self.ident(row, "id", required=True, what="id"))
            self.put(f, path, row, "label", self.text(row, "label", required=True, what="label"))
            self.put(f, path, row, "type", self.word(row, "type", FACT_TYPES, "a fact type"))
            self.put(f, path, row, "options", self.options(row, path))
            self.put(f, path, row, "required", self.yes_no(row, "required", "Required"))
            self.put(f, path, row, "help", self.text(row, "help"))
            out.append(f)
        return out

    def variants(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for row in self.rows[VARIANTS.name]:
            path: JsonPath = ("variants", len(out))
            self.at(path, row.first)
            v: dict[str, Any] = {}
            self.put(v, path, row, "id", self.ident(row, "id", required=True, what="id"))
            self.put(v, path, row, "label", self.text(row, "label", required=True, what="label"))
            self.put(v, path, row, "description", self.text(row, "description"))
            self.put(v, path, row, "when", self.condition(row, "when"))
            out.append(v)
        if not out:
            self.book.problem(cell_name(VARIANTS.name, 1, 2), "the set needs at least one variant")
        return out

    def sections(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        seen: dict[str, int] = {}
        current: str | None = None
        for row in self.rows[QUESTIONS.name]:
            sid = self.ident(row, "section", required=True, what="section id")
            if sid is None:
                continue
            role = self.word(row, "role", (KEY_QUESTION, PROMPT), "'key question' or 'prompt'")
            if sid != current:
                if sid in seen:
                    self.book.problem(
                        row.where("section"),
                        f"section '{sid}' was already given above (row {seen[sid]}): keep a "
                        "section's rows together",
                    )
                    continue
                seen[sid], current = row.number, sid
                path: JsonPath = ("sections", len(out))
                self.at(path, row.where("section"))
                s: dict[str, Any] = {"id": sid}
                self.at((*path, "id"), row.where("section"))
                self.put(
                    s,
                    path,
                    row,
                    "title",
                    self.text(row, "title", required=True, what="section title"),
                )
                self.put(s, path, row, "stage", self.text(row, "stage"))
                self.put(s, path, row, "variants", self.id_list(row, "variants"))
                out.append(s)
                if role is not None and role != KEY_QUESTION:
                    self.book.problem(
                        row.where("role"),
                        f"section '{sid}' starts with a prompt: its first row is its key question",
                    )
                    continue
                q = self.question(row, (*path, "key_question"))
                s["key_question"] = q
                continue
            s = out[-1]
            path = ("sections", len(out) - 1)
            for key in ("title", "stage", "variants"):
                if row.has(key):
                    self.book.problem(
                        row.where(key),
                        f"the section's {key} goes on its key question's row (row "
                        f"{seen[sid]}) only",
                    )
            if role == KEY_QUESTION:
                self.book.problem(
                    row.where("role"),
                    f"section '{sid}' has a key question already (row {seen[sid]}): start a "
                    "new section with another Section id",
                )
                continue
            prompts = s.setdefault("prompts", [])
            prompts.append(self.question(row, (*path, "prompts", len(prompts))))
        if not out and not self.book.problems:
            self.book.problem(cell_name(QUESTIONS.name, 1, 2), "the set needs at least one section")
        return out

    def question(self, row: _Row, path: JsonPath) -> dict[str, Any]:
        self.at(path, row.where("id"))
        q: dict[str, Any] = {}
        self.put(q, path, row, "id", self.ident(row, "id", required=True, what="question id"))
        self.put(q, path, row, "text", self.text(row, "text", required=True, what="text"))
        self.put(q, path, row, "answer", self.word(row, "answer", ANSWER_TYPES, "an answer type"))
        self.put(q, path, row, "options", self.options(row, path))
        self.put(q, path, row, "guidance", self.text(row, "guidance"))
        self.put(q, path, row, "evidence", self.lines(row, "evidence"))
        self.put(q, path, row, "counts", self.yes_no(row, "counts", "Counts"))
        self.put(q, path, row, "applies_when", self.condition(row, "applies_when"))
        return q

    def groups(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for row in self.rows[GROUPS.name]:
            path: JsonPath = ("participant_groups", len(out))
            self.at(path, row.first)
            g: dict[str, Any] = {}
            self.put(g, path, row, "id", self.ident(row, "id", required=True, what="id"))
            self.put(g, path, row, "label", self.text(row, "label", required=True, what="label"))
            out.append(g)
        return out

    def non_case(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for row in self.rows[NON_CASE.name]:
            path: JsonPath = ("non_case_questions", len(out))
            self.at(path, row.first)
            q: dict[str, Any] = {}
            self.put(q, path, row, "id", self.ident(row, "id", required=True, what="id"))
            self.put(q, path, row, "theme", self.text(row, "theme", required=True, what="theme"))
            self.put(q, path, row, "text", self.text(row, "text", required=True, what="text"))
            self.put(q, path, row, "guidance", self.text(row, "guidance"))
            groups = self.id_list(row, "groups")
            if not groups:
                self.book.problem(row.where("groups"), "the groups are empty: name at least one")
            self.put(q, path, row, "groups", groups)
            out.append(q)
        return out

    def domain_one(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for row in self.rows[DOMAIN_ONE.name]:
            role = self.word(row, "role", (KEY_QUESTION, PROMPT), "'key question' or 'prompt'")
            if role == PROMPT:
                if not out:
                    self.book.problem(
                        row.where("role"), "a prompt comes after the key question it belongs to"
                    )
                    continue
                for key in ("title", "guidance", "non_case_questions"):
                    if row.has(key):
                        self.book.problem(
                            row.where(key),
                            f"a prompt has no {key.replace('_', ' ')}: leave it "
                            "empty, or make the row a key question",
                        )
                prompts = out[-1].setdefault("prompts", [])
                path: JsonPath = ("domain_one", len(out) - 1, "prompts", len(prompts))
                self.at(path, row.first)
                p: dict[str, Any] = {}
                self.put(p, path, row, "id", self.ident(row, "id", required=True, what="id"))
                self.put(p, path, row, "text", self.text(row, "text", required=True, what="text"))
                prompts.append(p)
                continue
            path = ("domain_one", len(out))
            self.at(path, row.first)
            k: dict[str, Any] = {}
            self.put(k, path, row, "id", self.ident(row, "id", required=True, what="id"))
            self.put(k, path, row, "title", self.text(row, "title", required=True, what="title"))
            self.put(k, path, row, "text", self.text(row, "text", required=True, what="text"))
            self.put(k, path, row, "guidance", self.text(row, "guidance"))
            ncq = self.id_list(row, "non_case_questions")
            self.put(k, path, row, "non_case_questions", ncq)
            out.append(k)
        for k in out:  # the YAML's order: prompts before guidance
            if "prompts" in k:
                tail: dict[str, Any] = {
                    x: k.pop(x) for x in ("guidance", "non_case_questions") if x in k
                }
                prompts = k.pop("prompts")
                k.update(tail)
                k["prompts"] = prompts
        return out

    def ratings(self) -> dict[str, Any]:
        base: JsonPath = ("aggregation", "ratings")
        scale: list[dict[str, Any]] = []
        for row in self.rows[RATINGS.name]:
            path: JsonPath = (*base, "scale", len(scale))
            self.at(path, row.first)
            x: dict[str, Any] = {}
            self.put(x, path, row, "id", self.ident(row, "id", required=True, what="id"))
            self.put(x, path, row, "label", self.text(row, "label", required=True, what="label"))
            mp = self.number(row, "min_percent", "min percent", whole=False)
            self.put(x, path, row, "min_percent", mp)
            self.put(x, path, row, "points", self.number(row, "points", "points", whole=True))
            scale.append(x)
        standards: list[dict[str, Any]] = []
        for row in self.rows[STANDARDS.name]:
            path = (*base, "standards", len(standards))
            self.at(path, row.first)
            st: dict[str, Any] = {}
            self.put(st, path, row, "id", self.ident(row, "id", required=True, what="id"))
            self.put(st, path, row, "title", self.text(row, "title", required=True, what="title"))
            kq = self.id_list(row, "key_questions")
            if not kq:
                self.book.problem(row.where("key_questions"), "the key questions are empty")
            self.put(st, path, row, "key_questions", kq)
            standards.append(st)
        bands: list[dict[str, Any]] = []
        for row in self.rows[BANDS.name]:
            path = (*base, "bands", len(bands))
            self.at(path, row.first)
            b: dict[str, Any] = {}
            self.put(
                b, path, row, "min_score", self.number(row, "min_score", "min score", whole=True)
            )
            self.put(b, path, row, "label", self.text(row, "label", required=True, what="label"))
            bands.append(b)
        if not (scale or standards or bands):
            return {}
        self.at(base, cell_name(RATINGS.name, 1, 1))
        out: dict[str, Any] = {"scale": scale, "standards": standards}
        if bands:
            out["bands"] = bands
        return out


# -- the YAML text -----------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)  # lists indented under their key


def _str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None  # PyYAML quotes it where a block cannot hold it
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _str)


class _FlowDict(dict[str, Any]):
    """Written on one line: {fact: rosh_level, in: [high, very_high]}."""


class _FlowList(list[Any]):
    """Written on one line: [core, adjusted]."""


def _flow_dict(dumper: yaml.SafeDumper, d: _FlowDict) -> yaml.MappingNode:
    return dumper.represent_mapping("tag:yaml.org,2002:map", d.items(), flow_style=True)


def _flow_list(dumper: yaml.SafeDumper, items: _FlowList) -> yaml.SequenceNode:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", items, flow_style=True)


_Dumper.add_representer(_FlowDict, _flow_dict)
_Dumper.add_representer(_FlowList, _flow_list)
_FLOW_LISTS = frozenset({"variants", "groups", "key_questions", "non_case_questions", "in"})
_FLOW_ITEMS = frozenset({"options", "scale", "bands"})


def _styled(x: Any, key: str | int = "", condition: bool = False) -> Any:
    """The data with short parts (lists of ids, options, comparisons) marked for one line."""
    if isinstance(x, dict):
        if condition and ("fact" in x or "answer" in x):
            return _FlowDict({k: _styled(v, k) for k, v in x.items()})
        inside = condition or key in ("when", "applies_when")
        return {k: _styled(v, k, inside or k in ("when", "applies_when")) for k, v in x.items()}
    if isinstance(x, list):
        if key in _FLOW_LISTS and all(isinstance(v, str | int | float) for v in x):
            return _FlowList(x)
        if key in _FLOW_ITEMS:
            return [_FlowDict(v) if isinstance(v, dict) else v for v in x]
        return [_styled(v, "", condition) for v in x]
    return x


def to_yaml(data: Mapping[str, Any]) -> str:
    """The set's YAML text: the editor modeline, then the fields in the conventional order."""
    body = yaml.dump(
        _styled(dict(data)), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100
    )
    return MODELINE + body


def _positions(text: str) -> dict[tuple[int, int], JsonPath]:
    """(line, column) of every value and key in the YAML text -> its data path."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    out: dict[tuple[int, int], JsonPath] = {}

    def walk(node: yaml.Node, path: JsonPath) -> None:
        out.setdefault((node.start_mark.line + 1, node.start_mark.column + 1), path)
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                key = str(k.value)
                out.setdefault((k.start_mark.line + 1, k.start_mark.column + 1), (*path, key))
                walk(v, (*path, key))
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                walk(v, (*path, i))

    if root is not None:
        walk(root, ())
    return out


_PROBLEM = re.compile(r"^(?P<line>\d+):(?P<col>\d+): (?P<msg>.*)$", re.DOTALL)


def _where(path: JsonPath) -> str:
    parts: list[str] = []
    for p in path:
        parts.append(f"[{p}]" if isinstance(p, int) else (f".{p}" if parts else str(p)))
    return "".join(parts)


def _to_cells(found: Sequence[str], prefix: str, text: str, book: _Book) -> list[str]:
    """The loader's FILE:LINE:COLUMN problems at the cells the data came from."""
    positions = _positions(text)
    out = []
    for problem in found:
        rest = problem[len(prefix) + 1 :] if problem.startswith(prefix + ":") else problem
        m = _PROBLEM.match(rest)
        path = positions.get((int(m["line"]), int(m["col"]))) if m else None
        message = m["msg"] if m else rest.lstrip(": ")
        if path is None:
            out.append(f"{book.name}: {message}")
            continue
        for prefix_len in range(len(path), -1, -1):
            where = book.cells.get(path[:prefix_len])
            if where is not None:
                break
        else:
            where = None
        for p in range(len(path), 0, -1):  # "sections[2].key_question: ..." says no more
            shown = _where(path[:p]) + ": "
            if message.startswith(shown):
                message = message[len(shown) :]
                break
        out.append(f"{book.name}:{where}: {message}" if where else f"{book.name}: {message}")
    return out


@dataclass(frozen=True)
class Converted:
    """A workbook turned into a valid set: its YAML text and the loader's warnings, at cells."""

    text: str
    warnings: tuple[str, ...]


def from_workbook(xlsx_path: str | Path, *, name: str | None = None) -> Converted:
    """The YAML text of the set in the workbook, checked cell by cell and then by the loader;
    raises QuestionSetError naming the cell of every problem."""
    from probdesk.domain import loader

    path = Path(xlsx_path)
    shown = name or str(xlsx_path)
    book = _read_book(path, shown)
    if book.problems:
        raise QuestionSetError(shown, book.problems)
    text = to_yaml(book.data)
    with tempfile.TemporaryDirectory(prefix="probdesk-xlsx-") as tmp:
        draft = Path(tmp) / "set.yaml"
        draft.write_text(text, encoding="utf-8")
        try:
            checked = loader.check(draft)
        except QuestionSetError as exc:
            raise QuestionSetError(shown, _to_cells(exc.problems, str(draft), text, book)) from None
    return Converted(text, tuple(_to_cells(checked.warnings, str(draft), text, book)))


def convert_to_yaml(
    xlsx_path: str | Path, out_path: str | Path, *, force: bool = False
) -> Converted:
    """from_workbook, then the YAML written to `out_path` (atomically: nothing is written, and
    nothing there changes, when any problem is found)."""
    out = Path(out_path)
    _refuse_existing(out, force)
    done = from_workbook(xlsx_path)
    _write_out(out, done.text.encode("utf-8"), force)
    return done
