"""Case summaries: one case per PDF, many cases in one PDF behind a contents page, or a folder
of one PDF per case. A case is known by its reference only.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib.colors import Color
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    PageBreak,
    Paragraph,
)

from probdesk.errors import EnvironmentProblem
from probdesk.fs import atomic_path
from probdesk.progress import Cancelled, Progress, never, quiet
from probdesk.reports.base import (
    ALERT,
    ANSWER_LABEL,
    BODY_LEADING,
    BODY_W,
    BOTTOM,
    INK,
    MUTED,
    PAGE_H,
    SANS,
    SANS_BOLD,
    TOP,
    LateNumber,
    Marker,
    PagedCanvas,
    PlainText,
    QuestionStyles,
    ReportDoc,
    RoomFor,
    Run,
    Steps,
    TextLine,
    break_lines,
    building,
    clean,
    data_table,
    details_table,
    heading,
    id_margin,
    make_folder,
    markup,
    para,
    question_styles,
    styles,
    text_flowables,
    when_text,
)
from probdesk.reports.model import (
    ANSWERED,
    DID_NOT_APPLY,
    NOT_ANSWERED,
    CaseReport,
    DocumentMeta,
    QuestionLine,
)

_ALERT_HEX = ALERT.hexval()[2:]
NO_NOTE = "No evidence note."
FRAME_H = PAGE_H - TOP - BOTTOM
ANSWER_W = 116.0  # the answer column, at the right
ANSWER_GAP = 12.0  # between a question and its answer
# Characters: a note this long may run onto another page, whose header then says so.
LONG_NOTE = 1200
# A heading moves to the next page unless this much room follows it.
HEADING_ROOM = BODY_LEADING * 6


class QuestionBlock(Flowable):
    """A question with its answer in a right-hand column, then (small) why it was or was not
    asked: one flowable, laid out with break_lines and drawn as one text object.

    Answers line up down the page, so a reader can run an eye down them. A question is a few
    lines: the block never splits (a conditional break before it keeps it whole), unless it is
    taller than a page, when it splits between its parts.
    """

    def __init__(
        self,
        qid: str,
        text: str,
        answer: str,
        *,
        level: QuestionStyles,
        muted: bool,
        answer_colour: Color,
        aside: str = "",
        why: str = "",
    ) -> None:
        super().__init__()
        self.qid, self.text, self.answer, self.aside, self.why = qid, text, answer, aside, why
        self.level = level
        self.style = level.question_muted if muted else level.question
        self.answer_colour = answer_colour
        # The key question's tint (its muted style inherits it); prompts have none.
        self.tint = self.style.backColor
        self.key = self.tint is not None
        self.spaceBefore = self.style.spaceBefore
        self.spaceAfter = self.style.spaceAfter
        self._for_width = -1.0
        self.height = 0.0
        self.keep_below = 0.0  # room wanted below it on the same page (its note's first lines)

    def wrap(self, aw: float, ah: float) -> tuple[float, float]:
        height = self._layout(aw)
        if ah < height + self.keep_below and ah < FRAME_H - 1:
            # Not enough room for the first lines of the note as well: say so, so that split()
            # is asked and sends the question to the next page (no separate page-break object).
            return aw, height + self.keep_below
        return aw, height

    def _layout(self, aw: float) -> float:
        if aw == self._for_width:
            return float(self.height)
        st, small = self.style, self.level.small
        self.column_x = aw - ANSWER_W
        id_fits = pdfmetrics.stringWidth(self.qid, SANS_BOLD, st.fontSize) <= self.level.id_width
        self.inline_id = not id_fits
        text = f"{self.qid}  {self.text}" if self.inline_id else self.text
        text_w = self.column_x - ANSWER_GAP - st.leftIndent
        self.q_lines = break_lines(text, st.fontName, st.fontSize, text_w)
        self.a_lines = break_lines(self.answer, SANS_BOLD, st.fontSize, ANSWER_W - 4)
        self.aside_lines = break_lines(self.aside, SANS, small.fontSize, ANSWER_W - 4)
        self.below = len(self.a_lines) > 3  # a long answer: under the question, full width
        if self.below:
            self.a_lines = break_lines(
                self.answer, SANS_BOLD, st.fontSize, aw - st.leftIndent - ANSWER_LABEL
            )
        self.why_lines = (
            break_lines(self.why, small.fontName, small.fontSize, aw - small.leftIndent)
            if self.why
            else []
        )
        column = len(self.a_lines) * st.leading if not self.below else 0.0
        column += len(self.aside_lines) * small.leading if self.aside else 0.0
        self.top_h = max(len(self.q_lines) * st.leading, column)
        if self.below:
            self.top_h += len(self.a_lines) * st.leading
        self.pad = 4.0 if self.key else 0.0  # the tint reaches below the last line
        self.height = self.top_h + self.pad + len(self.why_lines) * small.leading
        self.width = aw
        self._for_width = aw
        return float(self.height)

    def split(self, aw: float, ah: float) -> list[Flowable]:
        self._layout(aw)
        if self.height <= ah and ah >= FRAME_H - 1:
            return [self]
        if self.height < PAGE_H / 2:
            return []  # whole, on the next page
        return [  # taller than a page: in pieces that each split
            PlainText(f"{self.qid}  {self.text}", self.style),
            PlainText(f"Answer: {self.answer}", self.level.small),
            *([PlainText(self.why, self.level.small)] if self.why else []),
        ]

    def drawOn(self, canvas: Canvas, x: float, y: float, _sW: float = 0) -> None:
        st, small = self.style, self.level.small
        top = y + self.height
        if self.tint is not None:
            canvas.saveState()
            canvas.setFillColor(self.tint)
            canvas.rect(
                x,
                top - self.top_h - self.pad,
                self.width,
                self.top_h + self.pad + 3,
                stroke=0,
                fill=1,
            )
            canvas.restoreState()
        t = canvas.beginText()
        first = top - st.fontSize
        if not self.inline_id:
            t.setFont(SANS_BOLD, st.fontSize)
            t.setFillColor(st.textColor)
            t.setTextOrigin(x + st.bulletIndent, first)
            t.textOut(self.qid)
        t.setFont(st.fontName, st.fontSize, st.leading)
        t.setFillColor(st.textColor)
        t.setTextOrigin(x + st.leftIndent, first)
        for line in self.q_lines:
            t.textLine(line)
        t.setFont(SANS_BOLD, st.fontSize, st.leading)
        t.setFillColor(self.answer_colour)
        if self.below:
            base = first - len(self.q_lines) * st.leading
            t.setTextOrigin(x + st.leftIndent + ANSWER_LABEL, base)
            for line in self.a_lines:
                t.textLine(line)
            t.setTextOrigin(x + st.leftIndent, base)
            t.setFont(SANS, st.fontSize)
            t.setFillColor(st.textColor)
            t.textOut("Answer:")
            column_y = first
        else:
            t.setTextOrigin(x + self.column_x, first)
            for line in self.a_lines:
                t.textLine(line)
            column_y = first - len(self.a_lines) * st.leading
        if self.aside_lines:
            t.setFont(SANS, small.fontSize, small.leading)
            t.setFillColor(small.textColor)
            t.setTextOrigin(x + self.column_x, column_y)
            for line in self.aside_lines:
                t.textLine(line)
        if self.why_lines:
            t.setFont(small.fontName, small.fontSize, small.leading)
            t.setFillColor(small.textColor)
            t.setTextOrigin(x + small.leftIndent, top - self.top_h - self.pad - small.fontSize - 1)
            for line in self.why_lines:
                t.textLine(line)
        canvas.drawText(t)


def _ends_before(line: TextLine, x: float) -> bool:
    return all(r[0] + pdfmetrics.stringWidth(r[1], r[2], r[3]) <= x for r in line.runs)


def _question(
    q: QuestionLine, doc: ReportDoc, levels: tuple[QuestionStyles, QuestionStyles]
) -> list[Flowable]:
    """A question with its answer, why it was asked (or not), and its evidence note.

    A conditional page break keeps the question with the first lines of its note without
    laying them out twice (as KeepTogether would); the note's first paragraph has "Note" in
    the id margin.
    """
    level = levels[0] if q.is_key else levels[1]
    qid = q.question_id
    if q.state == ANSWERED:
        answer, colour = clean(q.answer).replace("\n", " ").strip() or "(blank)", INK
    elif q.state == NOT_ANSWERED:
        answer, colour = "Not answered", ALERT
    else:
        answer, colour = "Did not apply", MUTED
    has_note = bool(q.note.strip())
    block = QuestionBlock(
        qid,
        clean(q.text).replace("\n", " ").strip(),
        answer,
        level=level,
        muted=q.state == DID_NOT_APPLY,
        answer_colour=colour,
        aside=NO_NOTE if q.state == ANSWERED and not has_note else "",
        why=clean(q.why).replace("\n", " ").strip(),
    )
    block.keep_below = 2 * level.note.leading if has_note else 0.0
    flows: list[Flowable] = [block]
    body = text_flowables(q.note, level.note, level.note_gap, first_bullet="Note")
    if not has_note or len(q.note) < LONG_NOTE:
        return flows + body

    def note_starts(_canv: Canvas) -> None:
        doc.open_note = qid

    def note_ends(_canv: Canvas) -> None:
        doc.open_note = ""

    return [*flows, Marker(note_starts), *body, Marker(note_ends)]


def _counts(report: CaseReport) -> str:
    n = Counter(q.state for s in report.sections for q in s.questions)
    return (
        f"{n[ANSWERED]} answered, {n[NOT_ANSWERED]} not answered, {n[DID_NOT_APPLY]} did not apply"
    )


def case_story(
    report: CaseReport,
    doc: ReportDoc,
    *,
    title: str,
    key: str,
    on_start: Callable[[Canvas], None] | None = None,
) -> list[Flowable]:
    """The flowables of one case summary; `key` names its bookmark (unique in the document)."""
    st = styles()
    ref = report.case_ref

    def start(canv: Canvas) -> None:
        if on_start is not None:
            on_start(canv)
        doc.begin_part(f"Case {ref}")
        canv.bookmarkPage(key)
        canv.addOutlineEntry(f"Case {ref}", key, level=0)

    story: list[Flowable] = [
        Marker(start),
        para(title, st.title),
        para(
            " · ".join(
                [report.inspection]
                + ([report.region] if report.region not in report.inspection else [])
                + [f"{report.pdu} PDU"]
            ),
            st.subtitle,
        ),
    ]
    variant = report.variant or "none (the question set has no variants)"
    role = f" ({report.assessor_role})" if report.assessor_role else ""
    story.append(
        details_table(
            [
                ("Case reference", ref),
                ("Inspection", f"{report.inspection} ({report.inspection_id})"),
                ("Region", report.region),
                ("PDU", report.pdu),
                ("Variant", variant),
                ("Assessor", f"{report.assessor}{role}"),
                ("Status", report.status),
                *([("In the figures", report.counted)] if report.counted else []),
                ("Questions", _counts(report)),
                ("Question set", report.question_set),
                ("Generated", when_text(report.generated)),
            ]
        )
    )

    story.extend(heading("Case facts", st.h1, room=HEADING_ROOM))
    if report.facts:
        story.append(details_table(list(report.facts)))
    else:
        story.append(Paragraph("No case facts recorded.", st.body))

    story.extend(heading("Status and moderation", st.h1, room=HEADING_ROOM))
    story.append(Paragraph(f"Status: <b>{markup(report.status)}</b>", st.body))
    if not report.moderation:
        story.append(Paragraph("No moderation recorded.", st.body))
    for m in report.moderation:
        line = Paragraph(f"<b>{markup(m.action)}</b> · {markup(m.by)} · {markup(m.at)}", st.entry)
        line.keepWithNext = 1
        story.append(line)
        comment = text_flowables(m.comment, st.entry_note, st.entry_note_gap)
        story.extend(comment or [Paragraph("No comment.", st.entry_small)])

    story.extend(heading("Open conflicts", st.h1, room=HEADING_ROOM))
    if not report.conflicts:
        story.append(Paragraph("No open conflicts.", st.body))
    for c in report.conflicts:
        where = f"<b>{escape(c.question_id)}</b> " if c.question_id else "<b>Whole case</b> "
        story.append(Paragraph(f"{where}{markup(c.kind)}: {markup(c.values)}", st.body))

    ids = [q.question_id for s in report.sections for q in s.questions]
    levels = question_styles(id_margin([*ids, *(q.question_id for q in report.kept)]))
    if not report.sections:
        story.extend(heading("Answers", st.h1, room=HEADING_ROOM))
        story.append(Paragraph("The question set shows no questions for this case.", st.body))
    for j, s in enumerate(report.sections):
        skey = f"{key}s{j}"
        label = s.title.strip() or s.section_id  # section ids are slugs: the title reads

        def section_start(canv: Canvas, skey: str = skey, label: str = label) -> None:
            canv.bookmarkPage(skey)
            canv.addOutlineEntry(label, skey, level=1)

        story.append(RoomFor(BODY_LEADING * 9))
        story.append(Marker(section_start))
        # The stage beside the title, unless the title already starts with it.
        stage = "" if s.title.casefold().startswith(s.stage.casefold()) else s.stage
        head = heading(label, st.h1, aside=stage, keep=False)
        # "Answer" over the answer column, on the heading's line if there is room.
        column: Run = (BODY_W - ANSWER_W, "Answer", SANS, 8.5, MUTED)
        last = head[-1]
        if isinstance(last, TextLine) and _ends_before(last, BODY_W - ANSWER_W - 12):
            last.runs = [*last.runs, column]
        elif s.questions:
            head.append(TextLine([column], 8.5, 11))
        story.extend(head)
        if not s.questions:
            story.append(Paragraph("No questions in this section for this case.", st.body))
        for q in s.questions:
            story.extend(_question(q, doc, levels))
    if report.kept:

        def kept_start(canv: Canvas, kkey: str = f"{key}kept") -> None:
            canv.bookmarkPage(kkey)
            canv.addOutlineEntry("Answers kept, not counted", kkey, level=1)

        story.append(RoomFor(BODY_LEADING * 9))
        story.append(Marker(kept_start))
        story.extend(heading("Answers kept, not counted", st.h1, keep=False))
        story.append(
            Paragraph(
                "These answers were given to questions this case no longer has: dropped from "
                "a later version of the question set, or of another variant. They are kept as "
                "recorded and counted in no figure.",
                st.body,
            )
        )
        for q in report.kept:
            story.extend(_question(q, doc, levels))
    return story


def build_case_pdf(report: CaseReport, meta: DocumentMeta, out: Path) -> Path:
    """One case summary as a PDF at `out` (written whole or not at all)."""
    out = Path(out)
    with building(out) as tmp:
        doc = ReportDoc(str(tmp), meta)
        doc.write(case_story(report, doc, title=meta.title, key="case"))
    return out


def build_cases_pdf(
    reports: Sequence[CaseReport],
    meta: DocumentMeta,
    out: Path,
    progress: Progress = quiet,
    cancelled: Cancelled = never,
) -> Path:
    """Many case summaries in one PDF: a contents page, then each case from a new page."""
    out = Path(out)
    steps = Steps(progress, cancelled)
    total = len(reports)
    steps.step(0, total, f"Laying out {total} case summaries")
    st = styles()
    with building(out) as tmp:
        doc = ReportDoc(str(tmp), meta)

        def contents_start(canv: Canvas) -> None:
            doc.begin_part("Contents")
            canv.bookmarkPage("contents")
            canv.addOutlineEntry("Contents", "contents", level=0)

        cases = "case" if total == 1 else "cases"
        story: list[Flowable] = [
            Marker(contents_start),
            para(meta.title, st.title),
            para(f"Contents: {total} {cases}, each starting on a new page", st.subtitle),
        ]
        ref_w, pdu_w, page_w = 52 * mm, 55 * mm, 16 * mm
        rows: list[list[object]] = [
            [
                Paragraph("Case reference", st.cell_head),
                Paragraph("PDU", st.cell_head),
                Paragraph("Status", st.cell_head),
                Paragraph("Page", st.cell_head_right),
            ]
        ]
        for i, r in enumerate(reports):
            rows.append(
                [
                    Paragraph(f'<a href="#c{i}">{markup(r.case_ref)}</a>', st.cell_bold),
                    para(r.pdu, st.cell),
                    para(r.status, st.cell),
                    LateNumber(f"pdCase{i}"),
                ]
            )
        if not reports:
            story.append(Paragraph("No cases were chosen.", st.body))
        else:
            story.append(data_table(rows, [ref_w, pdu_w, BODY_W - ref_w - pdu_w - page_w, page_w]))

        for i, r in enumerate(reports):

            def on_start(canv: Canvas, i: int = i) -> None:
                steps.step(i, total, f"Case {i + 1} of {total}")
                assert isinstance(canv, PagedCanvas)
                canv.late_numbers[f"pdCase{i}"] = str(canv.getPageNumber())

            story.append(PageBreak())
            story.extend(
                case_story(
                    r, doc, title=f"Case summary: {r.case_ref}", key=f"c{i}", on_start=on_start
                )
            )
        doc.write(story)
        steps.step(total, total, "Writing the file")
    progress(total, total, f"{total} case summaries written")
    return out


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def case_file_name(case_ref: str) -> str:
    """'case-CRN-A1234.pdf': the reference made safe on every file system, nothing else.
    Only where the user asked for files named after references (a name is seen by anyone
    who sees the folder: backups, sync tools, recent-files lists)."""
    safe = _UNSAFE.sub("-", case_ref).strip("-.")[:80].strip("-.")
    return f"case-{safe or 'unnamed'}.pdf"


def neutral_case_file_name(n: int, total: int) -> str:
    """'case-007.pdf': the n-th of `total` case summaries, numbered; the reference is inside."""
    return f"case-{n:0{max(3, len(str(total)))}d}.pdf"


def build_cases_folder(
    reports: Sequence[CaseReport],
    meta_for: Callable[[CaseReport], DocumentMeta],
    folder: Path,
    progress: Progress = quiet,
    cancelled: Cancelled = never,
    by_reference: bool = False,
) -> list[Path]:
    """One PDF per case in `folder`, numbered in the order given (case-001.pdf, ...), or with
    `by_reference` named from the case reference only.

    Every file is built under a temporary name first; only when all are built do they take their
    final names, so that a cancel or a failure changes nothing in the folder.
    """
    folder = Path(folder)
    steps = Steps(progress, cancelled)
    total = len(reports)
    make_folder(folder)
    names: list[Path] = []
    taken: set[str] = set()
    for i, r in enumerate(reports):
        name = case_file_name(r.case_ref) if by_reference else neutral_case_file_name(i + 1, total)
        stem, n = name[:-4], 2
        while name.casefold() in taken:  # two references that differ only in unsafe characters
            name, n = f"{stem}-{n}.pdf", n + 1
        taken.add(name.casefold())
        names.append(folder / name)
    try:
        # Each file under its hidden temporary name (probdesk.fs.atomic_path) until all are
        # built; then, as the stack closes, each takes its name. A failure or a cancel on
        # the way removes every temporary file, and the names not yet taken stay free.
        with ExitStack() as files:
            for i, (r, out) in enumerate(zip(reports, names, strict=True)):
                steps.step(i, total, f"Case {i + 1} of {total}")
                tmp = files.enter_context(atomic_path(out, mode=0o600))
                meta = meta_for(r)
                doc = ReportDoc(str(tmp), meta)
                doc.write(case_story(r, doc, title=meta.title, key="case"))
            steps.step(total, total, "Naming the files")
    except OSError as exc:
        raise EnvironmentProblem(
            f"Cannot write the reports into {folder}: {exc.strerror or exc}."
        ) from exc
    progress(total, total, f"{total} case summaries written")
    return names
