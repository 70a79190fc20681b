# openpyxl.worksheet.worksheet.Worksheet; in read-only or write-only mode openpyxl hands out
# its own worksheet classes (ReadOnlyWorksheet, WriteOnlyWorksheet): this one declares the
# methods probdesk calls on either.
from collections.abc import Iterable, Iterator
from typing import Any

from openpyxl.cell import Cell

class ColumnDimension:
    width: float

class Worksheet:
    title: str
    freeze_panes: str | None
    column_dimensions: dict[str, ColumnDimension]
    def cell(self, row: int, column: int, value: object = None) -> Cell: ...
    def __getitem__(self, key: str) -> Cell: ...
    def reset_dimensions(self) -> None: ...
    # Cells, or their values with values_only=True.
    def iter_rows(
        self,
        min_row: int | None = None,
        max_row: int | None = None,
        min_col: int | None = None,
        max_col: int | None = None,
        values_only: bool = False,
    ) -> Iterator[tuple[Any, ...]]: ...
    def append(self, iterable: Iterable[object]) -> None: ...
