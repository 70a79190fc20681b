"""Words for counts, the same on screen, on paper and at the command line: "1 case",
"3 cases", "1 inspection is", "2 inspections are"."""

from __future__ import annotations


def plural(n: int, one: str, more: str | None = None) -> str:
    """ "1 case", "2 cases"; `more` where adding an s is wrong ("1 person", "2 people")."""
    return f"{n:,} {one if n == 1 else more or one + 's'}"
