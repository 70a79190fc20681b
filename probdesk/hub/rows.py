"""What the hub's readers hand out: plain frozen records, one per stored row.

Services, reports, the window and the command line read the hub through these and never
through SQLAlchemy's rows: a field is an attribute with a type, a misspelt one fails where it
is written, and nothing outside `probdesk.hub` depends on how the rows are fetched. Each
record's fields are its table's columns, with the values as stored (JSON columns stay JSON
text, so that what merges compare is byte for byte what the hub holds); a property gives the
decoded form where services need it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

ENROLLED, REFUSED = "enrolled", "refused"


@dataclass(frozen=True)
class InspectionRow:
    """An inspection as the team lead set it up (hub_inspection)."""

    id: str
    region: str
    pdu: str
    pdus: str  # JSON list: every PDU of the inspection ("[]" in hubs of the first release)
    fieldwork_start: date
    fieldwork_end: date
    qs_hash: str
    kind: str  # "pdu" or "region"
    closed_at: datetime | None  # the team lead closed it (step 8)

    @property
    def pdu_names(self) -> tuple[str, ...]:
        """The inspection's PDUs, its own PDU when the plan names none."""
        return tuple(str(p) for p in json.loads(self.pdus)) or (self.pdu,)


@dataclass(frozen=True)
class PackageRow:
    """An events package merged into the hub (hub_package)."""

    package_id: str
    sha256: str
    device_id: str
    inspection_id: str
    seq_to: int
    file_name: str
    merged_at: datetime


@dataclass(frozen=True)
class CaseRow:
    """A case with the fold of its case events (hub_case)."""

    id: str
    inspection_id: str
    reference: str
    pdu: str | None  # None: the inspection's own PDU
    facts: str  # JSON object: fact id -> value
    variant: str | None
    assessor: str
    status: str
    updated_hlc: str

    @property
    def fact_values(self) -> dict[str, object]:
        return dict(json.loads(self.facts))


@dataclass(frozen=True)
class AnswerRow:
    """One answer event from a laptop, or a team lead's decision (hub_event)."""

    id: str
    case_id: str
    question_id: str
    value: str  # JSON: the answer as recorded (null when cleared)
    note: str
    device_id: str
    seq: int
    hlc: str
    replaces: str | None
    qs_id: str
    qs_version: str
    recorded_at: str
    author: str

    @property
    def answer(self) -> Any:
        """The value decoded (a list for a multiple choice, None when cleared)."""
        return json.loads(self.value)


@dataclass(frozen=True)
class DecisionRow:
    """A moderation decision on a case (hub_moderation): every one is kept."""

    id: str
    case_id: str
    action: str  # approved | returned
    moderator: str
    comment: str
    at: datetime


@dataclass(frozen=True)
class SentComment:
    """A comment the team lead sent to a case's assessor (hub_comment); the assessor's
    replies come back as the case's "reply:<id>" events."""

    id: str
    inspection_id: str
    case_id: str
    question_id: str | None  # None: on the case as a whole
    author: str
    text: str
    kind: str  # comment | return
    sent_at: datetime
    seen_hlc: str | None = None  # the clock of the question's answer standing when it was sent


@dataclass(frozen=True)
class MeetingRow:
    """A meeting or focus group recorded on a laptop (hub_meeting)."""

    id: str
    inspection_id: str
    kind: str  # meeting | focus_group
    held_on: str  # YYYY-MM-DD
    title: str
    groups: str  # JSON list of {group_id, head_count}
    questions: str  # JSON list of non-case question ids
    device_id: str

    @property
    def attendance(self) -> tuple[tuple[str, int], ...]:
        """(participant group id, head count) of each group that took part."""
        return tuple((str(g["group_id"]), int(g["head_count"])) for g in json.loads(self.groups))


@dataclass(frozen=True)
class MeetingNoteRow:
    """A note on a non-case question taken at a meeting (hub_meeting_note)."""

    id: str
    meeting_id: str
    question_id: str
    note: str
    device_id: str
    seq: int
    hlc: str
    replaces: str | None
    recorded_at: str
    author: str


@dataclass(frozen=True)
class OrgEventRow:
    """A domain one evidence event (hub_org_event): the subject's whole new state."""

    id: str
    inspection_id: str
    kind: str
    subject_id: str
    payload: str  # JSON object
    device_id: str
    seq: int
    hlc: str
    replaces: str | None
    author: str
    recorded_at: str


@dataclass(frozen=True)
class AttachmentRow:
    """An attached file, kept once by its SHA-256 (hub_attachment)."""

    sha256: str
    name: str
    size: int
    data: bytes


@dataclass(frozen=True)
class KeyState:
    """The team lead's decision on a laptop's key for an inspection (hub_device_key)."""

    member: str
    device_id: str
    state: str
    how: str

    @property
    def enrolled(self) -> bool:
        return self.state == ENROLLED


@dataclass(frozen=True)
class HeldRow:
    """A package held because its key is not enrolled (hub_held)."""

    sha256: str
    package_id: str
    inspection_id: str
    device_id: str
    signing_public: str
    encryption_public: str
    fingerprint: str
    claimed_member: str
    file_name: str
    seen_at: datetime


@dataclass(frozen=True)
class AssignmentRow:
    """Who had a case from the lead's clock `hlc` on (hub_assignment)."""

    case_id: str
    hlc: str
    reference: str
    assessor: str


@dataclass(frozen=True)
class PurgeRecord:
    """What a purge removed of an inspection: ids, dates and counts only (hub_purge)."""

    inspection_id: str
    closed_at: datetime
    purged_at: datetime
    retention_days: int
    counts: dict[str, int]
