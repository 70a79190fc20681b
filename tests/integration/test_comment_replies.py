"""The assessor's reply to a team lead's comment comes back to the hub (#16): a reply, a done
mark and a changed answer travel in the laptop's next export and the lead reads them in the
case view beside the comment; replies never count as conflicts. (Forged replies, refused at
the merge, are in test_trust.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import rawdb
from scenes import AB, CD, Team, build_team

from probdesk.domain import case_events as ce
from probdesk.errors import InputError
from probdesk.services import hub as hubs
from probdesk.services import review


@pytest.fixture
def team(tmp_path: Path) -> Iterator[Team]:
    t = build_team(tmp_path / "team")
    yield t
    t.close()


def _url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'hub.sqlite'}"


def _comment_and_open(team: Team, url: str, question_id: str | None, text: str) -> str:
    """The lead comments on A1 (on a question, or returns it with `question_id` None), AB's
    laptop opens the pack; the comment's id."""
    hub = rawdb.hub(url)
    try:
        if question_id is None:
            result = hubs.moderate(hub, team.lead.fw, team.inspection_id, "A1", "returned", text,
                                   team.shared)  # fmt: skip
            packs = result.sendbacks
        else:
            packs = hubs.comment_on_question(
                hub, team.lead.fw, team.inspection_id, "A1", question_id, text, team.shared
            ).sendbacks
        [sent] = [c for c in hub.comments_of(team.inspection_id) if c.text == text]
    finally:
        hub.close()
    ab = team.laptops[AB]
    for pack in packs:
        ab.fw.open_sendback(pack)
    return sent.id


def _submitted_and_merged(team: Team, url: str) -> str:
    """AB answers every question of A1 (2.1.1 No), submits it, exports; the lead merges."""
    a1 = team.case(AB, "A1")
    team.answer_all(AB)
    team.laptops[AB].ws.record_answer(a1, "2.1.1", "no")
    team.laptops[AB].ws.submit(a1)
    team.export(AB)
    team.merge(url)
    return a1


def _review(url: str, team: Team, ref: str = "A1") -> review.CaseReview:
    hub = rawdb.hub(url)
    try:
        return review.case_review(hub, team.inspection_id, ref)
    finally:
        hub.close()


def test_a_reply_and_a_changed_answer_come_back_to_the_lead(team: Team, tmp_path: Path) -> None:
    url = _url(tmp_path)
    ab = team.laptops[AB]
    a1 = _submitted_and_merged(team, url)

    comment_id = _comment_and_open(team, url, "2.1.1", "Is the RoSH level right?")
    before = _review(url, team)
    [thread] = before.comments
    assert (thread.question_id, thread.text, thread.author, thread.kind) == (
        "2.1.1", "Is the RoSH level right?", "TL", "comment",
    )  # fmt: skip
    assert thread.about.startswith("2.1.1 ") and thread.state == "No reply yet"
    assert thread.replies == () and thread.answered_since == ()

    # The assessor replies, then changes the answer the comment was about.
    [comment] = [c for c in ab.fw.comments(team.inspection_id, a1) if c.id == comment_id]
    assert comment.reply == "" and comment.done_at is None
    replied = ab.fw.reply_to_comment(comment_id, "  Checked the OASys: it is high.  ", False)
    assert replied.reply == "Checked the OASys: it is high." and replied.done_at is None
    ab.ws.reopen(a1)
    ab.ws.record_answer(a1, "2.1.1", "yes")
    ab.ws.submit(a1)
    team.export(AB)
    team.merge(url)

    after = _review(url, team)
    [thread] = after.comments
    assert thread.state == "Replied" and not thread.done
    [reply] = thread.replies
    assert (reply.text, reply.done, reply.author) == ("Checked the OASys: it is high.", False, AB)
    assert reply.laptop.device_id == ab.ws.device_id and not reply.replaced
    assert [r.value for r in thread.answered_since] == ["Yes"]
    assert after.comments_on("2.1.1") == (thread,) and after.comments_on(None) == ()
    # A reply is not a change of the case's fields, nor a conflict.
    assert all("reply" not in ch.field.casefold() for ch in after.changes)
    assert after.conflicts == ()

    # A second reply, marking it done, replaces the first; the first stays as history.
    ab.fw.reply_to_comment(comment_id, "Corrected C1 after checking.", True)
    [comment] = [c for c in ab.fw.comments(team.inspection_id, a1) if c.id == comment_id]
    assert comment.done_at is not None and comment.reply == "Corrected C1 after checking."
    team.export(AB)
    team.merge(url)
    [thread] = _review(url, team).comments
    assert thread.state == "Done"
    assert [(r.text, r.done, r.replaced) for r in thread.replies] == [
        ("Checked the OASys: it is high.", False, True),
        ("Corrected C1 after checking.", True, False),
    ]


