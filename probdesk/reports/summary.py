"""PDU and regional summary reports: fieldwork facts, ratings, stage charts, the percentage
table, the per-PDU breakdown (regional), the domain-one evidence and judgements, and the
non-case evidence.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from probdesk.progress import Cancelled, Progress, never, quiet
from probdesk.reports.base import (
    BODY_W,
    COND,
    COND_BOLD,
    GROUP_TINT,
    KEY_TINT,
    MUTED,
    Marker,
    ReportDoc,
    Steps,
    building,
    data_table,
    details_table,
    markup,
    para,
    percent_text,
    styles,
    text_flowables,
    when_text,
)
from probdesk.reports.charts import band_legend, comparison_drawings, stage_drawings
from probdesk.reports.model import (
    Bar,
    DocumentMeta,
    EvidenceItem,
    PercentRow,
    StandardLine,
    SummaryReport,
)

_MUTED_HEX = MUTED.hexval()[2:]
# Percentage tables: relevant, yes, no, answered N/A, did not apply, not answered, percent;
# then rating; the id alone.
_NUM_W = (16 * mm, 10 * mm, 10 * mm, 10 * mm, 13 * mm, 18 * mm, 14 * mm)
_RATING_W = 28 * mm
MAX_COMPARED = 40  # PDUs compared in the regional report's charts; more: their tables only
_ID_W = 26 * mm
NUMBER_LEGEND = (
    "Relevant: cases answered yes or no (the base). N/A: answered not applicable. Did not "
    "apply: the question's condition did not hold for the case. Not answered: it applies, "
    "no answer yet. %: the share of relevant cases answered yes, rounded down to one decimal "
    "place. –: no relevant cases."
)


def _count_table(title: str, pairs: Sequence[tuple[str, int]], width: float) -> Table:
    st = styles()
    rows: list[list[Any]] = [
        [Paragraph(escape(title), st.cell_head), Paragraph("Cases", st.cell_head_right)]
    ]
    rows += [[para(label, st.cell), str(n)] for label, n in pairs]
    if not pairs:
        rows.append([Paragraph("none", st.cell), "0"])
    return data_table(rows, [width - 18 * mm, 18 * mm], extra=[("ALIGN", (1, 0), (1, -1), "RIGHT")])


_NOTICE_TINT = colors.HexColor("#eef2f7")
_PROVISIONAL_TINT = colors.HexColor("#fdf1dc")
_PROVISIONAL_EDGE = colors.HexColor("#b35c00")


def counting_notice(report: SummaryReport) -> Table | None:
    """What the figures count, boxed on the first page: the cases counted and not yet (by
    status), the undecided conflicts; provisional figures and figures not for publication
    say so first and louder."""
    st = styles()
    lines: list[Flowable] = []
    if report.provisional:
        lines.append(Paragraph(
            "<b>PROVISIONAL FIGURES.</b> Every case with an answer is counted, finished or "
            "not: these are not the inspection's figures.", st.body,
        ))  # fmt: skip
    if report.publication:
        lines.append(Paragraph(f"<b>PDU figures: {markup(report.publication)}.</b>", st.body))
    if report.coverage:
        lines.append(Paragraph(f"What these figures count: {markup(report.coverage)}", st.body))
    if report.minimum_base:
        lines.append(Paragraph(
            f"A percentage on fewer than {report.minimum_base} relevant cases carries a "
            "caution and no rating (base too small).", st.small,
        ))  # fmt: skip
    if not lines:
        return None
    loud = report.provisional
    return Table(
        [[lines]],
        colWidths=[BODY_W],
        style=TableStyle([
            ("BACKGROUND", (0, 0), (-1, -1), _PROVISIONAL_TINT if loud else _NOTICE_TINT),
            ("BOX", (0, 0), (-1, -1), 1.2 if loud else 0.5,
             _PROVISIONAL_EDGE if loud else MUTED),
            ("LEFTPADDING", (0, 0), (-1, -1), 6),
            ("RIGHTPADDING", (0, 0), (-1, -1), 6),
            ("TOPPADDING", (0, 0), (-1, -1), 4),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
        ]),
        hAlign="LEFT",
    )  # fmt: skip


def _fieldwork(report: SummaryReport, meta: DocumentMeta) -> list[Flowable]:
    st = styles()
    regional = report.scope == "region"
    notice = counting_notice(report)
    out: list[Flowable] = [
        para(meta.title, st.title),
        para(f"{report.inspection} · {report.fieldwork}", st.subtitle),
        *([notice, Spacer(1, 6)] if notice is not None else []),
        Paragraph("Fieldwork", st.h1),
        details_table(
            [
                ("Inspection", f"{report.inspection} ({report.inspection_id})"),
                ("Region", report.region),
                ("Report", "Regional summary: all PDUs" if regional else f"PDU: {report.name}"),
                ("Fieldwork", report.fieldwork),
                ("Cases", str(report.total_cases)),
                ("Question set", report.question_set),
                ("Generated", when_text(report.generated)),
            ]
        ),
        Spacer(1, 8),
    ]
    half = (BODY_W - 6 * mm) / 2
    pair = Table(
        [
            [
                _count_table("Cases by variant", report.cases_by_variant, half),
                _count_table("Cases by status", report.cases_by_status, half),
            ]
        ],
        colWidths=[half + 6 * mm, half],
        style=TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("FONTNAME", (0, 0), (-1, -1), COND),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            ]
        ),
        hAlign="LEFT",
    )
    out.append(pair)
    return out


def _standards_table(standards: Sequence[StandardLine], width: float = BODY_W) -> Table:
    st = styles()
    widths = [24 * mm, _NUM_W[-1], _RATING_W]  # % and rating line up with percent_table's
    rows: list[list[Any]] = [
        [
            Paragraph("Standard", st.cell_head),
            Paragraph("Lowest key question", st.cell_head),
            Paragraph("%", st.cell_head_right),
            Paragraph("Rating", st.cell_head),
        ]
    ]
    for s in standards:
        rows.append(
            [
                Paragraph(f"<b>{escape(s.standard_id)}</b>&#160;&#160;{markup(s.title)}", st.cell),
                para(s.lowest_question or "–", st.cell),
                percent_text(s.percent, "–"),
                Paragraph(f"<i>{markup(s.caution)}</i>", st.cell)
                if s.caution and not s.rating
                else para(s.rating or "–", st.cell_bold),
            ]
        )
    return data_table(
        rows,
        [width - sum(widths), *widths],
        extra=[("ALIGN", (2, 0), (2, -1), "RIGHT")],
    )


def _score_line(score: int | None, band: str | None) -> str:
    parts = []
    if score is not None:
        parts.append(f"Overall score: <b>{score}</b>")
    if band:
        parts.append(f"Overall band: <b>{markup(band)}</b>")
    return "&#160;&#160;·&#160;&#160;".join(parts)


def _ratings(report: SummaryReport) -> list[Flowable]:
    st = styles()
    out: list[Flowable] = [Paragraph("Ratings", st.h1)]
    line = _score_line(report.score, report.band)
    if line:
        out.append(Paragraph(line, st.body))
    if report.standards:
        out.append(Paragraph("Standards", st.h3))
        out.append(_standards_table(report.standards))
        out.append(
            Paragraph(
                "A standard's rating comes from its lowest key question with relevant cases. "
                "–: no relevant cases.",
                st.caption,
            )
        )
    return out


def _domain_one(report: SummaryReport) -> list[Flowable]:
    """Per domain-one key question: what the evidence was, then the team's judgement."""
    st = styles()
    out: list[Flowable] = [
        Paragraph("Domain one: evidence and judgements", st.h1),
        Paragraph(
            "Organisational delivery is judged by the inspection team from the documents "
            "submitted, what each group said in meetings and focus groups, staff survey figures "
            "and the case findings; the rating and its rationale are the team's own.",
            st.caption,
        ),
    ]
    for item in report.domain_one:
        head = Paragraph(f"{escape(item.question_id)}&#160;&#160;{markup(item.question)}", st.h2)
        head.keepWithNext = 1
        out.append(head)
        lines: list[tuple[str, str]] = [
            ("Documents", "; ".join(item.documents) or "none logged"),
            ("Meeting and focus-group notes", str(item.meetings) if item.meetings else "none"),
        ]
        if item.surveys:
            lines.append(("Staff survey", "; ".join(item.surveys)))
        if item.gaps:
            lines.append(("Gaps to clarify", "; ".join(item.gaps)))
        out.append(details_table(lines))
        if item.rating or item.rationale:
            rating = Paragraph(
                f"Judgement: <b>{markup(item.rating or 'not rated')}</b>"
                f'<font color="#{_MUTED_HEX}">&#160;&#160;({markup(item.by)}, {markup(item.at)})'
                "</font>",
                st.body,
            )
            rating.keepWithNext = 1
            out.append(rating)
            out.extend(text_flowables(item.rationale, st.note, st.note_gap))
        else:
            out.append(Paragraph("<b>Not yet judged.</b>", st.body))
        out.append(Spacer(1, 6))
    return out


