"""The analysts' workbook: one inspection of the hub as an Excel workbook, in constant memory.

Sheets, in order:

- **Cover**: the protective marking, the inspection, the question set's id and version, when
  the workbook was generated (UTC), what the figures count (by their own rule,
  `figures.coverage`) and the cases by status, a line per sheet.
- **Cases**: one row per case, whatever its status: reference, region, PDU, assessor and
  role, status, whether the figures count it, latest moderation, variant, each case fact
  (its code, and its label where the fact has labels), then one column per question with
  the answer's label; empty when not answered, "did not apply" when the question's
  condition switched it off, "not asked" when the question is not of the case's variant.
- **Answers** (and "Answers 2", ... past a sheet's 1,048,576 rows): one row per case and
  question of its variant, as `probdesk export-data --format csv` has them: the answer's code
  and label, whether it applies, and the evidence note when asked for.
- **Codebook**: every question (section, key question or prompt, text, answer type, codes and
  their labels, whether it counts, its condition in words), case fact and variant.
- **Figures**: `figures.summarise` by PDU, the rows the Hub tab and `probdesk summary` show,
  one column per field of SummaryRow (a field added there appears here as it is).

Memory stays flat with the number of cases: the cases are read from the hub a batch at a
time (READ_BATCH cases, one query for all their events) and xlsxwriter's constant_memory mode
writes each row out once the next one starts (its part files go to a hidden folder beside
the workbook, removed at the end). Only each case's answers (not its notes) are kept until
the figures are worked out, with every repeated text held once; the cells of repeated text
(question ids, answers' codes and labels, fact values) are worked out once. Every text is a
string cell, never a formula: text that a spreadsheet would read as one (=, +, -, @, ...)
also gets Excel's quote prefix, so that it stays text when the cell is edited. The workbook
appears under its name only once it is whole (probdesk.fs.atomic_path); a cancel or a
failure leaves nothing behind.

Speed: xlsxwriter's own work on each cell is most of the time (benchmarks/workbook.py times
it alone on the same cells). Faster writers were weighed and not taken: rustpy-xlsxwriter
(Rust, MIT) writes the same Answers cells about 5 times faster in constant memory, but sets
the quote prefix only on whole columns or rows, writes no document properties (the marking
in Keywords and Comments), takes each sheet as a list of dicts written in sheet order when
the file is saved (the Cover could not follow the cases without reading the hub twice),
keeps its part files in the system's temporary folder and raises OSError without its errno
(a full disk could not be told); pyexcelerate holds the whole workbook in memory and stores
text beginning with "=" as a formula.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from collections import Counter
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from operator import attrgetter
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.exceptions import FileCreateError
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from probdesk._version import __version__
from probdesk.domain.answer_types import answer_kind, fact_kind
from probdesk.domain.answers import heads
from probdesk.domain.cells import FORMULA_LEADS
from probdesk.domain.questionset import Question, QuestionSet
from probdesk.domain.records import CaseStatus
from probdesk.errors import EnvironmentProblem, InputError, OperationCancelled
from probdesk.fs import atomic_path, read_only, why_not_written
from probdesk.hub.rows import CaseRow, InspectionRow
from probdesk.hub.store import Hub
from probdesk.progress import Cancelled, Progress, never, quiet
from probdesk.reports.model import DEFAULT_MARKING
from probdesk.services import figures as views
from probdesk.services.figures import HubCase, SummaryRow

COVER, CASES, ANSWERS, CODEBOOK, FIGURES = "Cover", "Cases", "Answers", "Codebook", "Figures"
SHEET_ROWS = 1_048_576  # Excel's rows per sheet, the header row included
CELL_TEXT = 32_767  # Excel's characters per cell
CUT = " […cut here: a cell holds 32,767 characters]"
DID_NOT_APPLY = "did not apply"  # its condition does not hold for the case
NOT_ASKED = "not asked"  # a question of another variant
CASE_COLUMNS = ("case_ref", "region", "pdu", "assessor", "assessor_role", "status", "counted",
                "moderation", "moderated_by", "variant", "variant_label")  # fmt: skip
ANSWER_COLUMNS = ("case_ref", "pdu", "question_id", "answer", "answer_label", "applicable")
CODEBOOK_COLUMNS = ("id", "kind", "section", "section_title", "text", "answer_type", "codes",
                    "counts", "applies_when", "variants")  # fmt: skip
CHECK_EVERY = 50  # cases between two looks at Cancel (and two progress reports)
OPTIONS: dict[str, Any] = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
    "use_zip64": True,  # a part over 4 GB (hundreds of thousands of cases) stays readable
}


@dataclass(frozen=True)
class WorkbookResult:
    path: Path
    cases: int
    answers: int  # rows of the Answers sheets
    figures: int  # rows of the Figures sheet
    sheets: tuple[str, ...]


def write_workbook(
    hub: Hub,
    inspection_id: str,
    out: Path,
    *,
    with_notes: bool,
    marking: str = DEFAULT_MARKING,
    progress: Progress = quiet,
    cancelled: Cancelled = never,
) -> WorkbookResult:
    """Write the inspection's workbook to `out` (see the module's docstring), whole or not at
    all. InputError for a folder that is not there or an inspection the hub does not hold;
    EnvironmentProblem when the folder cannot be written (read-only, full, no access);
    OperationCancelled when `cancelled()` turns true before the file is complete."""
    out = Path(out)
    _check_target(out)
    insp = hub.inspection(inspection_id)
    if insp is None:
        raise InputError(f"The hub holds no inspection {inspection_id}: merge its packages first.")
    marking = " ".join(marking.split()) or DEFAULT_MARKING
    qs = _question_set(hub, insp)
    rows = case_rows(hub, inspection_id)
    if len(rows) >= SHEET_ROWS:
        raise InputError(f"The inspection has {len(rows)} cases: an Excel sheet holds at most "
                         f"{SHEET_ROWS - 1:,}, so no workbook can hold them.")  # fmt: skip
    _check(cancelled)
    try:
        with atomic_path(out, mode=0o600) as temp:
            parts = temp.with_name(temp.name + ".parts")  # hidden like the file (probdesk.fs)
            parts.mkdir(mode=0o700)
            try:
                book = xlsxwriter.Workbook(str(temp), {**OPTIONS, "tmpdir": str(parts)})
                try:
                    result = _Writer(hub, insp, qs, rows, book, out, with_notes, marking).write(
                        progress, cancelled
                    )
                    progress(0, 0, "Writing the workbook file")
                    _check(cancelled)
                    book.close()
                except BaseException:
                    _abandon(book)
                    raise
            finally:
                shutil.rmtree(parts, ignore_errors=True)
    except FileCreateError as exc:
        cause = exc.args[0] if exc.args and isinstance(exc.args[0], OSError) else None
        raise _cannot_write(out, cause) from exc
    except OSError as exc:
        raise _cannot_write(out, exc) from exc
    return result


# -- reading the hub, one case at a time -------------------------------------------------------


def case_rows(hub: Hub, inspection_id: str) -> list[CaseRow]:
    """The inspection's cases in the order `figures.load_cases` gives them (by reference)."""
    return sorted(hub.cases_of(inspection_id), key=lambda c: c.reference)


