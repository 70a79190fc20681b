"""The Sync tab: the shared folder, exporting this laptop's work, incoming packs."""

from probdesk.ui.sync.open_pack_dialog import OpenSetupPackDialog
from probdesk.ui.sync.panel import SyncPanel

__all__ = ["OpenSetupPackDialog", "SyncPanel"]
