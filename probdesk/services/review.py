"""The team lead's read of one case in the hub, as the Hub tab's case view shows it: its facts
and status, every question with the answer that stands, its note, who gave it on which laptop
and when, every earlier answer to it, the undecided conflicts and the moderation decisions.

The questions are walked once here (`question_states`), for the case view and for the PDF
case summary (probdesk.services.reports) alike, so the screen and the paper say the same of
what applied and why. The answers that stand are `figures.load_cases`', the ones the figures
count; the conflicts are `figures.conflicts`'.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from probdesk.domain import case_events as ce
from probdesk.domain.answers import heads
from probdesk.domain.questionset import Question, QuestionSet, Section
from probdesk.domain.records import CaseStatus
from probdesk.domain.words import moment_text
from probdesk.errors import InputError
from probdesk.hub.rows import AnswerRow, DecisionRow, SentComment
from probdesk.hub.store import Hub
from probdesk.services import figures as views
from probdesk.services.workspace import ROLES  # role id -> its label

# A question's state on a case: the values of probdesk.reports.model's ANSWERED, NOT_ANSWERED
# and DID_NOT_APPLY (not imported from there: that would load ReportLab into the window).
ANSWERED, NOT_ANSWERED, DID_NOT_APPLY = "answered", "not_answered", "did_not_apply"
ACTIONS = {"approved": "Approved", "returned": "Returned to assessor"}
CLEARED = "(answer cleared)"


# -- what a case's questions say: shared with the PDF case summary -----------------------------


def answer_text(q: Any, value: object) -> str:
    """An answer in words: an option's label, Yes, Not applicable, several joined with "; "."""
    if value is None:
        return CLEARED
    if isinstance(value, list | tuple):
        return "; ".join(q.label_of(v) for v in value)
    return str(q.label_of(value))


@dataclass(frozen=True)
class QuestionState:
    """One question of a case: whether it applies (and why), and the answer that stands."""

    question: Question
    state: str  # ANSWERED, NOT_ANSWERED or DID_NOT_APPLY
    answer: str  # in words; "" when not answered, or when it did not apply
    note: str
    why: str  # "Asked because ..." / "Asked only when ...", and what became of an answer


def question_states(
    qs: QuestionSet, case: views.HubCase
) -> tuple[tuple[Section, tuple[QuestionState, ...]], ...]:
    """Each section of the case's variant with its questions (key question first), in order."""
    applicable = qs.applicable(case.variant, case.facts, case.answers)
    out = []
    for s in qs.sections_for(case.variant):
        lines = []
        for q in s.questions:
            why = ""
            if q.applies_when is not None:
                described = qs.describe(q.applies_when)
                why = (
                    f"Asked because {described}."
                    if q.id in applicable
                    else f"Asked only when {described}."
                )
            value = case.answers.get(q.id)
            note = case.notes.get(q.id, "")
            if q.id not in applicable:
                if value is not None:  # answered before the facts or the set changed
                    why = (
                        f"{why} The answer given before ({answer_text(q, value)}) is "
                        "kept as recorded, not counted."
                    ).strip()
                lines.append(QuestionState(q, DID_NOT_APPLY, "", note, why))
            elif value is None:
                lines.append(QuestionState(q, NOT_ANSWERED, "", note, why))
            else:
                lines.append(QuestionState(q, ANSWERED, answer_text(q, value), note, why))
        out.append((s, tuple(lines)))
    return tuple(out)


@dataclass(frozen=True)
class KeptAnswer:
    """An answer the case keeps to a question it no longer has: one of another variant, or
    one a later version of the question set dropped (its text from that version)."""

    question_id: str
    text: str
    answer: str
    note: str
    why: str


EarlierQuestions = Mapping[str, tuple[Question, str]]  # question id -> (question, version)


