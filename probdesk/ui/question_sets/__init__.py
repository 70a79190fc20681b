"""The Question sets tab: the sets this laptop holds, browsed."""

from probdesk.ui.question_sets.browser import QuestionSetBrowser

__all__ = ["QuestionSetBrowser"]
