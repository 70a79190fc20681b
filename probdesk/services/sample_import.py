"""Case sample import: read a CSV or XLSX table, map its columns, check it row by row.

The team lead picks a file (`read_table`), confirms which column holds what (`suggest_mapping`
gives a first guess) and reads the report (`validate_sample`). Nothing here writes anything: the
caller imports `report.rows` only when the team lead accepts. No Qt and no database here.

Row numbers are the ones a spreadsheet shows: the header is row 1, the first case row 2. A
problem on row 1 is about the column mapping, not about a case.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
import stat
import warnings
import zipfile
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from probdesk.domain.answers import coerce_fact, reference_problem
from probdesk.domain.questionset import NO, UNKNOWN, YES, Fact, FactType, QuestionSet
from probdesk.errors import InputError

if TYPE_CHECKING:  # openpyxl loads on the first workbook read, not at start-up
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 10_000
SUPPORTED_SUFFIXES = (".csv", ".xlsx")
HEADER_ROW = 1

REFERENCE, PDU, ASSESSOR, IGNORE = "reference", "pdu", "assessor", "ignore"
FACT_PREFIX = "fact:"
EXTRA_TARGETS = (REFERENCE, PDU, ASSESSOR)
EXTRA_LABELS = {REFERENCE: "Case reference (CRN)", PDU: "PDU", ASSESSOR: "Assessor"}
IGNORE_LABEL = "Ignore this column"

_DELIMITERS = (",", ";", "\t")
_OLD_EXCEL = (".xls", ".xlsm", ".xlsb", ".ods", ".numbers")
_LIST_LIMIT = 20  # names listed in one message before "and N more"


# -- the table ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Table:
    """A file's cells as text: header names, then (spreadsheet row number, cells) per case row.

    Every row has one cell per header; fully blank rows are left out (their numbers are not
    reused, so row numbers match what the spreadsheet shows). `notes` are things the team lead
    should know about how the file was read (for example the text encoding guessed).
    """

    headers: list[str]
    rows: list[tuple[int, list[str]]]
    notes: list[str] = field(default_factory=list)
    sheet: str | None = None


def read_table(path: Path, sheet: str | None = None) -> Table:
    """Read a .csv or .xlsx case sample; raises InputError naming the file when it is unusable.

    `sheet` picks a worksheet of an .xlsx by name (the first worksheet when None); CSV files
    have no sheets and ignore it.
    """
    path = Path(path)
    name = path.name or str(path)
    suffix = _check_file(path, name)
    if suffix == ".csv":
        records, notes = _csv_records(path, name)
        return _build_table(name, records, notes, None)
    return _read_xlsx(path, name, sheet)


def sheet_names(path: Path) -> list[str]:
    """The worksheet names of an .xlsx file, for a sheet picker; [] for a CSV file."""
    path = Path(path)
    name = path.name or str(path)
    if _check_file(path, name) == ".csv":
        return []
    with _open_workbook(path, name) as wb:
        return [ws.title for ws in wb.worksheets]


def _check_file(path: Path, name: str) -> str:
    try:
        st = path.stat()
    except FileNotFoundError:
        raise InputError(f"File not found: {path}") from None
    except OSError as exc:
        raise InputError(f"{path} cannot be read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{path} is a folder, not a file: choose the .csv or .xlsx file.")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        kind = f"{suffix} files are" if suffix else "Files without an extension are"
        hint = (
            " Open it in Excel and save it as an Excel workbook (.xlsx)."
            if suffix in _OLD_EXCEL
            else ""
        )
        raise InputError(
            f"{name}: {kind} not supported; a case sample must be a .csv or .xlsx file.{hint}"
        )
    if st.st_size == 0:
        raise InputError(f"{name} is empty: it has no header row and no cases.")
    if st.st_size > MAX_BYTES:
        raise InputError(
            f"{name} is {st.st_size / 1_048_576:.1f} MB; a case sample file may be at most "
            f"{MAX_BYTES // 1_048_576} MB. Check that this is the right file."
        )
    return suffix


def _build_table(
    where: str, records: Iterable[tuple[int, list[str]]], notes: list[str], sheet: str | None
) -> Table:
    """Header from row 1, then the non-blank rows; checks header names and the row limit."""
    header: list[str] | None = None
    data: list[tuple[int, list[str]]] = []
    for number, cells in records:
        while cells and not cells[-1]:
            cells.pop()
        if not cells:
            continue
        if header is None:
            if number != HEADER_ROW:
                raise InputError(
                    f"{where}: row 1 is blank, so there is no header row. Put the column "
                    "names in row 1 (delete any blank or title rows above them)."
                )
            header = [" ".join(c.split()) for c in cells]
            continue
        if len(data) == MAX_ROWS:
            raise InputError(
                f"{where} has more than {MAX_ROWS:,} rows of cases; a case sample may have at "
                f"most {MAX_ROWS:,}. Check that this is the right file."
            )
        data.append((number, cells))
    if header is None:
        raise InputError(f"{where} is empty: there is no header row and there are no cases.")

    width = max([len(header), *(len(cells) for _, cells in data)])
    header += [""] * (width - len(header))
    used = [any(i < len(cells) and cells[i] for _, cells in data) for i in range(width)]
    nameless = [i for i in range(width) if not header[i] and used[i]]
    if nameless:
        cols = _and([column_letter(i) for i in nameless])
        many = len(nameless) > 1
        raise InputError(
            f"{where}: column{'s' if many else ''} {cols} {'have' if many else 'has'} data but "
            "no name in row 1. Give every column a name in the header row."
        )
    keep = [i for i in range(width) if header[i]]  # nameless columns with no data are dropped
    seen: dict[str, list[int]] = {}
    for i in keep:
        seen.setdefault(header[i].casefold(), []).append(i)
    dupes = [idx for idx in seen.values() if len(idx) > 1]
    if dupes:
        parts = [
            f"'{header[idx[0]]}' is the name of columns {_and([column_letter(i) for i in idx])}"
            for idx in dupes
        ]
        raise InputError(
            f"{where}: each column needs its own name: {'; '.join(parts)}. Rename or delete "
            "the extra columns."
        )
    rows = [(n, [cells[i] if i < len(cells) else "" for i in keep]) for n, cells in data]
    return Table([header[i] for i in keep], rows, notes, sheet)


def column_letter(index: int) -> str:
    """Spreadsheet column letters for a 0-based index: 0 → A, 25 → Z, 26 → AA."""
    letters = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return letters


# -- CSV --------------------------------------------------------------------------------------
def _csv_records(path: Path, name: str) -> tuple[Iterator[tuple[int, list[str]]], list[str]]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{name} cannot be read: {exc.strerror or exc}") from None
    text, notes = _decode(data, name)
    if not text.strip():
        raise InputError(f"{name} is empty: it has no header row and no cases.")
    delimiter = _sniff_delimiter(text)

    def records() -> Iterator[tuple[int, list[str]]]:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        number = 0
        try:
            for record in reader:
                number += 1
                yield number, [c.strip() for c in record]
        except csv.Error as exc:
            raise InputError(
                f"{name}, row {number + 1}: the file is not valid CSV ({exc})."
            ) from None

    return records(), notes


def _decode(data: bytes, name: str) -> tuple[str, list[str]]:
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise InputError(
            f"{name} is an Excel file saved under a .csv name. Rename it to .xlsx, or open it "
            "in Excel and save it as CSV."
        )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # Excel "Unicode Text"
        try:
            return data.decode("utf-16"), []
        except UnicodeDecodeError:
            pass
    elif b"\x00" not in data:
        try:
            return data.decode("utf-8-sig"), []
        except UnicodeDecodeError:
            pass
        try:
            text = data.removeprefix(codecs.BOM_UTF8).decode("cp1252")
        except UnicodeDecodeError:
            pass
        else:
            return text, [
                f"{name} is not UTF-8 text, so it was read as Windows-1252 (what Excel on "
                "Windows usually saves). Check that accented letters look right."
            ]
    raise InputError(
        f"{name} is not a text file that can be read (neither UTF-8 nor Windows-1252). In "
        "Excel, save it as 'CSV UTF-8 (Comma delimited)' and try again."
    )


def _sniff_delimiter(text: str) -> str:
    """Comma, semicolon or tab: the one that splits the header and keeps rows the same width."""
    sample = text[:65_536]
    best, best_score = ",", (0, 0)
    for delimiter in _DELIMITERS:
        reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
        try:
            records = [r for r in itertools.islice(reader, 100) if any(c.strip() for c in r)]
        except csv.Error:
            continue
        if not records or len(records[0]) < 2:
            continue
        width = len(records[0])
        score = (sum(1 for r in records[1:] if len(r) == width), width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


# -- XLSX -------------------------------------------------------------------------------------
class _Workbook:
    """A read-only openpyxl workbook, closed on exit; openpyxl's UserWarnings are silenced."""

    def __init__(self, path: Path, name: str) -> None:
        self.path, self.name = path, name
        self.wb: Workbook | None = None
        self._warnings = warnings.catch_warnings()

    def __enter__(self) -> Workbook:
        from openpyxl import load_workbook  # loaded on first import, not at start-up

        if not zipfile.is_zipfile(self.path):
            raise self._invalid("it is not an .xlsx file inside")
        # Workbooks from other tools make openpyxl warn (unsupported extensions, no default
        # style); none of that matters for reading values. Not thread-safe: call from one thread.
        self._warnings.__enter__()
        warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl(\.|$)")
        try:
            self.wb = load_workbook(self.path, read_only=True, data_only=True)
        except Exception as exc:  # untrusted file: any parse failure means "not a workbook"
            self._warnings.__exit__(None, None, None)
            raise self._invalid(_reason(exc)) from exc
        return self.wb

    def __exit__(self, *exc_info: object) -> None:
        try:
            if self.wb is not None:
                self.wb.close()
        finally:
            self._warnings.__exit__(None, None, None)

    def _invalid(self, reason: str) -> InputError:
        return InputError(
            f"{self.name} is not a valid Excel workbook ({reason}). If it has a password, "
            "remove it; if it is an old .xls file, open it in Excel and save it as .xlsx."
        )