def _samples(report: SummaryReport) -> list[Flowable]:
    """A regional inspection's own case samples, each against its own question set."""
    st = styles()
    out: list[Flowable] = [PageBreak(), Paragraph("The region's own case samples", st.h1)]
    for sample in report.samples:
        head = Paragraph(markup(sample.title), st.h2)
        head.keepWithNext = 1
        out.append(head)
        statuses = ", ".join(f"{label} {n}" for label, n in sample.cases_by_status)
        out.append(details_table([
            ("Question set", sample.question_set),
            ("Cases", str(sample.total_cases) + (f" ({statuses})" if statuses else "")),
        ]))  # fmt: skip
        texts = {r.question_id: r.text for r in sample.rows if r.is_key}
        for chart in sample.charts:
            out.append(para(chart.stage or "Key questions", st.h3))
            out.extend(stage_drawings(chart, texts))
            if chart.bands:
                out.append(para(f"Bands: {band_legend(chart.bands)}.", st.caption))
        if sample.rows:
            out.append(Paragraph(NUMBER_LEGEND, st.caption))
            out.append(percent_table(sample.rows))
        else:
            out.append(Paragraph("No cases answered yet.", st.body))
        if sample.standards:
            out.append(_standards_table(sample.standards))
        if sample.score is not None or sample.band:
            out.append(Paragraph(_score_line(sample.score, sample.band), st.body))
    return out