def read_cases(
    hub: Hub, inspection_id: str, rows: Sequence[CaseRow] | None = None
) -> Iterator[HubCase]:
    """The cases `figures.load_cases` gives (the same current answers and notes, the same
    conflicts settled), read READ_BATCH cases to a query (`_events_by_case`) so that memory
    does not grow with the inspection. Texts repeated from case to case (question ids,
    answers, fact values) are held once."""
    insp = hub.inspection(inspection_id)
    assert insp is not None
    rows = case_rows(hub, inspection_id) if rows is None else rows
    # A team lead's decision settles events of its own case only: the cases it touches are
    # worked out by the same function as load_cases, the others have nothing settled.
    touched = hub.superseded_of(inspection_id) | hub.resolution_events_of(inspection_id)
    same: dict[Any, Any] = {}
    decoded: dict[str, object] = {}  # short JSON values ("yes", 3, ["a","b"]) decoded once
    for c, found in _events_by_case(hub, rows):
        current: dict[str, Any]
        if touched and any(e.id in touched for e in found):
            every = sorted(hub.events_of_case(c.id), key=lambda e: (e.hlc, e.id))
            settled = views.settled_events(hub, inspection_id, every)
            current = heads((e for e in every if e.id not in settled), key=_question)
        else:
            current = heads(sorted(found, key=_clock), key=_question)
        answers: dict[str, object] = {}
        notes: dict[str, str] = {}
        for qid, e in current.items():
            qid = same.setdefault(qid, qid)
            raw = e.value
            value = decoded.get(raw, _UNSEEN)
            if value is _UNSEEN:
                value = json.loads(raw)
                value = _held(same, tuple(value) if isinstance(value, list) else value)
                if len(raw) <= _DECODED_LEN and len(decoded) < _DECODED_MAX:
                    decoded[raw] = value
            if value is not None:
                answers[qid] = value
            if e.note:
                notes[qid] = e.note
        facts = {same.setdefault(k, k): _held(same, v) for k, v in c.fact_values.items()}
        yield HubCase(
            c.id, c.reference, same.setdefault(c.pdu or insp.pdu, c.pdu or insp.pdu),
            insp.region, c.variant and same.setdefault(c.variant, c.variant), facts,
            same.setdefault(c.assessor, c.assessor), same.setdefault(c.status, c.status),
            answers, notes,
        )  # fmt: skip


