"""SQLAlchemy 2.0 models of the local store. They never leave `probdesk.store`."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class DeviceRow(Base):
    """This laptop's identity and counters (one row)."""

    __tablename__ = "device"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    assessor: Mapped[str] = mapped_column(String(80), default="")
    role: Mapped[str] = mapped_column(String(20), default="inspector")
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    last_hlc: Mapped[str] = mapped_column(String(80), default="")
    exported_seq: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    audit_seq: Mapped[int] = mapped_column(Integer, default=0)
    audit_hash: Mapped[str] = mapped_column(String(64), default="")


class QuestionSetRow(Base):
    """The exact question-set text an inspection was set up with, kept with the data."""

    __tablename__ = "question_set"
    content_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    set_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)


class InspectionRow(Base):
    __tablename__ = "inspection"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    region: Mapped[str] = mapped_column(String(120))
    pdu: Mapped[str] = mapped_column(String(120))
    fieldwork_start: Mapped[date] = mapped_column(Date)
    fieldwork_end: Mapped[date] = mapped_column(Date)
    qs_id: Mapped[str] = mapped_column(String(64))
    qs_version: Mapped[str] = mapped_column(String(64))
    qs_hash: Mapped[str] = mapped_column(ForeignKey("question_set.content_hash"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    pdus: Mapped[str] = mapped_column(Text, default="[]")  # JSON list
    lead_device_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    setup_revision: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(10), default="pdu", server_default="pdu")
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class CaseRow(Base):
    __tablename__ = "case"
    __table_args__ = (UniqueConstraint("inspection_id", "reference"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    inspection_id: Mapped[str] = mapped_column(ForeignKey("inspection.id"), index=True)
    reference: Mapped[str] = mapped_column(String(64))
    facts: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    variant: Mapped[str | None] = mapped_column(String(64), nullable=True)
    assessor: Mapped[str] = mapped_column(String(80), default="")
    status: Mapped[str] = mapped_column(String(20), default="not_started")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_hlc: Mapped[str] = mapped_column(String(80), default="")
    pdu: Mapped[str | None] = mapped_column(String(120), nullable=True)


class CaseEventRow(Base):
    """Append-only: a change of one of a case's fields (a fact, the PDU, the assessor, the
    status); the case row is the fold of these (probdesk.domain.case_events)."""

    __tablename__ = "case_event"
    # No unique (device, seq): the state carried over from before case events is events of
    # no device, all seq 0 (probdesk.domain.case_events.base_events).
    __table_args__ = (Index("ix_case_event_case_id", "case_id"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("case.id"))
    field: Mapped[str] = mapped_column(String(80))
    value: Mapped[str] = mapped_column(Text)  # JSON
    device_id: Mapped[str] = mapped_column(String(36))
    seq: Mapped[int] = mapped_column(Integer)
    hlc: Mapped[str] = mapped_column(String(80))
    replaces: Mapped[str | None] = mapped_column(String(36), nullable=True)
    settles: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of event ids
    author: Mapped[str] = mapped_column(String(80), default="")
    recorded_at: Mapped[str] = mapped_column(String(40), default="")


class AnswerEventRow(Base):
    """Append-only: an answer (and its note) as recorded; current answers are a view."""

    __tablename__ = "answer_event"
    __table_args__ = (
        UniqueConstraint("device_id", "seq"),
        Index("ix_answer_event_case_question", "case_id", "question_id"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("case.id"))
    question_id: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(Text)  # JSON
    note: Mapped[str] = mapped_column(Text, default="")
    device_id: Mapped[str] = mapped_column(String(36))
    seq: Mapped[int] = mapped_column(Integer)
    hlc: Mapped[str] = mapped_column(String(80))
    replaces: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    qs_id: Mapped[str] = mapped_column(String(64))
    qs_version: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(DateTime)
    author: Mapped[str] = mapped_column(String(80), default="")


class MeetingRow(Base):
    __tablename__ = "meeting"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    inspection_id: Mapped[str] = mapped_column(ForeignKey("inspection.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    held_on: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(200), default="")
    groups: Mapped[str] = mapped_column(Text, default="[]")  # JSON [{group_id, head_count}]
    questions: Mapped[str] = mapped_column(Text, default="[]")  # JSON [non-case question id]
    created_at: Mapped[datetime] = mapped_column(DateTime)
    seq: Mapped[int | None] = mapped_column(Integer, nullable=True)  # of its last save


class MeetingNoteEventRow(Base):
    __tablename__ = "meeting_note_event"
    __table_args__ = (
        UniqueConstraint("device_id", "seq"),
        Index("ix_meeting_note_event_meeting_question", "meeting_id", "question_id"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meeting.id"))
    question_id: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)
    device_id: Mapped[str] = mapped_column(String(36))
    seq: Mapped[int] = mapped_column(Integer)
    hlc: Mapped[str] = mapped_column(String(80))
    replaces: Mapped[str | None] = mapped_column(String(36), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTime)
    author: Mapped[str] = mapped_column(String(80), default="")


class AuditRow(Base):
    """Hash-chained: each row's hash covers the previous hash, so an edit or deletion shows."""

    __tablename__ = "audit_log"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime)
    device_id: Mapped[str] = mapped_column(String(36))
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(80))
    detail: Mapped[str] = mapped_column(Text, default="")  # ids and codes only, never notes
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AssessorRow(Base):
    __tablename__ = "assessor"
    inspection_id: Mapped[str] = mapped_column(ForeignKey("inspection.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    role: Mapped[str] = mapped_column(String(20))


class RecipientRow(Base):
    __tablename__ = "recipient"
    inspection_id: Mapped[str] = mapped_column(ForeignKey("inspection.id"), primary_key=True)
    key_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(20))
    public: Mapped[str] = mapped_column(String(64))


class KnownDeviceRow(Base):
    """Devices whose packages this store has seen: their keys, trusted from first sight."""

    __tablename__ = "known_device"
    device_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(20))
    signing_public: Mapped[str] = mapped_column(String(64))
    encryption_public: Mapped[str] = mapped_column(String(64))
    first_seen: Mapped[datetime] = mapped_column(DateTime)


class OutboxPackageRow(Base):
    __tablename__ = "outbox_package"
    package_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    inspection_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(20))
    file_name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    seq_to: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    shared_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    copied_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    receipt_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class OpenedPackageRow(Base):
    """Setup and send-back packs already opened here: opening one again changes nothing."""

    __tablename__ = "opened_package"
    package_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))
    inspection_id: Mapped[str] = mapped_column(String(36))
    signer_device_id: Mapped[str] = mapped_column(String(36))
    opened_at: Mapped[datetime] = mapped_column(DateTime)


class CommentRow(Base):
    __tablename__ = "comment"
    __table_args__ = (Index("ix_comment_case_id", "case_id"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    inspection_id: Mapped[str] = mapped_column(String(36))
    case_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    author: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    package_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    question_id: Mapped[str | None] = mapped_column(String(64), nullable=True)


class OrgEventRow(Base):
    """Append-only: a new state of a logged document, a gap, a judgement or a survey figure."""

    __tablename__ = "org_event"
    __table_args__ = (
        UniqueConstraint("device_id", "seq"),
        Index("ix_org_event_subject", "inspection_id", "kind", "subject_id"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    inspection_id: Mapped[str] = mapped_column(ForeignKey("inspection.id"))
    kind: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[str] = mapped_column(String(200))
    payload: Mapped[str] = mapped_column(Text)  # JSON object: the subject's whole new state
    device_id: Mapped[str] = mapped_column(String(36))
    seq: Mapped[int] = mapped_column(Integer)
    hlc: Mapped[str] = mapped_column(String(80))
    replaces: Mapped[str | None] = mapped_column(String(36), nullable=True)
    author: Mapped[str] = mapped_column(String(80), default="")
    recorded_at: Mapped[datetime] = mapped_column(DateTime)


class AttachmentRow(Base):
    """A file attached to a logged document, kept by content: the same bytes are stored once."""

    __tablename__ = "attachment"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class SignedHeadRow(Base):
    """The newest link of each of this device's chains (probdesk.domain.tamper), signed with
    the device key: "audit" for the audit log, "content/<inspection id>" for its changes."""

    __tablename__ = "signed_head"
    chain: Mapped[str] = mapped_column(String(80), primary_key=True)
    inspection_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    device_id: Mapped[str] = mapped_column(String(36))
    seq: Mapped[int] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128), default="")  # hex; "" not signed yet