def _charts(report: SummaryReport) -> list[Flowable]:
    st = styles()
    texts = {r.question_id: r.text for r in report.rows if r.is_key}
    out: list[Flowable] = [
        Paragraph("Key questions by stage", st.h1),
        Paragraph(
            "Each bar is the share of relevant cases (answered yes or no) answered yes, "
            "rounded down to one decimal place; beside it, the number of relevant cases."
            + (
                f" Pale bars marked *: fewer than {report.minimum_base} relevant cases, "
                "read with care (no rating)."
                if report.minimum_base
                else ""
            )
            + (
                " The shaded zones behind the bars are the rating bands."
                if any(c.bands for c in report.charts)
                else ""
            ),
            st.caption,
        ),
    ]
    out[-1].keepWithNext = 1
    for chart in report.charts:
        out.append(para(chart.stage or "Key questions", st.h2))
        drawings = stage_drawings(chart, texts)
        if not drawings:
            out.append(Paragraph("No key questions in this stage.", st.body))
        out.extend(drawings)
        if chart.bands:
            out.append(para(f"Bands: {band_legend(chart.bands)}.", st.caption))
        else:
            out.append(Spacer(1, 6))
    return out


def percent_table(
    rows: Sequence[PercentRow], *, groups: bool = True, keys: bool = True, texts: bool = True
) -> Table:
    """Every row with its counts; key questions emphasised, prompts indented; split-safe.

    With keys=False (a table of key questions only) no row is set apart from the others;
    with texts=False a question is shown by its id alone (a compact table under a legend).
    """
    st = styles()
    rated = any(r.rating or r.caution for r in rows)
    first = "Question" if texts else "Key question"
    numbers = ["Relevant", "Yes", "No", "N/A", "Did not<br/>apply", "Not<br/>answered", "%"]
    head = [first, *numbers] + (["Rating"] if rated else [])
    last_number = len(numbers)
    num_head = ParagraphStyle(
        "pd-cell-head-number", parent=st.cell_head_right, fontSize=7.6, leading=9.2
    )  # seven narrow count columns: their headings a size smaller, never cut mid-word
    data: list[list[Any]] = [
        [Paragraph(head[0], st.cell_head)]
        + [Paragraph(h, num_head) for h in numbers]
        + ([Paragraph("Rating", st.cell_head)] if rated else [])
    ]
    extra: list[tuple[Any, ...]] = [("ALIGN", (1, 1), (last_number, -1), "RIGHT")]
    ncols = len(head)
    last_group: tuple[str, str] | None = None
    for r in rows:
        if groups and r.section_title and (r.stage, r.section_title) != last_group:
            last_group = (r.stage, r.section_title)
            label = f"<b>{markup(r.section_title)}</b>"
            if r.stage:
                label += f' <font color="#{_MUTED_HEX}">· {markup(r.stage)}</font>'
            n = len(data)
            data.append([Paragraph(label, st.cell)] + [""] * (ncols - 1))
            extra += [("SPAN", (0, n), (-1, n)), ("BACKGROUND", (0, n), (-1, n), GROUP_TINT)]
        n = len(data)
        qid = escape(r.question_id)
        if not texts:
            cell = Paragraph(f"<b>{qid}</b>", st.cell)
        elif r.is_key and not keys:
            cell = Paragraph(f"<b>{qid}</b>&#160;&#160;{markup(r.text)}", st.cell)
        elif r.is_key:
            cell = Paragraph(f"{qid}&#160;&#160;{markup(r.text)}", st.cell_bold)
            extra += [
                ("BACKGROUND", (0, n), (-1, n), KEY_TINT),
                ("FONTNAME", (1, n), (-1, n), COND_BOLD),
            ]
        else:
            cell = Paragraph(f"<b>{qid}</b>&#160;&#160;{markup(r.text)}", st.cell_indent)
        line: list[Any] = [
            cell,
            str(r.relevant),
            str(r.yes),
            str(r.no),
            str(r.not_applicable),
            str(r.did_not_apply),
            str(r.not_answered),
            percent_text(r.percent, "–") + ("*" if r.caution else ""),
        ]
        if rated:
            if r.caution:
                line.append(Paragraph(f"<i>{markup(r.caution)}</i>", st.cell))
            else:
                rating = r.rating or ("–" if r.is_key else "")
                line.append(para(rating, st.cell_bold if r.is_key and keys else st.cell))
        data.append(line)
    widths = list(_NUM_W) + ([_RATING_W] if rated else [])
    first_w = BODY_W - sum(widths) if texts else _ID_W
    return data_table(data, [first_w, *widths], extra=extra, zebra=not keys)