READ_BATCH = 500  # cases whose events one query reads (an IN list of their ids)
_DECODED_LEN = 64  # JSON values up to this long are decoded once (answers repeat)
_DECODED_MAX = 50_000  # and at most this many of them (short free text need not repeat)
_UNSEEN = object()


_clock = attrgetter("hlc", "id")  # the order of events_of, and of events_of_case sorted
_question = attrgetter("question_id")


def _events_by_case(hub: Hub, rows: Sequence[CaseRow]) -> Iterator[tuple[CaseRow, list[Any]]]:
    """Each case of `rows` (in their order) with its answer events, READ_BATCH cases to a
    query in one read snapshot each (Hub.answer_heads_of), instead of a query per case."""
    for start in range(0, len(rows), READ_BATCH):
        batch = rows[start : start + READ_BATCH]
        found = hub.answer_heads_of([c.id for c in batch])
        for c in batch:
            yield c, found[c.id]


def _held(same: dict[Any, Any], value: object) -> object:
    """Text (or several choices) held once; numbers as they are (1 and 1.0 are one key)."""
    if isinstance(value, str | tuple):
        return same.setdefault(value, value)
    return value


def _question_set(hub: Hub, insp: InspectionRow) -> QuestionSet:
    from probdesk.domain import loader

    text = hub.question_set_text(insp.qs_hash)
    assert text is not None
    return loader.parse_text(text, "hub question set")


# -- writing --------------------------------------------------------------------------------------


# A cell ready to write, worked out once for text that repeats (question ids, labels, codes):
# (kind, value, format), kind one of _TEXT, _NUMBER, _BOOL; None for a cell left empty.
_TEXT, _NUMBER, _BOOL = 0, 1, 2
_Cell = tuple[int, Any, Format | None]


