"""Repositories over one unit of work's session; everything they return is a frozen record."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session, aliased

from probdesk.domain.case_events import CaseEvent
from probdesk.domain.evidence import OrgEvent
from probdesk.domain.records import (
    AnswerEvent,
    Assessor,
    AuditEntry,
    Case,
    CaseStatus,
    Comment,
    Device,
    GroupAttendance,
    Inspection,
    KnownDevice,
    Meeting,
    MeetingKind,
    MeetingNoteEvent,
    OutboxPackage,
    RecipientKey,
    StoredQuestionSet,
)
from probdesk.store.chains import ChainRepository, Signing
from probdesk.store.models import (
    AnswerEventRow,
    AssessorRow,
    AttachmentRow,
    AuditRow,
    CaseEventRow,
    CaseRow,
    CommentRow,
    DeviceRow,
    InspectionRow,
    KnownDeviceRow,
    MeetingNoteEventRow,
    MeetingRow,
    OpenedPackageRow,
    OrgEventRow,
    OutboxPackageRow,
    QuestionSetRow,
    RecipientRow,
)
from probdesk.store.purge import RetentionRepository

if TYPE_CHECKING:
    from sqlalchemy import Row

    # AnswerRepository._COLS, in order (SQLAlchemy 2.1's Row takes the column types).
    _AnswerColumns = Row[
        str, str, str, str, str, str, int, str, str | None, str, str, datetime, str
    ]


def _json(value: object) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _value_out(text: str) -> object:
    value = json.loads(text)
    return tuple(value) if isinstance(value, list) else value


def _answer_event(r: _AnswerColumns) -> AnswerEvent:
    return AnswerEvent(
        r[0], r[1], r[2], _value_out(r[3]), r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12]
    )


class DeviceRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    @staticmethod
    def _out(r: DeviceRow) -> Device:
        return Device(r.id, r.assessor, r.role, r.last_seq, r.last_hlc, r.exported_seq)

    def get(self) -> Device | None:
        row = self.s.scalars(select(DeviceRow)).first()
        return self._out(row) if row else None

    def create(self, device_id: str, now: datetime) -> Device:
        row = DeviceRow(
            id=device_id,
            assessor="",
            role="inspector",
            last_seq=0,
            last_hlc="",
            exported_seq=0,
            created_at=now,
        )
        self.s.add(row)
        self.s.flush()
        return self._out(row)

    def set_identity(self, device_id: str, assessor: str, role: str) -> None:
        self.s.execute(
            update(DeviceRow).where(DeviceRow.id == device_id).values(assessor=assessor, role=role)
        )

    def mark_exported(self, device_id: str, seq: int) -> None:
        """Never backwards: an export that finished late covers less than a newer one."""
        self.s.execute(
            update(DeviceRow)
            .where(DeviceRow.id == device_id, DeviceRow.exported_seq < seq)
            .values(exported_seq=seq)
        )

    def set_exported(self, device_id: str, seq: int) -> None:
        """Every change numbered up to `seq` is in a package (probdesk.services.fieldwork
        works it out from the outbox, per inspection, in the export's transaction)."""
        self.s.execute(update(DeviceRow).where(DeviceRow.id == device_id).values(exported_seq=seq))

    def changes_above(self, device_id: str, above: int) -> list[tuple[str, int]]:
        """(inspection id, sequence number) of every change this device numbered above
        `above`: answers, case changes, meeting notes and saves, evidence events."""
        queries = [
            select(CaseRow.inspection_id, AnswerEventRow.seq)
            .join(CaseRow, CaseRow.id == AnswerEventRow.case_id)
            .where(AnswerEventRow.device_id == device_id, AnswerEventRow.seq > above),
            select(CaseRow.inspection_id, CaseEventRow.seq)
            .join(CaseRow, CaseRow.id == CaseEventRow.case_id)
            .where(CaseEventRow.device_id == device_id, CaseEventRow.seq > above),
            select(MeetingRow.inspection_id, MeetingNoteEventRow.seq)
            .join(MeetingRow, MeetingRow.id == MeetingNoteEventRow.meeting_id)
            .where(MeetingNoteEventRow.device_id == device_id, MeetingNoteEventRow.seq > above),
            select(MeetingRow.inspection_id, MeetingRow.seq).where(MeetingRow.seq > above),
            select(OrgEventRow.inspection_id, OrgEventRow.seq).where(
                OrgEventRow.device_id == device_id, OrgEventRow.seq > above
            ),
        ]
        return [(str(i), int(s)) for q in queries for i, s in self.s.execute(q) if s is not None]

    def advance(self, device_id: str, hlc: str) -> tuple[int, str]:
        """Take the next sequence number and record the clock (same transaction as the event).

        Returns the number and the assessor's name, in one statement.
        """
        # Core, not ORM, execution: this runs for every answer saved.
        row = self.s.connection().execute(self._ADVANCE, {"device_id": device_id, "hlc": hlc}).one()
        self.taken = int(row[0])
        return int(row[0]), str(row[1])

    taken: int | None = None  # the newest sequence number this unit of work took

    _ADVANCE = (
        update(DeviceRow)
        .where(DeviceRow.id == bindparam("device_id"))
        .values(last_seq=DeviceRow.last_seq + 1, last_hlc=bindparam("hlc"))
        .returning(DeviceRow.last_seq, DeviceRow.assessor)
    )


class QuestionSetRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def put(self, content_hash: str, set_id: str, version: str, title: str, text: str) -> None:
        if self.s.get(QuestionSetRow, content_hash) is None:
            self.s.add(
                QuestionSetRow(
                    content_hash=content_hash,
                    set_id=set_id,
                    version=version,
                    title=title,
                    text=text,
                )
            )
            self.s.flush()

    def get(self, content_hash: str) -> StoredQuestionSet | None:
        r = self.s.get(QuestionSetRow, content_hash)
        if r is None:
            return None
        return StoredQuestionSet(r.content_hash, r.set_id, r.version, r.title, r.text)

    def versions(self, set_id: str) -> list[StoredQuestionSet]:
        """Every version of a question set kept here (an inspection moved keeps the old)."""
        rows = self.s.scalars(
            select(QuestionSetRow)
            .where(QuestionSetRow.set_id == set_id)
            .order_by(QuestionSetRow.version)
        )
        return [
            StoredQuestionSet(r.content_hash, r.set_id, r.version, r.title, r.text) for r in rows
        ]


class InspectionRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    @staticmethod
    def _out(r: InspectionRow) -> Inspection:
        return Inspection(
            r.id, r.region, r.pdu, r.fieldwork_start, r.fieldwork_end,
            r.qs_id, r.qs_version, r.qs_hash, r.created_at,
            tuple(json.loads(r.pdus or "[]")), r.lead_device_id, r.setup_revision,
            r.kind or "pdu", r.closed_at,
        )  # fmt: skip

    def add(self, inspection: Inspection) -> Inspection:
        self.s.add(InspectionRow(
            id=inspection.id, region=inspection.region, pdu=inspection.pdu,
            fieldwork_start=inspection.fieldwork_start, fieldwork_end=inspection.fieldwork_end,
            qs_id=inspection.qs_id, qs_version=inspection.qs_version,
            qs_hash=inspection.qs_hash, created_at=inspection.created_at,
            pdus=_json(list(inspection.pdus)), lead_device_id=inspection.lead_device_id,
            setup_revision=inspection.setup_revision, kind=inspection.kind,
            closed_at=inspection.closed_at,
        ))  # fmt: skip
        self.s.flush()
        return inspection

    def set_closed(self, inspection_id: str, at: datetime) -> bool:
        """Record the team lead's closing (the first one counts); False when already closed."""
        r = self.s.get(InspectionRow, inspection_id)
        if r is None:
            raise KeyError(inspection_id)
        if r.closed_at is not None:
            return False
        r.closed_at = at
        self.s.flush()
        return True

    def update_setup(self, inspection: Inspection) -> Inspection:
        """Replace the set-up fields from a newer setup pack (never answers or cases)."""
        r = self.s.get(InspectionRow, inspection.id)
        if r is None:
            raise KeyError(inspection.id)
        r.region, r.pdu = inspection.region, inspection.pdu
        r.fieldwork_start, r.fieldwork_end = inspection.fieldwork_start, inspection.fieldwork_end
        r.qs_id, r.qs_version, r.qs_hash = (
            inspection.qs_id,
            inspection.qs_version,
            inspection.qs_hash,
        )
        r.pdus = _json(list(inspection.pdus))
        r.lead_device_id = inspection.lead_device_id
        r.setup_revision = inspection.setup_revision
        r.kind = inspection.kind
        self.s.flush()
        return self._out(r)

    def get(self, inspection_id: str) -> Inspection | None:
        r = self.s.get(InspectionRow, inspection_id)
        return self._out(r) if r else None

    def newest_first(self) -> list[Inspection]:
        """Every inspection, the newest first."""
        rows = self.s.scalars(select(InspectionRow).order_by(InspectionRow.created_at.desc()))
        return [self._out(r) for r in rows]


class CaseRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    @staticmethod
    def _out(r: CaseRow) -> Case:
        return Case(
            r.id, r.inspection_id, r.reference, json.loads(r.facts), r.variant,
            r.assessor, CaseStatus(r.status), r.created_at, r.pdu, r.updated_hlc,
        )  # fmt: skip

    def add(self, case: Case, hlc: str) -> Case:
        self.s.add(CaseRow(
            id=case.id, inspection_id=case.inspection_id, reference=case.reference,
            facts=_json(case.facts), variant=case.variant, assessor=case.assessor,
            status=case.status.value, created_at=case.created_at, updated_hlc=hlc,
            pdu=case.pdu,
        ))  # fmt: skip
        self.s.flush()
        return case

    def get(self, case_id: str) -> Case | None:
        r = self.s.get(CaseRow, case_id)
        return self._out(r) if r else None

    _STATUS = (
        select(
            CaseRow.reference,
            CaseRow.status,
            InspectionRow.qs_hash,
            CaseRow.assessor,
            InspectionRow.lead_device_id,
        )
        .join(InspectionRow, InspectionRow.id == CaseRow.inspection_id)
        .where(CaseRow.id == bindparam("case_id"))
    )

    def status_of(self, case_id: str) -> tuple[str, CaseStatus, str, str, str | None] | None:
        """Reference, status, question-set hash, assessor and the inspection's team lead's
        device: what saving an answer needs, in one query."""
        r = self.s.connection().execute(self._STATUS, {"case_id": case_id}).first()
        return (r[0], CaseStatus(r[1]), r[2], r[3], r[4]) if r else None

    def by_reference(self, inspection_id: str, reference: str) -> Case | None:
        r = self.s.scalars(
            select(CaseRow).where(
                CaseRow.inspection_id == inspection_id,
                func.lower(CaseRow.reference) == reference.lower(),
            )
        ).first()
        return self._out(r) if r else None

    def for_inspection(self, inspection_id: str) -> list[Case]:
        """The inspection's cases, by reference."""
        rows = self.s.scalars(
            select(CaseRow)
            .where(CaseRow.inspection_id == inspection_id)
            .order_by(CaseRow.reference)
        )
        return [self._out(r) for r in rows]

    def set_state(
        self,
        case_id: str,
        *,
        facts: dict[str, object],
        variant: str | None,
        status: CaseStatus,
        assessor: str,
        pdu: str | None,
        updated_hlc: str,
    ) -> Case:
        """Write the fold of the case's events into its row (the row is never the source)."""
        r = self.s.get(CaseRow, case_id)
        if r is None:
            raise KeyError(case_id)
        r.facts = _json(facts)
        r.variant = variant
        r.status = status.value
        r.assessor = assessor
        r.pdu = pdu
        r.updated_hlc = updated_hlc
        self.s.flush()
        return self._out(r)


class CaseEventRepository:
    """Append-only changes of cases' fields; adding one that is there already does nothing."""

    def __init__(self, session: Session, chains: ChainRepository | None = None) -> None:
        self.s = session
        self.chains = chains

    _COLS = (
        CaseEventRow.id, CaseEventRow.case_id, CaseEventRow.field, CaseEventRow.value,
        CaseEventRow.device_id, CaseEventRow.seq, CaseEventRow.hlc, CaseEventRow.replaces,
        CaseEventRow.settles, CaseEventRow.author, CaseEventRow.recorded_at,
    )  # fmt: skip

    @staticmethod
    def _out(r: Any) -> CaseEvent:
        return CaseEvent(
            r[0], r[1], r[2], json.loads(r[3]), r[4], r[5], r[6], r[7], tuple(json.loads(r[8])),
            r[9], r[10],
        )  # fmt: skip

    def add(self, events: Sequence[CaseEvent]) -> int:
        """Store the events not stored yet (by id); how many were new."""
        if not events:
            return 0
        ids = [e.id for e in events]
        have: set[str] = set()
        for start in range(0, len(ids), 500):
            have.update(self.s.scalars(
                select(CaseEventRow.id).where(CaseEventRow.id.in_(ids[start:start + 500]))
            ))  # fmt: skip
        new = [e for e in dict((e.id, e) for e in events).values() if e.id not in have]
        if self.chains is not None:
            self.chains.case_events(new)
        if new:
            self.s.connection().execute(insert(CaseEventRow), [{
                "id": e.id, "case_id": e.case_id, "field": e.field, "value": _json(e.value),
                "device_id": e.device_id, "seq": e.seq, "hlc": e.hlc, "replaces": e.replaces,
                "settles": _json(list(e.settles)), "author": e.author,
                "recorded_at": e.recorded_at,
            } for e in new])  # fmt: skip
        return len(new)

    def for_cases(self, case_ids: Sequence[str]) -> list[CaseEvent]:
        out: list[CaseEvent] = []
        ids = list(case_ids)
        for start in range(0, len(ids), 500):
            stmt = select(*self._COLS).where(CaseEventRow.case_id.in_(ids[start : start + 500]))
            out.extend(self._out(r) for r in self.s.execute(stmt))
        return out

    def for_inspection(self, inspection_id: str, device_id: str | None = None) -> list[CaseEvent]:
        """The inspection's case events (one device's only, with `device_id`), oldest first."""
        stmt = (
            select(*self._COLS)
            .join(CaseRow, CaseRow.id == CaseEventRow.case_id)
            .where(CaseRow.inspection_id == inspection_id)
            .order_by(CaseEventRow.hlc, CaseEventRow.id)
        )
        if device_id is not None:
            stmt = stmt.where(CaseEventRow.device_id == device_id)
        return [self._out(r) for r in self.s.execute(stmt)]


class AnswerRepository:
    def __init__(self, session: Session, chains: ChainRepository | None = None) -> None:
        self.s = session
        self.chains = chains

    _INSERT = insert(AnswerEventRow)

    def add(self, e: AnswerEvent) -> AnswerEvent:
        if self.chains is not None:
            self.chains.answers((e,))
        self.s.connection().execute(self._INSERT, [{
            "id": e.id, "case_id": e.case_id, "question_id": e.question_id,
            "value": _json(e.value), "note": e.note, "device_id": e.device_id, "seq": e.seq,
            "hlc": e.hlc, "replaces": e.replaces, "qs_id": e.qs_id, "qs_version": e.qs_version,
            "recorded_at": e.recorded_at, "author": e.author,
        }])  # fmt: skip
        return e

    _COLS = (
        AnswerEventRow.id, AnswerEventRow.case_id, AnswerEventRow.question_id,
        AnswerEventRow.value, AnswerEventRow.note, AnswerEventRow.device_id, AnswerEventRow.seq,
        AnswerEventRow.hlc, AnswerEventRow.replaces, AnswerEventRow.qs_id,
        AnswerEventRow.qs_version, AnswerEventRow.recorded_at, AnswerEventRow.author,
    )  # fmt: skip

    def _rows(self, where: ColumnElement[bool]) -> list[AnswerEvent]:
        stmt = select(*self._COLS).where(where).order_by(AnswerEventRow.hlc)
        return [_answer_event(r) for r in self.s.execute(stmt)]

    _SAME = (AnswerEventRow.case_id == bindparam("case_id")) & (
        AnswerEventRow.question_id == bindparam("question_id")
    )
    _HEAD = (
        select(*_COLS)
        .where(
            _SAME
            & AnswerEventRow.id.not_in(
                select(AnswerEventRow.replaces)
                .where(_SAME & AnswerEventRow.replaces.is_not(None))
                .scalar_subquery()
            )
        )
        .order_by(AnswerEventRow.hlc.desc())
        .limit(1)
    )

    def exists(self, event_id: str) -> bool:
        return self.s.get(AnswerEventRow, event_id) is not None

    def head(self, case_id: str, question_id: str) -> AnswerEvent | None:
        """The current answer: the newest event that no other event of the question replaces."""
        params = {"case_id": case_id, "question_id": question_id}
        r = self.s.connection().execute(self._HEAD, params).first()
        return _answer_event(r) if r else None

    def for_case(self, case_id: str) -> list[AnswerEvent]:
        return self._rows(AnswerEventRow.case_id == case_id)

    def for_question(self, case_id: str, question_id: str) -> list[AnswerEvent]:
        return self._rows(
            (AnswerEventRow.case_id == case_id) & (AnswerEventRow.question_id == question_id)
        )

    def for_inspection(self, inspection_id: str) -> list[AnswerEvent]:
        cases = select(CaseRow.id).where(CaseRow.inspection_id == inspection_id)
        return self._rows(AnswerEventRow.case_id.in_(cases.scalar_subquery()))

    def current_values(
        self, inspection_id: str, case_id: str | None = None
    ) -> dict[tuple[str, str], object]:
        """(case id, question id) -> current value for every case of an inspection (only
        `case_id`'s when given: one answer changed, one row of the case list to redo).

        Only unreplaced events are read and decoded; with concurrent heads (from merges) the
        newest by clock wins, as in `probdesk.domain.answers.heads`.
        """
        newer = aliased(AnswerEventRow)
        stmt = (
            select(AnswerEventRow.case_id, AnswerEventRow.question_id, AnswerEventRow.value,
                   AnswerEventRow.hlc)
            .join(CaseRow, CaseRow.id == AnswerEventRow.case_id)
            .where(CaseRow.inspection_id == bindparam("inspection_id"))
            .where(~select(newer.id).where(newer.replaces == AnswerEventRow.id).exists())
            .order_by(AnswerEventRow.hlc)
        )  # fmt: skip
        params = {"inspection_id": inspection_id}
        if case_id is not None:
            stmt = stmt.where(AnswerEventRow.case_id == bindparam("case_id"))
            params["case_id"] = case_id
        out: dict[tuple[str, str], object] = {}
        for case_id_, qid, value, _hlc in self.s.connection().execute(stmt, params):
            out[(case_id_, qid)] = _value_out(value)  # later (newer) heads overwrite
        return out

    def by_device(self, inspection_id: str, device_id: str) -> list[AnswerEvent]:
        cases = select(CaseRow.id).where(CaseRow.inspection_id == inspection_id)
        return self._rows(
            AnswerEventRow.case_id.in_(cases.scalar_subquery())
            & (AnswerEventRow.device_id == device_id)
        )

    def count(self) -> int:
        return int(self.s.scalar(select(func.count()).select_from(AnswerEventRow)) or 0)


class MeetingRepository:
    def __init__(self, session: Session, chains: ChainRepository | None = None) -> None:
        self.s = session
        self.chains = chains

    @staticmethod
    def _out(r: MeetingRow) -> Meeting:
        groups = tuple(
            GroupAttendance(g["group_id"], int(g["head_count"])) for g in json.loads(r.groups)
        )
        return Meeting(
            r.id, r.inspection_id, MeetingKind(r.kind), r.held_on, r.title,
            groups, tuple(json.loads(r.questions)), r.created_at,
        )  # fmt: skip

    def save(self, m: Meeting, seq: int | None = None) -> Meeting:
        """`seq`: the change number of this save (what a merged package must cover)."""
        row = self.s.get(MeetingRow, m.id)
        groups = _json([{"group_id": g.group_id, "head_count": g.head_count} for g in m.groups])
        if row is None:
            row = MeetingRow(id=m.id, inspection_id=m.inspection_id, created_at=m.created_at)
            self.s.add(row)
        row.kind = m.kind.value
        row.held_on = m.held_on
        row.title = m.title
        row.groups = groups
        row.questions = _json(list(m.questions))
        if seq is not None:
            row.seq = seq
        self.s.flush()
        return self._out(row)

    def get(self, meeting_id: str) -> Meeting | None:
        r = self.s.get(MeetingRow, meeting_id)
        return self._out(r) if r else None

    def for_inspection(self, inspection_id: str) -> list[Meeting]:
        rows = self.s.scalars(
            select(MeetingRow)
            .where(MeetingRow.inspection_id == inspection_id)
            .order_by(MeetingRow.held_on, MeetingRow.created_at)
        )
        return [self._out(r) for r in rows]

    def add_note(self, e: MeetingNoteEvent) -> MeetingNoteEvent:
        if self.chains is not None:
            self.chains.notes((e,))
        self.s.add(MeetingNoteEventRow(
            id=e.id, meeting_id=e.meeting_id, question_id=e.question_id, note=e.note,
            device_id=e.device_id, seq=e.seq, hlc=e.hlc, replaces=e.replaces,
            recorded_at=e.recorded_at, author=e.author,
        ))  # fmt: skip
        self.s.flush()
        return e

    def notes(self, meeting_id: str) -> list[MeetingNoteEvent]:
        return self._notes(MeetingNoteEventRow.meeting_id == meeting_id)

    def notes_by_device(self, inspection_id: str, device_id: str) -> list[MeetingNoteEvent]:
        meetings = select(MeetingRow.id).where(MeetingRow.inspection_id == inspection_id)
        return self._notes(
            MeetingNoteEventRow.meeting_id.in_(meetings.scalar_subquery())
            & (MeetingNoteEventRow.device_id == device_id)
        )

    def _notes(self, where: Any) -> list[MeetingNoteEvent]:
        rows = self.s.scalars(
            select(MeetingNoteEventRow).where(where).order_by(MeetingNoteEventRow.hlc)
        )
        return [
            MeetingNoteEvent(
                r.id,
                r.meeting_id,
                r.question_id,
                r.note,
                r.device_id,
                r.seq,
                r.hlc,
                r.replaces,
                r.recorded_at,
                r.author,
            )
            for r in rows
        ]


class OrgEventRepository:
    """Organisational events (documents, gaps, judgements, survey figures) and attachments."""

    def __init__(self, session: Session, chains: ChainRepository | None = None) -> None:
        self.s = session
        self.chains = chains

    @staticmethod
    def _out(r: OrgEventRow) -> OrgEvent:
        payload = json.loads(r.payload)
        return OrgEvent(
            r.id, r.inspection_id, r.kind, r.subject_id, payload, r.device_id, r.seq, r.hlc,
            r.replaces, r.author, r.recorded_at,
        )  # fmt: skip

    def add(self, e: OrgEvent) -> OrgEvent:
        if self.chains is not None:
            self.chains.org_events((e,))
        self.s.add(OrgEventRow(
            id=e.id, inspection_id=e.inspection_id, kind=e.kind, subject_id=e.subject_id,
            payload=_json(dict(e.payload)), device_id=e.device_id, seq=e.seq, hlc=e.hlc,
            replaces=e.replaces, author=e.author, recorded_at=e.recorded_at,
        ))  # fmt: skip
        self.s.flush()
        return e

    def _list(self, where: Any) -> list[OrgEvent]:
        rows = self.s.scalars(
            select(OrgEventRow).where(where).order_by(OrgEventRow.hlc, OrgEventRow.id)
        )
        return [self._out(r) for r in rows]

    def for_inspection(self, inspection_id: str, kind: str | None = None) -> list[OrgEvent]:
        where = OrgEventRow.inspection_id == inspection_id
        if kind is not None:
            where = where & (OrgEventRow.kind == kind)
        return self._list(where)

    def for_subject(
        self, kind: str, subject_id: str, inspection_id: str | None = None
    ) -> list[OrgEvent]:
        """Every event of one subject, oldest first. Documents and gaps have ids of their own;
        judgements and survey figures are filed by question, so name the inspection for them."""
        where = (OrgEventRow.kind == kind) & (OrgEventRow.subject_id == subject_id)
        if inspection_id is not None:
            where = where & (OrgEventRow.inspection_id == inspection_id)
        return self._list(where)

    def by_device(self, inspection_id: str, device_id: str) -> list[OrgEvent]:
        return self._list(
            (OrgEventRow.inspection_id == inspection_id) & (OrgEventRow.device_id == device_id)
        )

    def put_attachment(self, sha256: str, name: str, data: bytes) -> None:
        """Keep a file by its content; the same bytes attached again are stored once."""
        if self.s.get(AttachmentRow, sha256) is None:
            self.s.add(AttachmentRow(sha256=sha256, name=name, size=len(data), data=data))
            self.s.flush()

    def attachment(self, sha256: str) -> tuple[str, bytes] | None:
        """(name first attached under, bytes), or None."""
        r = self.s.execute(
            select(AttachmentRow.name, AttachmentRow.data).where(AttachmentRow.sha256 == sha256)
        ).first()
        return (str(r[0]), bytes(r[1])) if r else None


GENESIS = "0" * 64


def _audit_hash(prev: str, seq: int, at: datetime, fields: Sequence[str]) -> str:
    payload = _json([prev, seq, at.isoformat(), *fields])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class AuditRepository:
    """Who did what and when: ids and codes only. Each row's hash covers the one before."""

    def __init__(self, session: Session, chains: ChainRepository | None = None) -> None:
        self.s = session
        self.chains = chains

    def record(
        self, at: datetime, device_id: str, actor: str, action: str, entity: str, entity_id: str,
        detail: str = "",
    ) -> AuditEntry:  # fmt: skip
        last = self.s.execute(
            select(AuditRow.seq, AuditRow.hash).order_by(AuditRow.seq.desc()).limit(1)
        ).first()
        seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
        fields = (device_id, actor, action, entity, entity_id, detail)
        digest = _audit_hash(prev, seq, at, fields)
        self.s.add(AuditRow(
            seq=seq, at=at, device_id=device_id, actor=actor, action=action, entity=entity,
            entity_id=entity_id, detail=detail, prev_hash=prev, hash=digest,
        ))  # fmt: skip
        self.s.execute(update(DeviceRow).values(audit_seq=seq, audit_hash=digest))
        if self.chains is not None:
            self.chains.audit()
        self.s.flush()
        return AuditEntry(seq, at, *fields, prev, digest)

    def entries(self, entity_id: str | None = None) -> list[AuditEntry]:
        stmt = select(AuditRow).order_by(AuditRow.seq)
        if entity_id is not None:
            stmt = stmt.where(AuditRow.entity_id == entity_id)
        return [
            AuditEntry(
                r.seq,
                r.at,
                r.device_id,
                r.actor,
                r.action,
                r.entity,
                r.entity_id,
                r.detail,
                r.prev_hash,
                r.hash,
            )
            for r in self.s.scalars(stmt)
        ]

    def verify(self) -> list[int]:
        """Sequence numbers where the chain breaks (edited, inserted or deleted rows)."""
        broken: list[int] = []
        prev, expected_seq = GENESIS, 1
        for e in self.entries():
            fields = (e.device_id, e.actor, e.action, e.entity, e.entity_id, e.detail)
            if (
                e.seq != expected_seq
                or e.prev_hash != prev
                or e.hash != _audit_hash(prev, e.seq, e.at, fields)
            ):
                broken.append(e.seq)
            prev, expected_seq = e.hash, e.seq + 1
        anchor = self.s.execute(select(DeviceRow.audit_seq, DeviceRow.audit_hash)).first()
        if anchor is not None and anchor[0] and (expected_seq - 1, prev) != tuple(anchor):
            broken.append(expected_seq)  # the newest rows were removed (or the anchor changed)
        return broken


class TeamRepository:
    """Who is on the inspection team, whose keys exports go to, and devices seen."""

    def __init__(self, session: Session) -> None:
        self.s = session

    def assessors(self, inspection_id: str) -> list[Assessor]:
        rows = self.s.scalars(
            select(AssessorRow)
            .where(AssessorRow.inspection_id == inspection_id)
            .order_by(AssessorRow.name)
        )
        return [Assessor(r.name, r.role) for r in rows]

    def set_assessors(self, inspection_id: str, assessors: Sequence[Assessor]) -> None:
        self.s.execute(delete(AssessorRow).where(AssessorRow.inspection_id == inspection_id))
        for a in assessors:
            self.s.add(AssessorRow(inspection_id=inspection_id, name=a.name, role=a.role))
        self.s.flush()

    def recipients(self, inspection_id: str) -> list[RecipientKey]:
        rows = self.s.scalars(
            select(RecipientRow)
            .where(RecipientRow.inspection_id == inspection_id)
            .order_by(RecipientRow.role, RecipientRow.key_id)
        )
        return [RecipientKey(r.key_id, r.name, r.role, r.public) for r in rows]

    def set_recipients(self, inspection_id: str, recipients: Sequence[RecipientKey]) -> None:
        self.s.execute(delete(RecipientRow).where(RecipientRow.inspection_id == inspection_id))
        for k in recipients:
            self.s.add(RecipientRow(
                inspection_id=inspection_id, key_id=k.key_id, name=k.name, role=k.role,
                public=k.public,
            ))  # fmt: skip
        self.s.flush()

    def device(self, device_id: str) -> KnownDevice | None:
        r = self.s.get(KnownDeviceRow, device_id)
        if r is None:
            return None
        return KnownDevice(
            r.device_id, r.name, r.role, r.signing_public, r.encryption_public, r.first_seen
        )

    def devices(self) -> list[KnownDevice]:
        rows = self.s.scalars(select(KnownDeviceRow).order_by(KnownDeviceRow.name))
        return [
            KnownDevice(
                r.device_id, r.name, r.role, r.signing_public, r.encryption_public, r.first_seen
            )
            for r in rows
        ]

    def remember_device(self, d: KnownDevice) -> None:
        r = self.s.get(KnownDeviceRow, d.device_id)
        if r is None:
            self.s.add(KnownDeviceRow(
                device_id=d.device_id, name=d.name, role=d.role,
                signing_public=d.signing_public, encryption_public=d.encryption_public,
                first_seen=d.first_seen,
            ))  # fmt: skip
        else:
            r.name, r.role = d.name, d.role
        self.s.flush()


class PackageRepository:
    """This device's outbox, and the packs it has opened."""

    def __init__(self, session: Session) -> None:
        self.s = session

    @staticmethod
    def _out(r: OutboxPackageRow) -> OutboxPackage:
        return OutboxPackage(
            r.package_id, r.inspection_id, r.kind, r.file_name, r.sha256, r.seq_to,
            r.created_at, r.shared_path, r.copied_at, r.receipt_at,
        )  # fmt: skip

    def add_outbox(self, p: OutboxPackage) -> None:
        self.s.add(OutboxPackageRow(
            package_id=p.package_id, inspection_id=p.inspection_id, kind=p.kind,
            file_name=p.file_name, sha256=p.sha256, seq_to=p.seq_to, created_at=p.created_at,
            shared_path=p.shared_path, copied_at=p.copied_at, receipt_at=p.receipt_at,
        ))  # fmt: skip
        self.s.flush()

    def outbox(self, inspection_id: str | None = None) -> list[OutboxPackage]:
        stmt = select(OutboxPackageRow).order_by(OutboxPackageRow.created_at)
        if inspection_id is not None:
            stmt = stmt.where(OutboxPackageRow.inspection_id == inspection_id)
        return [self._out(r) for r in self.s.scalars(stmt)]

    def mark_copied(self, package_id: str, shared_path: str, at: datetime) -> None:
        self.s.execute(
            update(OutboxPackageRow)
            .where(OutboxPackageRow.package_id == package_id)
            .values(shared_path=shared_path, copied_at=at)
        )

    def mark_receipt(self, package_id: str, at: datetime) -> None:
        self.s.execute(
            update(OutboxPackageRow)
            .where(OutboxPackageRow.package_id == package_id)
            .values(receipt_at=at)
        )

    def opened(self, package_id: str) -> tuple[str, str] | None:
        r = self.s.get(OpenedPackageRow, package_id)
        return (r.sha256, r.kind) if r else None

    def record_opened(
        self, package_id: str, sha256: str, kind: str, inspection_id: str, signer: str, at: datetime
    ) -> None:
        self.s.add(OpenedPackageRow(
            package_id=package_id, sha256=sha256, kind=kind, inspection_id=inspection_id,
            signer_device_id=signer, opened_at=at,
        ))  # fmt: skip
        self.s.flush()

    def add_comment(self, c: Comment) -> None:
        if self.s.get(CommentRow, c.id) is None:
            self.s.add(CommentRow(
                id=c.id, inspection_id=c.inspection_id, case_id=c.case_id, author=c.author,
                text=c.text, created_at=c.created_at, package_id=c.package_id,
                done_at=c.done_at, question_id=c.question_id,
            ))  # fmt: skip
            self.s.flush()

    def mark_comments_done(self, case_id: str, at: datetime) -> int:
        """Every open comment of the case marked done at `at`; how many were open."""
        rows = self.s.scalars(
            select(CommentRow).where(CommentRow.case_id == case_id, CommentRow.done_at.is_(None))
        ).all()
        for r in rows:
            r.done_at = at
        self.s.flush()
        return len(rows)

    def mark_comment_done(self, comment_id: str, at: datetime) -> bool:
        """One comment marked done at `at` (when it was open)."""
        row = self.s.get(CommentRow, comment_id)
        if row is None or row.done_at is not None:
            return False
        row.done_at = at
        self.s.flush()
        return True

    def comment(self, comment_id: str) -> Comment | None:
        r = self.s.get(CommentRow, comment_id)
        if r is None:
            return None
        return Comment(r.id, r.inspection_id, r.case_id, r.author, r.text, r.created_at,
                       r.package_id, r.done_at, r.question_id)  # fmt: skip

    def open_comments(self, inspection_id: str, case_id: str | None = None) -> dict[str, int]:
        """How many open comments each case of the inspection has (cases with none left out;
        only `case_id` when given)."""
        stmt = select(CommentRow.case_id, func.count()).where(
            CommentRow.inspection_id == inspection_id,
            CommentRow.case_id.is_not(None),
            CommentRow.done_at.is_(None),
        )
        if case_id is not None:
            stmt = stmt.where(CommentRow.case_id == case_id)
        found = self.s.execute(stmt.group_by(CommentRow.case_id))
        return {str(case_id): int(n) for case_id, n in found}

    def comments(self, inspection_id: str, case_id: str | None = None) -> list[Comment]:
        stmt = select(CommentRow).where(CommentRow.inspection_id == inspection_id)
        if case_id is not None:
            stmt = stmt.where(CommentRow.case_id == case_id)
        return [
            Comment(
                r.id,
                r.inspection_id,
                r.case_id,
                r.author,
                r.text,
                r.created_at,
                r.package_id,
                r.done_at,
                r.question_id,
            )
            for r in self.s.scalars(stmt.order_by(CommentRow.created_at))
        ]


class UnitOfWork:
    """One operation's repositories over one session and one transaction."""

    def __init__(self, session: Session, signing: Signing | None = None) -> None:
        self.session = session
        self.chains = ChainRepository(session, signing)
        self.devices = DeviceRepository(session)
        self.question_sets = QuestionSetRepository(session)
        self.inspections = InspectionRepository(session)
        self.cases = CaseRepository(session)
        self.case_events = CaseEventRepository(session, self.chains)
        self.answers = AnswerRepository(session, self.chains)
        self.meetings = MeetingRepository(session, self.chains)
        self.org = OrgEventRepository(session, self.chains)
        self.audit = AuditRepository(session, self.chains)
        self.team = TeamRepository(session)
        self.packages = PackageRepository(session)
        self.retention = RetentionRepository(session)
