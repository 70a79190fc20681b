"""The Cases tab: the case list and the question form for one case, with its guidance."""

from probdesk.ui.cases.case_form import CaseForm
from probdesk.ui.cases.case_list import CaseListPanel
from probdesk.ui.cases.question_row import GuidancePanel

__all__ = ["CaseForm", "CaseListPanel", "GuidancePanel"]
