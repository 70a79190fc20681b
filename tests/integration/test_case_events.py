"""Every change is an event: a case's facts, PDU, assessor and status, folded alike on the
laptop and in the hub. A setup revision never undoes an assessor's correction, a second
laptop never resets what the first one submitted, and concurrent changes to one field are a
conflict the team lead settles."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from scenes import AB, CD, PASSPHRASE, TEAM_FACTS, Laptop, Team

from probdesk.domain import case_events as ce
from probdesk.domain.case_events import CaseEvent
from probdesk.errors import InputError
from probdesk.hub.store import Hub
from probdesk.services import hub as hubs

# -- the fold (pure) -----------------------------------------------------------------------------


def ev(
    id_: str, value: object, *, device: str = "d1", hlc: str = "1", replaces: str | None = None,
    settles: tuple[str, ...] = (), field: str = "fact:rosh_level",
) -> CaseEvent:  # fmt: skip
    return CaseEvent(id_, "c", field, value, device, 1, hlc, replaces, settles)


def state(*events: CaseEvent, field: str = "fact:rosh_level") -> ce.FieldState:
    return ce.fold(events)["c"][field]


def test_one_head_stands_and_a_replaced_value_is_gone() -> None:
    s = state(ev("a", "high"), ev("b", "medium", hlc="2", replaces="a"))
    assert s.value == "medium" and not s.conflict and [h.id for h in s.heads] == ["b"]


def test_the_order_events_arrive_in_does_not_matter() -> None:
    evs = [ev("a", "high"), ev("b", "medium", hlc="2", replaces="a"),
           ev("c", "low", device="d2", hlc="3", replaces="a")]  # fmt: skip
    assert ce.fold(evs) == ce.fold(list(reversed(evs)))


def test_concurrent_changes_conflict_unless_they_agree() -> None:
    base = ev("a", "high")
    same = state(base, ev("b", "medium", hlc="2", replaces="a"),
                 ev("c", "medium", device="d2", hlc="3", replaces="a"))  # fmt: skip
    assert not same.conflict and same.value == "medium"
    differ = state(base, ev("b", "medium", hlc="2", replaces="a"),
                   ev("c", "low", device="d2", hlc="3", replaces="a"))  # fmt: skip
    assert differ.conflict
    assert differ.value == "low"  # shown: the newest by clock, never hidden
    assert [h.id for h in differ.heads] == ["c", "b"]


def test_a_decision_settles_whatever_was_made_on_top_of_what_it_set_aside() -> None:
    evs = [ev("a", "high"), ev("b", "medium", hlc="2", replaces="a"),
           ev("c", "low", device="d2", hlc="3", replaces="a"),
           ev("d", "medium", device="lead", hlc="4", settles=("b", "c"))]  # fmt: skip
    assert state(*evs).value == "medium" and not state(*evs).conflict
    # the laptop that had not seen the decision changes its own value again: still settled
    late = ev("e", "very_high", device="d2", hlc="5", replaces="c")
    assert state(*evs, late).value == "medium" and not state(*evs, late).conflict
    # a change made on top of the decision stands
    after = ev("f", "low", device="d1", hlc="6", replaces="d")
    assert state(*evs, late, after).value == "low"


def test_a_status_set_under_the_current_assignment_wins_over_one_set_before_it() -> None:
    """AB submits A2, the lead gives it to CD, CD starts it: CD's status is the case's, and
    the old one is no conflict for the lead. Until CD sets one, AB's status stands."""
    st, asg = ce.STATUS, ce.ASSESSOR
    base = [ev("s0", "not_started", device="", hlc="", field=st),
            ev("a0", "AB", device="", hlc="", field=asg)]  # fmt: skip
    ab_submits = ev("s1", "submitted", device="ab", hlc="2", replaces="s0", field=st)
    to_cd = ev("a1", "CD", device="lead", hlc="3", replaces="a0", field=asg)
    assert ce.fold([*base, ab_submits, to_cd])["c"][st].value == "submitted"
    cd_starts = ev("s2", "in_progress", device="cd", hlc="4", replaces="s0", field=st)
    folded = ce.fold([*base, ab_submits, to_cd, cd_starts])["c"][st]
    assert folded.value == "in_progress" and not folded.conflict
    assert [h.id for h in folded.heads] == ["s2"]
    # without the reassignment, the same two statuses are a conflict, as any field's
    both = ce.fold([*base, ab_submits, cd_starts])["c"][st]
    assert both.conflict
    # two statuses set after the assignment (two laptops of CD) still conflict
    cd_other = ev("s3", "submitted", device="cd2", hlc="5", replaces="s0", field=st)
    two = ce.fold([*base, ab_submits, to_cd, cd_starts, cd_other])["c"][st]
    assert two.conflict and {h.id for h in two.heads} == {"s2", "s3"}


