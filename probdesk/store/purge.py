"""Retention: what an inspection holds in the local store, what of it is not merged yet, and
removing it for good (the caller checks first: probdesk.services.retention)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import ColumnElement, Executable, ScalarSelect, Select, delete, func, select
from sqlalchemy.orm import Session

from probdesk.store.models import (
    AnswerEventRow,
    AssessorRow,
    AttachmentRow,
    CaseEventRow,
    CaseRow,
    CommentRow,
    InspectionRow,
    MeetingNoteEventRow,
    MeetingRow,
    OpenedPackageRow,
    OrgEventRow,
    OutboxPackageRow,
    QuestionSetRow,
    RecipientRow,
    SignedHeadRow,
)

# The names of the counts, in the order they are shown (ids and counts only: never content).
ROW_KINDS = (
    "cases", "case_changes", "answers", "meetings", "meeting_notes", "evidence_events",
    "attachments", "comments", "assessors", "recipients", "outbox_packages",
    "opened_packages", "question_sets",
)  # fmt: skip


class RetentionRepository:
    """One inspection's rows, counted and removed, over one unit of work's session."""

    def __init__(self, session: Session) -> None:
        self.s = session

    def _count(self, stmt: Select[int]) -> int:
        return int(self.s.execute(stmt).scalar() or 0)

    def _case_ids(self, inspection_id: str) -> ScalarSelect[str]:
        return select(CaseRow.id).where(CaseRow.inspection_id == inspection_id).scalar_subquery()

    def _meeting_ids(self, inspection_id: str) -> ScalarSelect[str]:
        return (
            select(MeetingRow.id).where(MeetingRow.inspection_id == inspection_id)
        ).scalar_subquery()

    def _attachments_only_here(self, inspection_id: str) -> list[str]:
        """Files attached to this inspection's documents and to no other inspection's."""
        here: set[str] = set()
        elsewhere: set[str] = set()
        rows = self.s.execute(
            select(OrgEventRow.inspection_id, OrgEventRow.payload).where(
                OrgEventRow.kind == "document"
            )
        )
        for insp, payload in rows:
            try:
                sha = json.loads(payload).get("attachment_sha256")
            except (ValueError, AttributeError):
                continue
            if sha:
                (here if insp == inspection_id else elsewhere).add(str(sha))
        have = set(
            self.s.scalars(select(AttachmentRow.sha256).where(AttachmentRow.sha256.in_(here)))
        )
        return sorted((here - elsewhere) & have)

    def _question_set_only_here(self, inspection_id: str) -> str | None:
        r = self.s.get(InspectionRow, inspection_id)
        if r is None:
            return None
        others = self._count(
            select(func.count())
            .select_from(InspectionRow)
            .where(InspectionRow.qs_hash == r.qs_hash, InspectionRow.id != inspection_id)
        )
        return None if others else r.qs_hash

    def footprint(self, inspection_id: str) -> dict[str, int]:
        """How many rows of each kind removing the inspection removes."""
        cases, meetings = self._case_ids(inspection_id), self._meeting_ids(inspection_id)

        def n(model: type, where: ColumnElement[bool]) -> int:
            return self._count(select(func.count()).select_from(model).where(where))

        return {
            "cases": n(CaseRow, CaseRow.inspection_id == inspection_id),
            "case_changes": n(CaseEventRow, CaseEventRow.case_id.in_(cases)),
            "answers": n(AnswerEventRow, AnswerEventRow.case_id.in_(cases)),
            "meetings": n(MeetingRow, MeetingRow.inspection_id == inspection_id),
            "meeting_notes": n(MeetingNoteEventRow, MeetingNoteEventRow.meeting_id.in_(meetings)),
            "evidence_events": n(OrgEventRow, OrgEventRow.inspection_id == inspection_id),
            "attachments": len(self._attachments_only_here(inspection_id)),
            "comments": n(CommentRow, CommentRow.inspection_id == inspection_id),
            "assessors": n(AssessorRow, AssessorRow.inspection_id == inspection_id),
            "recipients": n(RecipientRow, RecipientRow.inspection_id == inspection_id),
            "outbox_packages": n(OutboxPackageRow, OutboxPackageRow.inspection_id == inspection_id),
            "opened_packages": n(OpenedPackageRow, OpenedPackageRow.inspection_id == inspection_id),
            "question_sets": 1 if self._question_set_only_here(inspection_id) else 0,
        }

    def unmerged(self, inspection_id: str, device_id: str, merged_to: int) -> dict[str, int]:
        """This device's changes to the inspection numbered after `merged_to` (what the
        newest receipt covers), by kind; only kinds with some are named."""
        cases, meetings = self._case_ids(inspection_id), self._meeting_ids(inspection_id)

        def n(model: type, *where: ColumnElement[bool]) -> int:
            return self._count(select(func.count()).select_from(model).where(*where))

        found = {
            "answers": n(AnswerEventRow, AnswerEventRow.case_id.in_(cases),
                         AnswerEventRow.device_id == device_id, AnswerEventRow.seq > merged_to),
            "case_changes": n(CaseEventRow, CaseEventRow.case_id.in_(cases),
                              CaseEventRow.device_id == device_id, CaseEventRow.seq > merged_to),
            "meetings": n(MeetingRow, MeetingRow.inspection_id == inspection_id,
                          func.coalesce(MeetingRow.seq, merged_to + 1) > merged_to),
            "meeting_notes": n(MeetingNoteEventRow, MeetingNoteEventRow.meeting_id.in_(meetings),
                               MeetingNoteEventRow.device_id == device_id,
                               MeetingNoteEventRow.seq > merged_to),
            "evidence_events": n(OrgEventRow, OrgEventRow.inspection_id == inspection_id,
                                 OrgEventRow.device_id == device_id, OrgEventRow.seq > merged_to),
        }  # fmt: skip
        return {k: v for k, v in found.items() if v}

    def own_event_ids(self, inspection_id: str, device_id: str) -> dict[str, list[str]]:
        """Ids of this device's case changes and evidence events in the inspection (a team
        lead's reach the hub directly, not in packages)."""
        cases = self._case_ids(inspection_id)
        return {
            "case_changes": list(self.s.scalars(select(CaseEventRow.id).where(
                CaseEventRow.case_id.in_(cases), CaseEventRow.device_id == device_id))),
            "evidence_events": list(self.s.scalars(select(OrgEventRow.id).where(
                OrgEventRow.inspection_id == inspection_id, OrgEventRow.device_id == device_id))),
        }  # fmt: skip

    def remove(self, inspection_id: str) -> dict[str, int]:
        """Delete every row of the inspection (children first: foreign keys are on), and
        its files and question set when no other inspection uses them; the counts."""
        counts = self.footprint(inspection_id)
        shas = self._attachments_only_here(inspection_id)
        qs_hash = self._question_set_only_here(inspection_id)
        cases, meetings = self._case_ids(inspection_id), self._meeting_ids(inspection_id)
        steps: Sequence[Executable] = (
            delete(AnswerEventRow).where(AnswerEventRow.case_id.in_(cases)),
            delete(CaseEventRow).where(CaseEventRow.case_id.in_(cases)),
            delete(CommentRow).where(CommentRow.inspection_id == inspection_id),
            delete(MeetingNoteEventRow).where(MeetingNoteEventRow.meeting_id.in_(meetings)),
            delete(MeetingRow).where(MeetingRow.inspection_id == inspection_id),
            delete(OrgEventRow).where(OrgEventRow.inspection_id == inspection_id),
            delete(AttachmentRow).where(AttachmentRow.sha256.in_(shas)),
            delete(CaseRow).where(CaseRow.inspection_id == inspection_id),
            delete(AssessorRow).where(AssessorRow.inspection_id == inspection_id),
            delete(RecipientRow).where(RecipientRow.inspection_id == inspection_id),
            delete(OutboxPackageRow).where(OutboxPackageRow.inspection_id == inspection_id),
            delete(OpenedPackageRow).where(OpenedPackageRow.inspection_id == inspection_id),
            delete(InspectionRow).where(InspectionRow.id == inspection_id),
            # Its chain's signed head goes with the changes (probdesk.store.chains).
            delete(SignedHeadRow).where(SignedHeadRow.inspection_id == inspection_id),
        )
        for stmt in steps:
            self.s.execute(stmt)
        if qs_hash is not None:
            self.s.execute(delete(QuestionSetRow).where(QuestionSetRow.content_hash == qs_hash))
        self.s.flush()
        return counts