def _cell(value: object, quoted: Format, fmt: Format | None = None) -> _Cell | None:
    """How `value` is written: nothing for None or empty text, a boolean, a number, or a
    string cell (cut to what a cell holds), never a formula; text a spreadsheet would read as
    one gets the quote prefix as well, so that it stays text when the cell is edited."""
    if value is None:
        return None
    if isinstance(value, bool):
        return (_BOOL, value, fmt)
    if isinstance(value, int | float):
        return (_NUMBER, value, fmt)
    text = str(value)
    if not text:
        return None
    if len(text) > CELL_TEXT:
        text = text[: CELL_TEXT - len(CUT)] + CUT
    return (_TEXT, text, quoted if text.startswith(FORMULA_LEADS) else fmt)


def _put(ws: Worksheet, row: int, col: int, cell: _Cell | None) -> None:
    if cell is None:
        return
    kind, value, fmt = cell
    if kind == _TEXT:
        ws.write_string(row, col, value, fmt)
    elif kind == _NUMBER:
        ws.write_number(row, col, value, fmt)
    else:
        ws.write_boolean(row, col, value, fmt)


def _text_of(cell: _Cell | None) -> tuple[str, Format | None] | None:
    """A text cell's string and format (what write_string takes), None for an empty one."""
    if cell is None:
        return None
    assert cell[0] == _TEXT
    return (cell[1], cell[2])


class _Sheet:
    """One worksheet written row by row, as constant_memory needs: every text a string cell."""

    def __init__(self, ws: Worksheet, quoted: Format) -> None:
        self.ws = ws
        self.quoted = quoted
        self.row = 0

    def write(self, col: int, cell: _Cell | None) -> None:
        _put(self.ws, self.row, col, cell)

    def text(self, col: int, value: str, fmt: Format | None = None) -> None:
        self.write(col, _cell(value, self.quoted, fmt))

    def put(self, col: int, value: object, fmt: Format | None = None) -> None:
        self.write(col, _cell(value, self.quoted, fmt))

    def line(self, values: Sequence[object], fmt: Format | None = None) -> None:
        for col, value in enumerate(values):
            self.put(col, value, fmt)
        self.row += 1


