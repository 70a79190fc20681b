"""The Reports tab: the team lead's case summaries, PDU and regional summaries, as PDF."""

from probdesk.ui.reports.panel import ReportsPanel

__all__ = ["ReportsPanel"]