def _percentages(report: SummaryReport) -> list[Flowable]:
    st = styles()
    out: list[Flowable] = [Paragraph("Percentages by question", st.h1)]
    if not report.rows:
        out.append(Paragraph("No questions to count.", st.body))
        return out
    out.append(
        Paragraph(NUMBER_LEGEND + " Key questions are shaded; prompts indented.", st.caption)
    )
    out.append(percent_table(report.rows))
    return out


def _breakdown(report: SummaryReport) -> list[Flowable]:
    st = styles()
    out: list[Flowable] = [Paragraph("PDU breakdown", st.h1)]
    if not report.breakdown:
        out.append(Paragraph("No PDUs in this inspection.", st.body))
        return out
    restricted = next((p.publication for p in report.breakdown if p.publication), "")
    if restricted:
        out.append(Paragraph(f"<b>The PDU figures below are {markup(restricted)}.</b>", st.body))
    scored = any(p.score is not None for p in report.breakdown)
    banded = any(p.band for p in report.breakdown)
    head = [Paragraph("PDU", st.cell_head), Paragraph("Cases", st.cell_head_right)]
    widths = [18 * mm]
    if scored:
        head.append(Paragraph("Score", st.cell_head_right))
        widths.append(18 * mm)
    if banded:
        head.append(Paragraph("Band", st.cell_head))
        widths.append(40 * mm)
    data: list[list[Any]] = [head]
    for p in report.breakdown:
        line: list[Any] = [para(p.name, st.cell_bold), str(p.cases)]
        if scored:
            line.append("–" if p.score is None else str(p.score))
        if banded:
            line.append(para(p.band or "–", st.cell))
        data.append(line)
    out.append(
        data_table(
            data,
            [BODY_W - sum(widths), *widths],
            extra=[("ALIGN", (1, 1), (2 if scored else 1, -1), "RIGHT")],
        )
    )
    legend: dict[str, str] = {}
    for p in report.breakdown:
        for r in p.rows:
            legend.setdefault(r.question_id, r.text)
    if legend:
        out.append(Paragraph("Key questions", st.h3))
        id_w = 22 * mm
        out.append(
            data_table(
                [[Paragraph("Question", st.cell_head), Paragraph("Text", st.cell_head)]]
                + [[para(qid, st.cell_bold), para(text, st.cell)] for qid, text in legend.items()],
                [id_w, BODY_W - id_w],
            )
        )
    out.extend(_comparison(report, legend))
    out.append(
        Paragraph("Each PDU's figures follow, by key question. " + NUMBER_LEGEND, st.caption)
    )
    for p in report.breakdown:
        block: list[Flowable] = [para(p.name, st.h2)]
        facts = f"{p.cases} case{'s' if p.cases != 1 else ''}"
        score = _score_line(p.score, p.band)
        block.append(
            Paragraph(
                escape(facts) + (f"&#160;&#160;·&#160;&#160;{score}" if score else ""), st.small
            )
        )
        block.append(Spacer(1, 3))
        if p.rows:
            block.append(percent_table(p.rows, groups=False, keys=False, texts=False))
        else:
            block.append(Paragraph("No key questions counted for this PDU.", st.body))
        if p.standards:
            block.append(Spacer(1, 4))
            rated = any(r.rating for r in p.rows)
            width = _ID_W + sum(_NUM_W) + (_RATING_W if rated else 0)
            block.append(_standards_table(p.standards, max(width, 110 * mm)))
        # One PDU's figures on one page where they fit, so that no table starts unnamed.
        out.append(KeepTogether(block))
    return out