def _open_workbook(path: Path, name: str) -> _Workbook:
    return _Workbook(path, name)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _read_xlsx(path: Path, name: str, sheet: str | None) -> Table:
    with _open_workbook(path, name) as wb:
        worksheets = list(wb.worksheets)
        titles = ", ".join(f"'{ws.title}'" for ws in worksheets)
        if not worksheets:
            raise InputError(f"{name} has no worksheets with cells (only charts).")
        if sheet is None:
            ws = worksheets[0]
        else:
            wanted = " ".join(sheet.split()).casefold()
            matches = [w for w in worksheets if w.title == sheet] or [
                w for w in worksheets if " ".join(w.title.split()).casefold() == wanted
            ]
            if not matches:
                raise InputError(f"{name} has no sheet named '{sheet}'. Its sheets are: {titles}.")
            ws = matches[0]
        where = f"{name}, sheet '{ws.title}'"
        ws.reset_dimensions()  # some writers record a wrong size; read every row there is
        try:
            return _build_table(where, _xlsx_records(ws, where), [], ws.title)
        except InputError as exc:
            if len(worksheets) > 1 and "is empty" in exc.message:
                raise InputError(f"{exc.message} The workbook's sheets are: {titles}.") from None
            raise


def _xlsx_records(ws: Worksheet, where: str) -> Iterator[tuple[int, list[str]]]:
    rows = ws.iter_rows(values_only=True)
    number = 0
    while True:
        try:
            values = next(rows)
        except StopIteration:
            return
        except Exception as exc:  # untrusted file: a broken sheet shows up while reading it
            raise InputError(
                f"{where}: the sheet could not be read after row {number} ({_reason(exc)}). "
                "Open it in Excel, save it again and retry."
            ) from exc
        number += 1
        yield number, [_cell_text(v) for v in values]


