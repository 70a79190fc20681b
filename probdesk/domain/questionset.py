"""The loaded question set: immutable, typed, and the rules for what applies to a case."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

# The answer values and types belong to the answer-type registry; named here as before.
from probdesk.domain.answer_types import NA as NA
from probdesk.domain.answer_types import NO as NO
from probdesk.domain.answer_types import UNKNOWN as UNKNOWN
from probdesk.domain.answer_types import YES as YES
from probdesk.domain.answer_types import AnswerType as AnswerType
from probdesk.domain.answer_types import FactType as FactType
from probdesk.domain.answer_types import Option as Option
from probdesk.domain.answer_types import answer_kind, fact_kind
from probdesk.domain.conditions import Condition, Env, describe, evaluate


@dataclass(frozen=True)
class Fact:
    id: str
    label: str
    type: FactType
    options: tuple[Option, ...] = ()
    required: bool = True
    help: str = ""

    def allowed_values(self) -> tuple[str, ...] | None:
        """The closed list of values, or None for open types (number, date, text)."""
        return fact_kind(self.type).allowed(self.options)

    def label_of(self, value: object) -> str:
        """An option's label, the words of the type's own values (Not known), or the value."""
        return fact_kind(self.type).label_of(value, self.options)


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    answer: AnswerType
    section_id: str
    is_key: bool
    options: tuple[Option, ...] = ()
    guidance: str = ""
    evidence: tuple[str, ...] = ()
    counts: bool = False
    applies_when: Condition | None = None

    def allowed_values(self) -> tuple[str, ...] | None:
        """The closed list of values, or None for open types (number, date, text)."""
        return answer_kind(self.answer).allowed(self.options)

    def label_of(self, value: object) -> str:
        """An option's label, the words of the type's own values (Yes, Not applicable), or
        the value itself."""
        return answer_kind(self.answer).label_of(value, self.options)


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    stage: str
    variants: tuple[str, ...]
    key_question: Question
    prompts: tuple[Question, ...]

    @property
    def questions(self) -> tuple[Question, ...]:
        return (self.key_question, *self.prompts)


@dataclass(frozen=True)
class Variant:
    id: str
    label: str
    description: str = ""
    when: Condition | None = None


@dataclass(frozen=True)
class ParticipantGroup:
    id: str
    label: str


@dataclass(frozen=True)
class NonCaseQuestion:
    id: str
    theme: str
    text: str
    groups: tuple[str, ...]
    guidance: str = ""


@dataclass(frozen=True)
class OrgPrompt:
    """A prompt under a domain-one key question: guides the team's judgement, never scored."""

    id: str
    text: str


@dataclass(frozen=True)
class OrgQuestion:
    """A domain-one (organisational) key question: judged by the team, never computed.

    `non_case_questions` are the meeting and focus-group questions whose notes inform it.
    """

    id: str
    title: str
    text: str
    prompts: tuple[OrgPrompt, ...] = ()
    guidance: str = ""
    non_case_questions: tuple[str, ...] = ()


@dataclass(frozen=True)
class RatingLevel:
    id: str
    label: str
    min_percent: Decimal
    points: int


@dataclass(frozen=True)
class Standard:
    id: str
    title: str
    key_questions: tuple[str, ...]


@dataclass(frozen=True)
class ScoreBand:
    min_score: int
    label: str


@dataclass(frozen=True)
class Ratings:
    scale: tuple[RatingLevel, ...]  # best first, min_percent strictly descending, last at 0
    standards: tuple[Standard, ...]
    bands: tuple[ScoreBand, ...] = ()  # best first


PUBLISHED_AT_PDU, PUBLISHED_AT_REGION = "pdu", "region"
NOT_FOR_PUBLICATION = "for the inspection team; not for publication"


@dataclass(frozen=True)
class FigureRules:
    """How the set's figures may be read (aggregation: minimum_base, published_at)."""

    minimum_base: int = 0  # fewer relevant cases: the percentage carries a caution, no rating
    published_at: str = PUBLISHED_AT_PDU  # the finest level the inspectorate publishes at

    def restricted(self, scope: str) -> bool:
        """Whether figures of this scope ("pdu" or "region") are for the team only."""
        return scope == PUBLISHED_AT_PDU and self.published_at == PUBLISHED_AT_REGION


