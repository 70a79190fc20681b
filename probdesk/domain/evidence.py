"""Domain one evidence: the evidence log, gaps, judgements and survey figures as views of the
append-only organisational events, folded the same way on a laptop and in the hub.

Each event carries the whole state of its subject (a document, a gap, the judgement on one
question, one survey figure) and names the event it replaces; the current state of a subject
is the head of its events (`probdesk.domain.answers.heads`: newest clock, then device id).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from probdesk.domain.answers import heads
from probdesk.domain.questionset import NonCaseQuestion, OrgQuestion
from probdesk.domain.records import MeetingKind

MB = 1024 * 1024
ATTACHMENT_LIMIT = 10 * MB  # the largest file that can be attached to a logged document


def size_in_mb(size: int) -> str:
    """A size in MB to one decimal place, rounded up, so that 10 MB and 1 byte reads 10.1 MB."""
    return f"{math.ceil(size * 10 / MB) / 10:.1f} MB"


class OrgKind(StrEnum):
    DOCUMENT = "document"
    GAP = "gap"
    JUDGEMENT = "judgement"
    SURVEY = "survey"


class GapState(StrEnum):
    OPEN = "open"  # raised, not yet planned into a meeting or focus group
    PLANNED = "planned"  # to be asked in a meeting or focus group
    ANSWERED = "answered"
    CLOSED = "closed"  # closed without an answer, with a reason

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def finished(self) -> bool:
        return self in (GapState.ANSWERED, GapState.CLOSED)


@dataclass(frozen=True)
class OrgEvent:
    """One organisational event as stored: a new state of one subject."""

    id: str
    inspection_id: str
    kind: str
    subject_id: str  # document id, gap id, question id, or "question id:figure label"
    payload: Mapping[str, object] = field(hash=False)
    device_id: str
    seq: int
    hlc: str
    replaces: str | None
    author: str
    recorded_at: datetime


@dataclass(frozen=True)
class Document:
    """A document the PDU or region submitted, as logged."""

    id: str
    inspection_id: str
    title: str
    kind: str
    received_on: date
    informs: tuple[str, ...]  # domain-one and non-case question ids
    attachment_sha256: str | None
    attachment_name: str
    size: int  # bytes of the attachment; 0 without one
    withdrawn: bool
    withdrawn_reason: str
    logged_by: str
    logged_at: datetime
    hlc: str  # of the current state

    @property
    def has_attachment(self) -> bool:
        return self.attachment_sha256 is not None


@dataclass(frozen=True)
class Gap:
    """A gap in the evidence, or a point to clarify, raised against a question."""

    id: str
    inspection_id: str
    question_id: str
    text: str
    meeting_id: str | None  # the meeting or focus group it is planned into
    state: GapState
    outcome: str  # what the answer was, once answered
    reason: str  # why it was closed without an answer
    raised_by: str
    raised_at: datetime
    updated_by: str
    hlc: str

    @property
    def is_open(self) -> bool:
        return not self.state.finished


@dataclass(frozen=True)
class Judgement:
    """The team's judgement on a domain-one key question or a non-case question."""

    inspection_id: str
    question_id: str
    rating: str  # a label of the set's rating scale; "" where the set does not rate
    rationale: str
    recorded_by: str
    recorded_at: datetime
    hlc: str
    device_id: str
    event_id: str


@dataclass(frozen=True)
class SurveyFigure:
    """A staff survey figure entered by hand against a question, e.g. "Workload manageable"."""

    inspection_id: str
    question_id: str
    label: str
    value: str
    recorded_by: str
    recorded_at: datetime
    hlc: str


@dataclass(frozen=True)
class OrgState:
    """Everything recorded about an inspection's organisational evidence."""

    documents: tuple[Document, ...] = ()  # by date received, then title
    gaps: tuple[Gap, ...] = ()  # in the order they were raised (by clock)
    judgements: Mapping[str, Judgement] = field(default_factory=dict, hash=False)
    histories: Mapping[str, tuple[Judgement, ...]] = field(default_factory=dict, hash=False)
    surveys: tuple[SurveyFigure, ...] = ()  # by question, then label

    def document(self, document_id: str) -> Document | None:
        return next((d for d in self.documents if d.id == document_id), None)

    def gap(self, gap_id: str) -> Gap | None:
        return next((g for g in self.gaps if g.id == gap_id), None)


def survey_subject(question_id: str, label: str) -> str:
    return f"{question_id}:{label}"


def _str(payload: Mapping[str, object], key: str) -> str:
    value = payload.get(key)
    return value if isinstance(value, str) else ""


def _chains(events: Iterable[OrgEvent], kind: OrgKind) -> dict[str, list[OrgEvent]]:
    out: dict[str, list[OrgEvent]] = {}
    for e in events:
        if e.kind == kind.value:
            out.setdefault(e.subject_id, []).append(e)
    for chain in out.values():
        chain.sort(key=lambda e: e.hlc)
    return out


def _head(chain: list[OrgEvent]) -> OrgEvent:
    return heads(chain, key=lambda e: 0)[0]


def document_of(chain: list[OrgEvent]) -> Document:
    first, e = chain[0], _head(chain)
    p = e.payload
    sha = p.get("attachment_sha256")
    informs = p.get("informs")
    size = p.get("size")
    return Document(
        e.subject_id, e.inspection_id, _str(p, "title"), _str(p, "kind"),
        date.fromisoformat(_str(p, "received_on")),
        tuple(str(q) for q in informs) if isinstance(informs, list | tuple) else (),
        sha if isinstance(sha, str) and sha else None, _str(p, "attachment_name"),
        size if isinstance(size, int) else 0, bool(p.get("withdrawn")),
        _str(p, "withdrawn_reason"), first.author, first.recorded_at, e.hlc,
    )  # fmt: skip


