"""Repositories over one unit of work's session; everything they return is a frozen record."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from probdesk.domain.records import (
    AnswerEvent,
    AuditEntry,
    Case,
    CaseStatus,
    Device,
    GroupAttendance,
    Inspection,
    Meeting,
    MeetingKind,
    MeetingNoteEvent,
    StoredQuestionSet,
)
from probdesk.store.models import (
    AnswerEventRow,
    AuditRow,
    CaseRow,
    DeviceRow,
    InspectionRow,
    MeetingNoteEventRow,
    MeetingRow,
    QuestionSetRow,
)


def _json(value: object) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _value_out(text: str) -> object:
    value = json.loads(text)
    return tuple(value) if isinstance(value, list) else value


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

    def advance(self, device_id: str, seq: int, hlc: str) -> None:
        """Record the newest sequence number and clock reading (same transaction as the event)."""
        self.s.execute(
            update(DeviceRow).where(DeviceRow.id == device_id).values(last_seq=seq, last_hlc=hlc)
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


class InspectionRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    @staticmethod
    def _out(r: InspectionRow) -> Inspection:
        return Inspection(
            r.id, r.region, r.pdu, r.fieldwork_start, r.fieldwork_end,
            r.qs_id, r.qs_version, r.qs_hash, r.created_at,
        )  # fmt: skip

    def add(self, inspection: Inspection) -> Inspection:
        self.s.add(InspectionRow(
            id=inspection.id, region=inspection.region, pdu=inspection.pdu,
            fieldwork_start=inspection.fieldwork_start, fieldwork_end=inspection.fieldwork_end,
            qs_id=inspection.qs_id, qs_version=inspection.qs_version,
            qs_hash=inspection.qs_hash, created_at=inspection.created_at,
        ))  # fmt: skip
        self.s.flush()
        return inspection

    def get(self, inspection_id: str) -> Inspection | None:
        r = self.s.get(InspectionRow, inspection_id)
        return self._out(r) if r else None

    def list(self) -> list[Inspection]:
        rows = self.s.scalars(select(InspectionRow).order_by(InspectionRow.created_at.desc()))
        return [self._out(r) for r in rows]


class CaseRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    @staticmethod
    def _out(r: CaseRow) -> Case:
        return Case(
            r.id, r.inspection_id, r.reference, json.loads(r.facts), r.variant,
            r.assessor, CaseStatus(r.status), r.created_at,
        )  # fmt: skip

    def add(self, case: Case, hlc: str) -> Case:
        self.s.add(CaseRow(
            id=case.id, inspection_id=case.inspection_id, reference=case.reference,
            facts=_json(case.facts), variant=case.variant, assessor=case.assessor,
            status=case.status.value, created_at=case.created_at, updated_hlc=hlc,
        ))  # fmt: skip
        self.s.flush()
        return case

    def get(self, case_id: str) -> Case | None:
        r = self.s.get(CaseRow, case_id)
        return self._out(r) if r else None

    def by_reference(self, inspection_id: str, reference: str) -> Case | None:
        r = self.s.scalars(
            select(CaseRow).where(
                CaseRow.inspection_id == inspection_id,
                func.lower(CaseRow.reference) == reference.lower(),
            )
        ).first()
        return self._out(r) if r else None

    def list(self, inspection_id: str) -> list[Case]:
        rows = self.s.scalars(
            select(CaseRow)
            .where(CaseRow.inspection_id == inspection_id)
            .order_by(CaseRow.reference)
        )
        return [self._out(r) for r in rows]

    def update(
        self,
        case_id: str,
        hlc: str,
        *,
        facts: dict[str, object] | None = None,
        variant: str | type[Ellipsis] | None = ...,
        status: CaseStatus | None = None,
        assessor: str | None = None,
    ) -> Case:
        r = self.s.get(CaseRow, case_id)
        if r is None:
            raise KeyError(case_id)
        if facts is not None:
            r.facts = _json(facts)
        if variant is not ...:
            r.variant = variant  # type: ignore[assignment]
        if status is not None:
            r.status = status.value
        if assessor is not None:
            r.assessor = assessor
        r.updated_hlc = hlc
        self.s.flush()
        return self._out(r)


class AnswerRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(self, e: AnswerEvent) -> AnswerEvent:
        self.s.add(AnswerEventRow(
            id=e.id, case_id=e.case_id, question_id=e.question_id, value=_json(e.value),
            note=e.note, device_id=e.device_id, seq=e.seq, hlc=e.hlc, replaces=e.replaces,
            qs_id=e.qs_id, qs_version=e.qs_version, recorded_at=e.recorded_at,
        ))  # fmt: skip
        self.s.flush()
        return e

    _COLS = (
        AnswerEventRow.id, AnswerEventRow.case_id, AnswerEventRow.question_id,
        AnswerEventRow.value, AnswerEventRow.note, AnswerEventRow.device_id, AnswerEventRow.seq,
        AnswerEventRow.hlc, AnswerEventRow.replaces, AnswerEventRow.qs_id,
        AnswerEventRow.qs_version, AnswerEventRow.recorded_at,
    )  # fmt: skip

    def _rows(self, where: object) -> list[AnswerEvent]:
        stmt = select(*self._COLS).where(where).order_by(AnswerEventRow.hlc)  # type: ignore[arg-type]
        return [
            AnswerEvent(r[0], r[1], r[2], _value_out(r[3]), *r[4:]) for r in self.s.execute(stmt)
        ]

    def for_case(self, case_id: str) -> list[AnswerEvent]:
        return self._rows(AnswerEventRow.case_id == case_id)

    def for_question(self, case_id: str, question_id: str) -> list[AnswerEvent]:
        return self._rows(
            (AnswerEventRow.case_id == case_id) & (AnswerEventRow.question_id == question_id)
        )

    def for_inspection(self, inspection_id: str) -> list[AnswerEvent]:
        cases = select(CaseRow.id).where(CaseRow.inspection_id == inspection_id)
        return self._rows(AnswerEventRow.case_id.in_(cases.scalar_subquery()))

    def count(self) -> int:
        return int(self.s.scalar(select(func.count()).select_from(AnswerEventRow)) or 0)


class MeetingRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    @staticmethod
    def _out(r: MeetingRow) -> Meeting:
        groups = tuple(
            GroupAttendance(g["group_id"], int(g["head_count"])) for g in json.loads(r.groups)
        )
        return Meeting(
            r.id, r.inspection_id, MeetingKind(r.kind), r.held_on, r.title,
            groups, tuple(json.loads(r.questions)), r.created_at,
        )  # fmt: skip

    def save(self, m: Meeting) -> Meeting:
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
        self.s.flush()
        return self._out(row)

    def get(self, meeting_id: str) -> Meeting | None:
        r = self.s.get(MeetingRow, meeting_id)
        return self._out(r) if r else None

    def list(self, inspection_id: str) -> list[Meeting]:
        rows = self.s.scalars(
            select(MeetingRow)
            .where(MeetingRow.inspection_id == inspection_id)
            .order_by(MeetingRow.held_on, MeetingRow.created_at)
        )
        return [self._out(r) for r in rows]

    def add_note(self, e: MeetingNoteEvent) -> MeetingNoteEvent:
        self.s.add(MeetingNoteEventRow(
            id=e.id, meeting_id=e.meeting_id, question_id=e.question_id, note=e.note,
            device_id=e.device_id, seq=e.seq, hlc=e.hlc, replaces=e.replaces,
            recorded_at=e.recorded_at,
        ))  # fmt: skip
        self.s.flush()
        return e

    def notes(self, meeting_id: str) -> list[MeetingNoteEvent]:
        rows = self.s.scalars(
            select(MeetingNoteEventRow)
            .where(MeetingNoteEventRow.meeting_id == meeting_id)
            .order_by(MeetingNoteEventRow.hlc)
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
            )
            for r in rows
        ]


GENESIS = "0" * 64


def _audit_hash(prev: str, seq: int, at: datetime, fields: Sequence[str]) -> str:
    payload = _json([prev, seq, at.isoformat(), *fields])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class AuditRepository:
    """Who did what and when: ids and codes only. Each row's hash covers the one before."""

    def __init__(self, session: Session) -> None:
        self.s = session

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
        return broken


class UnitOfWork:
    """One operation's repositories over one session and one transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.devices = DeviceRepository(session)
        self.question_sets = QuestionSetRepository(session)
        self.inspections = InspectionRepository(session)
        self.cases = CaseRepository(session)
        self.answers = AnswerRepository(session)
        self.meetings = MeetingRepository(session)
        self.audit = AuditRepository(session)
