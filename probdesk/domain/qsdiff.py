"""What changes between two versions of a question set, and what that does to a case.

`diff(old, new)` classifies every case question, fact and variant (and names the other parts
that changed: non-case questions, domain one, ratings); `case_impact(...)` says for one case
which answers carry over, which are kept and shown but no longer counted, and what the
assessor must review. Both are pure: the preview before a move, `probdesk questionset diff`
and the laptop's move read the same classification.

A question is the same question when its id, answer type and answer values are the same;
wording, guidance, options' labels, conditions and counting may change under it. An id reused
with another answer type or other answer values is incompatible: its old answers may not mean
what the new question asks, so a move refuses it unless the lead confirms.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum, StrEnum

from probdesk.domain.questionset import Fact, Question, QuestionSet, Variant


class Change(StrEnum):
    """One way a question (or fact, or variant) differs between the two versions."""

    UNCHANGED = "unchanged"
    ADDED = "added"
    DROPPED = "dropped"
    WORDING = "wording changed"
    GUIDANCE = "guidance changed"
    CONDITION = "condition changed"
    COUNTING = "counting changed"
    OPTIONS = "answer options changed"
    ANSWER_TYPE = "answer type changed"


class Severity(IntEnum):
    """How much a change asks of the people whose answers it touches, least first."""

    NONE = 0  # nothing differs
    CARRIED = 1  # answers carry over as they are (wording, guidance, labels, added questions)
    REVIEW = 2  # answers are kept; some cases need the assessor's review or stop counting
    INCOMPATIBLE = 3  # an id reused with another answer type or other answer values


SEVERITY: Mapping[Change, Severity] = {
    Change.UNCHANGED: Severity.NONE,
    Change.ADDED: Severity.CARRIED,
    Change.WORDING: Severity.CARRIED,
    Change.GUIDANCE: Severity.CARRIED,
    Change.DROPPED: Severity.REVIEW,
    Change.CONDITION: Severity.REVIEW,
    Change.COUNTING: Severity.REVIEW,
    Change.OPTIONS: Severity.INCOMPATIBLE,
    Change.ANSWER_TYPE: Severity.INCOMPATIBLE,
}


@dataclass(frozen=True)
class ItemChange:
    """One question, fact or variant: how it changed, with a line of detail per change."""

    kind: str  # "question", "fact", "variant"
    id: str
    changes: tuple[Change, ...]  # (UNCHANGED,) when nothing differs
    details: tuple[str, ...] = ()
    section: str = ""  # questions: the section in the new version (the old if dropped)

    @property
    def severity(self) -> Severity:
        return max(SEVERITY[c] for c in self.changes)

    @property
    def incompatible(self) -> bool:
        return self.severity is Severity.INCOMPATIBLE


@dataclass(frozen=True)
class QuestionSetDiff:
    old_id: str
    old_version: str
    new_id: str
    new_version: str
    questions: tuple[ItemChange, ...]  # old order, then the added ones in new order
    facts: tuple[ItemChange, ...]
    variants: tuple[ItemChange, ...]
    other: tuple[str, ...]  # the parts outside case questions that changed, in words

    @property
    def items(self) -> tuple[ItemChange, ...]:
        return (*self.facts, *self.variants, *self.questions)

    @property
    def severity(self) -> Severity:
        worst = max((i.severity for i in self.items), default=Severity.NONE)
        if self.other and worst < Severity.CARRIED:
            return Severity.CARRIED
        return worst

    @property
    def incompatible(self) -> tuple[ItemChange, ...]:
        return tuple(i for i in self.items if i.incompatible)

    def question(self, question_id: str) -> ItemChange:
        return next(q for q in self.questions if q.id == question_id)

    def count(self, change: Change) -> int:
        return sum(change in q.changes for q in self.questions)


# -- the classification ---------------------------------------------------------------------


def _options_text(values: tuple[str, ...] | None) -> str:
    return ", ".join(values) if values else "(open)"


def _question_change(
    old: Question, new: Question, old_qs: QuestionSet, new_qs: QuestionSet
) -> ItemChange:
    changes: list[Change] = []
    details: list[str] = []
    if old.answer is not new.answer:
        changes.append(Change.ANSWER_TYPE)
        details.append(f"answer type {old.answer.value} -> {new.answer.value}")
    elif old.allowed_values() != new.allowed_values():
        changes.append(Change.OPTIONS)
        details.append(
            f"answer values {_options_text(old.allowed_values())} -> "
            f"{_options_text(new.allowed_values())}"
        )
    labels_changed = old.options != new.options and old.allowed_values() == new.allowed_values()
    if old.text != new.text or (labels_changed and old.answer is new.answer):
        changes.append(Change.WORDING)
        details.append("question text changed" if old.text != new.text else "option labels changed")
    if old.guidance != new.guidance or old.evidence != new.evidence:
        changes.append(Change.GUIDANCE)
    old_variants = old_qs.section_of(old.id).variants
    new_variants = new_qs.section_of(new.id).variants
    if old.applies_when != new.applies_when or old_variants != new_variants:
        changes.append(Change.CONDITION)
        if old.applies_when != new.applies_when:
            was = old_qs.describe(old.applies_when) if old.applies_when else "always"
            now = new_qs.describe(new.applies_when) if new.applies_when else "always"
            details.append(f"applies: {was} -> {now}")
        if old_variants != new_variants:
            details.append(f"variants {', '.join(old_variants)} -> {', '.join(new_variants)}")
    counting: list[str] = []
    if old.counts != new.counts:
        counting.append("counts toward findings" if new.counts else "no longer counts")
    if old.is_key != new.is_key:
        counting.append("now a key question" if new.is_key else "now a prompt")
    if old.section_id != new.section_id:
        counting.append(f"section {old.section_id} -> {new.section_id}")
    if counting:
        changes.append(Change.COUNTING)
        details.extend(counting)
    return ItemChange(
        "question", new.id, tuple(changes) or (Change.UNCHANGED,), tuple(details), new.section_id
    )


def _fact_change(old: Fact, new: Fact) -> ItemChange:
    changes: list[Change] = []
    details: list[str] = []
    if old.type is not new.type:
        changes.append(Change.ANSWER_TYPE)
        details.append(f"type {old.type.value} -> {new.type.value}")
    elif old.allowed_values() != new.allowed_values():
        changes.append(Change.OPTIONS)
        details.append(
            f"values {_options_text(old.allowed_values())} -> {_options_text(new.allowed_values())}"
        )
    if old.label != new.label or (
        old.options != new.options and old.allowed_values() == new.allowed_values()
    ):
        changes.append(Change.WORDING)
    if old.help != new.help:
        changes.append(Change.GUIDANCE)
    if old.required != new.required:
        changes.append(Change.CONDITION)
        details.append("now required" if new.required else "now optional")
    return ItemChange("fact", new.id, tuple(changes) or (Change.UNCHANGED,), tuple(details))


def _variant_change(
    old: Variant, new: Variant, old_qs: QuestionSet, new_qs: QuestionSet
) -> ItemChange:
    changes: list[Change] = []
    details: list[str] = []
    if old.label != new.label or old.description != new.description:
        changes.append(Change.WORDING)
    if old.when != new.when:
        changes.append(Change.CONDITION)
        was = old_qs.describe(old.when) if old.when else "the fallback"
        now = new_qs.describe(new.when) if new.when else "the fallback"
        details.append(f"chosen when: {was} -> {now}")
    return ItemChange("variant", new.id, tuple(changes) or (Change.UNCHANGED,), tuple(details))


def _others(old: QuestionSet, new: QuestionSet) -> tuple[str, ...]:
    out: list[str] = []
    if old.title != new.title:
        out.append("title changed")
    if old.ratings != new.ratings:
        out.append("ratings changed (scale, standards or bands)")
    parts = (
        ("non-case question", old.non_case_questions, new.non_case_questions),
        ("domain-one question", old.domain_one, new.domain_one),
        ("participant group", old.participant_groups, new.participant_groups),
    )
    for name, before, after in parts:
        was = {x.id: x for x in before}
        now = {x.id: x for x in after}
        for i in was.keys() - now.keys():
            out.append(f"{name} {i} dropped")
        for i in now.keys() - was.keys():
            out.append(f"{name} {i} added")
        for i in was.keys() & now.keys():
            if was[i] != now[i]:
                out.append(f"{name} {i} changed")
    if [v.id for v in old.variants] != [v.id for v in new.variants] and {
        v.id for v in old.variants
    } == {v.id for v in new.variants}:
        out.append("variants reordered (the first whose condition holds is chosen)")
    return tuple(sorted(out))


def diff(old: QuestionSet, new: QuestionSet) -> QuestionSetDiff:
    """Every case question, fact and variant of either version, classified."""
    questions: list[ItemChange] = []
    for q in old.questions:
        if new.has_question(q.id):
            questions.append(_question_change(q, new.question(q.id), old, new))
        else:
            questions.append(ItemChange("question", q.id, (Change.DROPPED,), (), q.section_id))
    questions += [
        ItemChange("question", q.id, (Change.ADDED,), (), q.section_id)
        for q in new.questions
        if not old.has_question(q.id)
    ]
    old_facts = {f.id: f for f in old.facts}
    new_facts = {f.id: f for f in new.facts}
    facts = [
        _fact_change(f, new_facts[f.id])
        if f.id in new_facts
        else ItemChange("fact", f.id, (Change.DROPPED,))
        for f in old.facts
    ]
    facts += [
        ItemChange(
            "fact", f.id, (Change.ADDED,), ("required: cases need it",) if f.required else ()
        )
        for f in new.facts
        if f.id not in old_facts
    ]
    old_variants = {v.id: v for v in old.variants}
    new_variants = {v.id: v for v in new.variants}
    variants = [
        _variant_change(v, new_variants[v.id], old, new)
        if v.id in new_variants
        else ItemChange("variant", v.id, (Change.DROPPED,))
        for v in old.variants
    ]
    variants += [
        ItemChange("variant", v.id, (Change.ADDED,))
        for v in new.variants
        if v.id not in old_variants
    ]
    return QuestionSetDiff(
        old.id,
        old.version,
        new.id,
        new.version,
        tuple(questions),
        tuple(facts),
        tuple(variants),
        _others(old, new),
    )


# -- one case --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseImpact:
    """What a move does to one case's answers. Nothing is ever dropped: a dropped question's
    answer stays stored and shown, it only stops counting."""

    variant_before: str | None
    variant_after: str | None
    carried: tuple[str, ...]  # answered, same question, still applies: counts as before
    kept_not_counted: tuple[str, ...]  # answered, but dropped or no longer applying
    review: tuple[tuple[str, str], ...]  # (question or "variant"/"facts", why), to look at

    @property
    def needs_review(self) -> bool:
        return bool(self.review)


def case_impact(
    change: QuestionSetDiff,
    old: QuestionSet,
    new: QuestionSet,
    facts: Mapping[str, object],
    variant: str | None,
    answers: Mapping[str, object],
) -> CaseImpact:
    """The case's answers (question id -> value, None for cleared) under the new version.

    `variant` is the case's stored variant; the new version may choose another from the same
    facts (its rules changed), which the assessor reviews.
    """
    answered = {q: v for q, v in answers.items() if v is not None}
    items = {q.id: q for q in change.questions}
    fact_items = {f.id: f for f in change.facts}
    review: list[tuple[str, str]] = []
    chosen = new.variant_for(facts)
    after = chosen.id if chosen is not None else None
    if after != variant:
        review.append(("variant", f"the new rules choose {after or 'no variant'}, not {variant}"))
    newly_required = [
        f.id
        for f in new.facts
        if f.required
        and facts.get(f.id) is None
        and {Change.ADDED, Change.CONDITION} & set(fact_items[f.id].changes)
    ]
    if newly_required:
        review.append(("facts", "facts now required: " + ", ".join(newly_required)))
    for f in new.facts:
        value = facts.get(f.id)
        allowed = f.allowed_values()
        if value is not None and allowed is not None and str(value) not in allowed:
            review.append(("facts", f"{f.id} = {value} is not one of the new values"))
    # The new version's conditions read only the answers that are still the same question.
    still = {
        q: v
        for q, v in answered.items()
        if q in items and Change.DROPPED not in items[q].changes and not items[q].incompatible
    }
    applies_after = new.applicable(after, facts, still)
    applied_before = old.applicable(variant, facts, answered)
    carried: list[str] = []
    kept: list[str] = []
    for qid in answered:
        item = items.get(qid)
        if item is None or Change.DROPPED in item.changes:
            kept.append(qid)  # dropped (or never in the old set): stays stored and shown
            continue
        if item.incompatible:
            kept.append(qid)
            review.append((qid, "; ".join(item.details)))
            continue
        if qid not in applies_after:
            kept.append(qid)
            review.append((qid, "answered, but no longer applies to this case"))
            continue
        carried.append(qid)
        if Change.CONDITION in item.changes or Change.COUNTING in item.changes:
            review.append((qid, "; ".join(item.details)))
    for qid in sorted(applies_after - applied_before - answered.keys()):
        if Change.ADDED not in items[qid].changes:
            review.append((qid, "now applies to this case and is unanswered"))
    return CaseImpact(variant, after, tuple(carried), tuple(kept), tuple(review))
