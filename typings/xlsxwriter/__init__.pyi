# xlsxwriter ships no py.typed marker: the names probdesk calls (probdesk/services/workbook.py),
# as the library behaves.
from xlsxwriter.workbook import Workbook as Workbook

__version__: str
