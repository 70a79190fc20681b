from typing import Any

from openpyxl.worksheet.worksheet import Worksheet

class Cell:
    value: Any
    data_type: str

# A function in openpyxl, not a class: it returns a plain Cell.
def WriteOnlyCell(ws: Worksheet | None = None, value: object = None) -> Cell: ...
