"""The state the Reports tab's sections share, declared once so mypy checks the sections.

ReportsPanel (panel.py) is put together from sections (choices_section.py, output_section.py),
each a class deriving from ReportsState: in a section `self` is the panel, a QWidget, and the
names below are what one section may use of the panel's state and of what another section
builds. The panel's __init__ sets the attributes; the sections and the panel define the
methods (the declarations here raise NotImplementedError: the panel's class always has the
real one first).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QRadioButton, QWidget

if TYPE_CHECKING:
    from probdesk.domain.records import Inspection
    from probdesk.services.fieldwork import Fieldwork
    from probdesk.services.hub_access import HubAccess
    from probdesk.ui.kit.runner import Runner
    from probdesk.ui.reports.models import ReportChoices


class ReportsState(QWidget):
    """What the Reports tab's sections share: the panel's services and choice, what was read
    from the hub, and the widgets one section builds and another reads."""

    # -- the panel's: set in ReportsPanel.__init__ -------------------------------------------
    settings: QSettings
    runner: Runner
    hub_access: HubAccess | None  # the window's hub: passed in (`set_hub`)
    fieldwork: Fieldwork | None
    inspection: Inspection | None
    choices: ReportChoices | None  # the cases and PDUs read from the hub
    hint: QLabel  # why there is nothing to choose from (choices_section.py says)

    # -- built by choices_section.py, read by output_section.py ------------------------------
    pdu_summary_combo: QComboBox
    all_of_pdu_radio: QRadioButton
    cases_pdu_combo: QComboBox
    folder_box: QCheckBox
    by_reference_box: QCheckBox

    # -- defined by the panel or a section ----------------------------------------------------
    def _update(self) -> None:
        """Enable and describe what the choice allows; the panel's (panel.py)."""
        raise NotImplementedError

    def kind(self) -> str:
        """The kind of report chosen (CASES, PDU, REGION); choices_section.py's."""
        raise NotImplementedError

    def selected_refs(self) -> list[str]:
        """The selected cases' references, in list order; choices_section.py's."""
        raise NotImplementedError
