"""PDF reports: case summaries and PDU / regional summaries, built with ReportLab from the plain
data in `probdesk.reports.model`. This package knows nothing of the hub, the store or Qt.
"""

from __future__ import annotations

from probdesk.reports.case_summary import build_case_pdf, build_cases_folder, build_cases_pdf
from probdesk.reports.summary import build_summary_pdf

__all__ = ["build_case_pdf", "build_cases_folder", "build_cases_pdf", "build_summary_pdf"]
