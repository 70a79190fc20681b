"""The Team lead tab: the team, the case sample, the setup pack and comments back."""

from probdesk.ui.team_lead.panel import SetupPanel

__all__ = ["SetupPanel"]
