"""A case's facts, PDU, assignment and status as events, and the one fold over them.

Every change to one of a case's fields is an event, exactly like an answer: the device and its
sequence number, the clock, the event it replaces (the value its author saw), and the author.
Nothing is updated in place: the current state is a fold over all events, on the laptop and in
the hub alike, so the same events give the same case wherever they are folded.

Fields: "status", "pdu", "assessor" (the team lead's assignment) and "fact:<fact id>" (one
field per case fact, so a correction of one fact and the lead's change of another are not a
conflict). A value of None for a fact means the fact is not set. "reply:<comment id>" is the
assessor's reply to a comment of the team lead's ({"text": ..., "done": true|false}): it
travels back to the hub like any change of the case, and a later reply replaces the earlier
one; two laptops replying differently are two replies, never a conflict to settle.

Heads of a field are its events that no other event replaces or settles. One head: its value
stands. Several heads with the same value are not a conflict. Several heads with different
values are a conflict, shown as it is (never hidden) until the team lead settles it: the
shown value is the newest by clock, then device id, as for answers. The lead's settling event
names every head it settles. One exception keeps a reassigned case's status out of the lead's
way: statuses set under an earlier assignment give way to one set under the current one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from probdesk.domain.questionset import QuestionSet

STATUS, PDU, ASSESSOR = "status", "pdu", "assessor"
FACT = "fact:"
REPLY = "reply:"
REPLY_TEXT = 4000  # characters of a reply


def reply_field(comment_id: str) -> str:
    return REPLY + comment_id


def reply_of(field_name: str) -> str | None:
    """The comment id of a "reply:<id>" field, None for another field."""
    return field_name[len(REPLY) :] if field_name.startswith(REPLY) else None


def reply_problem(value: object) -> str | None:
    """What is wrong with a reply's value (None when it is a reply)."""
    if not isinstance(value, dict) or set(value) != {"text", "done"}:
        return 'a reply is {"text": ..., "done": true or false}'
    text, done = value["text"], value["done"]
    if not isinstance(text, str) or not isinstance(done, bool):
        return "a reply's text is text and its done mark true or false"
    if len(text) > REPLY_TEXT:
        return f"a reply holds at most {REPLY_TEXT:,} characters"
    if not text.strip() and not done:
        return "a reply says something or marks the comment done"
    return None


def fact_field(fact_id: str) -> str:
    return FACT + fact_id


def fact_of(field_name: str) -> str | None:
    """The fact id of a "fact:<id>" field, None for another field."""
    return field_name[len(FACT) :] if field_name.startswith(FACT) else None


def field_label(field_name: str) -> str:
    """How a field is named to people: "the fact rosh_level", "the PDU", "the assessor"."""
    fact = fact_of(field_name)
    if fact is not None:
        return f"the fact {fact}"
    if reply_of(field_name) is not None:
        return "the reply to a comment"
    return {STATUS: "the status", PDU: "the PDU", ASSESSOR: "the assessor"}.get(
        field_name, field_name
    )


def valid_field(field_name: str) -> bool:
    return (
        field_name in (STATUS, PDU, ASSESSOR)
        or (field_name.startswith(FACT) and 0 < len(field_name) - len(FACT) <= 64)
        or (field_name.startswith(REPLY) and 0 < len(field_name) - len(REPLY) <= 36)
    )


@dataclass(frozen=True)
class CaseEvent:
    id: str
    case_id: str
    field: str
    value: object  # JSON: a fact's value, a PDU, an assessor's name, a status; None = not set
    device_id: str
    seq: int
    hlc: str
    replaces: str | None  # the head its author saw (None for the field's first value)
    settles: tuple[str, ...] = ()  # the team lead's decision: every head it settles
    author: str = ""
    recorded_at: str = ""  # the laptop's own time (ISO); ordering uses the clock


@dataclass(frozen=True)
class FieldState:
    """A field's current value, its heads (newest first; read from a laptop, its own first in
    a conflict) and whether they disagree."""

    value: object
    heads: tuple[CaseEvent, ...]
    name: str = ""  # the field

    @property
    def conflict(self) -> bool:
        """Heads that disagree; never for replies (each laptop's reply is kept and shown)."""
        if self.name.startswith(REPLY):
            return False
        return len({_same(h.value) for h in self.heads}) > 1

    @property
    def winner(self) -> CaseEvent:
        return self.heads[0]


def _same(value: object) -> str:
    return json.dumps(value, sort_keys=True)


def _order(e: CaseEvent) -> tuple[str, str, int, str]:
    return (e.hlc, e.device_id, e.seq, e.id)


def fold(events: Iterable[CaseEvent], seen_from: str = "") -> dict[str, dict[str, FieldState]]:
    """case id -> field -> its state, over any set of events (order does not matter).

    `seen_from`, a laptop's device id: in a conflict, that laptop's own newest head comes
    first, so a change the laptop's assessor made is not silently undone on their screen by a
    concurrent one (the team lead's, say) before the lead settles it. The hub reads with no
    device: the newest head by clock, then device id, everywhere.
    """
    evs = list(events)
    gone: set[str] = set()
    settled: set[str] = set()
    children: dict[str, list[CaseEvent]] = {}
    for e in evs:
        if e.replaces:
            gone.add(e.replaces)
            children.setdefault(e.replaces, []).append(e)
        settled.update(e.settles)
    # A decision settles its heads and every later change made on top of them by a laptop
    # that had not seen the decision yet (it stands on what was set aside); changes made on
    # top of the decision itself stand.
    stack = list(settled)
    while stack:
        for child in children.get(stack.pop(), ()):
            if not child.settles and child.id not in settled:
                settled.add(child.id)
                stack.append(child.id)
    gone |= settled
    heads: dict[tuple[str, str], list[CaseEvent]] = {}
    for e in evs:
        if e.id not in gone:
            heads.setdefault((e.case_id, e.field), []).append(e)
    out: dict[str, dict[str, FieldState]] = {}
    for (case_id, name), hs in heads.items():
        hs.sort(key=_order, reverse=True)
        out.setdefault(case_id, {})[name] = FieldState(hs[0].value, tuple(hs), name)
    for fields in out.values():
        _status_after_assignment(fields)
        if seen_from:
            _own_first(fields, seen_from)
    return out