def test_read_from_a_laptop_its_own_side_of_a_conflict_comes_first() -> None:
    base = ev("a", "high", device="")
    mine = ev("b", "medium", device="ab", hlc="2", replaces="a")
    lead = ev("c", "very_high", device="lead", hlc="3", replaces="a")
    assert ce.fold([base, mine, lead])["c"]["fact:rosh_level"].value == "very_high"  # the hub
    seen = ce.fold([base, mine, lead], seen_from="ab")["c"]["fact:rosh_level"]
    assert seen.value == "medium" and seen.conflict and [h.id for h in seen.heads] == ["b", "c"]
    assert ce.changes(ce.fold([base, mine, lead], "ab")["c"], {"fact:rosh_level": "low"}) == [
        ("fact:rosh_level", "low", "b")
    ]  # an edit replaces the side its author sees
    # no conflict, or no side of its own: as the hub reads it
    assert ce.fold([base, lead], seen_from="ab")["c"]["fact:rosh_level"].value == "very_high"
    assert ce.fold([base, mine, lead], seen_from="cd") == ce.fold([base, mine, lead])


def test_base_events_are_the_same_wherever_the_same_value_is_held() -> None:
    one = ce.base_events("c", {"rosh_level": "high"}, "Plymouth", "AB", "submitted")
    two = ce.base_events("c", {"rosh_level": "high"}, "Plymouth", "AB", "submitted")
    assert one == two and {e.field for e in one} == {"fact:rosh_level", "pdu", "assessor",
                                                      "status"}  # fmt: skip
    other = ce.base_events("c", {"rosh_level": "medium"}, "Plymouth", "AB", "submitted")
    assert {e.id for e in one} & {e.id for e in other} == {e.id for e in one} - {
        e.id for e in one if e.field == "fact:rosh_level"
    }
    assert ce.base_events("c", {}, None, "", "not_started") == []


def test_changes_write_only_what_differs() -> None:
    current = ce.fold([ev("a", "high")])["c"]
    assert ce.changes(current, {"fact:rosh_level": "high"}) == []
    assert ce.changes(current, {"fact:rosh_level": "low"}) == [("fact:rosh_level", "low", "a")]
    assert ce.changes(current, {"pdu": "Plymouth"}) == [("pdu", "Plymouth", None)]
    assert ce.facts_changes({"a": 1, "b": 2}, {"a": 1, "c": 3}) == {"fact:b": None, "fact:c": 3}


# -- on the laptops and in the hub ---------------------------------------------------------------


def revise(team: Team) -> Path:
    """The lead writes the next setup revision; both assessors open it."""
    pack = team.lead.fw.create_setup_pack(team.inspection_id, PASSPHRASE, team.shared, "TL")
    for member in (AB, CD):
        team.laptops[member].fw.open_setup_pack(pack, PASSPHRASE, member)
    return pack


def lead_case(team: Team, reference: str) -> str:
    return next(c.id for c in team.lead.ws.cases(team.inspection_id) if c.reference == reference)


def hub_case(url: str, team: Team, reference: str) -> dict[str, object]:
    hub = Hub(url)
    try:
        row = next(c for c in hub.cases_of(team.inspection_id) if c.reference == reference)
        return asdict(row)
    finally:
        hub.close()


def test_a_setup_revision_never_undoes_an_assessors_correction(team: Team, url: str) -> None:
    ab = team.laptops[AB]
    a1 = team.case(AB, "A1")
    ab.ws.update_facts(a1, {**TEAM_FACTS, "rosh_level": "medium"})  # the file says medium
    # the lead, meanwhile, corrects another fact of the same case and writes revision 2
    team.lead.ws.update_facts(lead_case(team, "A1"), {**TEAM_FACTS, "tier": "C3"})
    revise(team)
    facts = ab.ws.case(a1).facts
    assert facts["rosh_level"] == "medium"  # the assessor's correction stands
    assert facts["tier"] == "C3"  # and the lead's change of another fact arrives
    ab.ws.record_answer(a1, "2.1.1", "yes")
    team.export(AB)
    team.merge(url)
    row = hub_case(url, team, "A1")
    assert '"rosh_level": "medium"' in str(row["facts"]) and '"tier": "C3"' in str(row["facts"])
    hub = Hub(url)
    try:
        assert hubs.conflicts(hub, team.inspection_id) == []
    finally:
        hub.close()
    # a third revision that changes nothing about A1 keeps it too
    revise(team)
    assert ab.ws.case(a1).facts["rosh_level"] == "medium"


