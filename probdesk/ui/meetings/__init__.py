"""The Meetings and focus groups tab."""

from probdesk.ui.meetings.panel import MeetingsPanel

__all__ = ["MeetingsPanel"]