def _comparison(report: SummaryReport, legend: dict[str, str]) -> list[Flowable]:
    """The PDUs side by side, one chart per key question: a bar per PDU with its base."""
    st = styles()
    if len(report.breakdown) < 2 or not legend:
        return []
    if len(report.breakdown) > MAX_COMPARED:
        return [Paragraph(
            f"{len(report.breakdown)} PDUs are too many to compare in a chart (at most "
            f"{MAX_COMPARED}): each PDU's figures follow.", st.caption,
        )]  # fmt: skip
    bands = next((c.bands for c in report.charts if c.bands), ())
    out: list[Flowable] = [
        Paragraph("PDUs compared, by key question", st.h2),
        Paragraph(
            "A bar per PDU: the share of its relevant cases answered yes, with the number of "
            "relevant cases beside it"
            + (
                f"; pale bars marked * rest on fewer than {report.minimum_base} cases"
                if report.minimum_base
                else ""
            )
            + (". The shaded zones are the rating bands." if bands else "."),
            st.caption,
        ),
    ]
    for qid, text in legend.items():
        bars = [
            Bar(p.name, r.percent, r.relevant, bool(r.caution))
            for p in report.breakdown
            for r in p.rows
            if r.question_id == qid
        ]
        if not bars:
            continue
        head = Paragraph(f"<b>{escape(qid)}</b>&#160;&#160;{markup(text)}", st.body)
        first, *rest = comparison_drawings(bars, bands)
        out.append(KeepTogether([head, first]))
        out.extend([*rest, Spacer(1, 4)])
    return out


