"""Spreadsheet cells that stay data: what a CSV or XLSX export writes into a cell.

A cell whose text starts with =, +, -, @, a tab or a carriage return is read by a spreadsheet
as a formula (CSV injection: `=HYPERLINK(...)`, `=cmd|...`). OWASP's rule neutralises it with
a leading apostrophe, so the cell shows the text and never runs it. Numbers stay numbers.
"""

from __future__ import annotations

FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """The value to write into a spreadsheet cell: text that would start a formula gets a
    leading apostrophe; None becomes empty text; anything else is kept as it is."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_LEADS):
        return "'" + value
    return value