def _cell_text(value: object) -> str:
    """A cell as the text a person would type: 123456 not 123456.0, dates as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat(timespec="seconds")
    if isinstance(value, timedelta):
        return str(value)
    return str(value).strip()


# -- mapping ----------------------------------------------------------------------------------
def fact_target(fact_id: str) -> str:
    return f"{FACT_PREFIX}{fact_id}"


def mapping_targets(
    qs: QuestionSet, extra_targets: Sequence[str] = EXTRA_TARGETS
) -> list[tuple[str, str]]:
    """(target, label) for every choice a column can be mapped to, for a drop-down."""
    _check_extra(extra_targets)
    return [
        *((t, EXTRA_LABELS[t]) for t in extra_targets),
        *((fact_target(f.id), f.label) for f in qs.facts),
        (IGNORE, IGNORE_LABEL),
    ]


def target_label(target: str, qs: QuestionSet) -> str:
    if target in EXTRA_LABELS:
        return EXTRA_LABELS[target]
    if target == IGNORE:
        return IGNORE_LABEL
    fact = _fact_of(target, qs)
    return fact.label if fact else target


def _fact_of(target: str, qs: QuestionSet) -> Fact | None:
    if not target.startswith(FACT_PREFIX):
        return None
    fact_id = target.removeprefix(FACT_PREFIX)
    return next((f for f in qs.facts if f.id == fact_id), None)


def _check_extra(extra_targets: Sequence[str]) -> None:
    unknown = [t for t in extra_targets if t not in EXTRA_TARGETS]
    if unknown:
        raise ValueError(f"extra_targets must be among {EXTRA_TARGETS}, not {unknown}")


_EXTRA_ALIASES = {
    REFERENCE: (
        "reference", "ref", "crn", "crn number", "case reference", "case ref",
        "case reference number", "case id", "case number", "case no", "pseudonym",
    ),
    PDU: ("pdu", "probation delivery unit", "delivery unit"),
    ASSESSOR: (
        "assessor", "inspector", "case assessor", "assessed by", "assigned to", "allocated to",
    ),
}  # fmt: skip
# Words that say nothing about which target a header means. "name" is here so that a column of
# names ("Name", "Offender name") is never taken for the case reference.
_STOP_WORDS = frozenset({
    "a", "an", "and", "at", "by", "for", "in", "is", "of", "on", "or", "the", "to",
    "name", "names",
})  # fmt: skip
_PAREN = re.compile(r"\(([^()]*)\)")


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.casefold().replace("&", " and "))


def _label_variants(label: str) -> list[str]:
    """A label, the label without its brackets, what is in the brackets, and that + the rest.

    "Risk of serious harm (RoSH) level" → also "Risk of serious harm level", "RoSH",
    "RoSH level"; "Probation officer (PO)" → also "Probation officer", "PO".
    """
    out = [label]
    m = _PAREN.search(label)
    if m:
        out.append(" ".join(_PAREN.sub(" ", label).split()))
        inner = m.group(1).strip()
        if inner:
            out.append(inner)
            rest = label[m.end() :].strip()
            if rest:
                out.append(f"{inner} {rest}")
    return out


def _target_keys(qs: QuestionSet, extra_targets: Sequence[str]) -> dict[str, list[str]]:
    keys: dict[str, list[str]] = {t: list(_EXTRA_ALIASES[t]) for t in extra_targets}
    for f in qs.facts:
        keys[fact_target(f.id)] = [f.id.replace("_", " "), *_label_variants(f.label)]
    return keys


def _token_matches(header_token: str, key_token: str) -> bool:
    return header_token == key_token or (
        len(header_token) >= 3 and key_token.startswith(header_token)
    )


def _score(header: str, key: str) -> float:
    """How well a header names a key: 100 same words, 90 same words reordered or shortened,
    60-70 the header is part of the key, 40-50 the key is most of the header, 0 no match."""
    h_all, k_all = _tokens(header), _tokens(key)
    if h_all and "".join(h_all) == "".join(k_all):
        return 100.0
    hs = {t for t in h_all if t not in _STOP_WORDS}
    ks = {t for t in k_all if t not in _STOP_WORDS}
    if not hs or not ks:
        return 0.0
    h_in_k = all(any(_token_matches(h, k) for k in ks) for h in hs)
    k_in_h = all(any(_token_matches(h, k) for h in hs) for k in ks)
    if h_in_k and k_in_h:
        return 90.0
    if h_in_k:
        return 60.0 + 10.0 * len(hs) / len(ks)
    if k_in_h and len(ks) * 2 >= len(hs):
        return 40.0 + 10.0 * len(ks) / len(hs)
    return 0.0


def suggest_mapping(
    headers: Sequence[str],
    qs: QuestionSet,
    extra_targets: Sequence[str] = EXTRA_TARGETS,
) -> dict[str, str]:
    """A first guess at what each column holds, for the team lead to confirm or change.

    Headers are compared with the targets' names and common spellings, the facts' ids and
    labels (and abbreviations in brackets, such as RoSH). A header that matches two targets
    equally well, or none, is "ignore"; each target goes to the header that matches it best.
    """
    _check_extra(extra_targets)
    keys = _target_keys(qs, extra_targets)
    candidates: list[tuple[float, int, str]] = []
    for index, header in enumerate(headers):
        scores = {t: max(_score(header, k) for k in ks) for t, ks in keys.items()}
        best = max(scores.values(), default=0.0)
        if best <= 0:
            continue
        top = [t for t, s in scores.items() if abs(s - best) < 1e-9]
        if len(top) == 1:
            candidates.append((best, index, top[0]))
    mapping = {h: IGNORE for h in headers}
    taken: set[str] = set()
    for _, index, target in sorted(candidates, key=lambda c: (-c[0], c[1])):
        if target not in taken:
            taken.add(target)
            mapping[headers[index]] = target
    return mapping


# -- validation -------------------------------------------------------------------------------
@dataclass(frozen=True)
class SampleCase:
    row: int
    reference: str
    pdu: str | None
    assessor: str | None
    facts: dict[str, object]


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str  # the header as in the file; "" for a problem with the mapping as a whole
    message: str

    def __str__(self) -> str:
        if self.column:
            return f"row {self.row}, column '{self.column}': {self.message}"
        return f"row {self.row}: {self.message}"


@dataclass(frozen=True)
class SampleReport:
    rows: list[SampleCase]
    problems: list[RowProblem]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def rows_with_problems(self) -> list[int]:
        """Case rows (not the header row) that have at least one problem, in order."""
        return sorted({p.row for p in self.problems if p.row != HEADER_ROW})

    @property
    def mapping_problems(self) -> list[RowProblem]:
        return [p for p in self.problems if p.row == HEADER_ROW]

    def summary(self) -> str:
        ready = len(self.rows)
        parts = [f"{ready} case{'' if ready == 1 else 's'} ready"]
        bad = len(self.rows_with_problems)
        if bad:
            parts.append(f"{bad} row{'' if bad == 1 else 's'} with problems")
        mapping = len(self.mapping_problems)
        if mapping:
            parts.append(f"{mapping} problem{'' if mapping == 1 else 's'} with the column mapping")
        if len(parts) == 1:
            parts.append("no problems")
        return "; ".join(parts)


def validate_sample(
    table: Table,
    mapping: Mapping[str, str],
    qs: QuestionSet,
    *,
    known_pdus: Sequence[str] | None,
    assessors: Sequence[str] | None,
    existing_references: Collection[str] = (),
) -> SampleReport:
    """Check every row against the mapping and the question set; nothing is imported.

    `mapping` is header → target (headers left out are ignored). Raises InputError when the
    mapping itself cannot be used (a target named twice, an unknown target or column). A blank
    PDU or assessor cell is None, not a problem: the caller may fill it in. `known_pdus` and
    `assessors`, when given, are matched case-insensitively and give the canonical spelling.
    """
    columns = _check_mapping(table, mapping, qs)
    by_target = {target: index for index, target in columns}
    problems: list[RowProblem] = []

    ref_index = by_target.get(REFERENCE)
    if ref_index is None:
        problems.append(
            RowProblem(
                HEADER_ROW,
                "",
                f"no column is mapped to {EXTRA_LABELS[REFERENCE]}: every case needs its "
                "reference (the CRN or a pseudonym)",
            )
        )
    missing = [f for f in qs.facts if f.required and fact_target(f.id) not in by_target]
    if missing:
        names = _and([f.label for f in missing])
        problems.append(
            RowProblem(
                HEADER_ROW,
                "",
                f"no column is mapped to the required fact{'s' if len(missing) > 1 else ''} "
                f"{names}: map a column to {'each' if len(missing) > 1 else 'it'}, or add "
                f"{'them' if len(missing) > 1 else 'it'} to the file",
            )
        )

    def cell(cells: list[str], index: int) -> str:
        return cells[index].strip() if index < len(cells) else ""

    # References first: a duplicate is reported on each of its rows, naming the others.
    refs: dict[int, str] = {}
    rows_of: dict[str, list[int]] = {}
    if ref_index is not None:
        for number, cells in table.rows:
            ref = cell(cells, ref_index)
            refs[number] = ref
            if ref and reference_problem(ref) is None:
                rows_of.setdefault(ref.casefold(), []).append(number)
    existing = {r.strip().casefold() for r in existing_references}
    fact_columns = {
        index: (f, _value_lookup(f)) for index, target in columns if (f := _fact_of(target, qs))
    }
    fact_order = {f.id: i for i, f in enumerate(qs.facts)}
    pdus = _canonical(known_pdus)
    people = _canonical(assessors)

    ready: list[SampleCase] = []
    for number, cells in table.rows:
        found: list[tuple[int, str]] = []  # (column index, message)
        facts: dict[str, object] = {}
        pdu: str | None = None
        assessor: str | None = None

        for index, target in columns:
            raw = cell(cells, index)
            if target == REFERENCE:
                ref_message = reference_problem(raw)
                if ref_message:
                    found.append((index, ref_message))
                    continue
                others = [n for n in rows_of.get(raw.casefold(), []) if n != number]
                if others:
                    where = f"row{'s' if len(others) > 1 else ''} {_and([str(n) for n in others])}"
                    found.append((index, f"'{raw}' is also on {where}"))
                if raw.casefold() in existing:
                    found.append((index, f"'{raw}' is already a case in this inspection"))
            elif target == PDU:
                pdu, message = _match(raw, pdus, known_pdus, "PDUs")
                if message:
                    found.append((index, message))
            elif target == ASSESSOR:
                assessor, message = _match(raw, people, assessors, "assessors")
                if message:
                    found.append((index, message))
            elif index in fact_columns:
                fact, lookup = fact_columns[index]
                try:
                    value = _fact_value(fact, raw, lookup)
                except ValueError as exc:
                    found.append((index, str(exc)))
                    continue
                if value is None:
                    if fact.required:
                        found.append((index, f"{fact.label} is required but this cell is empty"))
                    continue
                facts[fact.id] = value

        problems.extend(RowProblem(number, table.headers[i], m) for i, m in found)
        if not found and ref_index is not None:
            ordered = dict(sorted(facts.items(), key=lambda kv: fact_order[kv[0]]))
            ready.append(SampleCase(number, refs[number], pdu, assessor, ordered))
    return SampleReport(ready, problems)


def _check_mapping(
    table: Table, mapping: Mapping[str, str], qs: QuestionSet
) -> list[tuple[int, str]]:
    """(column index, target) for every mapped column, in file order; refuses bad mappings."""
    known = {h: i for i, h in enumerate(table.headers)}
    strays = [h for h in mapping if h not in known]
    if strays:
        names = ", ".join(f"'{h}'" for h in strays)
        raise InputError(f"The column mapping names columns that are not in the file: {names}.")
    valid = {*EXTRA_TARGETS, IGNORE, *(fact_target(f.id) for f in qs.facts)}
    bad = [t for t in mapping.values() if t not in valid]
    if bad:
        what = ", ".join(f"'{t}'" for t in dict.fromkeys(bad))
        raise InputError(
            f"The column mapping uses {what}, which {'is' if len(bad) == 1 else 'are'} not a "
            f"case fact of {qs.title} nor one of reference, pdu, assessor, ignore."
        )
    headers_of: dict[str, list[str]] = {}
    for header in table.headers:
        target = mapping.get(header, IGNORE)
        if target != IGNORE:
            headers_of.setdefault(target, []).append(header)
    twice = {t: hs for t, hs in headers_of.items() if len(hs) > 1}
    if twice:
        parts = [
            f"columns {_and([repr(h) for h in hs])} are {'both' if len(hs) == 2 else 'all'} "
            f"mapped to {target_label(t, qs)}"
            for t, hs in twice.items()
        ]
        raise InputError(
            f"Each target can take only one column: {'; '.join(parts)}. Set the extra "
            "columns to Ignore."
        )
    return [(known[h], mapping[h]) for h in table.headers if mapping.get(h, IGNORE) != IGNORE]


def _norm(text: str) -> str:
    return " ".join(text.casefold().replace("_", " ").split())


_YES_WORDS = ("yes", "y", "true", "1")
_NO_WORDS = ("no", "n", "false", "0")
_UNKNOWN_WORDS = ("unknown", "not known", "nk", "n/k", "?", "don't know", "dont know")


def _value_lookup(fact: Fact) -> dict[str, str]:
    """Spelling (normalised) → stored value, for facts with a closed list of values."""
    allowed = fact.allowed_values()
    if allowed is None:
        return {}
    lookup: dict[str, str] = {}
    for value in allowed:
        lookup.setdefault(_norm(value), value)
        lookup.setdefault(_norm(fact.label_of(value)), value)
    if fact.type.is_yes_no:
        words = {YES: _YES_WORDS, NO: _NO_WORDS, UNKNOWN: _UNKNOWN_WORDS}
        for value in allowed:
            for word in words.get(value, ()):
                lookup.setdefault(_norm(word), value)
        return lookup
    derived: dict[str, set[str]] = {}
    for option in fact.options:
        for variant in _label_variants(option.label)[1:]:
            derived.setdefault(_norm(variant), set()).add(option.value)
    for key, values in derived.items():
        if len(values) == 1 and key:  # an abbreviation two options share helps no one
            lookup.setdefault(key, next(iter(values)))
    return lookup


_UK_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def _fact_value(fact: Fact, raw: str, lookup: Mapping[str, str]) -> object:
    """The stored value of one cell; None when empty; ValueError with a message if not valid."""
    if not raw:
        return None
    allowed = fact.allowed_values()
    if allowed is not None:
        value = lookup.get(_norm(raw))
        if value is None:
            labels = ", ".join(fact.label_of(v) for v in allowed)
            raise ValueError(f"'{raw}' is not one of {labels}")
        return coerce_fact(fact, value)
    text = raw
    if fact.type is FactType.DATE:
        m = _UK_DATE.fullmatch(raw)
        if m:  # a UK spreadsheet's day/month/year
            day, month, year = (int(g) for g in m.groups())
            try:
                text = date(year, month, day).isoformat()
            except ValueError:
                raise ValueError(f"'{raw}' is not a date (YYYY-MM-DD or DD/MM/YYYY)") from None
    try:
        return coerce_fact(fact, text)
    except ValueError as exc:
        message = str(exc).removeprefix(f"{fact.label}: ")
        if fact.type is FactType.DATE:
            message = f"'{raw}' is not a date (YYYY-MM-DD or DD/MM/YYYY)"
        raise ValueError(message) from None


def _canonical(names: Sequence[str] | None) -> dict[str, str] | None:
    if names is None:
        return None
    out: dict[str, str] = {}
    for name in names:
        out.setdefault(_loose(name), name)
    return out


def _loose(text: str) -> str:
    return " ".join(text.casefold().replace("&", " and ").split())


def _match(
    raw: str, canonical: dict[str, str] | None, names: Sequence[str] | None, what: str
) -> tuple[str | None, str | None]:
    """(value to store, problem message) for a PDU or assessor cell."""
    if not raw:
        return None, None
    if canonical is None:
        return raw, None
    found = canonical.get(_loose(raw))
    if found is not None:
        return found, None
    if not names:
        return None, f"'{raw}' is not one of the inspection's {what} (none are set up yet)"
    return None, f"'{raw}' is not one of the inspection's {what}: {_short_list(names)}"


def _short_list(names: Sequence[str]) -> str:
    if len(names) <= _LIST_LIMIT:
        return ", ".join(names)
    return f"{', '.join(names[:_LIST_LIMIT])} and {len(names) - _LIST_LIMIT} more"


def _and(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"
