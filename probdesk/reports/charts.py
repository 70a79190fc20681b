"""Stage charts for the summary reports: a bar per key question against the rating bands.

Drawn with reportlab.graphics, so the PDF holds vector shapes and real text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from reportlab.graphics.shapes import (
    Drawing,
    Line,
    Rect,
    String,
)
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from probdesk.reports.base import BODY_W, MUTED, SANS, SANS_BOLD, SANS_ITALIC, register_fonts
from probdesk.reports.model import Band, Bar, StageChart

ROW_H = 28.0  # one key question: its id and up to three lines of its text
NAME_ROW_H = 19.0  # one PDU in a comparison: its name on up to two lines
BAR_H = 11.0
LABEL_W = 146.0  # question id and the start of its text
VALUE_W = 64.0  # right of 100%: room for "100.0% of 1,250"
AXIS_H = 15.0
BAND_FONT = 7.0
MAX_ROWS = 20  # a drawing cannot split across pages; longer stages become several drawings

BAR = colors.HexColor("#1f4e79")
BAR_CAUTION = colors.HexColor("#9db3c8")  # a base below the set's minimum: read with care
GRIDLINE = colors.HexColor("#c4ccd6")
INK = colors.HexColor("#1a1a1a")
BAND_INK = colors.HexColor("#363b42")
# Pale tints from the best band to the worst: behind the bars, never louder than them.
_TINTS = ((0xD4, 0xEC, 0xD7), (0xF8, 0xEE, 0xC8), (0xF6, 0xD3, 0xCC))


def _tint(i: int, n: int) -> colors.Color:
    t = i / (n - 1) if n > 1 else 0.0
    seg = min(int(t * (len(_TINTS) - 1)), len(_TINTS) - 2)
    local = t * (len(_TINTS) - 1) - seg
    a, b = _TINTS[seg], _TINTS[seg + 1]
    rgb = [(x + (y - x) * local) / 255 for x, y in zip(a, b, strict=True)]
    return colors.Color(*rgb)


def _filled(x: float, y: float, width: float, height: float, fill: colors.Color) -> Rect:
    """A rectangle filled with `fill`, without an outline."""
    # types-reportlab 5.0 annotates Rect's **kw as the keyword TypedDict itself (Unpack left
    # out), so every keyword reads as needing that dict: checked once here.
    return Rect(x, y, width, height, fillColor=fill, strokeColor=None)  # type: ignore[arg-type]  # stub lacks Unpack


def band_ranges(bands: Sequence[Band]) -> list[tuple[Band, float, float]]:
    """(band, from %, to %) best first; a band runs from its minimum up to the next one's."""
    out = []
    upper = 100.0
    for b in sorted(bands, key=lambda b: b.min_percent, reverse=True):
        lower = max(0.0, min(float(b.min_percent), upper))
        out.append((b, lower, upper))
        upper = lower
    return out


def _cut(text: str, font: str, size: float, width: float) -> str:
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def wrap_lines(text: str, font: str, size: float, width: float, most: int) -> list[str]:
    """Greedy word wrap into at most `most` lines; what does not fit ends in an ellipsis."""
    lines: list[str] = []
    current = ""
    words = text.split()
    for k, word in enumerate(words):
        trial = f"{current} {word}" if current else word
        if stringWidth(trial, font, size) <= width or not current:
            current = trial
            continue
        lines.append(current)
        current = word
        if len(lines) == most:
            current = " ".join([lines.pop(), *words[k:]])
            break
    if current:
        lines.append(current)
    return [_cut(line, font, size, width) for line in lines[:most]]


def band_legend(bands: Sequence[Band]) -> str:
    """'Outstanding: 80% and above; Good: 65% to under 80%; ...' (plain text)."""
    parts = []
    for b, lower, upper in band_ranges(bands):
        if upper >= 100.0:
            parts.append(f"{b.label}: {lower:g}% and above")
        elif lower <= 0.0:
            parts.append(f"{b.label}: under {upper:g}%")
        else:
            parts.append(f"{b.label}: {lower:g}% to under {upper:g}%")
    return "; ".join(parts)


def _band_label(label: str, width: float) -> tuple[list[str], float]:
    """The band's name wrapped into its zone, in the largest size at which every word fits."""
    if width < 10:
        return [], BAND_FONT
    longest = max(label.split(), key=lambda w: stringWidth(w, SANS, BAND_FONT), default="")
    size = BAND_FONT
    while size > 5.5 and stringWidth(longest, SANS, size) > width:
        size -= 0.5
    return wrap_lines(label, SANS, size, width, 3), size


def bar_label(bar: Bar) -> str:
    """What is printed beside a bar: the percentage over its base ("41.6% of 12")."""
    if bar.percent is None:
        return "no relevant cases"
    return f"{bar.percent:.1f}% of {bar.base:,}" + ("*" if bar.caution else "")