def _own_first(fields: dict[str, FieldState], device_id: str) -> None:
    for name, state in fields.items():
        if state.conflict and state.winner.device_id != device_id:
            own = [h for h in state.heads if h.device_id == device_id]
            if own:
                rest = tuple(h for h in state.heads if h.device_id != device_id)
                fields[name] = FieldState(own[0].value, (*own, *rest), name)


def _status_after_assignment(fields: dict[str, FieldState]) -> None:
    """A case's status is its current assessor's: once a status was set after the team
    lead's latest assignment, the statuses set before it (by the assessor the case was taken
    from, or by the same one before it came back) give way. Only the assignee at a clock may
    change the status then (probdesk.services.authority), so no other member can win this
    way. Until the new assessor sets one, the earlier status stands."""
    status, assessor = fields.get(STATUS), fields.get(ASSESSOR)
    if status is None or assessor is None or len(status.heads) < 2:
        return
    since = tuple(h for h in status.heads if h.hlc > assessor.winner.hlc)
    if since and len(since) < len(status.heads):
        fields[STATUS] = FieldState(since[0].value, since, STATUS)


@dataclass(frozen=True)
class CaseFields:
    """What the fold says of one case: the values every reader uses."""

    facts: dict[str, object]
    pdu: str | None
    assessor: str
    status: str
    updated_hlc: str  # the newest clock among the heads: when the case last changed


def case_fields(fields: Mapping[str, FieldState], default_status: str) -> CaseFields:
    facts = {
        fact: state.value
        for name, state in fields.items()
        if (fact := fact_of(name)) is not None and state.value is not None
    }
    pdu = fields.get(PDU)
    assessor = fields.get(ASSESSOR)
    status = fields.get(STATUS)
    newest = max((h.hlc for s in fields.values() for h in s.heads), default="")
    return CaseFields(
        dict(sorted(facts.items())),
        str(pdu.value) if pdu is not None and pdu.value is not None else None,
        str(assessor.value) if assessor is not None and assessor.value is not None else "",
        str(status.value) if status is not None and status.value else default_status,
        newest,
    )


@dataclass(frozen=True)
class Projected:
    """A case as its events say, read against its question set: what the row holds."""

    fields: CaseFields
    facts: dict[str, object]  # checked against the question set
    variant: str | None  # the set's own reading of the facts


def project(fields: Mapping[str, FieldState], qs: QuestionSet) -> Projected:
    """The one reading of a case's fold, on the laptop and in the hub alike."""
    from probdesk.domain.answers import check_facts

    state = case_fields(fields, "not_started")
    facts, _problems = check_facts(qs, state.facts)
    variant = qs.variant_for(facts)
    return Projected(state, facts, variant.id if variant else None)


def changes(
    current: Mapping[str, FieldState], wanted: Mapping[str, object]
) -> list[tuple[str, object, str | None]]:
    """(field, new value, the head it replaces) for each wanted value that differs from now."""
    out: list[tuple[str, object, str | None]] = []
    for name, value in wanted.items():
        state = current.get(name)
        if state is None:
            if value is not None:
                out.append((name, value, None))
        elif _same(state.value) != _same(value):  # an edit never settles a conflict
            out.append((name, value, state.winner.id))
    return out


def facts_changes(before: Mapping[str, object], after: Mapping[str, object]) -> dict[str, object]:
    """The fact fields to write so that `before` becomes `after` (None: a fact taken away)."""
    out: dict[str, object] = {}
    for fact in sorted(set(before) | set(after)):
        if _same(before.get(fact)) != _same(after.get(fact)):
            out[fact_field(fact)] = after.get(fact)
    return out


# -- the state carried over from before case events ----------------------------------------------
# Stores and hubs written before case events held each case's current state only. Upgrading
# one turns that state into "base" events, which belong to no device (device "", seq 0, clock
# ""), and whose id is made of the case, the field and the value alone: a laptop, the team
# lead's laptop and the hub holding the same value make the same event, so the union keeps it
# once and the lead's next change replaces it everywhere. Where they held different values
# (a change that had not reached the others), both stay as heads: a conflict the lead settles.
# Released upgrades use this: never change it.
_BASE = "a6f3c1e2-0b7d-4c55-9a1e-7d2f4b8c9e10"


def base_events(
    case_id: str,
    facts: Mapping[str, object],
    pdu: str | None,
    assessor: str,
    status: str,
    default_status: str = "not_started",
) -> list[CaseEvent]:
    import uuid

    wanted: dict[str, object] = {fact_field(k): v for k, v in sorted(facts.items())}
    if pdu is not None:
        wanted[PDU] = pdu
    if assessor:
        wanted[ASSESSOR] = assessor
    if status and status != default_status:
        wanted[STATUS] = status
    ns = uuid.UUID(_BASE)
    out = []
    for name, value in wanted.items():
        if value is not None:
            event_id = str(uuid.uuid5(ns, f"{case_id}|{name}|{_same(value)}"))
            out.append(CaseEvent(event_id, case_id, name, value, "", 0, "", None))
    return out