class _Writer:
    """One workbook: the sheets added in their order, then filled (each row by row)."""

    def __init__(
        self,
        hub: Hub,
        insp: InspectionRow,
        qs: QuestionSet,
        rows: Sequence[CaseRow],
        book: xlsxwriter.Workbook,
        out: Path,
        with_notes: bool,
        marking: str,
    ) -> None:
        self.hub, self.insp, self.qs, self.rows, self.book = hub, insp, qs, rows, book
        self.out, self.with_notes, self.marking = out, with_notes, marking
        self.generated = datetime.now(UTC).replace(microsecond=0)
        self.bold = book.add_format({"bold": True})
        self.header = book.add_format({"bold": True, "bottom": 1, "bg_color": "#E7F0FA"})
        self.quoted = book.add_format({"quote_prefix": True})
        self.wrapped = book.add_format({"text_wrap": True, "valign": "top"})
        self.marked = book.add_format({"bold": True, "font_color": "#A4000F", "font_size": 12})
        self.variant_questions = {
            v.id: tuple(q for s in qs.sections_for(v.id) for q in s.questions) for v in qs.variants
        }
        self.asked_ids = {
            v: frozenset(q.id for q in qq) for v, qq in self.variant_questions.items()
        }
        self.answer_rows = sum(len(self._asked(r.variant)) for r in rows)
        per_sheet = SHEET_ROWS - 1
        n_answer_sheets = max(1, -(-self.answer_rows // per_sheet))
        self.answer_names = [ANSWERS, *(f"{ANSWERS} {n}" for n in range(2, n_answer_sheets + 1))]
        self.names = (COVER, CASES, *self.answer_names, CODEBOOK, FIGURES)
        self.sheets = {name: self._sheet(name) for name in self.names}
        book.set_properties({
            "title": f"Inspection data for analysts: {self.inspection_name}",
            "subject": f"Inspection {insp.id}",
            "author": "probdesk",
            "keywords": marking, "comments": f"Protective marking: {marking}",
            "created": self.generated.replace(tzinfo=None),
        })  # fmt: skip

    @property
    def inspection_name(self) -> str:
        pdus = self.insp.pdu_names
        if self.insp.kind == "region" or len(pdus) > 1:
            return f"{self.insp.region} ({', '.join(pdus)})"
        return f"{pdus[0]} PDU, {self.insp.region}"

    def _sheet(self, name: str) -> _Sheet:
        ws = self.book.add_worksheet(name)
        mark = self.marking[:100].replace("&", "&&")
        ws.set_header(f"&C&B{mark}")
        ws.set_footer(f"&L{mark}&C{name}&RPage &P of &N")
        return _Sheet(ws, self.quoted)

    def _asked(self, variant: str | None) -> tuple[Question, ...]:
        return self.variant_questions.get(variant, ()) if variant else ()

    def write(self, progress: Progress, cancelled: Cancelled) -> WorkbookResult:
        self._codebook()
        kept = self._cases(progress, cancelled)
        progress(len(self.rows), len(self.rows), "Counting the figures")
        _check(cancelled)
        figures = views.summarise(self.hub, self.insp.id, "pdu", loaded=(self.qs, kept))
        self._figures(figures)
        # What the figures counted, by the figures' own rule (probdesk.services.figures).
        counted = views.coverage(kept, 0, False)
        statuses = Counter(c.status for c in kept)
        del kept
        self._cover(statuses, counted)
        return WorkbookResult(
            self.out, len(self.rows), self.answer_rows, len(figures), tuple(self.names)
        )

    # -- the sheets ---------------------------------------------------------------------------
    def _headed(self, sheet: _Sheet, names: Sequence[str], widths: Sequence[float],
                last_row: int, freeze_cols: int = 0) -> None:  # fmt: skip
        sheet.line(names, self.header)
        for col, width in enumerate(widths):
            sheet.ws.set_column(col, col, width)
        sheet.ws.freeze_panes(1, freeze_cols)
        if names:
            sheet.ws.autofilter(0, 0, max(last_row, 1), len(names) - 1)

    def _cases(self, progress: Progress, cancelled: Cancelled) -> list[HubCase]:
        qs = self.qs
        roles = self.hub.device_roles()
        decisions = self.hub.moderation_of(self.insp.id)
        facts = [(f, fact_kind(f.type).allowed(f.options) is not None) for f in qs.facts]
        fact_names = [
            n
            for f, labelled in facts
            for n in (f"fact_{f.id}", *([f"fact_{f.id}_label"] if labelled else []))
        ]
        questions = qs.questions
        case_names = [*CASE_COLUMNS, *fact_names, *(q.id for q in questions)]
        cases = self.sheets[CASES]
        self._headed(cases, case_names,
                     [14, 18, 22, 16, 15, 12, 12, 16, 12, 18,
                      *(max(12, len(n) + 3) for n in fact_names), *(9 for _q in questions)],
                     len(self.rows), freeze_cols=1)  # fmt: skip
        answer_names = [*ANSWER_COLUMNS, *(["note"] if self.with_notes else [])]
        per_sheet = SHEET_ROWS - 1
        for n, name in enumerate(self.answer_names):
            rows_here = min(per_sheet, self.answer_rows - n * per_sheet)
            self._headed(self.sheets[name], answer_names, [14, 22, 10, 10, 16, 11, 80], rows_here)
        answers = self.sheets[self.answer_names[0]]
        next_sheet = 1
        labels: dict[tuple[str, object], object] = {}
        variant_labels = {v.id: v.label for v in qs.variants}
        kept: list[HubCase] = []
        total = len(self.rows)
        quoted = self.quoted

        def cell(value: object) -> _Cell | None:
            return _cell(value, quoted)

        # Cells worked out once: each question's id, each answer's code and label cells (by
        # question, type and value: 1 and True stay apart), each fact value and its label.
        qid_cells = {q.id: _text_of(cell(q.id)) or ("", None) for q in questions}
        answer_cells: dict[tuple[str, type, object], tuple[_Cell | None, _Cell | None]] = {}

        def coded(q: Question, value: object) -> tuple[_Cell | None, _Cell | None]:
            """An answer's code and label cells: the code as export-data has it (several
            choices joined with ";"), the label's words."""
            key = (q.id, type(value), value)
            got = answer_cells.get(key)
            if got is None:
                code = ";".join(value) if isinstance(value, tuple) else value
                got = answer_cells[key] = (cell(code), cell(_label(labels, q, value)))
            return got

        fact_cells: dict[tuple[str, type, object], tuple[_Cell | None, _Cell | None]] = {}
        not_asked, did_not_apply, yes, no = (
            _text_of(cell(t)) or ("", None) for t in (NOT_ASKED, DID_NOT_APPLY, "yes", "no")
        )
        with_notes = self.with_notes
        first_fact = len(CASE_COLUMNS)
        for n, c in enumerate(read_cases(self.hub, self.insp.id, self.rows)):
            if n % CHECK_EVERY == 0:
                _check(cancelled)
                progress(n, total, f"Writing case {n + 1} of {total}")
            applicable = qs.applicable(c.variant, c.facts, c.answers)
            asked = self._asked(c.variant)
            decision = decisions.get(c.id)
            for col, fixed in enumerate((
                c.reference, c.region, c.pdu, c.assessor, roles.get(c.assessor, ""), c.status,
                "yes" if views.counted_cases([c]) else "no",
                decision.action if decision else "", decision.moderator if decision else "",
                c.variant, variant_labels.get(c.variant, c.variant) if c.variant else None,
            )):  # fmt: skip
                cases.write(col, cell(fixed))
            col = first_fact
            for f, labelled in facts:
                value = c.facts.get(f.id)
                if value is not None:
                    key = (f.id, type(value), value)
                    got = fact_cells.get(key) if isinstance(value, Hashable) else None
                    if got is None:
                        got = (cell(value), cell(f.label_of(value)))
                        if isinstance(value, Hashable):
                            fact_cells[key] = got
                    cases.write(col, got[0])
                    if labelled:
                        cases.write(col + 1, got[1])
                col += 2 if labelled else 1
            asked_ids = self.asked_ids.get(c.variant or "", frozenset())
            answered = c.answers
            ws, row = cases.ws, cases.row
            text = ws.write_string
            for q in questions:
                if q.id not in asked_ids:
                    text(row, col, *not_asked)
                elif q.id not in applicable:
                    text(row, col, *did_not_apply)
                else:
                    value = answered.get(q.id)
                    if value is not None:
                        _put(ws, row, col, coded(q, value)[1])
                col += 1
            cases.row += 1
            # The Answers rows: one per question of the variant, in the variant's order. The
            # text cells that every row has (reference, PDU, question, applies) go straight to
            # write_string: the sheets' most written cells, each call saved counts.
            ref, pdu = _text_of(cell(c.reference)), _text_of(cell(c.pdu))
            notes = c.notes if with_notes else {}
            ws, row = answers.ws, answers.row
            text = ws.write_string
            for q in asked:
                if row >= SHEET_ROWS:
                    answers.row = row
                    answers = self.sheets[self.answer_names[next_sheet]]
                    next_sheet += 1
                    ws, row = answers.ws, answers.row
                    text = ws.write_string
                if ref is not None:
                    text(row, 0, *ref)
                if pdu is not None:
                    text(row, 1, *pdu)
                text(row, 2, *qid_cells[q.id])
                value = answered.get(q.id)
                if value is not None:
                    code_cell, label_cell = coded(q, value)
                    _put(ws, row, 3, code_cell)
                    _put(ws, row, 4, label_cell)
                text(row, 5, *(yes if q.id in applicable else no))
                note = notes.get(q.id)
                if note:
                    _put(ws, row, 6, cell(note))
                row += 1
            answers.row = row
            kept.append(replace(c, notes={}) if c.notes else c)
        progress(total, total, f"Wrote {total} cases")
        return kept

    def _codebook(self) -> None:
        qs, sheet = self.qs, self.sheets[CODEBOOK]
        rows = len(qs.questions) + len(qs.facts) + len(qs.variants)
        self._headed(sheet, CODEBOOK_COLUMNS, [10, 13, 9, 30, 70, 24, 40, 8, 50, 16], rows)
        for s in qs.sections:
            for q in s.questions:
                allowed = q.allowed_values() or ()
                sheet.line([
                    q.id, "key question" if q.is_key else "prompt", s.id, s.title, q.text,
                    answer_kind(q.answer).words,
                    "; ".join(f"{v}={q.label_of(v)}" for v in allowed),
                    "yes" if q.counts else "no",
                    qs.describe(q.applies_when) if q.applies_when else "always",
                    ", ".join(s.variants),
                ])  # fmt: skip
        for f in qs.facts:
            allowed = f.allowed_values() or ()
            sheet.line([
                f"fact_{f.id}", "case fact", "", "", f.label, fact_kind(f.type).words,
                "; ".join(f"{v}={f.label_of(v)}" for v in allowed), "", "", "",
            ])  # fmt: skip
        for v in qs.variants:
            when = qs.describe(v.when) if v.when else "when no other variant applies"
            sheet.line([v.id, "variant", "", "", v.label, "", "", "", when, ""])

    def _figures(self, rows: Sequence[SummaryRow]) -> None:
        sheet = self.sheets[FIGURES]
        names = [f.name for f in fields(SummaryRow)]
        self._headed(sheet, names, [max(10, len(n) + 3) for n in names], len(rows))
        for r in rows:
            sheet.line([getattr(r, n) for n in names])

    def _cover(self, statuses: Counter[str], counted: views.Coverage) -> None:
        sheet = self.sheets[COVER]
        ws, insp, qs = sheet.ws, self.insp, self.qs
        ws.set_column(0, 0, 30)
        ws.set_column(1, 1, 100, self.wrapped)
        sheet.line([self.marking], self.marked)
        sheet.line(["Inspection data for analysts"], self.bold)
        sheet.row += 1
        waiting = ", ".join(f"{n} {label.lower()}" for label, n in counted.not_counted)
        answers = ", ".join(self.answer_names)
        split = (
            f" (split over {len(self.answer_names)} sheets: a sheet holds "
            f"{SHEET_ROWS - 1:,} rows under its header)"
            if len(self.answer_names) > 1
            else ""
        )
        notes = "included (the note column)" if self.with_notes else "not included"
        lines: list[tuple[str, object]] = [
            ("Inspection", self.inspection_name),
            ("Inspection id", insp.id),
            ("Kind", "regional inspection" if insp.kind == "region" else "PDU inspection"),
            ("Region", insp.region),
            ("PDUs", ", ".join(insp.pdu_names)),
            ("Fieldwork", f"{insp.fieldwork_start:%Y-%m-%d} to {insp.fieldwork_end:%Y-%m-%d}"),
            ("Question set", qs.title),
            ("Question set id", qs.id),
            ("Question set version", qs.version),
            ("Generated (UTC)", self.generated.strftime("%Y-%m-%dT%H:%M:%SZ")),
            ("Generated by", f"probdesk {__version__}"),
            ("", ""),
            ("What is counted", (
                f"The Figures sheet counts the {views.COUNTED_WORDS} cases: {counted.counted} "
                f"of the {counted.cases}, as the Hub tab, the reports and \"probdesk summary\" "
                "do" + (f"; not counted yet: {waiting}" if waiting else "") + ". The Cases and "
                "Answers sheets hold every case the hub holds for the inspection, whatever its "
                "status (the Cases sheet's counted column says which the figures count). An "
                "undecided conflict counts with its shown winner until the team lead settles "
                "it (the Hub tab and \"probdesk conflicts\" list them).")),
        ]  # fmt: skip
        lines += [("Counted in the figures", counted.counted), ("Cases by status", "")]
        lines += [(f"  {s.label}", statuses[s.value]) for s in CaseStatus]
        known = {s.value for s in CaseStatus}
        lines += [(f"  {s}", n) for s, n in sorted(statuses.items()) if s not in known]
        lines += [
            ("Evidence notes", notes),
            ("", ""),
            ("Sheets", ""),
            (CASES, "One row per case: reference, region, PDU, assessor and role, status, "
                    "whether the figures count it, latest moderation decision, variant, each "
                    "case fact (its code, and its label where the fact has labels), then one "
                    "column per question with the answer's label."),
            (answers, "One row per case and question of its variant: the answer's code and "
                      "label, whether the question applies (yes/no)"
                      + (", the evidence note" if self.with_notes else "") + "." + split),
            (CODEBOOK, "Every question (section, key question or prompt, text, answer type, "
                       "codes and their labels, whether it counts, when it applies, in words), "
                       "every case fact (the Cases sheet's fact_ columns) and variant."),
            (FIGURES, "Per PDU and question, the figures probdesk shows and prints, one "
                      "column each: relevant cases, Yes, No, not applicable, % Yes (rounded "
                      "down to one decimal place), the rating where the question set rates, "
                      "and so on."),
            ("", ""),
            ("In the Cases sheet", ""),
            ("(empty)", "not answered"),
            (DID_NOT_APPLY, "the question's condition does not hold for the case"),
            (NOT_ASKED, "the question is not one of the case's variant"),
            ("Text", "Text is never a formula: text beginning with =, +, - or @ is stored as "
                     "text, as it was typed."),
        ]  # fmt: skip
        for label, value in lines:
            sheet.line([label, value], None if value != "" else self.bold)
        ws.activate()


def _label(cache: dict[tuple[str, object], object], q: Question, value: object) -> object:
    """The words of an answer: an option's label, Yes / No / Not applicable, a number as it
    is, several choices' labels joined."""
    key = (q.id, value)
    found = cache.get(key)
    if found is None:
        if isinstance(value, bool) or not isinstance(value, int | float | tuple):
            found = q.label_of(value)
        elif isinstance(value, tuple):
            found = "; ".join(q.label_of(v) for v in value)
        else:
            found = value
        cache[key] = found
    return found


# -- checks, cancel, failures --------------------------------------------------------------------


def _check(cancelled: Cancelled) -> None:
    if cancelled():
        raise OperationCancelled


def _check_target(out: Path) -> None:
    """Refuse at once (not after minutes of work) a place the workbook cannot go."""
    folder = out.parent
    if out.is_dir():
        raise InputError(f"{out} is a folder: give the workbook a file name in it.")
    if not folder.exists():
        raise InputError(f"The folder {folder} does not exist: choose a folder that does.")
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder: choose a folder for the workbook.")
    why = read_only(out)
    if why is not None:
        raise EnvironmentProblem(f"Cannot write {out}: {why}. Nothing was written there.")


def _cannot_write(out: Path, exc: OSError | None) -> EnvironmentProblem:
    why = why_not_written(exc, out) if exc is not None else "the file could not be created"
    return EnvironmentProblem(f"Cannot write {out}: {why}. Nothing was written there.")


def _abandon(book: xlsxwriter.Workbook) -> None:
    """Close the row files of a workbook that will not be finished (cancelled or failed):
    xlsxwriter has no public way to drop a book; its part folder is removed after this."""
    for ws in book.worksheets():
        with contextlib.suppress(AttributeError, OSError, ValueError):  # not open, or closed
            ws._opt_close()
