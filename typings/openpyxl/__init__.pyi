# Only what probdesk calls (probdesk.services.hub, sample_import, questionset_xlsx).
from os import PathLike
from typing import IO

from openpyxl.worksheet.worksheet import Worksheet

class DocumentProperties:
    creator: str | None

class Workbook:
    @property
    def active(self) -> Worksheet | None: ...
    properties: DocumentProperties
    def __init__(self, write_only: bool = False, iso_dates: bool = False) -> None: ...
    @property
    def worksheets(self) -> list[Worksheet]: ...
    def create_sheet(self, title: str | None = None, index: int | None = None) -> Worksheet: ...
    def save(self, filename: str | PathLike[str] | IO[bytes]) -> None: ...
    def close(self) -> None: ...

def load_workbook(
    filename: str | PathLike[str] | IO[bytes],
    read_only: bool = False,
    keep_vba: bool = False,
    data_only: bool = False,
    keep_links: bool = True,
    rich_text: bool = False,
) -> Workbook: ...