def gap_of(chain: list[OrgEvent]) -> Gap:
    first, e = chain[0], _head(chain)
    p = e.payload
    meeting = p.get("meeting_id")
    try:
        state = GapState(_str(p, "state"))
    except ValueError:
        state = GapState.OPEN
    return Gap(
        e.subject_id, e.inspection_id, _str(p, "question_id"), _str(p, "text"),
        meeting if isinstance(meeting, str) and meeting else None, state,
        _str(p, "outcome"), _str(p, "reason"), first.author, first.recorded_at, e.author, e.hlc,
    )  # fmt: skip


def judgement_of(e: OrgEvent) -> Judgement:
    p = e.payload
    return Judgement(
        e.inspection_id, e.subject_id, _str(p, "rating"), _str(p, "rationale"), e.author,
        e.recorded_at, e.hlc, e.device_id, e.id,
    )  # fmt: skip


def survey_of(chain: list[OrgEvent]) -> SurveyFigure:
    e = _head(chain)
    p = e.payload
    return SurveyFigure(
        e.inspection_id, _str(p, "question_id"), _str(p, "label"), _str(p, "value"), e.author,
        e.recorded_at, e.hlc,
    )  # fmt: skip


def fold(events: Iterable[OrgEvent]) -> OrgState:
    """The current state of every subject (and each judgement's history, oldest first).

    Events of kinds this version does not know are left aside, so that a hub keeps what a
    newer laptop sent without misreading it.
    """
    items = list(events)
    documents = [document_of(c) for c in _chains(items, OrgKind.DOCUMENT).values()]
    gap_chains = sorted(_chains(items, OrgKind.GAP).values(), key=lambda c: c[0].hlc)
    judged = _chains(items, OrgKind.JUDGEMENT)
    surveys = [survey_of(c) for c in _chains(items, OrgKind.SURVEY).values()]
    return OrgState(
        tuple(sorted(documents, key=lambda d: (d.received_on, d.title.lower(), d.id))),
        tuple(gap_of(c) for c in gap_chains),
        {q: judgement_of(_head(c)) for q, c in sorted(judged.items())},
        {q: tuple(judgement_of(e) for e in c) for q, c in sorted(judged.items())},
        tuple(
            sorted((s for s in surveys if s.value.strip()), key=lambda s: (s.question_id, s.label))
        ),
    )


# -- triangulation -----------------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingNote:
    """What was said about a question in one meeting or focus group (no attendee names)."""

    meeting_id: str
    meeting_title: str
    kind: MeetingKind
    held_on: date
    question_id: str
    head_count: int  # of the participant group under which the note is shown
    note: str


@dataclass(frozen=True)
class GroupNotes:
    """The notes from meetings and focus groups one participant group attended."""

    group_id: str
    label: str
    notes: tuple[MeetingNote, ...]


@dataclass(frozen=True)
class Triangulation:
    """One judged question with everything that informs it, side by side, and the judgement."""

    question: OrgQuestion | NonCaseQuestion
    scope: tuple[str, ...]  # the question ids whose evidence is gathered here
    documents: tuple[Document, ...]  # not withdrawn, informing any id in scope
    notes_by_group: tuple[GroupNotes, ...]  # in the set's order of participant groups
    surveys: tuple[SurveyFigure, ...]
    open_gaps: tuple[Gap, ...]
    judgement: Judgement | None
    history: tuple[Judgement, ...]  # oldest first
    scale: tuple[str, ...]  # the ratings the judgement may take; () where the set does not rate

    @property
    def question_id(self) -> str:
        return self.question.id


# -- checking events that arrive in packages ---------------------------------------------------


def _is_sha256(value: object) -> bool:
    return (
        isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)
    )


def _texts(payload: Mapping[str, object], *keys: str) -> str | None:
    bad = [k for k in keys if not isinstance(payload.get(k), str)]
    return f"{', '.join(bad)} missing or not text" if bad else None


def payload_problem(kind: str, payload: Mapping[str, object]) -> str | None:
    """What is wrong with an event's payload for folding, or None. Kinds this version does
    not know pass: they are kept and left aside by `fold`."""
    if kind == OrgKind.DOCUMENT:
        problem = _texts(payload, "title", "kind", "received_on", "attachment_name")
        if problem:
            return problem
        try:
            date.fromisoformat(str(payload["received_on"]))
        except ValueError:
            return "received_on is not a date"
        informs = payload.get("informs")
        if not isinstance(informs, list) or not all(isinstance(q, str) for q in informs):
            return "informs is not a list of question ids"
        sha = payload.get("attachment_sha256")
        if sha is not None and not _is_sha256(sha):
            return "attachment_sha256 is not a SHA-256"
        size = payload.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= ATTACHMENT_LIMIT:
            return "size is not a size in bytes within the attachment limit"
        if not isinstance(payload.get("withdrawn"), bool):
            return "withdrawn is not true or false"
        return None
    if kind == OrgKind.GAP:
        problem = _texts(payload, "question_id", "text", "state", "outcome", "reason")
        if problem:
            return problem
        if payload["state"] not in {s.value for s in GapState}:
            return f"state is not one of {', '.join(s.value for s in GapState)}"
        meeting = payload.get("meeting_id")
        return None if meeting is None or isinstance(meeting, str) else "meeting_id is not an id"
    if kind == OrgKind.JUDGEMENT:
        return _texts(payload, "rating", "rationale")
    if kind == OrgKind.SURVEY:
        return _texts(payload, "question_id", "label", "value")
    return None