def _evidence(report: SummaryReport) -> list[Flowable]:
    st = styles()
    out: list[Flowable] = [Paragraph("Evidence from meetings and focus groups", st.h1)]
    if not report.evidence:
        out.append(Paragraph("No meeting or focus-group evidence was recorded.", st.body))
        return out
    # By question, then by participant groups, each in the order first met.
    by_question: dict[str, dict[str, list[EvidenceItem]]] = {}
    titles: dict[str, str] = {}
    for e in report.evidence:
        titles.setdefault(e.question_id, e.question)
        by_question.setdefault(e.question_id, {}).setdefault(e.groups, []).append(e)
    for qid, groups in by_question.items():
        label = f"{escape(qid)}&#160;&#160;{markup(titles[qid])}" if qid else "General evidence"
        out.append(Paragraph(label, st.h2))
        for group, items in groups.items():
            out.append(
                para(f"Participants: {group}" if group else "Participants: not recorded", st.h3)
            )
            for e in items:
                meeting = para(e.meeting or "Meeting not recorded", st.item)
                meeting.keepWithNext = 1
                out.append(meeting)
                out.extend(
                    text_flowables(e.note, st.note, st.note_gap)
                    or [Paragraph("No note.", st.small)]
                )
    return out


def build_summary_pdf(
    report: SummaryReport,
    meta: DocumentMeta,
    out: Path,
    progress: Progress = quiet,
    cancelled: Cancelled = never,
) -> Path:
    """A PDU or regional summary report (report.scope) as a PDF at `out`."""
    out = Path(out)
    steps = Steps(progress, cancelled)
    parts: list[tuple[str, Callable[[], list[Flowable]]]] = [
        ("Fieldwork", lambda: _fieldwork(report, meta))
    ]
    if report.standards or report.score is not None or report.band:
        parts.append(("Ratings", lambda: _ratings(report)))
    if report.domain_one:
        parts.append(("Domain one", lambda: _domain_one(report)))
    if report.charts:
        parts.append(("Charts", lambda: _charts(report)))
    parts.append(("Percentages", lambda: _percentages(report)))
    if report.scope == "region":
        parts.append(("PDU breakdown", lambda: _breakdown(report)))
    if report.samples:
        parts.append(("Own samples", lambda: _samples(report)))
    parts.append(("Evidence", lambda: _evidence(report)))
    total = len(parts)
    with building(out) as tmp:
        doc = ReportDoc(str(tmp), meta)
        story: list[Flowable] = []
        for i, (name, make) in enumerate(parts):
            steps.check()

            def start(canv: Canvas, i: int = i, name: str = name) -> None:
                steps.step(i, total, f"Part {i + 1} of {total}: {name}")
                doc.begin_part(name)
                canv.bookmarkPage(f"part{i}")
                canv.addOutlineEntry(name, f"part{i}", level=0)

            story.append(Marker(start))
            story.extend(make())
        doc.write(story)
        steps.step(total, total, "Writing the file")
    progress(total, total, "Summary report written")
    return out
