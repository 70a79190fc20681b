"""Words for counts and dates, the same on every screen and at the command line: "1 case",
"3 cases"; "4 Nov 2026", "4 Nov 2026 14:05", "2–6 Nov 2026". (The PDFs write the month in
full, as the inspectorate's reports do.)"""

from __future__ import annotations

from datetime import date, datetime


def plural(n: int, one: str, more: str | None = None) -> str:
    """ "1 case", "2 cases"; `more` where adding an s is wrong ("1 person", "2 people")."""
    return f"{n:,} {one if n == 1 else more or one + 's'}"


def day_text(d: date) -> str:
    """A day as every screen writes it: "4 Nov 2026" (no leading zero, the month short)."""
    return f"{d.day} {d:%b %Y}"


def moment_text(at: datetime, *, seconds: bool = False) -> str:
    """A moment as every screen writes it: "4 Nov 2026 14:05" (":09" with `seconds`)."""
    return f"{day_text(at)} {at:%H:%M:%S}" if seconds else f"{day_text(at)} {at:%H:%M}"


def span_text(a: date, b: date) -> str:
    """Two days as one span: "2–6 Nov 2026", "28 Oct – 3 Nov 2026", "4 Nov 2026"."""
    if a == b:
        return day_text(a)
    if (a.year, a.month) == (b.year, b.month):
        return f"{a.day}–{day_text(b)}"
    if a.year == b.year:
        return f"{a.day} {a:%b} – {day_text(b)}"
    return f"{day_text(a)} – {day_text(b)}"