def kept_answer(
    qs: QuestionSet, earlier: Callable[[], EarlierQuestions], qid: str, value: object, note: str
) -> KeptAnswer:
    """What to say of an answer to `qid`, not a question of the case's variant; `earlier`
    gives the questions of the set's earlier versions (asked for only when needed)."""
    if qs.has_question(qid):
        q: Any = qs.question(qid)
        why = "A question of another variant: kept as recorded, not counted."
    else:
        found = earlier().get(qid)
        if found is None:
            return KeptAnswer(
                qid, "(a question no longer in the question set)", str(value), note,
                "Kept as recorded, not counted.",
            )  # fmt: skip
        q, version = found
        why = (
            f"Asked in version {version}, dropped from {qs.version}: kept as recorded, not counted."
        )
    return KeptAnswer(qid, q.text, answer_text(q, value), note, why)


def kept_answers(
    qs: QuestionSet, case: views.HubCase, earlier: Callable[[], EarlierQuestions]
) -> tuple[KeptAnswer, ...]:
    """The case's answers to questions its variant does not ask, by question id."""
    asked = {q.id for s in qs.sections_for(case.variant) for q in s.questions}
    return tuple(
        kept_answer(qs, earlier, qid, value, case.notes.get(qid, ""))
        for qid, value in sorted(case.answers.items())
        if qid not in asked and value is not None
    )


def earlier_questions(hub: Hub, qs: QuestionSet) -> dict[str, tuple[Question, str]]:
    """Every question of the set's earlier versions the hub holds, by id (the newest version
    by name that has it)."""
    from probdesk.domain import loader

    out: dict[str, tuple[Question, str]] = {}
    rows = [
        (v, t) for h, v, t in hub.question_set_versions(qs.id) if h != qs.content_hash
    ]  # fmt: skip
    for version, text in sorted(rows):  # a later version's wording wins
        for q in loader.parse_text(text, f"{qs.id} {version}").questions:
            out[q.id] = (q, version)
    return out


def case_facts(qs: QuestionSet, case: views.HubCase) -> tuple[tuple[str, str], ...]:
    """(label, value in words) of each of the set's case facts."""
    return tuple(
        (
            f.label,
            f.label_of(case.facts[f.id]) if case.facts.get(f.id) is not None else "not recorded",
        )
        for f in qs.facts
    )


def status_label(status: str) -> str:
    try:
        return CaseStatus(status).label
    except ValueError:
        return status


def counted_text(status: str) -> str:
    """Whether the figures count a case of this status, in words."""
    if status in views.COUNTED_STATUSES:
        return "counted (finished)"
    return f"not counted yet: the case is {status_label(status).lower()}"


def stage_words(stage: str) -> str:
    """A stage as a heading: "assessment" -> "Assessment"."""
    return stage[:1].upper() + stage[1:].replace("_", " ")


def variant_label(qs: QuestionSet, case: views.HubCase) -> str:
    return qs.variant(case.variant).label if case.variant else "not determined"


# -- the case view ------------------------------------------------------------------------------


def when(at: datetime | str) -> str:
    """A time as the case view shows it, to the second: "2 Nov 2026 14:05:09"."""
    if isinstance(at, str):
        try:
            parsed = datetime.fromisoformat(at[:26])
        except ValueError:
            return at[:19].replace("T", " ")
        return moment_text(parsed, seconds=True)
    return moment_text(at, seconds=True)


@dataclass(frozen=True)
class Laptop:
    """A laptop that wrote to the case, and the team member it belongs to."""

    device_id: str  # "" for what was there before the hub kept case events
    name: str  # the member it is enrolled for, else who wrote on it; "" when not known

    @property
    def short(self) -> str:
        return self.device_id[:8]

    @property
    def text(self) -> str:
        if not self.device_id:
            return "laptop not recorded"
        return f"laptop {self.short}" + (f" ({self.name})" if self.name else "")


@dataclass(frozen=True)
class Recorded:
    """One answer as a laptop recorded it."""

    value: str  # in words ("Yes", an option's label, CLEARED)
    note: str
    author: str
    laptop: Laptop
    recorded_at: str  # the laptop's own time ("2026-11-02 14:05:09"); ordering uses the clock
    decision: bool = False  # the team lead's decision on a conflict
    set_aside: bool = False  # a decision of the team lead's set it aside (kept, not counted)


