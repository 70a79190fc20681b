"""Who may say what: the checks every events package passes before the hub writes any of it.

A package's signer is an enrolled key that speaks for one team member (probdesk.packages.
enrolment). Everything in the package must be that member's to say:

- every event, case change, note and evidence entry was made on the signing device;
- answers, notes, fact and PDU corrections and status changes only for cases of the
  inspection's sample that were assigned to that member when the change was made (the team
  lead's assignments, with the lead's clock; a case's first assignment counts from the start);
- an assessor's statuses are not started, in progress, submitted, or returned (echoing the
  lead's return); approving and locking are the lead's, and so are assigning a case and
  settling a conflict;
- references are the sample's, PDUs the inspection's, facts valid for the question set,
  question ids the inspection's question set's, values valid for each question's answer type.

A package's case rows only name the cases (id and reference): a case's state travels as
case events (probdesk.domain.case_events), so a row that says "approved" changes nothing.

The checks are plain set look-ups over data read once per merge (never a query per event).
A package breaking any rule is rejected whole: `violations` says which rules, and where.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from probdesk.domain.answers import coerce_answer, coerce_fact, reference_problem
from probdesk.domain.case_events import (
    ASSESSOR,
    PDU,
    STATUS,
    fact_of,
    field_label,
    reply_of,
    reply_problem,
    valid_field,
)
from probdesk.domain.questionset import Fact, Question, QuestionSet
from probdesk.domain.records import CaseStatus

ASSESSOR_STATUSES = frozenset(
    {CaseStatus.NOT_STARTED, CaseStatus.IN_PROGRESS, CaseStatus.SUBMITTED, CaseStatus.RETURNED}
)
SHOWN = 5  # problems named in the rejection; the count says how many more


@dataclass(frozen=True)
class Sample:
    """What the team lead decided for one inspection: its cases, their assignments, its set."""

    inspection_id: str
    pdus: frozenset[str]
    qs: QuestionSet
    references: Mapping[str, str]  # case id -> reference
    # case id -> the lead's assignments in clock order: ((hlc, member), ...)
    assignments: Mapping[str, tuple[tuple[str, str], ...]]
    # The set's other versions the lead has registered, by (set id, version): an answer given
    # before the laptop followed a move to `qs` is checked against the version it names.
    earlier: Mapping[tuple[str, str], QuestionSet] = field(default_factory=dict)
    _checkers: dict[tuple[str, str], Callable[[object], bool]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def under(self, qs_id: object, version: object) -> QuestionSet | None:
        """The version of the set an answer says it was given under; None if not this set."""
        if (qs_id, version) == (self.qs.id, self.qs.version):
            return self.qs
        return self.earlier.get((str(qs_id), str(version)))

    def assignee_at(self, case_id: str, hlc: str) -> str | None:
        """The member the case was assigned to at `hlc` (the first assignee before any)."""
        history = self.assignments.get(case_id)
        if not history:
            return None
        at = bisect_right([h for h, _m in history], hlc)
        return history[max(at - 1, 0)][1]

    def facts(self) -> dict[str, Fact]:
        """The case facts a change may set: the current version's, and those of earlier
        versions for a laptop that has not followed a move yet (the current one wins)."""
        known = {f.id: f for qs in self.earlier.values() for f in qs.facts}
        return known | {f.id: f for f in self.qs.facts}

    def value_ok(self, question_id: str, value: object, qs: QuestionSet | None = None) -> bool:
        qs = qs or self.qs
        key = (qs.content_hash, question_id)
        check = self._checkers.get(key)
        if check is None:
            check = _checker(qs.question(question_id))
            self._checkers[key] = check
        return check(value)


def _checker(q: Question) -> Callable[[object], bool]:
    allowed = q.allowed_values()
    if allowed is not None and not q.answer.kind.several:
        closed = frozenset(allowed)
        return lambda v: v is None or (isinstance(v, str) and v in closed)

    def general(v: object) -> bool:
        try:
            coerce_answer(q, v)
        except (ValueError, TypeError):
            return False
        return True

    return general


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []
        self.count = 0

    def add(self, rule: str, text: str) -> None:
        self.count += 1
        if len(self.items) < SHOWN:
            self.items.append(f"{rule}: {text}")


def violations(
    payload: Mapping[str, Any], *, device_id: str, member: str, sample: Sample
) -> list[str]:
    """Every rule the package breaks (at most SHOWN named, then a count); [] when it may merge."""
    out = _Problems()
    if payload.get("device_id") != device_id:
        out.add("device_mismatch", "the payload names another device than its signer")
    if payload.get("inspection_id") != sample.inspection_id:
        out.add("wrong_inspection", "the payload is for another inspection than its manifest")
    _check_cases(payload.get("cases", []), sample, out)
    _check_case_events(payload.get("case_events", []), device_id, member, sample, out)
    _check_answers(payload.get("answers", []), device_id, member, sample, out)
    for n in payload.get("meeting_notes", []):
        if n.get("device_id") != device_id:
            out.add("device_mismatch", f"a meeting note ({n.get('id')}) was made on another device")
    for e in payload.get("org_events", []):
        if e.get("device_id") != device_id:
            out.add("device_mismatch", f"an evidence entry ({e.get('id')}) is another device's")
    problems = out.items
    if out.count > len(problems):
        problems.append(f"... and {out.count - len(problems)} more")
    return problems


def _check_cases(cases: Sequence[Mapping[str, Any]], sample: Sample, out: _Problems) -> None:
    for c in cases:
        case_id = str(c.get("id"))
        reference = sample.references.get(case_id)
        if reference is None:
            out.add(
                "case_not_in_sample",
                f"case {c.get('reference')!s:.64} is not in the inspection's sample (the team "
                "lead adds cases)",
            )
            continue
        if c.get("reference") != reference:
            out.add("reference_changed", f"case {reference}: its reference is the team lead's")
        problem = reference_problem(reference)
        if problem:  # the lead's own reference: never expected, but never stored unchecked
            out.add("bad_reference", problem)


def _check_case_events(
    events: Sequence[Mapping[str, Any]],
    device_id: str,
    member: str,
    sample: Sample,
    out: _Problems,
) -> None:
    for e in events:
        case_id = str(e.get("case_id"))
        reference = sample.references.get(case_id)
        name = str(e.get("field"))
        value = e.get("value")
        if e.get("device_id") != device_id:
            out.add("device_mismatch", f"a case change ({e.get('id')}) was made on another device")
        if reference is None:
            out.add("case_not_in_sample", "a case change is for a case not in the inspection's "
                    "sample (the team lead adds cases)")  # fmt: skip
            continue
        if e.get("settles"):
            out.add("settle_not_allowed", f"case {reference}: only the team lead settles a "
                    "conflict")  # fmt: skip
        if not valid_field(name):
            out.add("unknown_field", f"case {reference}: {name:.80} is not a field of a case")
            continue
        if name == ASSESSOR:
            out.add("assignment_not_allowed", f"case {reference}: only the team lead assigns "
                    "cases")  # fmt: skip
            continue
        if sample.assignee_at(case_id, str(e.get("hlc"))) != member:
            out.add("not_assigned", f"case {reference} was not assigned to {member} when "
                    f"{field_label(name)} was changed")  # fmt: skip
        if name == STATUS:
            if value not in ASSESSOR_STATUSES:
                out.add("status_not_allowed", f"case {reference}: only the team lead sets "
                        f"{value!s:.20}")  # fmt: skip
        elif reply_of(name) is not None:
            problem = reply_problem(value)
            if problem:
                out.add("bad_reply", f"case {reference}: {problem}")
        elif name == PDU:
            if value is not None and value not in sample.pdus:
                out.add("unknown_pdu", f"case {reference}: {value!s:.120} is not a PDU of the "
                        "inspection")  # fmt: skip
        else:
            fact = fact_of(name) or ""
            known = sample.facts()
            if fact not in known:
                out.add("bad_facts", f"case {reference}: '{fact:.64}' is not a case fact of "
                        f"{sample.qs.title}")  # fmt: skip
                continue
            try:
                coerce_fact(known[fact], value)
            except (ValueError, TypeError) as exc:
                out.add("bad_facts", f"case {reference}: {exc}")


def _check_answers(
    answers: Sequence[Mapping[str, Any]],
    device_id: str,
    member: str,
    sample: Sample,
    out: _Problems,
) -> None:
    for e in answers:
        case_id = str(e.get("case_id"))
        reference = sample.references.get(case_id)
        if e.get("device_id") != device_id:
            out.add("device_mismatch", f"an answer ({e.get('id')}) was made on another device")
        if reference is None:
            out.add("case_not_in_sample", "an answer is for a case not in the inspection's sample")
            continue
        if sample.assignee_at(case_id, str(e.get("hlc"))) != member:
            out.add("not_assigned", f"case {reference} was not assigned to {member} when "
                    f"{e.get('question_id')!s:.64} was answered")  # fmt: skip
        question_id = str(e.get("question_id"))
        qs = sample.under(e.get("qs_id"), e.get("qs_version"))
        if qs is None:
            out.add("wrong_question_set", f"case {reference}: answered under another question set")
            continue
        if not qs.has_question(question_id):
            out.add("unknown_question", f"case {reference}: {question_id:.64} is not a question "
                    f"of {qs.id} {qs.version}")  # fmt: skip
            continue
        value = e.get("value")
        if not sample.value_ok(question_id, tuple(value) if isinstance(value, list) else value, qs):
            out.add("bad_value", f"case {reference}: {question_id} cannot be {value!s:.40}")
