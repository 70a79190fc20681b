"""The fields of a case's events (probdesk.domain.case_events): which names are fields, how a
reply's value is checked, and that replies are never a conflict while other fields are."""

from __future__ import annotations

import pytest

from probdesk.domain import case_events as ce

C = "c" * 36


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("status", True), ("pdu", True), ("assessor", True), ("fact:rosh_level", True),
        ("fact:", False), ("fact:" + "x" * 65, False), (ce.reply_field(C), True),
        ("reply:", False), ("reply:" + "c" * 37, False), ("colour", False),
    ],
)  # fmt: skip
def test_which_names_are_fields(name: str, valid: bool) -> None:
    assert ce.valid_field(name) is valid


def test_a_reply_field_names_its_comment() -> None:
    assert ce.reply_of(ce.reply_field(C)) == C
    assert ce.reply_of("fact:tier") is None and ce.fact_of(ce.reply_field(C)) is None
    assert ce.field_label(ce.reply_field(C)) == "the reply to a comment"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ({"text": "Checked.", "done": False}, None),
        ({"text": "", "done": True}, None),
        ({"text": "x" * ce.REPLY_TEXT, "done": True}, None),
        ({"text": "x" * (ce.REPLY_TEXT + 1), "done": True}, "at most 4,000"),
        ({"text": "  ", "done": False}, "says something or marks"),
        ({"text": 3, "done": True}, "is text"),
        ({"text": "ok", "done": "yes"}, "true or false"),
        ({"text": "ok"}, '{"text": ..., "done"'),
        ({"text": "ok", "done": True, "extra": 1}, '{"text": ..., "done"'),
        ("ok", '{"text": ..., "done"'),
        (None, '{"text": ..., "done"'),
    ],
)
def test_a_reply_value_is_checked(value: object, problem: str | None) -> None:
    got = ce.reply_problem(value)
    if problem is None:
        assert got is None
    else:
        assert got is not None and problem in got


def _event(id_: str, field: str, value: object, device: str, hlc: str) -> ce.CaseEvent:
    return ce.CaseEvent(id_, "case-1", field, value, device, 1, hlc, None)


def test_two_laptops_replying_differently_is_no_conflict_but_a_fact_is() -> None:
    events = [
        _event("r1", ce.reply_field(C), {"text": "one", "done": False}, "d1", "0001"),
        _event("r2", ce.reply_field(C), {"text": "two", "done": True}, "d2", "0002"),
        _event("f1", "fact:tier", "B1", "d1", "0001"),
        _event("f2", "fact:tier", "B2", "d2", "0002"),
    ]
    fields = ce.fold(events)["case-1"]
    reply, fact = fields[ce.reply_field(C)], fields["fact:tier"]
    assert len(reply.heads) == 2 and not reply.conflict
    assert reply.value == {"text": "two", "done": True}  # the newest shows first
    assert len(fact.heads) == 2 and fact.conflict
    # Seen from the first laptop, its own reply comes first; still no conflict.
    mine = ce.fold(events, "d1")["case-1"][ce.reply_field(C)]
    assert not mine.conflict and mine.name == ce.reply_field(C)
    # A reply never moves the case's facts, PDU, assessor or status.
    state = ce.case_fields({ce.reply_field(C): reply}, "not_started")
    assert (state.facts, state.pdu, state.assessor, state.status) == ({}, None, "", "not_started")


def test_a_later_reply_replaces_the_earlier() -> None:
    first = _event("r1", ce.reply_field(C), {"text": "one", "done": False}, "d1", "0001")
    second = ce.CaseEvent("r2", "case-1", ce.reply_field(C), {"text": "two", "done": True},
                          "d1", 2, "0002", "r1")  # fmt: skip
    state = ce.fold([second, first])["case-1"][ce.reply_field(C)]
    assert [h.id for h in state.heads] == ["r2"]