@dataclass(frozen=True)
class QuestionReview:
    """A question of the case with the answer that stands and the ones before it."""

    question_id: str
    text: str
    is_key: bool  # the section's key question (a prompt otherwise)
    state: str  # ANSWERED, NOT_ANSWERED or DID_NOT_APPLY
    answer: str  # in words; "" when not answered or when it did not apply
    note: str
    why: str  # the condition in words, and what became of an answer given before
    current: Recorded | None  # who gave the answer that stands; None: never answered
    history: tuple[Recorded, ...] = ()  # every other answer to it, oldest first
    conflict: bool = False  # answered differently on two laptops: undecided

    @property
    def applies(self) -> bool:
        return self.state != DID_NOT_APPLY


@dataclass(frozen=True)
class SectionReview:
    section_id: str
    title: str
    stage: str  # "Assessment", "Planning", ...
    questions: tuple[QuestionReview, ...]  # key question first, then its prompts


@dataclass(frozen=True)
class ConflictReview:
    """An undecided conflict on the case, or a parallel update (different questions answered
    on several laptops, nothing to decide)."""

    kind: str  # "conflict" or "parallel"
    question_id: str  # a question or a field of the case ("fact:rosh_level"); "" if parallel
    about: str  # the question's text or the field in words
    sides: tuple[Recorded, ...]  # the answers, the one the figures use first


@dataclass(frozen=True)
class Decision:
    """A moderation decision on the case: every one is kept."""

    action: str  # "approved" or "returned"
    words: str  # "Approved", "Returned to assessor"
    moderator: str
    comment: str
    at: str


@dataclass(frozen=True)
class CaseChange:
    """A change to the case's status, or to a fact, its PDU or its assessor after set-up."""

    field: str  # in words: "Status", "PDU", "Assessor", a fact's label
    value: str
    author: str
    laptop: Laptop
    recorded_at: str


@dataclass(frozen=True)
class Reply:
    """An assessor's reply to a comment, as one laptop sent it back."""

    text: str  # "" when the reply only marks the comment done
    done: bool  # the assessor has dealt with the comment
    author: str
    laptop: Laptop
    recorded_at: str
    replaced: bool = False  # a later reply replaced it (kept, shown as history)


@dataclass(frozen=True)
class CommentThread:
    """A comment sent to the case's assessor, with what came back: the replies (from each
    laptop that replied) and the answers given to its question since it was sent."""

    comment_id: str
    question_id: str | None  # None: on the case as a whole
    about: str  # "C1 Is the assessment ...?" or "the case"
    kind: str  # "comment", "return", or "" when the hub has no copy of it
    author: str
    text: str  # "" when the hub has no copy (sent from the Sync tab or `send-back`)
    sent_at: str
    replies: tuple[Reply, ...]  # oldest first
    answered_since: tuple[Recorded, ...] = ()  # answers to its question given since it was sent

    @property
    def done(self) -> bool:
        return any(r.done for r in self.replies if not r.replaced)

    @property
    def state(self) -> str:
        if self.done:
            return "Done"
        if any(not r.replaced for r in self.replies):
            return "Replied"
        return "No reply yet"