@dataclass(frozen=True)
class QuestionSet:
    id: str
    version: str
    title: str
    framework_notes: str
    facts: tuple[Fact, ...]
    variants: tuple[Variant, ...]
    sections: tuple[Section, ...]
    participant_groups: tuple[ParticipantGroup, ...]
    non_case_questions: tuple[NonCaseQuestion, ...]
    ratings: Ratings | None
    content_hash: str
    source: str = ""
    domain_one: tuple[OrgQuestion, ...] = ()
    figure_rules: FigureRules = FigureRules()
    _questions: Mapping[str, Question] = field(default_factory=dict, repr=False, compare=False)
    _facts: Mapping[str, Fact] = field(default_factory=dict, repr=False, compare=False)
    _order: tuple[str, ...] = field(default=(), repr=False, compare=False)

    def __post_init__(self) -> None:
        qs = {q.id: q for s in self.sections for q in s.questions}
        object.__setattr__(self, "_questions", qs)
        object.__setattr__(self, "_facts", {f.id: f for f in self.facts})
        object.__setattr__(self, "_order", _evaluation_order(self.sections))

    # -- look-ups -------------------------------------------------------------------------
    @property
    def questions(self) -> tuple[Question, ...]:
        return tuple(self._questions.values())

    def question(self, question_id: str) -> Question:
        return self._questions[question_id]

    def has_question(self, question_id: str) -> bool:
        return question_id in self._questions

    def fact(self, fact_id: str) -> Fact:
        return self._facts[fact_id]

    def variant(self, variant_id: str) -> Variant:
        for v in self.variants:
            if v.id == variant_id:
                return v
        raise KeyError(variant_id)

    def group(self, group_id: str) -> ParticipantGroup:
        for g in self.participant_groups:
            if g.id == group_id:
                return g
        raise KeyError(group_id)

    def sections_for(self, variant_id: str | None) -> tuple[Section, ...]:
        if variant_id is None:
            return ()
        return tuple(s for s in self.sections if variant_id in s.variants)

    def section_of(self, question_id: str) -> Section:
        sid = self._questions[question_id].section_id
        return next(s for s in self.sections if s.id == sid)

    @property
    def key_questions(self) -> tuple[Question, ...]:
        return tuple(s.key_question for s in self.sections)

    # -- domain one and non-case questions: the organisational evidence -------------------
    def org_question(self, question_id: str) -> OrgQuestion | NonCaseQuestion | None:
        """The domain-one key question or non-case question with this id (what is judged)."""
        for d in self.domain_one:
            if d.id == question_id:
                return d
        for n in self.non_case_questions:
            if n.id == question_id:
                return n
        return None

    def org_question_of(self, question_id: str) -> OrgQuestion | NonCaseQuestion | None:
        """The judged question a domain-one prompt belongs to, or the question itself."""
        for d in self.domain_one:
            if any(p.id == question_id for p in d.prompts):
                return d
        return self.org_question(question_id)

    @property
    def org_question_ids(self) -> tuple[str, ...]:
        """Every id evidence can be logged against: domain-one key questions and their prompts,
        and the non-case questions, in file order."""
        ids = [i for d in self.domain_one for i in (d.id, *(p.id for p in d.prompts))]
        return (*ids, *(n.id for n in self.non_case_questions))

    @property
    def judged_question_ids(self) -> tuple[str, ...]:
        """The questions the team records a judgement on: domain-one key and non-case."""
        return (*(d.id for d in self.domain_one), *(n.id for n in self.non_case_questions))

    def org_scope(self, question_id: str) -> tuple[str, ...]:
        """The ids whose evidence informs a judged question: a domain-one key question with
        its prompts and linked non-case questions; a non-case question on its own."""
        q = self.org_question(question_id)
        if isinstance(q, OrgQuestion):
            return (q.id, *(p.id for p in q.prompts), *q.non_case_questions)
        return (question_id,) if q is not None else ()

    @property
    def rating_labels(self) -> tuple[str, ...]:
        """The labels a judgement may take: the rating scale's, best first; () if unrated."""
        return tuple(lv.label for lv in self.ratings.scale) if self.ratings else ()

    # -- rules ----------------------------------------------------------------------------
    def variant_for(self, facts: Mapping[str, object]) -> Variant | None:
        """The first variant whose condition holds; a variant without one is the fallback."""
        env = Env(facts=facts, answers={})
        for v in self.variants:
            if v.when is None or evaluate(v.when, env):
                return v
        return None

    def applicable(
        self,
        variant_id: str | None,
        facts: Mapping[str, object],
        answers: Mapping[str, object],
    ) -> frozenset[str]:
        """Ids of the questions that apply to a case in `variant_id`, given facts and answers.

        A question that does not apply hides its answer from the conditions of others, so
        "requested = no" switches off "received" and, through it, "used".
        """
        in_variant = {q.id for s in self.sections_for(variant_id) for q in s.questions}
        visible: dict[str, object] = {}
        result: set[str] = set()
        for qid in self._order:
            if qid not in in_variant:
                continue
            q = self._questions[qid]
            if q.applies_when is None or evaluate(
                q.applies_when, Env(facts=facts, answers=visible)
            ):
                result.add(qid)
                if qid in answers and answers[qid] is not None:
                    visible[qid] = answers[qid]
        return frozenset(result)

    def describe(self, condition: Condition) -> str:
        return describe(condition, self._fact_label, self._question_label, self._value_label)

    def _fact_label(self, fact_id: str) -> str:
        f = self._facts.get(fact_id)
        return f.label if f else fact_id

    def _question_label(self, qid: str) -> str:
        return f"the answer to {qid}"

    def _value_label(self, kind: str, subject: str, value: object) -> str:
        if kind == "fact" and subject in self._facts:
            return self._facts[subject].label_of(value)
        if kind == "answer" and subject in self._questions:
            return self._questions[subject].label_of(value)
        return str(value)


def _evaluation_order(sections: tuple[Section, ...]) -> tuple[str, ...]:
    """Questions ordered so that each comes after the questions its condition reads.

    The loader has already refused cycles; document order breaks ties.
    """
    from probdesk.domain.conditions import referenced_answers

    questions = [q for s in sections for q in s.questions]
    deps = {
        q.id: referenced_answers(q.applies_when) if q.applies_when else frozenset()
        for q in questions
    }
    done: set[str] = set()
    order: list[str] = []
    for root in questions:
        # Iterative depth-first walk: generated sets can chain thousands of conditions.
        stack: list[tuple[str, list[str]]] = [(root.id, sorted(deps[root.id]))]
        on_path = {root.id}
        while stack:
            qid, pending = stack[-1]
            if qid in done:
                stack.pop()
                on_path.discard(qid)
                continue
            while pending and (
                pending[-1] in done or pending[-1] in on_path or pending[-1] not in deps
            ):
                pending.pop()
            if pending:
                nxt = pending.pop()
                stack.append((nxt, sorted(deps[nxt])))
                on_path.add(nxt)
            else:
                done.add(qid)
                order.append(qid)
                stack.pop()
                on_path.discard(qid)
    return tuple(order)
