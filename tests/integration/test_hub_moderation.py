"""Moderation: approve, or return with a comment that reaches the assessor's laptop."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import rawdb
from cli_support import run
from demos import Demos

from probdesk.domain.records import CaseStatus
from probdesk.errors import InputError
from probdesk.paths import Paths
from probdesk.services import hub as hubs
from probdesk.services.fieldwork import Fieldwork
from probdesk.services.workspace import Workspace


@pytest.fixture(scope="module")
def demo(demos: Demos, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("moderation") / "demo"
    demos.copy(5, out)  # tests/support/demos.py: built once per session
    return out


def test_a_returned_case_reaches_its_assessor_and_decisions_show_in_the_export(
    demo: Path, tmp_path: Path
) -> None:
    lead_paths = Paths.resolve(demo / "lead")
    ws = Workspace.open(lead_paths)
    hub = rawdb.hub(f"sqlite:///{demo / 'hub.sqlite'}")
    try:
        lead = Fieldwork(ws, lead_paths)
        inspection_id = hubs.pick_inspection(hub, None)
        cases = {c.reference: c for c in hub.cases_of(inspection_id)}
        approve_ref, return_ref = sorted(ref for ref, c in cases.items() if c.assessor == "CD")[:2]
        with pytest.raises(InputError, match="Say what"):
            hubs.moderate(hub, lead, inspection_id, return_ref, "returned", "", demo / "shared")
        with pytest.raises(InputError, match="No case"):
            hubs.moderate(hub, lead, inspection_id, "NOPE", "approved", "")
        hubs.moderate(hub, lead, inspection_id, approve_ref, "approved", "")
        result = hubs.moderate(
            hub, lead, inspection_id, return_ref, "returned", "Add the evidence for C2",
            demo / "shared",
        )  # fmt: skip
        assert result.sendback is not None and result.sendback.exists()
        rows = hubs.export_rows(hub, inspection_id, with_notes=False)
        out = hubs.write_export(rows, "csv", tmp_path / "data.csv", with_notes=False)
    finally:
        hub.close()
        ws.close()
    with out.open(encoding="utf-8-sig") as f:
        decided = {(r["case_ref"], r["moderation"], r["moderated_by"]) for r in csv.DictReader(f)}
    assert (approve_ref, "approved", "TL") in decided
    assert (return_ref, "returned", "TL") in decided

    # The assessor's laptop opens the send-back pack: the case is returned, the comment shown.
    cd_paths = Paths.resolve(demo / "cd")
    cd_ws = Workspace.open(cd_paths)
    try:
        cd = Fieldwork(cd_ws, cd_paths)
        opened = cd.open_sendback(result.sendback)
        assert (opened.comments, opened.returned) == (1, 1)
        case = next(c for c in cd_ws.cases(inspection_id) if c.reference == return_ref)
        assert case.status is CaseStatus.RETURNED
        assert [c.text for c in cd.comments(inspection_id, case.id)] == ["Add the evidence for C2"]
    finally:
        cd_ws.close()


def test_the_last_of_decisions_taken_within_one_second_stands(tmp_path: Path) -> None:
    """A lead who approves, then at once returns, then approves again: the last decision
    stands, however quickly they came (they were ordered by random ids within a second)."""
    from scenes import AB, build_team

    team = build_team(tmp_path / "team")
    url = f"sqlite:///{tmp_path / 'hub.sqlite'}"
    try:
        team.laptops[AB].ws.record_answer(team.case(AB, "A1"), "2.1.1", "yes")
        team.export(AB)
        team.merge(url)
        hub = rawdb.hub(url)
        try:
            for n in range(12):
                action = ("approved", "returned")[n % 2]
                hubs.moderate(hub, team.lead.fw, team.inspection_id, "A1", action,
                              f"comment {n}", team.shared)  # fmt: skip
                [latest] = hub.moderation_of(team.inspection_id).values()
                assert (latest.action, latest.comment) == (action, f"comment {n}")
            history = [m.comment for m in hub.moderation_history(team.inspection_id)]
            assert history == [f"comment {n}" for n in range(12)]
        finally:
            hub.close()
    finally:
        team.close()


def test_the_cli_moderates(demo: Path) -> None:
    base = ("--data-dir", demo / "lead")
    hub_url = f"sqlite:///{demo / 'hub.sqlite'}"
    ok = run(*base, "moderate", "--hub", hub_url, "--case", "X700100", "--approve")
    assert ok.returncode == 0, ok.stderr
    assert "case X700100: approved" in ok.stdout
    refused = run(*base, "moderate", "--hub", hub_url, "--case", "X700100", "--return")
    assert refused.returncode == 2
    assert "Say what the assessor should look at again" in refused.stderr
    assert "Traceback" not in refused.stderr


@pytest.mark.parametrize("split_by", ["variant", "rosh_level", "assessor_role"])
def test_split_figures_add_up_to_the_whole(demo: Path, split_by: str) -> None:
    hub = rawdb.hub(f"sqlite:///{demo / 'hub.sqlite'}")
    try:
        inspection_id = hubs.pick_inspection(hub, None)
        whole = hubs.summarise(hub, inspection_id, "region")
        parts = hubs.summarise(hub, inspection_id, "region", split_by)
        with pytest.raises(InputError, match="Cannot split by"):
            hubs.summarise(hub, inspection_id, "region", "not_a_fact")
    finally:
        hub.close()
    assert all(r.split for r in parts) and all(r.split is None for r in whole)
    assert len({r.split for r in parts}) > 1
    for row in whole:
        mine = [p for p in parts if p.question_id == row.question_id]
        assert sum(p.yes for p in mine) == row.yes
        assert sum(p.no for p in mine) == row.no
        assert sum(p.not_applicable for p in mine) == row.not_applicable


def test_a_comment_on_one_question_reaches_the_assessor_at_that_question(
    demo: Path, tmp_path: Path
) -> None:
    lead_paths = Paths.resolve(demo / "lead")
    ws = Workspace.open(lead_paths)
    hub = rawdb.hub(f"sqlite:///{demo / 'hub.sqlite'}")
    shared = tmp_path / "shared"
    try:
        lead = Fieldwork(ws, lead_paths)
        inspection_id = hubs.pick_inspection(hub, None)
        cases = {c.reference: c for c in hub.cases_of(inspection_id)}
        ref = sorted(r for r, c in cases.items() if c.assessor == "CD")[-1]
        status = cases[ref].status
        with pytest.raises(InputError, match=r"no question 'Z9\.9'"):
            hubs.comment_on_question(hub, lead, inspection_id, ref, "Z9.9", "Why?", shared)
        with pytest.raises(InputError, match=r"no question 'Z9\.9'"):
            hubs.moderate(hub, lead, inspection_id, ref, "returned", "Why?", shared, "Z9.9")
        with pytest.raises(InputError, match="Write the comment"):
            hubs.comment_on_question(hub, lead, inspection_id, ref, "C1", " ", shared)
        assert not shared.exists()  # nothing was written
        result = hubs.comment_on_question(
            hub, lead, inspection_id, ref, "C1", "Is the RoSH level right?", shared
        )
        assert (result.case_ref, result.question_id) == (ref, "C1")
        assert result.sendbacks and all(p.parent == shared for p in result.sendbacks)
        # A comment is not a decision: the case keeps its status and moderation.
        assert {c.reference: c for c in hub.cases_of(inspection_id)}[ref].status == status
        assert cases[ref].id not in hub.moderation_of(inspection_id)
    finally:
        hub.close()
        ws.close()

    cd_paths = Paths.resolve(demo / "cd")
    cd_ws = Workspace.open(cd_paths)
    try:
        cd = Fieldwork(cd_ws, cd_paths)
        before = {c.id: c.status for c in cd_ws.cases(inspection_id)}
        opened = cd.open_sendback(result.sendbacks[0])
        assert (opened.comments, opened.returned) == (1, 0)
        case = next(c for c in cd_ws.cases(inspection_id) if c.reference == ref)
        [comment] = [c for c in cd.comments(inspection_id, case.id) if c.question_id == "C1"]
        assert (comment.text, comment.author) == ("Is the RoSH level right?", "TL")
        assert {c.id: c.status for c in cd_ws.cases(inspection_id)} == before
    finally:
        cd_ws.close()


def test_the_cli_comments_on_a_question(demo: Path, tmp_path: Path) -> None:
    base = ("--data-dir", demo / "lead")
    hub_url = f"sqlite:///{demo / 'hub.sqlite'}"
    shared = tmp_path / "shared"
    sent = run(
        *base, "comment", "--hub", hub_url, "--case", "X700100", "--question", "C1",
        "--text", "Is the RoSH level right?", "--to", shared,
    )  # fmt: skip
    assert sent.returncode == 0, sent.stderr
    assert "case X700100 C1: comment sent" in sent.stdout
    assert "send-back pack: " in sent.stdout and list(shared.glob("pd-sendback-*.pdpkg"))
    unknown = run(
        *base, "comment", "--hub", hub_url, "--case", "X700100", "--question", "Q404",
        "--text", "x", "--to", shared,
    )  # fmt: skip
    assert unknown.returncode == 2 and "no question 'Q404'" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    returned = run(
        *base, "moderate", "--hub", hub_url, "--case", "X700100", "--return", "--comment",
        "Check the RoSH level.", "--question", "C1", "--to", shared,
    )  # fmt: skip
    assert returned.returncode == 0, returned.stderr
    assert "case X700100: returned" in returned.stdout
    helped = run("comment", "--help")
    assert helped.returncode == 0 and "--question QUESTION_ID" in helped.stdout
