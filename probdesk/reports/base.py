"""What every probdesk PDF shares: fonts, styles, the page (marking, header, "Page x of y"),
text-to-paragraph helpers, and writing the file so that nothing half-built is ever left behind.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    PageTemplate,
    Paragraph,
    Table,
    TableStyle,
)

from probdesk import bundled
from probdesk.errors import EnvironmentProblem, OperationCancelled
from probdesk.fs import atomic_path
from probdesk.progress import Cancelled, Progress
from probdesk.reports.model import DocumentMeta

# -- fonts ------------------------------------------------------------------------------------

SANS = "ProbdeskSans"
SANS_BOLD = "ProbdeskSans-Bold"
SANS_ITALIC = "ProbdeskSans-Oblique"
SANS_BOLD_ITALIC = "ProbdeskSans-BoldOblique"
COND = "ProbdeskSansCondensed"
COND_BOLD = "ProbdeskSansCondensed-Bold"

FONT_FILES = {
    SANS: "DejaVuSans.ttf",
    SANS_BOLD: "DejaVuSans-Bold.ttf",
    SANS_ITALIC: "DejaVuSans-Oblique.ttf",
    SANS_BOLD_ITALIC: "DejaVuSans-BoldOblique.ttf",
    COND: "DejaVuSansCondensed.ttf",
    COND_BOLD: "DejaVuSansCondensed-Bold.ttf",
}

_font_lock = threading.Lock()
_fonts_ready = False


def fonts_dir() -> Path:
    return bundled.resources_dir() / "fonts"


def register_fonts() -> None:
    """Load the bundled DejaVu fonts into ReportLab, once per process (parsing them is slow)."""
    global _fonts_ready
    if _fonts_ready:
        return
    with _font_lock:
        if _fonts_ready:
            return
        folder = fonts_dir()
        for name, file in FONT_FILES.items():
            path = folder / file
            try:
                pdfmetrics.registerFont(TTFont(name, str(path)))
            except Exception as exc:  # OSError, or TTFError for a damaged file
                raise EnvironmentProblem(
                    f"The report font {path} is missing or damaged; reinstall probdesk. ({exc})"
                ) from exc
        # Streams stay binary (zlib only): ASCII85 makes files a quarter bigger and slower to write.
        rl_config.useA85 = 0
        pdfmetrics.registerFontFamily(
            SANS, normal=SANS, bold=SANS_BOLD, italic=SANS_ITALIC, boldItalic=SANS_BOLD_ITALIC
        )
        pdfmetrics.registerFontFamily(
            COND, normal=COND, bold=COND_BOLD, italic=SANS_ITALIC, boldItalic=SANS_BOLD_ITALIC
        )
        _fonts_ready = True


# -- page geometry and colours ----------------------------------------------------------------

PAGE_W, PAGE_H = A4
MARGIN_X = 20 * mm
TOP = 25 * mm  # the body starts below the marking, the running header and its rule
BOTTOM = 24 * mm  # ... and ends above the footer rule, "Page x of y" and the marking
BODY_W = PAGE_W - 2 * MARGIN_X

INK = colors.HexColor("#1a1a1a")
MUTED = colors.HexColor("#5a5f66")
HEADING = colors.HexColor("#173a63")
RULE = colors.HexColor("#b7c1cc")
GRID = colors.HexColor("#d5dbe2")
ZEBRA = colors.HexColor("#f3f5f8")
KEY_TINT = colors.HexColor("#e8eef6")
GROUP_TINT = colors.HexColor("#d3dde9")
HEAD_TINT = colors.HexColor("#173a63")
MARKING = colors.HexColor("#7a1f1f")
ALERT = colors.HexColor("#b3261e")  # "Not answered"


# -- styles -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionStyles:
    """A key question or a prompt, with what follows it, on one hanging indent: the id sits
    in the margin (bulletIndent) and the text, why it was asked and the note line up after it
    (leftIndent); "Note" sits in the margin beside a note's first line.
    """

    question: ParagraphStyle
    question_muted: ParagraphStyle  # did not apply
    small: ParagraphStyle  # why it was asked, or not; "No evidence note."
    note: ParagraphStyle
    note_gap: ParagraphStyle  # a note paragraph after a blank line
    id_width: float  # an id wider than this goes inline


@dataclass(frozen=True)
class Styles:
    title: ParagraphStyle
    subtitle: ParagraphStyle
    h1: ParagraphStyle
    h2: ParagraphStyle
    h3: ParagraphStyle
    caption: ParagraphStyle
    body: ParagraphStyle
    small: ParagraphStyle
    entry: ParagraphStyle  # a moderation action, a conflict
    entry_note: ParagraphStyle  # its comment, indented
    entry_note_gap: ParagraphStyle
    entry_small: ParagraphStyle
    item: ParagraphStyle
    note: ParagraphStyle
    note_gap: ParagraphStyle
    cell: ParagraphStyle
    cell_bold: ParagraphStyle
    cell_indent: ParagraphStyle
    cell_head: ParagraphStyle
    cell_head_right: ParagraphStyle
    cell_label: ParagraphStyle
    cell_value: ParagraphStyle


BODY_SIZE = 9.8
BODY_LEADING = 13.6
CELL_SIZE = 8.8
CELL_LEADING = 11.2
PROMPT_INDENT = 16  # a prompt sits this far in from its key question
ANSWER_LABEL = 46  # "Answer:" before an answer too long for the answer column


def id_margin(ids: Iterable[str]) -> int:
    """The width of the id margin for these question ids: the widest, within 30 to 72 points,
    in steps of 6 (so that few style sets are ever made)."""
    widest = max((pdfmetrics.stringWidth(i, SANS_BOLD, BODY_SIZE) for i in ids), default=0.0)
    return min(72, max(30, 6 * math.ceil((widest + 8) / 6)))


@cache
def question_styles(margin: int) -> tuple[QuestionStyles, QuestionStyles]:
    """(key question, prompt) styles for an id margin of `margin` points."""
    base = styles().body
    return _question_styles(base, margin, key=True), _question_styles(base, margin, key=False)


def _question_styles(base: ParagraphStyle, margin: int, *, key: bool) -> QuestionStyles:
    inset = 4.0 if key else float(PROMPT_INDENT)  # the key question's tint box needs 4pt
    text = inset + margin
    name = f"key{margin}" if key else f"prompt{margin}"

    def s(kind: str, **kw: Any) -> ParagraphStyle:
        return ParagraphStyle(f"pd-{name}-{kind}", parent=base, **kw)

    if key:
        question = s(
            "q",
            fontName=SANS_BOLD,
            backColor=KEY_TINT,
            borderPadding=(3, 4, 4, 4 + margin),  # the tint runs under the id too
            rightIndent=4,
            spaceBefore=12,
            spaceAfter=5,
        )
    else:
        question = s("q", spaceBefore=8, spaceAfter=2)
    question.leftIndent = text
    question.bulletIndent = inset
    question.bulletFontName = SANS_BOLD
    question.bulletFontSize = BODY_SIZE
    question.bulletColor = None  # the text's colour
    return QuestionStyles(
        question=question,
        question_muted=ParagraphStyle(f"pd-{name}-q-muted", parent=question, textColor=MUTED),
        small=s("small", leftIndent=text, fontSize=8.5, leading=11.6, textColor=MUTED),
        note=s(
            "note",
            leftIndent=text,
            bulletIndent=inset,
            bulletFontName=SANS,
            bulletFontSize=8.5,
            bulletColor=MUTED,
        ),
        note_gap=s("note-gap", leftIndent=text, spaceBefore=5),
        id_width=margin - 6,
    )


@cache
def styles() -> Styles:
    """The one set of paragraph styles every report uses (built once per process)."""
    register_fonts()
    base = ParagraphStyle(
        "pd-body",
        fontName=SANS,
        fontSize=BODY_SIZE,
        leading=BODY_LEADING,
        textColor=INK,
        splitLongWords=1,
        allowWidows=0,
        allowOrphans=0,
    )

    def s(name: str, parent: ParagraphStyle = base, **kw: Any) -> ParagraphStyle:
        return ParagraphStyle(f"pd-{name}", parent=parent, **kw)

    cell = s("cell", fontName=COND, fontSize=CELL_SIZE, leading=CELL_LEADING)
    head = s("cell-head", cell, fontName=COND_BOLD, textColor=colors.white)
    return Styles(
        title=s(
            "title", fontName=SANS_BOLD, fontSize=17, leading=21, textColor=HEADING, spaceAfter=3
        ),
        subtitle=s("subtitle", fontSize=10.5, leading=14, textColor=MUTED, spaceAfter=10),
        h1=s(
            "h1",
            fontName=SANS_BOLD,
            fontSize=13.5,
            leading=17,
            textColor=HEADING,
            spaceBefore=14,
            spaceAfter=6,
            keepWithNext=1,
        ),
        h2=s(
            "h2",
            fontName=SANS_BOLD,
            fontSize=11.5,
            leading=15,
            textColor=HEADING,
            spaceBefore=12,
            spaceAfter=2,
            keepWithNext=1,
        ),
        h3=s(
            "h3",
            fontName=SANS_BOLD,
            fontSize=10.3,
            leading=13.8,
            textColor=INK,
            spaceBefore=9,
            spaceAfter=3,
            keepWithNext=1,
        ),
        caption=s(
            "caption", fontSize=8.3, leading=11, textColor=MUTED, spaceBefore=3, spaceAfter=6
        ),
        body=s("body", spaceAfter=4),
        small=s("small", fontSize=8.5, leading=11.5, textColor=MUTED),
        entry=s("entry", spaceBefore=6, spaceAfter=1),
        entry_note=s("entry-note", leftIndent=PROMPT_INDENT),
        entry_note_gap=s("entry-note-gap", leftIndent=PROMPT_INDENT, spaceBefore=5),
        entry_small=s(
            "entry-small", leftIndent=PROMPT_INDENT, fontSize=8.5, leading=11.6, textColor=MUTED
        ),
        item=s("item", fontSize=9, leading=12.5, textColor=MUTED, spaceBefore=5),
        note=s("note"),
        note_gap=s("note-gap", spaceBefore=5),
        cell=cell,
        cell_bold=s("cell-bold", cell, fontName=COND_BOLD),
        cell_indent=s("cell-indent", cell, leftIndent=10),
        cell_head=head,
        cell_head_right=s("cell-head-right", head, alignment=TA_RIGHT),
        cell_label=s("cell-label", fontSize=9, leading=12, textColor=MUTED),
        cell_value=s("cell-value", fontSize=9.3, leading=12.4),
    )


# -- text -------------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_LEADING_SPACE = re.compile(r"^[ ]+")
_RUNS = re.compile(r"  +")


def clean(text: str) -> str:
    """Text as typed, minus what a PDF cannot show: CR line ends, tabs, control characters."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\t" in text:
        text = text.replace("\t", "    ")
    return _CONTROL.sub("", text)