def test_the_same_fact_changed_by_the_lead_and_the_assessor_is_a_conflict_the_lead_settles(
    team: Team, url: str, qtbot: QtBot
) -> None:
    ab = team.laptops[AB]
    a1 = team.case(AB, "A1")
    ab.ws.update_facts(a1, {**TEAM_FACTS, "rosh_level": "medium"})
    team.lead.ws.update_facts(lead_case(team, "A1"), {**TEAM_FACTS, "rosh_level": "very_high"})
    revise(team)
    # Until the lead settles it, each side sees its own value: the assessor's correction is
    # not silently undone on the assessor's screen by the lead's concurrent change.
    assert ab.ws.case(a1).facts["rosh_level"] == "medium"
    assert team.lead.ws.case(lead_case(team, "A1")).facts["rosh_level"] == "very_high"
    team.export(AB)
    team.merge(url)
    hub = Hub(url)
    try:
        [conflict] = [c for c in hubs.conflicts(hub, team.inspection_id) if c.kind == "conflict"]
        assert (conflict.case_ref, conflict.question_id) == ("A1", "fact:rosh_level")
        assert {(s.author, s.value) for s in conflict.sides} == {(AB, "medium"),
                                                                  ("TL", "very_high")}  # fmt: skip
        keep = 1 + [s.value for s in conflict.sides].index("very_high")  # the lead's own
        with pytest.raises(InputError, match="no undecided conflict on the fact tier"):
            hubs.resolve_conflict(hub, team.lead.fw, team.inspection_id, "A1", "fact:tier")
        from probdesk.ui.hub.models import ConflictModel

        shown = ConflictModel()  # the Hub tab's conflicts list says the field in words
        shown.set_rows([conflict])
        assert shown.data(shown.index(0, 1)) == "the fact rosh_level"
        result = hubs.resolve_conflict(
            hub, team.lead.fw, team.inspection_id, "A1", "fact:rosh_level", keep=keep,
            shared=team.shared,
        )  # fmt: skip
        assert result.value == "very_high" and len(result.sendbacks) == 1
        assert hubs.conflicts(hub, team.inspection_id) == []
    finally:
        hub.close()
    assert '"rosh_level": "very_high"' in str(hub_case(url, team, "A1")["facts"])
    # the decision reaches the assessor's laptop and the lead's own
    ab.fw.open_sendback(result.sendbacks[0])
    assert ab.ws.case(a1).facts["rosh_level"] == "very_high"
    assert team.lead.ws.case(lead_case(team, "A1")).facts["rosh_level"] == "very_high"
    # later exports, merges and revisions never bring the conflict back
    ab.ws.record_answer(a1, "2.1.1", "no")
    team.export(AB)
    team.merge(url)
    revise(team)
    team.export(AB)
    team.merge(url)
    hub = Hub(url)
    try:
        assert hubs.conflicts(hub, team.inspection_id) == []
    finally:
        hub.close()
    assert ab.ws.case(a1).facts["rosh_level"] == "very_high"


def test_a_second_laptop_never_resets_what_the_first_submitted(team: Team, url: str) -> None:
    ab = team.laptops[AB]
    team.answer_all(AB)
    a1 = team.case(AB, "A1")
    ab.ws.submit(a1)
    team.export(AB)
    team.merge(url)
    assert hub_case(url, team, "A1")["status"] == "submitted"
    second = Laptop.open(team.root / "ab-second")
    try:
        second.fw.open_setup_pack(team.pack, PASSPHRASE, AB, team.codes[AB])
        a2 = next(c.id for c in second.ws.cases(team.inspection_id) if c.reference == "A2")
        second.ws.record_answer(a2, "2.1.1", "no", "seen on the second laptop")
        result = second.fw.export(team.inspection_id, team.shared)
        assert result.shared_path is not None
        got = {o.file: o.state for o in team.merge(url)}
        assert got[result.shared_path.name] == hubs.MERGED
    finally:
        second.ws.close()
    assert hub_case(url, team, "A1")["status"] == "submitted"  # was reset to not started
    assert hub_case(url, team, "A2")["status"] == "in_progress"