@dataclass(frozen=True)
class CaseReview:
    """Everything the team lead reads of one case before approving or returning it."""

    inspection_id: str
    case_id: str
    reference: str
    pdu: str
    region: str
    question_set: str  # "pdu-core 2025.1"
    variant: str  # its label, or "not determined"
    facts: tuple[tuple[str, str], ...]  # (label, value in words)
    assessor: str
    assessor_role: str  # in words
    status: str  # CaseStatus value
    status_label: str
    counted: bool  # the figures count it (submitted, approved or locked)
    counted_text: str
    sections: tuple[SectionReview, ...]
    kept: tuple[QuestionReview, ...]  # answers to questions the variant does not ask
    conflicts: tuple[ConflictReview, ...]
    moderation: tuple[Decision, ...]  # oldest first; the last stands
    changes: tuple[CaseChange, ...]  # status changes and later corrections, oldest first
    comments: tuple[CommentThread, ...] = ()  # sent to the assessor, oldest first

    def comments_on(self, question_id: str | None) -> tuple[CommentThread, ...]:
        """The comments on one question (None: on the case as a whole)."""
        return tuple(c for c in self.comments if c.question_id == question_id)

    @property
    def can_moderate(self) -> bool:
        return self.status in views.MODERATED_STATUSES

    @property
    def moderation_note(self) -> str:
        """Why the case cannot be approved or returned now ("" when it can)."""
        if self.can_moderate:
            return ""
        return (
            f"Only a submitted or returned case can be approved or returned: this one is "
            f"{self.status_label.lower()}."
        )

    @property
    def decision(self) -> Decision | None:
        """The decision that stands, if any."""
        return self.moderation[-1] if self.moderation else None

    @property
    def questions(self) -> tuple[QuestionReview, ...]:
        """Every question of the case's variant, then the kept answers, in order."""
        return (*(q for s in self.sections for q in s.questions), *self.kept)


def _find(hub: Hub, inspection_id: str, case_ref: str) -> tuple[QuestionSet, views.HubCase]:
    """The inspection's question set and its case of that reference (regardless of case)."""
    if not views.holds(hub, inspection_id):
        raise InputError(f"The hub holds no inspection {inspection_id}.")
    qs, cases = views.load_cases(hub, inspection_id)
    wanted = case_ref.strip().casefold()
    found = next((c for c in cases if c.reference.casefold() == wanted), None)
    if found is None:
        raise InputError(f"No case {case_ref} in the hub's inspection {inspection_id}.")
    return qs, found


def case_review(hub: Hub, inspection_id: str, case_ref: str) -> CaseReview:
    """One case as the hub holds it (see CaseReview); refused, naming the case and the
    inspection, when the hub holds no case of that reference."""
    qs, case = _find(hub, inspection_id, case_ref)
    events = sorted(hub.events_of_case(case.id), key=lambda e: (e.hlc, e.id))
    settled = views.settled_events(hub, inspection_id, events)
    decisions = hub.resolution_events_of(inspection_id)
    standing = heads((e for e in events if e.id not in settled), key=lambda e: e.question_id)
    changes = [e for e in hub.case_events_of(inspection_id) if e.case_id == case.id]
    laptops = _laptops(hub, inspection_id, [*events, *changes])
    found = [c for c in views.conflicts(hub, inspection_id) if c.case_ref == case.reference]
    in_conflict = {c.question_id for c in found if c.kind == "conflict"}

    def recorded(q: Any, e: AnswerRow) -> Recorded:
        return Recorded(
            answer_text(q, e.answer) if q is not None else _plain(e.answer), e.note,
            e.author, laptops(e.device_id), when(e.recorded_at), e.id in decisions,
            e.id in settled,
        )  # fmt: skip

    def review(q: Any, qid: str, text: str, is_key: bool, state: str, answer: str, note: str,
               why: str) -> QuestionReview:  # fmt: skip
        head = standing.get(qid)
        return QuestionReview(
            qid, text, is_key, state, answer, note, why,
            recorded(q, head) if head is not None else None,
            tuple(recorded(q, e) for e in events if e.question_id == qid and e is not head),
            qid in in_conflict,
        )  # fmt: skip

    sections = tuple(
        SectionReview(
            s.id, s.title, stage_words(s.stage),
            tuple(review(a.question, a.question.id, a.question.text, a.question.is_key, a.state,
                         a.answer, a.note, a.why) for a in states),
        )
        for s, states in question_states(qs, case)
    )  # fmt: skip
    earlier: dict[str, tuple[Question, str]] | None = None

    def earlier_once() -> EarlierQuestions:
        nonlocal earlier
        if earlier is None:
            earlier = earlier_questions(hub, qs)
        return earlier

    def asked_in(qid: str) -> Question | None:  # a kept answer's question, in any version
        if qs.has_question(qid):
            return qs.question(qid)
        got = earlier_once().get(qid)
        return got[0] if got is not None else None

    kept = tuple(
        review(asked_in(k.question_id), k.question_id, k.text, False, ANSWERED, k.answer, k.note,
               k.why)
        for k in kept_answers(qs, case, earlier_once)
    )  # fmt: skip

    roles = hub.device_roles()
    return CaseReview(
        inspection_id=inspection_id,
        case_id=case.id,
        reference=case.reference,
        pdu=case.pdu,
        region=case.region,
        question_set=views.version_name(qs),
        variant=variant_label(qs, case),
        facts=case_facts(qs, case),
        assessor=case.assessor,
        assessor_role=ROLES.get(roles.get(case.assessor, ""), "role not known"),
        status=case.status,
        status_label=status_label(case.status),
        counted=case.status in views.COUNTED_STATUSES,
        counted_text=counted_text(case.status),
        sections=sections,
        kept=kept,
        conflicts=tuple(_conflict(qs, c, laptops) for c in found),
        moderation=tuple(
            _decision(m) for m in hub.moderation_history(inspection_id) if m.case_id == case.id
        ),
        changes=_changes(qs, changes, laptops),
        comments=_threads(
            hub.comments_of(inspection_id, case.id),
            changes,
            qs,
            laptops,
            lambda qid, seen: [
                recorded(asked_in(qid), e)
                for e in events
                if e.question_id == qid and (seen is None or e.hlc > seen)
            ],
        ),
    )


