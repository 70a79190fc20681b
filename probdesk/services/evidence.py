"""Domain one evidence on this laptop: the evidence log (documents the PDU or region submitted,
with an optional attached file), gaps and points to clarify, the team's judgements, staff
survey figures, and the triangulation view of one question.

Everything is an append-only organisational event in the local store, like answers: a change
is a new event naming the one it replaces, with its device, sequence and clock, so exports
carry it and the hub folds it the same way (`probdesk.domain.evidence.fold`). Every change is
in the audit log too (ids only). Each method is one unit of work; a refused input changes
nothing. Nothing here logs evidence content.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from probdesk.domain.answers import heads
from probdesk.domain.evidence import (
    ATTACHMENT_LIMIT,
    MB,
    Document,
    Gap,
    GapState,
    GroupNotes,
    Judgement,
    MeetingNote,
    OrgEvent,
    OrgKind,
    OrgState,
    SurveyFigure,
    Triangulation,
    document_of,
    fold,
    gap_of,
    judgement_of,
    size_in_mb,
    survey_of,
    survey_subject,
)
from probdesk.domain.questionset import NonCaseQuestion, OrgQuestion, QuestionSet
from probdesk.errors import InputError, ProbdeskError
from probdesk.fs import atomic_write
from probdesk.services.workspace import Workspace, _now

if TYPE_CHECKING:
    from probdesk.store.repositories import UnitOfWork

log = logging.getLogger("probdesk.evidence")

MAX_TITLE = 300
MAX_LABEL = 120


def read_attachment(path: Path) -> bytes:
    """A file's bytes for attaching, or InputError: missing, not a file, empty, over the limit."""
    try:
        st = path.stat()
    except OSError as exc:
        raise InputError(
            f"{path.name} cannot be read ({exc.strerror or exc}); nothing was saved."
        ) from None
    if not path.is_file():
        raise InputError(f"{path} is not a file: attach one file; nothing was saved.")
    too_big = (
        f"is {{}}; an attachment may be at most {ATTACHMENT_LIMIT // MB} MB. Nothing was "
        "saved: attach a smaller file (for example a PDF without scanned images), or log the "
        "document without it."
    )
    if st.st_size > ATTACHMENT_LIMIT:
        raise InputError(f"{path.name} " + too_big.format(size_in_mb(st.st_size)))
    try:
        with path.open("rb") as f:
            data = f.read(ATTACHMENT_LIMIT + 1)
    except OSError as exc:
        raise InputError(
            f"{path.name} cannot be read ({exc.strerror or exc}); nothing was saved."
        ) from None
    if len(data) > ATTACHMENT_LIMIT:  # it grew while being read
        raise InputError(f"{path.name} " + too_big.format(size_in_mb(len(data))))
    if not data:
        raise InputError(
            f"{path.name} is empty: attach the document's file, or log the document without "
            "one. Nothing was saved."
        )
    return data