def _keep_spaces(line: str) -> str:
    """Escaped line whose leading and repeated spaces survive Paragraph's whitespace folding."""
    line = escape(line)
    if line.startswith(" "):
        line = _LEADING_SPACE.sub(lambda m: "&#160;" * len(m.group()), line)
    if "  " in line:
        line = _RUNS.sub(lambda m: " " + "&#160;" * (len(m.group()) - 1), line)
    return line


def markup(text: str) -> str:
    """One short text as Paragraph markup: escaped, its line breaks kept."""
    text = clean(text).strip("\n")
    if "\n" not in text and "  " not in text and not text.startswith(" "):
        return escape(text)
    return "<br/>".join(_keep_spaces(line) for line in text.split("\n"))


def para(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(markup(text), style)


# -- plain text, laid out cheaply -----------------------------------------------------------

_word_widths: dict[str, dict[str, float]] = {}  # font -> word -> width at 1pt


def _word_width(word: str, font: str) -> float:
    cache = _word_widths.get(font)
    if cache is None:
        cache = _word_widths[font] = {}
    elif len(cache) > 200_000:  # a bound on memory over a long session
        cache.clear()
    w = cache.get(word)
    if w is None:
        w = cache[word] = pdfmetrics.stringWidth(word, font, 1.0)
    return w


def _cut_word(word: str, font: str, size: float, width: float) -> list[str]:
    """A word wider than the line, in pieces that fit (as Paragraph's splitLongWords does)."""
    pieces: list[str] = []
    start = 0
    used = 0.0
    for i, ch in enumerate(word):
        w = pdfmetrics.stringWidth(ch, font, size)
        if used + w > width and i > start:
            pieces.append(word[start:i])
            start, used = i, 0.0
        used += w
    pieces.append(word[start:])
    return pieces


def break_lines(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy left-aligned line breaking at spaces; runs of spaces inside a line are kept."""
    limit = width / size
    if len(text) < 160 and pdfmetrics.stringWidth(text, font, 1.0) <= limit:
        return [text]  # most answers, labels and short questions
    space = _word_width(" ", font)
    lines: list[str] = []
    line: list[str] = []
    used = 0.0
    for word in text.split(" "):
        w = _word_width(word, font) if word else 0.0
        if line and used + space + w > limit and word:
            while line and not line[-1]:  # spaces at a break go
                line.pop()
            lines.append(" ".join(line))
            line, used = [], 0.0
        if not line and not word and lines:  # nor do spaces at the start of a wrapped line
            continue
        if w > limit:
            *whole, word = _cut_word(word, font, size, width)
            if line:
                lines.append(" ".join(line))
            lines.extend(whole)
            line, used = [], 0.0
            w = _word_width(word, font)
        used += (space if line else 0.0) + w
        line.append(word)
    if line or not lines:
        lines.append(" ".join(line))
    return lines


class PlainText(Flowable):
    """Text in one font and colour (a question, a line of a note), wrapped at spaces and drawn
    as one text object; it splits between lines across pages, keeping two lines together at
    either end.

    Notes and questions are plain text: this does for them what a Paragraph does, at a
    fraction of the cost (no markup to parse). The style gives font, size, leading, colour,
    indents, spacing, and a tint behind (backColor, borderPadding); `bullet` is drawn in the
    left indent of the first line (a question's id, "Note") in the style's bullet font.
    """

    def __init__(
        self,
        text: str,
        style: ParagraphStyle,
        bullet: str | None = None,
        *,
        _lines: list[str] | None = None,
        _for_width: float = -1.0,
        _first: bool = True,
        _last: bool = True,
    ) -> None:
        super().__init__()
        self.text = text
        self.style = style
        self.bullet = bullet
        self.lines = _lines or []
        self._for_width = _for_width
        self._first = _first
        self._last = _last
        self.spaceBefore = style.spaceBefore if _first else 0
        self.spaceAfter = style.spaceAfter if _last else 0
        self.keepWithNext = 0

    def wrap(self, aw: float, _ah: float) -> tuple[float, float]:
        st = self.style
        if aw != self._for_width:
            self.lines = break_lines(
                self.text, st.fontName, st.fontSize, aw - st.leftIndent - st.rightIndent
            )
            self._for_width = aw
        self.width = aw
        self.height = len(self.lines) * st.leading
        return aw, self.height

    def split(self, aw: float, ah: float) -> list[Flowable]:
        self.wrap(aw, ah)
        total = len(self.lines)
        # The frame found it too tall: at least its last line goes on.
        fit = min(int(ah // self.style.leading), total - 1)
        if total - fit < 2:  # no widow
            fit = total - 2
        if fit < 2 and total > 1:  # no orphan: all of it goes on
            return []
        if fit < 1:
            return []
        top, rest = self.lines[:fit], self.lines[fit:]
        head = PlainText(
            " ".join(top),
            self.style,
            self.bullet,
            _lines=top,
            _for_width=aw,
            _first=self._first,
            _last=False,
        )
        tail = PlainText(
            " ".join(rest),
            self.style,
            None,
            _lines=rest,
            _for_width=aw,
            _first=False,
            _last=self._last,
        )
        return [head, tail]

    def drawOn(self, canvas: Canvas, x: float, y: float, _sW: float = 0) -> None:
        st = self.style
        top = y + self.height
        if st.backColor is not None:
            t, r, b, left = _padding(st.borderPadding)
            canvas.saveState()
            canvas.setFillColor(st.backColor)
            x0 = x + st.leftIndent - left
            x1 = x + self.width - st.rightIndent + r
            canvas.rect(x0, y - b, x1 - x0, self.height + t + b, stroke=0, fill=1)
            canvas.restoreState()
        text = canvas.beginText(x + st.leftIndent, top - st.fontSize)
        if self.bullet and self._first:
            text.setTextOrigin(x + st.bulletIndent, top - st.fontSize)
            text.setFont(st.bulletFontName, st.bulletFontSize)
            text.setFillColor(st.bulletColor or st.textColor)
            text.textOut(self.bullet)
            text.setTextOrigin(x + st.leftIndent, top - st.fontSize)
        text.setFont(st.fontName, st.fontSize, st.leading)
        text.setFillColor(st.textColor)
        for line in self.lines:
            text.textLine(line)
        canvas.drawText(text)


def _padding(p: Any) -> tuple[float, float, float, float]:
    """borderPadding as (top, right, bottom, left), from a number or a CSS-like tuple."""
    if isinstance(p, int | float):
        return (p, p, p, p)
    p = tuple(p)
    if len(p) == 2:
        return (p[0], p[1], p[0], p[1])
    if len(p) == 3:
        return (p[0], p[1], p[2], p[1])
    return (p[0], p[1], p[2], p[3])


def text_flowables(
    text: str, style: ParagraphStyle, gap_style: ParagraphStyle, first_bullet: str | None = None
) -> list[Flowable]:
    """A long text (an evidence note) as one PlainText per line, so that it flows across pages.

    A blank line between lines becomes a paragraph gap (gap_style has the space before).
    """
    out: list[Flowable] = []
    gap = False
    for line in clean(text).split("\n"):
        if not line.strip():
            gap = bool(out)
            continue
        line = line.rstrip()
        if out:
            out.append(PlainText(line, gap_style if gap else style))
        else:
            out.append(PlainText(line, style, first_bullet))
        gap = False
    return out


def percent_text(percent: float | None, none: str = "no relevant cases") -> str:
    """The percent as given (already rounded down), with one decimal place; never recomputed."""
    if percent is None:
        return none
    return f"{percent:.1f}%"


_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def when_text(at: datetime) -> str:
    """'20 November 2026, 14:05' (English month names whatever the machine's locale)."""
    out = f"{at.day} {_MONTHS[at.month - 1]} {at.year}, {at.hour:02d}:{at.minute:02d}"
    if at.tzinfo is not None:
        name = at.tzname()
        out += f" {name}" if name else ""
    return out


def fit_text(text: str, font: str, size: float, width: float, smallest: float) -> tuple[str, float]:
    """Shrink to fit in `width`, down to `smallest`; past that, cut with an ellipsis."""
    while size > smallest and pdfmetrics.stringWidth(text, font, size) > width:
        size = max(smallest, size - 0.5)
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text, size
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…", size


# -- tables -----------------------------------------------------------------------------------


def data_table(
    rows: Sequence[list[Any] | tuple[Any, ...]],
    widths: Sequence[float],
    *,
    header: bool = True,
    extra: Sequence[tuple[Any, ...]] = (),
    zebra: bool = True,
) -> Table:
    """A table with a dark header row repeated on every page, light rules and zebra stripes."""
    first = 1 if header else 0
    cmds: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONTNAME", (0, 0), (-1, -1), COND),
        ("FONTSIZE", (0, 0), (-1, -1), CELL_SIZE),
        ("LEADING", (0, 0), (-1, -1), CELL_LEADING),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("LINEBELOW", (0, first), (-1, -1), 0.4, GRID),
    ]
    if header:
        cmds += [
            ("BACKGROUND", (0, 0), (-1, 0), HEAD_TINT),
            ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
            ("FONTNAME", (0, 0), (-1, 0), COND_BOLD),
            ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
        ]
    if zebra:
        cmds.append(("ROWBACKGROUNDS", (0, first), (-1, -1), [colors.white, ZEBRA]))
    cmds.extend(extra)
    return Table(
        list(rows),
        colWidths=list(widths),
        repeatRows=first,
        style=TableStyle(cmds),
        hAlign="LEFT",
        splitInRow=1,
    )


class Details(Flowable):
    """Label / value lines (case details, case facts, fieldwork) with zebra stripes and rules,
    as a two-column Table draws them, for a fraction of a Table's cost; splits between lines.
    """

    PAD_TOP, PAD_BOTTOM, PAD_X = 2.5, 3.5, 4.0

    def __init__(
        self,
        pairs: Sequence[tuple[str, str]],
        label_width: float | None = None,
        *,
        _rows: list[tuple[list[str], list[str], bool]] | None = None,
        _first: bool = True,
        _for_width: float = -1.0,
    ) -> None:
        super().__init__()
        st = styles()
        self.label_style, self.value_style = st.cell_label, st.cell_value
        self.pairs = [(clean(k).strip(), clean(v).strip()) for k, v in pairs]
        if label_width is None:
            widest = max(
                (pdfmetrics.stringWidth(k, SANS, self.label_style.fontSize) for k, _ in self.pairs),
                default=0.0,
            )
            label_width = min(70 * mm, max(32 * mm, widest + 2 * self.PAD_X + 2))
        self.label_width = label_width
        self.rows = _rows or []  # (label lines, value lines, zebra), laid out for _for_width
        self._first = _first
        self._for_width = _for_width
        self.leading = float(self.value_style.leading)
        self.spaceAfter = 6
        self.height = 0.0

    def _lines(self, text: str, style: ParagraphStyle, width: float) -> list[str]:
        out: list[str] = []
        for part in text.split("\n") or [""]:
            out.extend(break_lines(part, style.fontName, style.fontSize, width))
        return out

    def _row_height(self, row: tuple[list[str], list[str], bool]) -> float:
        return max(len(row[0]), len(row[1]), 1) * self.leading + self.PAD_TOP + self.PAD_BOTTOM

    def wrap(self, aw: float, _ah: float) -> tuple[float, float]:
        if aw != self._for_width:
            lw, vw = self.label_width - 2 * self.PAD_X, aw - self.label_width - 2 * self.PAD_X
            self.rows = [
                (
                    self._lines(k, self.label_style, lw),
                    self._lines(v, self.value_style, vw),
                    i % 2 == 1,
                )
                for i, (k, v) in enumerate(self.pairs)
            ]
            self._for_width = aw
        self.width = aw
        self.height = sum(self._row_height(r) for r in self.rows)
        return aw, self.height

    def split(self, aw: float, ah: float) -> list[Flowable]:
        self.wrap(aw, ah)
        used, head = 0.0, []
        for i, row in enumerate(self.rows):
            h = self._row_height(row)
            if used + h <= ah:
                head.append(row)
                used += h
                continue
            # Split inside a row (a very long value) only if at least two lines fit.
            room = int((ah - used - self.PAD_TOP - self.PAD_BOTTOM) // self.leading)
            label, value, zebra = row
            rest = self.rows[i + 1 :]
            if room >= 2 and len(value) > room:
                head.append((label[:room], value[:room], zebra))
                rest = [(label[room:], value[room:], zebra), *rest]
            elif not head:
                return []
            else:
                rest = [row, *rest]
            return [self._part(head, aw, self._first), self._part(rest, aw, False)]
        if len(self.rows) < 2:  # (the frame found it too tall; rounding said otherwise)
            return []
        return [self._part(self.rows[:-1], aw, self._first), self._part(self.rows[-1:], aw, False)]

    def _part(
        self, rows: list[tuple[list[str], list[str], bool]], aw: float, first: bool
    ) -> Details:
        part = Details([], self.label_width, _rows=rows, _first=first, _for_width=aw)
        return part

    def drawOn(self, canvas: Canvas, x: float, y: float, _sW: float = 0) -> None:
        canvas.saveState()
        top = y + self.height
        lines = []
        cursor = top
        for row in self.rows:
            h = self._row_height(row)
            if row[2]:
                canvas.setFillColor(ZEBRA)
                canvas.rect(x, cursor - h, self.width, h, stroke=0, fill=1)
            cursor -= h
            lines.append(cursor)
        canvas.setStrokeColor(GRID)
        canvas.setLineWidth(0.4)
        for ly in lines:
            canvas.line(x, ly, x + self.width, ly)
        if self._first:
            canvas.setStrokeColor(RULE)
            canvas.setLineWidth(0.8)
            canvas.line(x, top, x + self.width, top)
        canvas.restoreState()
        t = canvas.beginText()
        ls, vs = self.label_style, self.value_style
        cursor = top
        for label, value, zebra in self.rows:
            first = cursor - self.PAD_TOP - vs.fontSize
            t.setFont(ls.fontName, ls.fontSize, self.leading)
            t.setFillColor(ls.textColor)
            t.setTextOrigin(x + self.PAD_X, first)
            for line in label:
                t.textLine(line)
            t.setFont(vs.fontName, vs.fontSize, self.leading)
            t.setFillColor(vs.textColor)
            t.setTextOrigin(x + self.label_width + self.PAD_X, first)
            for line in value:
                t.textLine(line)
            cursor -= self._row_height((label, value, zebra))
        canvas.drawText(t)


def details_table(pairs: Sequence[tuple[str, str]]) -> Details:
    """Label / value lines: see Details."""
    return Details(pairs)


# -- the page ---------------------------------------------------------------------------------

PAGE_FORM = "pdPage%d"
CHROME_FORM = "pdChrome"


class PagedCanvas(Canvas):
    """A canvas that writes the numbers it only knows at the end ("of y", contents page numbers).

    Each page draws a reference to a small form; the forms are defined in save(), when every
    page has been laid out: one pass, no second build.
    """

    _pageCompression: Any  # Canvas's own: whether streams are compressed

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pages = 0
        self.late_numbers: dict[str, str] = {}  # form name -> text, drawn right-aligned

    def _right_form(self, name: str, text: str, font: str, size: float) -> None:
        compression: Any = self._pageCompression
        self._pageCompression = 0  # a few bytes: stored as they are
        self.beginForm(name, lowerx=-400, lowery=-6, upperx=2, uppery=size + 4)
        self.setFont(font, size)
        self.setFillColor(INK)
        self.drawRightString(0, 0, text)
        self.endForm()
        self._pageCompression = compression

    def save(self) -> None:
        total = self.pages
        for n in range(1, total + 1):
            self._right_form(PAGE_FORM % n, f"Page {n} of {total}", SANS, 8)
        for name, text in self.late_numbers.items():
            self._right_form(name, text, COND, CELL_SIZE)
        super().save()


class ReportDoc(BaseDocTemplate):
    """A4 document with the marking, running header and "Page x of y" on every page."""

    def __init__(self, filename: str, meta: DocumentMeta) -> None:
        register_fonts()
        super().__init__(
            filename,
            pagesize=A4,
            leftMargin=MARGIN_X,
            rightMargin=MARGIN_X,
            topMargin=TOP,
            bottomMargin=BOTTOM,
            title=meta.title,
            author=meta.author,
            subject=meta.subject,
            creator="probdesk",
            lang="en-GB",
            displayDocTitle=1,
            initialFontName=SANS,
        )
        self.meta = meta
        self.page_label = ""  # right of the running header: which case / part is running
        self.open_note = ""  # the question whose evidence note is being laid out, if any
        self._top_label = ""  # ... as they were when the page began
        self._top_note = ""
        frame = Frame(
            MARGIN_X,
            BOTTOM,
            BODY_W,
            PAGE_H - TOP - BOTTOM,
            id="body",
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
        )
        self.addPageTemplates(
            [PageTemplate(id="page", frames=[frame], onPage=self._begin, onPageEnd=self._decorate)]
        )
        self._marking = fit_text(meta.marking, SANS_BOLD, 9, BODY_W, 6)
        self._generated = f"Generated {when_text(meta.generated)}"

    def begin_part(self, label: str) -> None:
        """A case or part starts here: its label heads this page if nothing came before it."""
        self.page_label = label
        if getattr(self.frame, "_atTop", False):
            self._top_label = label

    def _begin(self, _canv: Canvas, _doc: BaseDocTemplate) -> None:
        self._top_label = self.page_label
        self._top_note = self.open_note

    def _label(self) -> str:
        label = self._top_label or self.page_label
        if self._top_note:
            label += f" · {self._top_note} note, continued"
        return label

    def _chrome(self, canv: Canvas) -> None:
        """What every page repeats, drawn once into a form: marking, running header, rules."""
        canv.beginForm(CHROME_FORM)
        marking, msize = self._marking
        canv.setFillColor(MARKING)
        canv.setFont(SANS_BOLD, msize)
        canv.drawCentredString(PAGE_W / 2, PAGE_H - 11 * mm, marking)
        canv.drawCentredString(PAGE_W / 2, 9 * mm, marking)
        if self.meta.notice:  # between the marking and the running header
            notice, nsize = fit_text(self.meta.notice, SANS_BOLD, 7.5, BODY_W, 6)
            canv.setFont(SANS_BOLD, nsize)
            canv.drawCentredString(PAGE_W / 2, PAGE_H - 14.6 * mm, notice)
        canv.setFillColor(MUTED)
        header, hsize = fit_text(self.meta.running_header, SANS, 8, BODY_W * 0.55 - 12, 6.5)
        canv.setFont(SANS, hsize)
        canv.drawString(MARGIN_X, PAGE_H - 18 * mm, header)
        canv.setFont(SANS, 8)
        canv.drawString(MARGIN_X, 14.5 * mm, self._generated)
        canv.setStrokeColor(RULE)
        canv.setLineWidth(0.6)
        canv.line(MARGIN_X, PAGE_H - 20 * mm, PAGE_W - MARGIN_X, PAGE_H - 20 * mm)
        canv.line(MARGIN_X, 18.5 * mm, PAGE_W - MARGIN_X, 18.5 * mm)
        canv.endForm()

    def _decorate(self, canv: Canvas, _doc: BaseDocTemplate) -> None:
        assert isinstance(canv, PagedCanvas)
        n = canv.getPageNumber()
        canv.pages = max(canv.pages, n)
        if not canv.hasForm(CHROME_FORM):
            self._chrome(canv)
        canv.saveState()
        canv.doForm(CHROME_FORM)
        label = self._label()
        if label:
            label, lsize = fit_text(label, SANS_BOLD, 8, BODY_W * 0.45, 6.5)
            canv.setFillColor(MUTED)
            canv.setFont(SANS_BOLD, lsize)
            canv.drawRightString(PAGE_W - MARGIN_X, PAGE_H - 18 * mm, label)
        canv.translate(PAGE_W - MARGIN_X, 14.5 * mm)
        canv.doForm(PAGE_FORM % n)
        canv.restoreState()

    def write(self, story: list[Flowable]) -> None:
        self.build(story, canvasmaker=PagedCanvas)


class Marker(Flowable):
    """Takes no space; runs `action(canvas)` when laid out: a case or part starts here."""

    def __init__(self, action: Callable[[Canvas], None], *, keep_with_next: bool = False) -> None:
        super().__init__()
        self.action = action
        self.width = self.height = 0
        self.keepWithNext = int(keep_with_next)

    def wrap(self, _aw: float, _ah: float) -> tuple[float, float]:
        return 0, 0

    def drawOn(self, canvas: Canvas, _x: float, _y: float, _sW: float = 0) -> None:
        # Nothing to draw: skip Flowable.drawOn's save/translate/restore.
        self.action(canvas)


class RoomFor(CondPageBreak):
    """A page break unless `height` points are left on the page; draws nothing."""

    def drawOn(self, _canvas: Canvas, _x: float, _y: float, _sW: float = 0) -> None:
        return None


Run = tuple[float, str, str, float, colors.Color]  # x, text, font, size, colour


class TextLine(Flowable):
    """One short line that needs no wrapping ("Answer: Yes"), drawn straight onto the page.

    A Paragraph parses markup and breaks lines; for a label that is most of a case summary's
    layout time. The caller checks that the runs fit the frame.
    """

    def __init__(
        self,
        runs: Sequence[Run],
        size: float,
        leading: float,
        space_after: float = 0,
        space_before: float = 0,
    ) -> None:
        super().__init__()
        self.runs = runs
        self.size = size
        self.leading = leading
        self.spaceAfter = space_after
        self.spaceBefore = space_before

    def wrap(self, aw: float, _ah: float) -> tuple[float, float]:
        self.width = aw
        return aw, self.leading

    def drawOn(self, canvas: Canvas, x: float, y: float, _sW: float = 0) -> None:
        # One text object at absolute positions: no save/translate/restore as Flowable does.
        text = canvas.beginText()
        baseline = y + self.leading - self.size  # where a Paragraph puts its first baseline
        for dx, run, font, size, colour in self.runs:
            text.setTextOrigin(x + dx, baseline)
            text.setFont(font, size)
            text.setFillColor(colour)
            text.textOut(run)
        canvas.drawText(text)


def heading(
    text: str, style: ParagraphStyle, aside: str = "", room: float = 0, keep: bool = True
) -> list[Flowable]:
    """A heading (with an optional small grey aside: a section's stage), one TextLine when it
    fits on a line. It is kept with what follows by a page break unless `room` points are left,
    or else (keep) by the style's keepWithNext, or not at all (the caller sees to it)."""
    kwn = 0 if room or not keep else style.keepWithNext
    text = clean(text).strip()
    aside = clean(aside).strip()
    size, font = style.fontSize, style.fontName
    width = pdfmetrics.stringWidth(text, font, size)
    aside_size = size * 0.68
    aside_text = f"· {aside}" if aside else ""
    aside_w = pdfmetrics.stringWidth(aside_text, font, aside_size) + 6 if aside else 0
    flows: list[Flowable] = [RoomFor(room)] if room else []
    if "\n" in text or width + aside_w > BODY_W:  # wraps; the aside goes on a line below
        head = PlainText(" ".join(text.split()), style)
        head.keepWithNext = kwn if not aside else 1
        flows.append(head)
        if aside:
            below = TextLine([(0, aside, font, aside_size, MUTED)], aside_size, aside_size * 1.4)
            below.keepWithNext = kwn
            flows.append(below)
        return flows
    runs: list[Run] = [(0, text, font, size, style.textColor)]
    if aside:
        runs.append((width + 6, aside_text, font, aside_size, MUTED))
    line = TextLine(runs, size, style.leading, style.spaceAfter, style.spaceBefore)
    line.keepWithNext = kwn
    return [*flows, line]


class LateNumber(Flowable):
    """A number known only after layout (a contents page number), right-aligned in its cell."""

    def __init__(self, form: str) -> None:
        super().__init__()
        self.form = form

    def wrap(self, aw: float, _ah: float) -> tuple[float, float]:
        self.width = aw
        return aw, CELL_LEADING

    def draw(self) -> None:
        self.canv.saveState()
        self.canv.translate(self.width, CELL_LEADING - CELL_SIZE)
        self.canv.doForm(self.form)
        self.canv.restoreState()


# -- progress and cancel ----------------------------------------------------------------------


class Steps:
    """Reports progress and stops with OperationCancelled when the user has asked to cancel."""

    def __init__(self, progress: Progress, cancelled: Cancelled) -> None:
        self.progress = progress
        self.cancelled = cancelled

    def check(self) -> None:
        if self.cancelled():
            raise OperationCancelled

    def step(self, done: int, total: int, what: str) -> None:
        self.check()
        self.progress(done, total, what)


# -- writing files ----------------------------------------------------------------------------


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


def make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise EnvironmentProblem(f"Cannot create the folder {folder}: {_reason(exc)}.") from exc
    if not folder.is_dir():
        raise EnvironmentProblem(f"Cannot write reports into {folder}: it is not a folder.")


@contextmanager
def building(out: Path) -> Iterator[Path]:
    """Yields a hidden temporary path beside `out` (owner-only: case content) for ReportLab to
    write; on success it becomes `out`, durably, on failure it goes and `out` is as it was
    (probdesk.fs.atomic_path). A disk problem is an EnvironmentProblem naming `out`."""
    out = Path(out)
    make_folder(out.parent)
    try:
        with atomic_path(out, mode=0o600) as tmp:
            yield tmp
    except OSError as exc:
        raise EnvironmentProblem(f"Cannot write the report {out}: {_reason(exc)}.") from exc