def _drawing(
    bars: Sequence[Bar],
    bands: Sequence[Band],
    texts: Mapping[str, str],
    width: float,
    *,
    names: bool = False,
) -> Drawing:
    """The bars against the bands; each bar's label is its question id and the start of the
    question's text, or (names) the bar's own name, a PDU's, wrapped in the label column."""
    row_h = NAME_ROW_H if names else ROW_H
    x0 = LABEL_W
    plot_w = width - LABEL_W - VALUE_W
    ranges = band_ranges(bands)
    band_lines: list[tuple[list[str], float]] = []
    for band, lower, upper in ranges:
        zone_w = plot_w * (upper - lower) / 100 - 4
        band_lines.append(_band_label(band.label, zone_w))
    most = max((len(lines) for lines, _ in band_lines), default=0)
    band_h = most * (BAND_FONT + 1.5) + 6 if ranges else 0
    plot_h = len(bars) * row_h
    height = AXIS_H + plot_h + band_h
    d = Drawing(width, height, initialFontName=SANS, initialFontSize=7)
    y0, y1 = AXIS_H, AXIS_H + plot_h

    def x_at(p: float) -> float:
        return x0 + plot_w * max(0.0, min(100.0, p)) / 100

    for i, ((_band, lower, upper), (lines, size)) in enumerate(
        zip(ranges, band_lines, strict=True)
    ):
        d.add(
            _filled(
                x_at(lower), y0, x_at(upper) - x_at(lower), plot_h + band_h, _tint(i, len(ranges))
            )
        )
        centre = (x_at(lower) + x_at(upper)) / 2
        for k, line in enumerate(lines):
            y = height - 3 - (k + 1) * (BAND_FONT + 1.5) + 1.5
            d.add(
                String(
                    centre,
                    y,
                    line,
                    fontName=SANS,
                    fontSize=size,
                    fillColor=BAND_INK,
                    textAnchor="middle",
                )
            )

    for p in (0, 20, 40, 60, 80, 100):
        x = x_at(p)
        d.add(Line(x, y0, x, y1, strokeColor=GRIDLINE, strokeWidth=0.4))
        d.add(
            String(x, 4, f"{p}%", fontName=SANS, fontSize=6.8, fillColor=MUTED, textAnchor="middle")
        )
    d.add(Line(x0, y0, x0 + plot_w, y0, strokeColor=MUTED, strokeWidth=0.6))

    for i, bar in enumerate(bars):
        qid, percent = bar.question_id, bar.percent
        yc = y1 - (i + 0.5) * row_h
        if names:
            lines = wrap_lines(qid, SANS, 7.5, LABEL_W - 8, 2)
            top = yc - 2.5 + (len(lines) - 1) * 4.2
            for k, line in enumerate(lines):
                d.add(String(0, top - k * 8.4, line, fontName=SANS, fontSize=7.5, fillColor=INK))
        else:
            id_w = stringWidth(qid, SANS_BOLD, 8)
            text_x = max(30.0, id_w + 5)
            lines = wrap_lines(texts.get(qid, ""), SANS, 7, LABEL_W - 8 - text_x, 3)
            top = yc - 2.5 + (max(len(lines), 1) - 1) * 4.2
            d.add(String(0, top, qid, fontName=SANS_BOLD, fontSize=8, fillColor=INK))
            for k, line in enumerate(lines):
                d.add(String(text_x, top - k * 8.4, line, fontName=SANS, fontSize=7, fillColor=INK))
        if percent is None:
            d.add(
                String(
                    x0 + 4,
                    yc - 2.7,
                    "no relevant cases",
                    fontName=SANS_ITALIC,
                    fontSize=7.5,
                    fillColor=MUTED,
                )
            )
            continue
        x = x_at(float(percent))
        if x > x0:
            d.add(_filled(x0, yc - BAR_H / 2, x - x0, BAR_H, BAR_CAUTION if bar.caution else BAR))
        d.add(
            String(
                x + 3, yc - 2.8, bar_label(bar),
                fontName=SANS_ITALIC if bar.caution else SANS_BOLD, fontSize=7.8,
                fillColor=MUTED if bar.caution else INK,
            )
        )  # fmt: skip
    return d


def stage_drawings(
    chart: StageChart, texts: Mapping[str, str], width: float = BODY_W
) -> list[Drawing]:
    """The stage's chart, as one drawing per MAX_ROWS key questions."""
    register_fonts()
    bars = [b if isinstance(b, Bar) else Bar(*b) for b in chart.bars]
    return [
        _drawing(bars[k : k + MAX_ROWS], chart.bands, texts, width)
        for k in range(0, max(len(bars), 1), MAX_ROWS)
        if bars[k : k + MAX_ROWS]
    ]


MAX_NAME_ROWS = 30  # PDUs in one comparison drawing (a drawing cannot split across pages)


def comparison_drawings(
    bars: Sequence[Bar], bands: Sequence[Band], width: float = BODY_W
) -> list[Drawing]:
    """One key question's bars, one per PDU (named in the label column), against the bands:
    the regional report's comparison of its PDUs (several drawings past MAX_NAME_ROWS)."""
    register_fonts()
    rows = list(bars)
    return [
        _drawing(rows[k : k + MAX_NAME_ROWS], bands, {}, width, names=True)
        for k in range(0, len(rows), MAX_NAME_ROWS)
    ]