def _plain(value: object) -> str:
    if value is None:
        return CLEARED
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    return str(value)


def _laptops(
    hub: Hub, inspection_id: str, events: Sequence[AnswerRow | ce.CaseEvent]
) -> Callable[[str], Laptop]:
    """The laptop of a device id, named after the member it is enrolled for in the
    inspection, else after the newest author who wrote on it."""
    names: dict[str, str] = {}
    for e in sorted(events, key=lambda e: e.hlc):
        if e.device_id and e.author:
            names[e.device_id] = e.author
    for (insp, _public), key in hub.key_states().items():
        if insp == inspection_id and key.enrolled:
            names[key.device_id] = key.member
    return lambda device_id: Laptop(device_id, names.get(device_id, ""))


def _conflict(
    qs: QuestionSet, c: views.Conflict, laptops: Callable[[str], Laptop]
) -> ConflictReview:
    if c.kind != "conflict":
        return ConflictReview(
            c.kind, "", "answered on more than one laptop: read the answers together", ()
        )
    q = qs.question(c.question_id) if qs.has_question(c.question_id) else None
    if q is not None:
        about = q.text
    elif ce.valid_field(c.question_id):
        about = ce.field_label(c.question_id)
    else:
        about = c.question_id
    sides = tuple(
        Recorded(
            answer_text(q, s.value) if q is not None else _field_value(qs, c.question_id, s.value),
            s.note,
            s.author,
            laptops(s.device_id),
            when(s.recorded_at),
        )
        for s in c.sides
    )
    return ConflictReview(c.kind, c.question_id, about, sides)


def _decision(m: DecisionRow) -> Decision:
    return Decision(m.action, ACTIONS.get(m.action, m.action), m.moderator, m.comment, when(m.at))


def _field_name(qs: QuestionSet, field: str) -> str:
    fact = ce.fact_of(field)
    if fact is not None:
        return next((f.label for f in qs.facts if f.id == fact), fact)
    return {ce.STATUS: "Status", ce.PDU: "PDU", ce.ASSESSOR: "Assessor"}.get(field, field)


def _field_value(qs: QuestionSet, field: str, value: object) -> str:
    if value is None:
        return "not set"
    if field == ce.STATUS:
        return status_label(str(value))
    fact = ce.fact_of(field)
    found = next((f for f in qs.facts if f.id == fact), None) if fact is not None else None
    return found.label_of(value) if found is not None else _plain(value)


