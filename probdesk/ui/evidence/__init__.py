"""The Evidence tab (domain one): the package's panel and the test the window uses to
show it."""

from probdesk.ui.evidence.models import applies_to
from probdesk.ui.evidence.panel import EvidencePanel

__all__ = ["EvidencePanel", "applies_to"]