def test_the_lead_reassigns_by_an_event_and_the_case_follows(team: Team, url: str) -> None:
    a2 = lead_case(team, "A2")
    team.lead.fw.assign(a2, CD)
    with team.lead.ws.store.unit_of_work(read_only=True) as uow:
        events = uow.case_events.for_cases([a2])
    [event] = [e for e in events if e.field == "assessor" and e.value == CD]
    assert event.device_id == team.lead.ws.device_id and event.replaces is not None
    revise(team)
    assert {c.reference for c in team.laptops[CD].ws.cases(team.inspection_id)} >= {"A2"}
    cd_a2 = team.case(CD, "A2")
    team.laptops[CD].ws.record_answer(cd_a2, "2.1.1", "yes")
    team.export(CD)
    team.merge(url)
    assert hub_case(url, team, "A2")["assessor"] == CD


def test_a_case_moved_to_a_colleague_is_read_only_in_the_old_assessors_window(
    team: Team, qtbot: QtBot
) -> None:
    from probdesk.paths import Paths
    from probdesk.ui.app import build_main_window

    team.lead.fw.assign(lead_case(team, "A2"), CD)
    revise(team)
    a1, a2 = team.case(AB, "A1"), team.case(AB, "A2")
    ab_data = team.laptops[AB].paths.data
    window = build_main_window(Paths.resolve(ab_data))
    qtbot.addWidget(window)
    window.show()
    try:
        qtbot.waitUntil(lambda: window.case_list.model.rowCount() == 2, timeout=10_000)
        window.case_list.select(a2)
        qtbot.waitUntil(lambda: window.case_form.state is not None
                        and window.case_form.state.case.id == a2)  # fmt: skip
        form = window.case_form
        assert not form.body.isEnabled()
        assert not form.submit_button.isEnabled() and not form.facts_button.isEnabled()
        assert "now CD's case: read-only here" in form.progress.text()
        # the case list says so too, greyed, with why in its tooltip
        from PySide6.QtCore import Qt

        model = window.case_list.model
        row = model.row_of(a2)
        assert model.data(model.index(row, 2)) == "Not started: now CD's"
        assert "given case A2 to CD" in str(
            model.data(model.index(row, 0), Qt.ItemDataRole.ToolTipRole)
        )
        assert model.data(model.index(row, 0), Qt.ItemDataRole.ForegroundRole) is not None
        mine = model.row_of(a1)
        assert model.data(model.index(mine, 2)) == "Not started"
        assert model.data(model.index(mine, 0), Qt.ItemDataRole.ForegroundRole) is None
        window.case_list.select(a1)  # the assessor's own case stays editable
        qtbot.waitUntil(lambda: form.state is not None and form.state.case.id == a1)
        assert form.body.isEnabled() and form.submit_button.isEnabled()
        assert "read-only" not in form.progress.text()
    finally:
        window.runner.wait()
        window.workspace.close()


def test_a_reassigned_case_takes_its_new_assessors_status_and_lists_no_conflict(
    team: Team, url: str
) -> None:
    """AB submits A2 and it merges; the lead gives A2 to CD; CD starts it. The hub shows CD's
    status with no status conflict for the lead (the old and the new assessor's statuses are
    not concurrent opinions of one thing)."""
    ab = team.laptops[AB]
    a2 = team.case(AB, "A2")
    qs = ab.ws.question_set(ab.ws.inspection(team.inspection_id))
    for q in qs.questions:
        if q.is_key and q.allowed_values() and "yes" in (q.allowed_values() or ()):
            ab.ws.record_answer(a2, q.id, "yes")
    for _ in range(5):
        for q in ab.ws.case_state(a2).unanswered_key_questions():
            ab.ws.record_answer(a2, q, "yes")
    ab.ws.submit(a2)
    team.export(AB)
    team.merge(url)
    assert hub_case(url, team, "A2")["status"] == "submitted"
    team.lead.fw.assign(lead_case(team, "A2"), CD)
    revise(team)
    team.merge(url)
    assert hub_case(url, team, "A2")["status"] == "submitted"  # until CD sets one
    team.laptops[CD].ws.record_answer(team.case(CD, "A2"), "2.1.1", "no")
    team.export(CD)
    team.merge(url)
    row = hub_case(url, team, "A2")
    assert (row["assessor"], row["status"]) == (CD, "in_progress")
    hub = Hub(url)
    try:
        listed = [(c.case_ref, c.question_id) for c in hubs.conflicts(hub, team.inspection_id)]
    finally:
        hub.close()
    assert ("A2", "status") not in listed