class EvidenceLog:
    """The organisational evidence of this laptop's inspections."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    # -- shared ---------------------------------------------------------------------------
    def _question_set(self, inspection_id: str) -> QuestionSet:
        return self.ws.question_set(self.ws.inspection(inspection_id))

    @staticmethod
    def _check_logged_against(qs: QuestionSet, ids: Sequence[str], what: str) -> None:
        known = set(qs.org_question_ids)
        unknown = [q for q in ids if q not in known]
        if unknown:
            listed = ", ".join(qs.org_question_ids) or "none: the set has no such questions"
            verb = "is not a domain-one or non-case question"
            if len(unknown) > 1:
                verb = "are not domain-one or non-case questions"
            raise InputError(
                f"{what}: {', '.join(unknown)} {verb} of {qs.title} (the questions are: "
                f"{listed}). Nothing was saved."
            )

    @staticmethod
    def _judged(qs: QuestionSet, question_id: str) -> OrgQuestion | NonCaseQuestion:
        q = qs.org_question(question_id)
        if q is not None:
            return q
        owner = qs.org_question_of(question_id)
        if isinstance(owner, OrgQuestion):
            raise InputError(
                f"{question_id} is a prompt of {owner.id} {owner.title}; judgements are recorded "
                f"on the key question {owner.id}."
            )
        listed = ", ".join(qs.judged_question_ids) or "none: the set has no such questions"
        raise InputError(
            f"{question_id} is not a domain-one key question or non-case question of "
            f"{qs.title}; judgements are recorded on: {listed}."
        )

    @staticmethod
    def _head(events: Sequence[OrgEvent]) -> OrgEvent | None:
        return heads(events, key=lambda e: 0).get(0)

    def _append(
        self,
        uow: UnitOfWork,
        inspection_id: str,
        kind: OrgKind,
        subject_id: str,
        payload: Mapping[str, object],
        head: OrgEvent | None,
    ) -> OrgEvent:
        seq, hlc, author = self.ws._next_with_author(uow)
        event = OrgEvent(
            str(uuid.uuid4()), inspection_id, kind.value, subject_id, dict(payload),
            self.ws.device_id, seq, hlc, head.id if head else None, author, _now(),
        )  # fmt: skip
        uow.org.add(event)
        return event

    def state(self, inspection_id: str) -> OrgState:
        """Everything recorded here about the inspection's organisational evidence."""
        self.ws.inspection(inspection_id)
        with self.ws.store.unit_of_work(read_only=True) as uow:
            return fold(uow.org.for_inspection(inspection_id))

    # -- the evidence log -----------------------------------------------------------------
    def add_document(
        self,
        inspection_id: str,
        title: str,
        kind: str,
        received_on: date,
        informs: Sequence[str],
        attachment: Path | None = None,
    ) -> Document:
        """Log a document the PDU or region submitted, with an optional attached file."""
        qs = self._question_set(inspection_id)
        title, kind = title.strip(), kind.strip()
        if not title:
            raise InputError("Give the document a title; nothing was saved.")
        if len(title) > MAX_TITLE:
            raise InputError(f"A document title may be at most {MAX_TITLE} characters.")
        if len(kind) > MAX_LABEL:
            raise InputError(f"A document kind may be at most {MAX_LABEL} characters.")
        if not isinstance(received_on, date):
            raise InputError("Give the date the document was received.")
        questions = tuple(dict.fromkeys(q.strip() for q in informs if q.strip()))
        self._check_logged_against(qs, questions, f"Document {title!r}")
        data = read_attachment(Path(attachment)) if attachment is not None else None
        sha = hashlib.sha256(data).hexdigest() if data is not None else None
        name = Path(attachment).name if attachment is not None else ""
        payload: dict[str, object] = {
            "title": title,
            "kind": kind or "other",
            "received_on": received_on.isoformat(),
            "informs": list(questions),
            "attachment_sha256": sha,
            "attachment_name": name,
            "size": len(data) if data is not None else 0,
            "withdrawn": False,
            "withdrawn_reason": "",
        }
        document_id = str(uuid.uuid4())
        with self.ws.store.unit_of_work() as uow:
            if data is not None and sha is not None:
                uow.org.put_attachment(sha, name, data)
            event = self._append(uow, inspection_id, OrgKind.DOCUMENT, document_id, payload, None)
            self.ws.audit_in(
                uow, "log", "document", document_id, "attachment" if data is not None else ""
            )
        log.info("document %s logged for inspection %s", document_id, inspection_id)
        return document_of([event])

    def _document_chain(self, uow: UnitOfWork, document_id: str) -> list[OrgEvent]:
        chain = uow.org.for_subject(OrgKind.DOCUMENT.value, document_id)
        if not chain:
            raise InputError(f"No document with id {document_id} in the evidence log.")
        return chain

    def document(self, document_id: str) -> Document:
        with self.ws.store.unit_of_work(read_only=True) as uow:
            return document_of(self._document_chain(uow, document_id))

    def withdraw_document(self, document_id: str, reason: str) -> Document:
        """Mark a logged document withdrawn (replaced, sent in error); it stays in the log."""
        reason = reason.strip()
        with self.ws.store.unit_of_work() as uow:
            chain = self._document_chain(uow, document_id)
            if not reason:
                raise InputError(
                    "Say why the document is withdrawn (for example: replaced by a newer "
                    "version); nothing was changed."
                )
            if document_of(chain).withdrawn:
                raise InputError("This document is already withdrawn; nothing was changed.")
            head = self._head(chain)
            assert head is not None
            payload = {**head.payload, "withdrawn": True, "withdrawn_reason": reason}
            event = self._append(
                uow, head.inspection_id, OrgKind.DOCUMENT, document_id, payload, head
            )
            self.ws.audit_in(uow, "withdraw", "document", document_id)
        log.info("document %s withdrawn", document_id)
        return document_of([*chain, event])

    def documents(self, inspection_id: str, include_withdrawn: bool = True) -> list[Document]:
        """The evidence log, by date received."""
        return [
            d for d in self.state(inspection_id).documents if include_withdrawn or not d.withdrawn
        ]

    def attachment(self, sha256: str) -> bytes:
        """An attached file's bytes, checked against their SHA-256."""
        with self.ws.store.unit_of_work(read_only=True) as uow:
            found = uow.org.attachment(sha256)
        if found is None:
            raise InputError(f"No attached file with SHA-256 {sha256} in this store.")
        data = found[1]
        if hashlib.sha256(data).hexdigest() != sha256:
            raise ProbdeskError(
                f"The attached file {sha256[:12]}… does not match its checksum: the local "
                "database is damaged. Ask the team lead for the document again."
            )
        return data

    def save_attachment(self, document_id: str, dest: Path) -> Path:
        """Write a document's attached file to `dest` (a file, or a folder to put it in under
        its own name), replacing a file already there; returns the path written."""
        doc = self.document(document_id)
        if doc.attachment_sha256 is None:
            raise InputError(f"The document {doc.title!r} has no attached file.")
        data = self.attachment(doc.attachment_sha256)
        dest = Path(dest)
        if dest.is_dir():
            name = Path(doc.attachment_name).name
            dest = dest / (name if name not in ("", ".", "..") else f"{document_id}.bin")
        if not dest.parent.is_dir():
            raise InputError(f"The folder {dest.parent} does not exist; nothing was written.")
        try:
            return atomic_write(dest, data)
        except OSError as exc:
            raise InputError(
                f"{dest} cannot be written ({exc.strerror or exc}); nothing was written."
            ) from None

    # -- gaps and points to clarify -------------------------------------------------------
    def raise_gap(self, inspection_id: str, question_id: str, text: str) -> Gap:
        """A gap in the evidence, or a point to clarify, against a question."""
        qs = self._question_set(inspection_id)
        text = text.strip()
        if not text:
            raise InputError("Say what is missing or needs clarifying; nothing was saved.")
        self._check_logged_against(qs, [question_id], "A gap")
        payload: dict[str, object] = {
            "question_id": question_id,
            "text": text,
            "meeting_id": None,
            "state": GapState.OPEN.value,
            "outcome": "",
            "reason": "",
        }
        gap_id = str(uuid.uuid4())
        with self.ws.store.unit_of_work() as uow:
            event = self._append(uow, inspection_id, OrgKind.GAP, gap_id, payload, None)
            self.ws.audit_in(uow, "raise", "gap", gap_id, question_id)
        log.info("gap %s raised for inspection %s", gap_id, inspection_id)
        return gap_of([event])

    def _change_gap(
        self, gap_id: str, action: str, change: Mapping[str, object], detail: str = ""
    ) -> Gap:
        with self.ws.store.unit_of_work() as uow:
            chain = uow.org.for_subject(OrgKind.GAP.value, gap_id)
            if not chain:
                raise InputError(f"No gap with id {gap_id}.")
            gap = gap_of(chain)
            if gap.state.finished:
                raise InputError(
                    f"This gap is already {gap.state.value}; nothing was changed. Raise a new "
                    "gap if the question needs more."
                )
            meeting_id = change.get("meeting_id")
            if isinstance(meeting_id, str):
                meeting = uow.meetings.get(meeting_id)
                if meeting is None or meeting.inspection_id != gap.inspection_id:
                    raise InputError(
                        f"No meeting or focus group with id {meeting_id} in this inspection; "
                        "nothing was changed."
                    )
                if gap.state is GapState.PLANNED and gap.meeting_id == meeting_id:
                    return gap
            head = self._head(chain)
            assert head is not None
            event = self._append(
                uow, gap.inspection_id, OrgKind.GAP, gap_id, {**head.payload, **change}, head
            )
            self.ws.audit_in(uow, action, "gap", gap_id, detail)
        log.info("gap %s: %s", gap_id, action)
        return gap_of([*chain, event])

    def plan_gap(self, gap_id: str, meeting_id: str) -> Gap:
        """Plan a gap into a meeting or focus group (again, to move it to another)."""
        return self._change_gap(
            gap_id,
            "plan",
            {"meeting_id": meeting_id, "state": GapState.PLANNED.value},
            meeting_id,
        )

    def answer_gap(self, gap_id: str, outcome: str) -> Gap:
        outcome = outcome.strip()
        if not outcome:
            raise InputError("Say what the answer was; nothing was changed.")
        return self._change_gap(
            gap_id, "answer", {"state": GapState.ANSWERED.value, "outcome": outcome}
        )

    def close_gap(self, gap_id: str, reason: str) -> Gap:
        """Close a gap without an answer; the reason is required."""
        reason = reason.strip()
        if not reason:
            raise InputError(
                "Give the reason for closing this gap without an answer (for example: no "
                "longer needed, the evidence arrived another way); nothing was changed."
            )
        return self._change_gap(gap_id, "close", {"state": GapState.CLOSED.value, "reason": reason})

    def gaps(self, inspection_id: str, open_only: bool = False) -> list[Gap]:
        """Gaps, oldest raised first; open_only: those not yet answered or closed."""
        return [g for g in self.state(inspection_id).gaps if g.is_open or not open_only]

    # -- judgements -----------------------------------------------------------------------
    @staticmethod
    def _rating(qs: QuestionSet, rating: str) -> str:
        rating = rating.strip()
        if qs.ratings is None:
            if len(rating) > MAX_LABEL:
                raise InputError(f"A rating may be at most {MAX_LABEL} characters.")
            return rating  # the set does not rate: free text, or none
        for level in qs.ratings.scale:
            if rating.casefold() in (level.label.casefold(), level.id.casefold()):
                return level.label
        allowed = ", ".join(qs.rating_labels)
        if not rating:
            raise InputError(
                f"Choose a rating from the scale of {qs.title}: {allowed}. Nothing was saved."
            )
        raise InputError(
            f"'{rating}' is not on the rating scale of {qs.title}: choose one of {allowed}. "
            "Nothing was saved."
        )

    def record_judgement(
        self, inspection_id: str, question_id: str, rating: str, rationale: str
    ) -> Judgement:
        """The team's judgement on a domain-one key question or a non-case question.

        Recorded by a person, never computed; every change is kept (judgement_history).
        """
        qs = self._question_set(inspection_id)
        self._judged(qs, question_id)
        rating = self._rating(qs, rating)
        rationale = rationale.strip()
        if not rationale:
            raise InputError(
                "Write the rationale for the judgement: what the evidence shows. Nothing was saved."
            )
        with self.ws.store.unit_of_work() as uow:
            chain = uow.org.for_subject(OrgKind.JUDGEMENT.value, question_id, inspection_id)
            head = self._head(chain)
            if head is not None:
                current = judgement_of(head)
                if (current.rating, current.rationale) == (rating, rationale):
                    return current
            event = self._append(
                uow, inspection_id, OrgKind.JUDGEMENT, question_id,
                {"rating": rating, "rationale": rationale}, head,
            )  # fmt: skip
            self.ws.audit_in(uow, "judge", "judgement", question_id, inspection_id)
        log.info("judgement on %s recorded for inspection %s", question_id, inspection_id)
        return judgement_of(event)

    def judgement(self, inspection_id: str, question_id: str) -> Judgement | None:
        self._judged(self._question_set(inspection_id), question_id)
        with self.ws.store.unit_of_work(read_only=True) as uow:
            head = self._head(
                uow.org.for_subject(OrgKind.JUDGEMENT.value, question_id, inspection_id)
            )
        return judgement_of(head) if head else None

    def judgement_history(self, inspection_id: str, question_id: str) -> list[Judgement]:
        """Every judgement recorded on the question: who, when, rating, rationale; oldest
        first."""
        self._judged(self._question_set(inspection_id), question_id)
        with self.ws.store.unit_of_work(read_only=True) as uow:
            chain = uow.org.for_subject(OrgKind.JUDGEMENT.value, question_id, inspection_id)
        return [judgement_of(e) for e in chain]

    # -- staff survey figures -------------------------------------------------------------
    def record_survey(
        self, inspection_id: str, question_id: str, label: str, value: str
    ) -> SurveyFigure | None:
        """A staff survey figure entered by hand (value "" clears it); None when there was
        nothing to record."""
        qs = self._question_set(inspection_id)
        label, value = label.strip(), value.strip()
        if not label:
            raise InputError(
                "Name the survey figure (for example: Workload is manageable); nothing was saved."
            )
        if len(label) > MAX_LABEL:
            raise InputError(f"A survey figure's name may be at most {MAX_LABEL} characters.")
        self._check_logged_against(qs, [question_id], f"Survey figure {label!r}")
        subject = survey_subject(question_id, label)
        with self.ws.store.unit_of_work() as uow:
            chain = uow.org.for_subject(OrgKind.SURVEY.value, subject, inspection_id)
            head = self._head(chain)
            if head is None and not value:
                return None
            if head is not None and survey_of(chain).value == value:
                return survey_of(chain)
            payload = {"question_id": question_id, "label": label, "value": value}
            event = self._append(uow, inspection_id, OrgKind.SURVEY, subject, payload, head)
            self.ws.audit_in(uow, "survey", "survey", question_id, inspection_id)
        return survey_of([*chain, event])

    def surveys(self, inspection_id: str) -> list[SurveyFigure]:
        return list(self.state(inspection_id).surveys)

    # -- triangulation --------------------------------------------------------------------
    def triangulation(self, inspection_id: str, question_id: str) -> Triangulation:
        """One judged question with its documents, meeting and focus-group notes by
        participant group, survey figures, open gaps, and the judgement with its history."""
        qs = self._question_set(inspection_id)
        question = self._judged(qs, question_id)
        scope = qs.org_scope(question_id)
        in_scope = set(scope)
        with self.ws.store.unit_of_work(read_only=True) as uow:
            state = fold(uow.org.for_inspection(inspection_id))
            meetings = [
                (m, heads(uow.meetings.notes(m.id), key=lambda e: e.question_id))
                for m in uow.meetings.list(inspection_id)
                if in_scope & set(m.questions)
            ]
        by_group: dict[str, list[MeetingNote]] = {}
        for m, notes in meetings:
            for qid in scope:
                e = notes.get(qid)
                if e is None or not e.note.strip():
                    continue
                for g in m.groups:
                    by_group.setdefault(g.group_id, []).append(
                        MeetingNote(m.id, m.title, m.kind, m.held_on, qid, g.head_count, e.note)
                    )
        labels = {g.id: g.label for g in qs.participant_groups}
        order = [g.id for g in qs.participant_groups]
        order += sorted(g for g in by_group if g not in labels)
        return Triangulation(
            question=question,
            scope=scope,
            documents=tuple(
                d for d in state.documents if not d.withdrawn and in_scope & set(d.informs)
            ),
            notes_by_group=tuple(
                GroupNotes(g, labels.get(g, g), tuple(by_group[g])) for g in order if g in by_group
            ),
            surveys=tuple(s for s in state.surveys if s.question_id in in_scope),
            open_gaps=tuple(g for g in state.gaps if g.is_open and g.question_id in in_scope),
            judgement=state.judgements.get(question_id),
            history=state.histories.get(question_id, ()),
            scale=qs.rating_labels,
        )