def _changes(
    qs: QuestionSet, events: Iterable[ce.CaseEvent], laptops: Callable[[str], Laptop]
) -> tuple[CaseChange, ...]:
    """Every status the case was given, and every later change to its facts, PDU or
    assessor (their values at set-up are the facts above), oldest first."""
    return tuple(
        CaseChange(
            _field_name(qs, e.field),
            _field_value(qs, e.field, e.value),
            e.author,
            laptops(e.device_id),
            when(e.recorded_at) if e.recorded_at else "",
        )
        for e in sorted(events, key=lambda e: (e.hlc, e.id))
        if (e.field == ce.STATUS or e.replaces is not None or e.settles)
        and ce.reply_of(e.field) is None
    )


def _threads(
    sent: Sequence[SentComment],
    changes: Sequence[ce.CaseEvent],
    qs: QuestionSet,
    laptops: Callable[[str], Laptop],
    answers_to: Callable[[str, str | None], list[Recorded]],
) -> tuple[CommentThread, ...]:
    """Each comment sent on the case, with its replies and the answers given since; then
    replies to comments the hub holds no copy of (sent without it)."""
    replies: dict[str, list[ce.CaseEvent]] = {}
    for e in changes:
        comment_id = ce.reply_of(e.field)
        if comment_id is not None:
            replies.setdefault(comment_id, []).append(e)
    standing = {
        e.id
        for fields in ce.fold(e for es in replies.values() for e in es).values()
        for state in fields.values()
        for e in state.heads
    }

    def replies_of(comment_id: str) -> tuple[Reply, ...]:
        out = []
        for e in sorted(replies.get(comment_id, ()), key=lambda e: (e.hlc, e.id)):
            value = e.value if isinstance(e.value, dict) else {}
            out.append(Reply(
                str(value.get("text", "")), bool(value.get("done")), e.author,
                laptops(e.device_id), when(e.recorded_at) if e.recorded_at else "",
                e.id not in standing,
            ))  # fmt: skip
        return tuple(out)

    def about(question_id: str | None) -> str:
        if question_id is None:
            return "the case"
        if qs.has_question(question_id):
            return f"{question_id} {qs.question(question_id).text}"
        return question_id

    out = []
    for c in sent:
        since: tuple[Recorded, ...] = ()
        if c.question_id is not None:
            since = tuple(answers_to(c.question_id, c.seen_hlc))
        out.append(CommentThread(
            c.id, c.question_id, about(c.question_id), c.kind, c.author, c.text,
            when(c.sent_at), replies_of(c.id), since,
        ))  # fmt: skip
    known = {c.id for c in sent}
    for comment_id in sorted(set(replies) - known, key=lambda i: min(e.hlc for e in replies[i])):
        out.append(CommentThread(
            comment_id, None, "a comment sent without the hub (Sync tab or send-back)", "", "",
            "", "", replies_of(comment_id),
        ))  # fmt: skip
    return tuple(out)


# -- the cases of one line of fieldwork progress --------------------------------------------------


@dataclass(frozen=True)
class CaseLine:
    """A case in a list to open it from: an assessor's or a PDU's cases."""

    case_ref: str
    pdu: str
    assessor: str
    status: str  # CaseStatus value
    counted: bool
    decision: str  # the latest moderation decision in words, "" for none


def group_cases(hub: Hub, inspection_id: str, group: str, name: str) -> list[CaseLine]:
    """The cases of one assessor (group "assessor") or one PDU (group "pdu"), by reference,
    as the Hub tab's fieldwork progress counts them."""
    if group not in ("assessor", "pdu"):
        raise InputError("Cases are listed by assessor or by PDU.")
    if not views.holds(hub, inspection_id):
        raise InputError(f"The hub holds no inspection {inspection_id}.")
    _qs, cases = views.load_cases(hub, inspection_id)
    decided = hub.moderation_of(inspection_id)
    out = []
    for c in cases:
        if (c.assessor if group == "assessor" else c.pdu) != name:
            continue
        d = decided.get(c.id)
        out.append(CaseLine(
            c.reference, c.pdu, c.assessor, c.status, c.status in views.COUNTED_STATUSES,
            ACTIONS.get(d.action, d.action) if d is not None else "",
        ))  # fmt: skip
    return out