def test_send_backs_that_arrive_after_the_case_moved_away_keep_the_laptops_packages_merging(
    team: Team, url: str
) -> None:
    """The lead returns A2 to AB and settles a conflict on its RoSH level, then gives A2 to
    CD; AB's laptop opens the revision first and the send-backs after. The comment is kept
    and the lead's decision is folded (it is the lead's), but A2 is not set to "returned" on
    AB's laptop: that change could never merge, and it would hold back every later package
    of the laptop (packages are cumulative)."""
    ab = team.laptops[AB]
    a2 = team.case(AB, "A2")
    ab.ws.record_answer(a2, "2.1.1", "yes")
    ab.ws.update_facts(a2, {**TEAM_FACTS, "rosh_level": "medium"})  # AB's correction
    team.lead.ws.update_facts(lead_case(team, "A2"), {**TEAM_FACTS, "rosh_level": "very_high"})
    team.export(AB)
    team.merge(url)
    hub = Hub(url)
    try:
        [conflict] = [c for c in hubs.conflicts(hub, team.inspection_id)
                      if (c.case_ref, c.question_id) == ("A2", "fact:rosh_level")]  # fmt: skip
        keep = 1 + [s.value for s in conflict.sides].index("medium")
        settled = hubs.resolve_conflict(
            hub, team.lead.fw, team.inspection_id, "A2", "fact:rosh_level", keep,
            shared=team.shared,
        )  # fmt: skip
        returned = hubs.moderate(hub, team.lead.fw, team.inspection_id, "A2", "returned",
                                 "Look again at the risk assessment.", team.shared)  # fmt: skip
    finally:
        hub.close()
    assert settled.sendbacks and returned.sendbacks
    team.lead.fw.assign(lead_case(team, "A2"), CD)
    revise(team)
    for pack in (*settled.sendbacks, *returned.sendbacks):
        ab.fw.open_sendback(pack)
    case = ab.ws.case(a2)
    assert case.facts["rosh_level"] == "medium"  # the lead's decision, folded here too
    assert case.status.value == "in_progress"  # not returned: the case is CD's now
    assert not ab.ws.is_mine(case)
    assert [c.text for c in ab.fw.comments(team.inspection_id, a2)] == [
        "The team lead settled changes made on two laptops to the fact rosh_level: medium "
        "stands.", "Look again at the risk assessment."]  # fmt: skip
    ab.ws.record_answer(team.case(AB, "A1"), "2.1.1", "no")  # AB goes on with A1
    package = team.export(AB)
    got = {o.file: o for o in team.merge(url)}
    assert got[package.name].state == hubs.MERGED, got[package.name].reason
    row = hub_case(url, team, "A2")
    assert (row["assessor"], json.loads(str(row["facts"]))["rosh_level"]) == (CD, "medium")


def test_a_reassignment_counts_from_the_lead_assigning_not_from_a_later_fact_change(
    team: Team, url: str
) -> None:
    """The lead gives A2 to CD, CD answers it, then the lead corrects one of A2's facts before
    merging: CD's answer was made after the assignment and merges (the case's newest change
    is not when it was assigned)."""
    team.merge(url)  # the hub knows A2 as AB's
    a2 = lead_case(team, "A2")
    team.lead.fw.assign(a2, CD)
    revise(team)
    team.laptops[CD].ws.record_answer(team.case(CD, "A2"), "2.1.1", "yes")
    team.lead.ws.update_facts(a2, {**TEAM_FACTS, "tier": "C3"})
    package = team.export(CD)
    got = {o.file: o for o in team.merge(url)}
    assert got[package.name].state == hubs.MERGED, got[package.name].reason


def test_work_done_while_a_case_was_briefly_reassigned_still_merges(team: Team, url: str) -> None:
    """The lead gives A2 to CD, CD answers it, the lead gives it back to AB, and only then
    does anyone merge: CD's answer was made while A2 was CD's, so it merges (the hub keeps
    every assignment the lead made, not only the last)."""
    team.merge(url)  # the hub knows A2 as AB's
    a2 = lead_case(team, "A2")
    team.lead.fw.assign(a2, CD)
    revise(team)
    team.laptops[CD].ws.record_answer(team.case(CD, "A2"), "2.1.1", "no")
    team.lead.fw.assign(a2, AB)
    revise(team)
    package = team.export(CD)
    got = {o.file: o for o in team.merge(url)}
    assert got[package.name].state == hubs.MERGED, got[package.name].reason
    assert hub_case(url, team, "A2")["assessor"] == AB
