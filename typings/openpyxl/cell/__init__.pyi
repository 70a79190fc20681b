from typing import Any

from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

class Cell:
    value: Any
    data_type: str
    number_format: str
    font: Font
    alignment: Alignment

# A function in openpyxl, not a class: it returns a plain Cell.
def WriteOnlyCell(ws: Worksheet | None = None, value: object = None) -> Cell: ...
