"""What the Reports tab offers and asks for: the report kinds, the cases the hub holds for an
inspection (read_choices), a request and its build (build_report), and the cases' table model."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelectionModel
from PySide6.QtWidgets import QWidget

from probdesk.domain.records import CaseStatus
from probdesk.progress import Cancelled, Progress
from probdesk.ui.kit.tables import RecordTableModel

if TYPE_CHECKING:
    from probdesk.hub.store import Hub

MARKING_KEY = "reports/marking"
CASES, PDU, REGION = "cases", "pdu", "region"
READ_TITLE = "Reading the cases for reports"
BUILD_TITLE = "Building the report"
ABOUT = {
    CASES: "A case summary gives the case facts, the assessor, the status and moderation, "
    "then every question with its answer and evidence notes, and any open conflict. "
    "Several cases in one PDF start with a contents page.",
    PDU: "A PDU summary gives the cases by variant and status, % Yes for every question "
    "(Not applicable left out) with its rating, charts by stage and the evidence from "
    "meetings and focus groups.",
    REGION: "The regional summary pools every PDU's cases, as the summary command does, and "
    "adds each PDU's key questions beside the region's.",
}
KEEP_SELECTED = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows


@dataclass(frozen=True)
class ReportCase:
    reference: str
    pdu: str
    status: str
    assessor: str


@dataclass(frozen=True)
class ReportChoices:
    """What the hub holds for one inspection that a report can be made of."""

    inspection_id: str
    region: str
    pdus: tuple[str, ...]
    cases: tuple[ReportCase, ...]


@dataclass(frozen=True)
class ReportRequest:
    """One report to build, as chosen on the tab; `out` is a file, or a folder if `folder`."""

    kind: str  # CASES, PDU or REGION
    out: Path
    refs: tuple[str, ...] = ()
    pdu: str | None = None  # the PDU summarised, or whose cases are printed
    folder: bool = False
    marking: str = ""
    by_reference: bool = False  # file names after case references (opt-in)
    provisional: bool = False  # summaries over every answered case, labelled PROVISIONAL


def status_label(status: str) -> str:
    try:
        return CaseStatus(status).label
    except ValueError:
        return status


def read_choices(hub: Hub, inspection_id: str) -> ReportChoices | None:
    """None when the hub does not hold the inspection (nothing merged for it yet)."""
    from probdesk.services.figures import holds
    from probdesk.services.reports import ReportSource

    if not holds(hub, inspection_id):
        return None
    source = ReportSource(hub, inspection_id)
    return ReportChoices(
        inspection_id,
        source.region,
        tuple(source.pdus),
        tuple(
            ReportCase(c.reference, c.pdu, status_label(c.status), c.assessor)
            for c in sorted(source.cases, key=lambda c: (c.pdu, c.reference))
        ),
    )


def build_report(
    hub: Hub,
    inspection_id: str,
    author: str,
    request: ReportRequest,
    progress: Progress,
    cancelled: Cancelled,
) -> list[Path]:
    """Build `request` from the hub (on the worker thread) through the one report dispatch,
    which `probdesk report` uses too; the files written."""
    from probdesk.services import reports

    return reports.build(
        hub,
        reports.ReportRequest(
            request.kind, request.out, inspection_id, request.refs, request.pdu, request.folder,
            request.marking, request.by_reference, author=author,
            provisional=request.provisional,
        ),
        progress,
        cancelled,
    )  # fmt: skip


class ReportCaseModel(RecordTableModel[ReportCase]):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            [
                ("Case", lambda c: c.reference),
                ("PDU", lambda c: c.pdu),
                ("Status", lambda c: c.status),
                ("Assessor", lambda c: c.assessor),
            ],
            parent=parent,
        )
