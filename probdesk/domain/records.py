"""Plain frozen records that the store hands out: never ORM objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class CaseStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"
    LOCKED = "locked"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def editable(self) -> bool:
        return self in (CaseStatus.NOT_STARTED, CaseStatus.IN_PROGRESS, CaseStatus.RETURNED)


class MeetingKind(StrEnum):
    MEETING = "meeting"
    FOCUS_GROUP = "focus_group"

    @property
    def label(self) -> str:
        return "Focus group" if self is MeetingKind.FOCUS_GROUP else "Meeting"


@dataclass(frozen=True)
class Device:
    id: str
    assessor: str  # initials or name of the inspector using this laptop, never a case subject
    role: str  # inspector | local_assessor | team_lead
    last_seq: int
    last_hlc: str
    exported_seq: int


@dataclass(frozen=True)
class StoredQuestionSet:
    content_hash: str
    set_id: str
    version: str
    title: str
    text: str


@dataclass(frozen=True)
class Inspection:
    id: str
    region: str
    pdu: str
    fieldwork_start: date
    fieldwork_end: date
    qs_id: str
    qs_version: str
    qs_hash: str
    created_at: datetime
    pdus: tuple[str, ...] = ()  # the PDUs whose cases are sampled; `pdu` names the inspection
    lead_device_id: str | None = None  # the team lead's device, once a setup pack was opened
    setup_revision: int = 0
    kind: str = "pdu"  # "pdu", or "region": a regional inspection drawing on its PDUs' data
    closed_at: datetime | None = None  # closed by the team lead: may be purged once merged

    @property
    def dates(self) -> str:
        from probdesk.domain.words import span_text

        return span_text(self.fieldwork_start, self.fieldwork_end)

    @property
    def title(self) -> str:
        """How the inspection is named to people: its region and every PDU it samples (up to
        three by name, else how many), and its fieldwork dates."""
        if self.kind == "region":
            return f"Regional inspection of {self.region}, fieldwork {self.dates}"
        return f"{pdu_names(self.pdu, self.pdus)}, {self.region}, fieldwork {self.dates}"


def pdu_names(pdu: str, pdus: tuple[str, ...] = ()) -> str:
    """ "Plymouth", "Plymouth and Exeter", "Plymouth, Exeter and Torbay", or "4 PDUs"."""
    names = list(dict.fromkeys(n for n in (pdu, *pdus) if n))
    if len(names) > 3:
        return f"{len(names)} PDUs"
    if len(names) <= 1:
        return names[0] if names else "no PDU"
    return f"{', '.join(names[:-1])} and {names[-1]}"


@dataclass(frozen=True)
class Case:
    id: str
    inspection_id: str
    reference: str
    facts: dict[str, object] = field(hash=False)
    variant: str | None
    assessor: str
    status: CaseStatus
    created_at: datetime
    pdu: str | None = None
    updated_hlc: str = ""  # clock of the last change to facts, status or assignment


@dataclass(frozen=True)
class AnswerEvent:
    id: str
    case_id: str
    question_id: str
    value: object  # "yes" / "no" / "na", a choice value, a list, a number, text; None clears
    note: str
    device_id: str
    seq: int
    hlc: str
    replaces: str | None
    qs_id: str
    qs_version: str
    recorded_at: datetime
    author: str = ""  # who recorded it, as they were named on the device at the time


@dataclass(frozen=True)
class GroupAttendance:
    group_id: str
    head_count: int


@dataclass(frozen=True)
class Meeting:
    id: str
    inspection_id: str
    kind: MeetingKind
    held_on: date
    title: str
    groups: tuple[GroupAttendance, ...]
    questions: tuple[str, ...]
    created_at: datetime


@dataclass(frozen=True)
class MeetingNoteEvent:
    id: str
    meeting_id: str
    question_id: str
    note: str
    device_id: str
    seq: int
    hlc: str
    replaces: str | None
    recorded_at: datetime
    author: str = ""


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: datetime
    device_id: str
    actor: str
    action: str
    entity: str
    entity_id: str
    detail: str
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class Assessor:
    name: str  # a member of the inspection team: a name or initials, never a case subject
    role: str  # inspector | local_assessor


@dataclass(frozen=True)
class RecipientKey:
    """A public key every export of an inspection is encrypted to (team lead, recovery)."""

    key_id: str
    name: str
    role: str
    public: str  # base64 of the raw X25519 public key


@dataclass(frozen=True)
class KnownDevice:
    device_id: str
    name: str
    role: str
    signing_public: str
    encryption_public: str
    first_seen: datetime


@dataclass(frozen=True)
class OutboxPackage:
    package_id: str
    inspection_id: str
    kind: str
    file_name: str
    sha256: str
    seq_to: int
    created_at: datetime
    shared_path: str | None
    copied_at: datetime | None
    receipt_at: datetime | None


@dataclass(frozen=True)
class Comment:
    id: str
    inspection_id: str
    case_id: str | None
    author: str
    text: str
    created_at: datetime
    package_id: str | None  # the send-back pack it came in; None: a question-set move's notice
    done_at: datetime | None = None  # when the case's assessor marked it done; None: open
    question_id: str | None = None  # the one question of the case it is about; None: the case
    # The assessor's reply, as the case's "reply:<id>" event says (read, not stored here).
    reply: str = ""
    replied_at: str = ""  # the laptop's time of the reply (ISO); "" when not replied
