"""The window's colours by what they mean, for a light palette and a dark one (a dark desktop
theme, Windows' high-contrast themes): text always reads against its background at 4.5:1 or
more (tests/gui/test_gui_palette.py checks every tab under a dark palette).

Plain text and backgrounds come from the palette's roles; only what the palette has no role
for (a problem, a warning, a note from the team lead, a rating band, a chart bar) is named
here, once for light and once for dark, chosen by the palette in use when the widget is
built. `css(name)` gives "#rrggbb" for style sheets and rich text, `colour(name)` a QColor.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QGuiApplication, QPalette

# name: (on a light palette, on a dark one)
TONES: dict[str, tuple[str, str]] = {
    "problem": ("#a4000f", "#ff9e9e"),  # what went wrong, what refused
    "warning": ("#8a4b00", "#ffc067"),  # held, quarantined, undecided, a draft
    "muted": ("#5f6b76", "#aab4be"),  # what explains or is set aside
    "strong": ("#1f2a33", "#e8edf2"),  # a label that must stand out from muted text
    # A note from the team lead (comments): text, background, border.
    "note_fg": ("#3b2f00", "#ffeeb0"),
    "note_bg": ("#fff4ce", "#3a3000"),
    "note_border": ("#c9a400", "#c9a400"),
    # A hint (a tab with nothing to work on yet).
    "info_fg": ("#12304f", "#d6e6f7"),
    "info_bg": ("#e7f0fa", "#16293d"),
    "info_border": ("#9bb7d4", "#4d6f94"),
    # The banner when a save failed.
    "alarm_fg": ("#6b0009", "#ffd0d4"),
    "alarm_bg": ("#fde7e9", "#3d0a10"),
    "alarm_border": ("#a4000f", "#ff9e9e"),
    # A caution beside a figure (a base too small).
    "caution_fg": ("#6b3d00", "#ffd8a0"),
    "caution_bg": ("#fdf1dc", "#3a2600"),
    "caution_border": ("#b35c00", "#d08a3a"),
    # Charts.
    "bar": ("#1d4f7a", "#6fa8dc"),
    "track": ("#e4e8ec", "#3a4047"),
    "bar_edge": ("#8a96a3", "#8a96a3"),
}
# Rating bands (text, background), best first, for a light palette and a dark one.
BANDS: tuple[tuple[tuple[str, str], tuple[str, str]], ...] = (
    (("#005a30", "#cce2d8"), ("#c8f0dc", "#0f3d26")),  # green
    (("#3d4f12", "#e2ecc4"), ("#e2f0b8", "#2c3a0c")),  # light green
    (("#6e3619", "#fcd6c3"), ("#ffd9c4", "#4a2410")),  # orange
    (("#942514", "#f6d7d2"), ("#ffd2cb", "#4d130b")),  # red
)


def dark(palette: QPalette | None = None) -> bool:
    """The palette in use (the application's by default) is a dark one."""
    if palette is None:
        app = QGuiApplication.instance()
        palette = QGuiApplication.palette() if app is not None else QPalette()
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def css(name: str, palette: QPalette | None = None) -> str:
    light, on_dark = TONES[name]
    return on_dark if dark(palette) else light


def colour(name: str, palette: QPalette | None = None) -> QColor:
    return QColor(css(name, palette))


def band(index: int, palette: QPalette | None = None) -> tuple[QColor, QColor]:
    """A rating band's text and background colours (0 is the best)."""
    light, on_dark = BANDS[min(max(index, 0), len(BANDS) - 1)]
    fg, bg = on_dark if dark(palette) else light
    return QColor(fg), QColor(bg)


def problem_style() -> str:
    """A label saying what went wrong."""
    return f"color: {css('problem')}; font-weight: bold;"


def contrast(a: QColor, b: QColor) -> float:
    """WCAG's contrast ratio between two colours (1 to 21)."""

    def luminance(c: QColor) -> float:
        def channel(v: float) -> float:
            return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

        return (
            0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF())
        )

    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)
