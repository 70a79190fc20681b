"""The Cases tab: the case list and the question form for one case, with its guidance."""

from probdesk.ui.cases.case_form import CaseForm, GuidancePanel
from probdesk.ui.cases.case_list import CaseListPanel

__all__ = ["CaseForm", "CaseListPanel", "GuidancePanel"]
