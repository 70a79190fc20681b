"""The Hub tab: merging, figures, conflicts, progress and moderation on the team lead's hub."""

from probdesk.ui.hub.panel import HubPanel

__all__ = ["HubPanel"]