def test_marking_comments_done_tells_the_lead_keeping_the_reply(team: Team, tmp_path: Path) -> None:
    url = _url(tmp_path)
    ab = team.laptops[AB]
    a1 = _submitted_and_merged(team, url)
    on_case = _comment_and_open(team, url, None, "Add the evidence for C2.")
    on_question = _comment_and_open(team, url, "2.1.1", "Why No?")
    ab.fw.reply_to_comment(on_question, "The plan has no risk section.", False)
    assert ab.fw.mark_comments_done(a1) == 2
    assert ab.fw.mark_comments_done(a1) == 0
    team.export(AB)
    team.merge(url)
    threads = {t.comment_id: t for t in _review(url, team).comments}
    assert threads[on_case].kind == "return" and threads[on_case].question_id is None
    assert [(r.text, r.done) for r in threads[on_case].replies] == [("", True)]
    assert threads[on_question].replies[-1].text == "The plan has no risk section."
    assert threads[on_question].state == threads[on_case].state == "Done"


def test_replies_that_cannot_be_made_change_nothing(team: Team, tmp_path: Path) -> None:
    url = _url(tmp_path)
    ab, cd = team.laptops[AB], team.laptops[CD]
    a1 = team.case(AB, "A1")
    ab.ws.record_answer(a1, "2.1.1", "no")
    team.export(AB)
    team.merge(url)
    comment_id = _comment_and_open(team, url, "2.1.1", "Why No?")
    exported = ab.ws.unexported_count()

    with pytest.raises(InputError, match="Write a reply, or mark the comment done"):
        ab.fw.reply_to_comment(comment_id, "   ", False)
    with pytest.raises(InputError, match="too long"):
        ab.fw.reply_to_comment(comment_id, "x" * (ce.REPLY_TEXT + 1), False)
    with pytest.raises(InputError, match="no comment"):
        ab.fw.reply_to_comment("00000000-0000-4000-8000-000000000000", "Hello", False)
    with pytest.raises(InputError, match="no comment"):
        cd.fw.reply_to_comment(comment_id, "Not my case", False)  # CD's laptop never had it
    assert ab.ws.unexported_count() == exported
    [comment] = [c for c in ab.fw.comments(team.inspection_id, a1) if c.id == comment_id]
    assert comment.reply == "" and comment.done_at is None


def test_a_reply_after_the_case_was_given_away_is_refused_and_a_late_one_still_merges(
    team: Team, tmp_path: Path
) -> None:
    """The worst moments: AB replies, then the lead gives A1 to CD in a setup revision before
    AB's export arrives. AB's reply (made while the case was AB's) still merges and shows;
    a reply AB tries after opening the revision is refused on the laptop, nothing changed."""
    from scenes import PASSPHRASE

    url = _url(tmp_path)
    ab = team.laptops[AB]
    a1 = _submitted_and_merged(team, url)
    comment_id = _comment_and_open(team, url, "2.1.1", "Why No?")
    ab.fw.reply_to_comment(comment_id, "The plan has no risk section.", False)

    lead_a1 = next(c.id for c in team.lead.ws.cases(team.inspection_id) if c.reference == "A1")
    team.lead.fw.assign(lead_a1, CD)
    pack = team.lead.fw.create_setup_pack(team.inspection_id, PASSPHRASE, team.shared, "TL")
    for member in (AB, CD):
        team.laptops[member].fw.open_setup_pack(pack, PASSPHRASE, member)
    team.merge(url)  # the hub learns the new assignment first

    before = ab.ws.unexported_count()
    with pytest.raises(InputError, match="now CD's"):
        ab.fw.reply_to_comment(comment_id, "One more thing.", True)
    with pytest.raises(InputError, match="now CD's"):
        ab.fw.mark_comments_done(a1)
    assert ab.ws.unexported_count() == before

    team.export(AB)  # late: made before the reassignment, merged after it
    outcomes = team.merge(url)
    assert all(o.state in (hubs.MERGED, hubs.ALREADY) for o in outcomes), outcomes
    [thread] = _review(url, team).comments
    assert [(r.text, r.done, r.author) for r in thread.replies] == [
        ("The plan has no risk section.", False, AB)
    ]
