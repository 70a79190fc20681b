"""Concurrent answers from two laptops: kept, listed with a deterministic winner, never hidden."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import rawdb
from cli_support import run
from scenes import SECOND_DEVICE, two_laptop_conflict

from probdesk.errors import InputError
from probdesk.paths import Paths
from probdesk.services import figures
from probdesk.services import hub as hubs
from probdesk.services.fieldwork import Fieldwork
from probdesk.services.workspace import Workspace


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    return two_laptop_conflict(tmp_path_factory.mktemp("conflicts"))


def test_a_conflict_is_kept_listed_and_has_a_deterministic_winner(
    scene: tuple[Path, str],
) -> None:
    root, inspection_id = scene
    lead_paths = Paths.resolve(root / "lead")
    ws = Workspace.open(lead_paths)
    hub = rawdb.hub(f"sqlite:///{root / 'hub.sqlite'}")
    try:
        outcomes = hubs.merge(hub, Fieldwork(ws, lead_paths), root / "shared")
        assert [o.state for o in outcomes] == ["merged", "merged"]
        found = hubs.conflicts(hub, inspection_id)
    finally:
        hub.close()
        ws.close()
    [conflict] = [c for c in found if c.kind == "conflict"]
    assert (conflict.case_ref, conflict.question_id) == ("X100001", "C1")
    assert sorted(v for _, v in conflict.values) == ["no", "yes"]  # both kept
    # The winner is the newest by clock, then device id: the second laptop answered last.
    assert conflict.winner_hlc.endswith(SECOND_DEVICE)
    assert conflict.values[0][1] == "yes"


def test_the_summary_uses_the_shown_winner_whatever_the_merge_order(
    scene: tuple[Path, str], tmp_path: Path
) -> None:
    root, inspection_id = scene
    lead_paths = Paths.resolve(root / "lead")
    files = sorted((root / "shared").glob("pd-events-*.pdpkg"))
    results = []
    for order in (files, list(reversed(files))):
        shared = tmp_path / f"shared-{len(results)}"
        shared.mkdir()
        ws = Workspace.open(lead_paths)
        hub = rawdb.hub(f"sqlite:///{tmp_path / f'hub-{len(results)}.sqlite'}")
        try:
            for f in order:  # one package at a time, in this order
                shutil.copy(f, shared / f.name)
                hubs.merge(hub, Fieldwork(ws, lead_paths), shared)
            # The case in conflict is still in progress: its answers count provisionally.
            results.append(
                hubs.render(hubs.summarise(hub, inspection_id, "pdu", provisional=True), "json")
            )
            summary = figures.inspection_summary(hub, inspection_id, "pdu")
            assert summary.rows == [] and summary.coverage.undecided_conflicts == 1
            assert "Undecided conflicts: 1." in summary.coverage.text
        finally:
            hub.close()
            ws.close()
    assert results[0] == results[1]
    assert (
        '"question_id": "C1",\n    "key_question": true,\n    "relevant": 1,\n    "yes": 1'
        in (results[0])
    )


def test_the_cli_lists_conflicts(scene: tuple[Path, str], tmp_path: Path) -> None:
    root, _ = scene
    hub_url = f"sqlite:///{tmp_path / 'cli-hub.sqlite'}"
    base = ("--data-dir", root / "lead")
    merged = run(*base, "merge", root / "shared", "--hub", hub_url)
    assert merged.returncode == 0, merged.stderr
    listed = run(*base, "conflicts", "--hub", hub_url)
    assert listed.returncode == 0, listed.stderr
    assert "conflict  case X100001 C1:" in listed.stdout
    assert "1 conflict(s) undecided" in listed.stdout
    assert "Traceback" not in listed.stderr


def test_the_team_lead_settles_a_conflict_and_the_laptops_get_the_decision(
    scene: tuple[Path, str], tmp_path: Path
) -> None:
    root, inspection_id = scene
    work = tmp_path / "copy"
    shutil.copytree(root, work)  # this test changes the laptops and the hub
    lead_paths = Paths.resolve(work / "lead")
    ws = Workspace.open(lead_paths)
    hub = rawdb.hub(f"sqlite:///{work / 'hub-resolve.sqlite'}")
    try:
        lead = Fieldwork(ws, lead_paths)
        hubs.merge(hub, lead, work / "shared")
        [conflict] = [c for c in hubs.conflicts(hub, inspection_id) if c.kind == "conflict"]
        loser = conflict.values[1][1]  # keep the answer listed second, with both notes
        with pytest.raises(InputError, match="from 1 to 2"):
            hubs.resolve_conflict(hub, lead, inspection_id, "X100001", "C1", keep=3)
        result = hubs.resolve_conflict(
            hub, lead, inspection_id, "X100001", "C1", keep=2, both_notes=True,
            shared=work / "shared",
        )  # fmt: skip
        assert result.value == loser
        assert [c for c in hubs.conflicts(hub, inspection_id) if c.kind == "conflict"] == []
        with pytest.raises(InputError, match="no undecided conflict"):
            hubs.resolve_conflict(hub, lead, inspection_id, "X100001", "C1")
        rows = hubs.export_rows(hub, inspection_id, with_notes=True)
        [c1] = [r for r in rows if r["question_id"] == "C1"]
        assert c1["answer"] == loser
        assert "seen on the second laptop" in str(c1["note"])  # both notes kept
        assert len(result.sendbacks) == 2  # one for each laptop that answered
    finally:
        hub.close()
        ws.close()

    # Each laptop opens its pack: the decision becomes its current answer, audited.
    for folder in ("ab", "ab2"):
        paths = Paths.resolve(work / folder)
        lws = Workspace.open(paths)
        try:
            fw = Fieldwork(lws, paths)
            [pack] = [p for p in fw.incoming(work / "shared") if p.kind == "sendback"]
            fw.open_sendback(pack.path)
            case = lws.cases(inspection_id)[0]
            assert lws.case_state(case.id).answers["C1"] == loser
            assert any(e.action == "conflict_resolved" for e in _audit(lws))
        finally:
            lws.close()


def _audit(ws: Workspace) -> list[object]:
    with ws.store.unit_of_work(read_only=True) as uow:
        return list(uow.audit.entries())


# -- a settled conflict stays settled; the same answer twice is no conflict ----------------------


def test_a_settled_conflict_stays_settled_when_either_side_edits_afterwards(
    scene: tuple[Path, str], tmp_path: Path
) -> None:
    root, inspection_id = scene
    work = tmp_path / "copy"
    shutil.copytree(root, work)
    lead_paths = Paths.resolve(work / "lead")
    ws = Workspace.open(lead_paths)
    url = f"sqlite:///{work / 'hub-later.sqlite'}"
    hub = rawdb.hub(url)
    try:
        lead = Fieldwork(ws, lead_paths)
        hubs.merge(hub, lead, work / "shared")
        [conflict] = [c for c in hubs.conflicts(hub, inspection_id) if c.kind == "conflict"]
        # the settle dialog's facts: each side's value, note, author, laptop and time
        assert len(conflict.sides) == 2
        assert {s.device_id for s in conflict.sides} >= {SECOND_DEVICE}
        assert {s.note for s in conflict.sides} == {"", "seen on the second laptop"}
        assert all(s.author == "AB" and s.recorded_at and s.hlc for s in conflict.sides)
        kept = conflict.values[1][1]  # "no": the first laptop's
        hubs.resolve_conflict(hub, lead, inspection_id, "X100001", "C1", keep=2)
    finally:
        hub.close()
        ws.close()
    # both laptops edit C1 afterwards, before any decision reaches them (a note, a new value)
    for folder, value, note in (("ab2", "yes", "a note added later"), ("ab", "no", "checked")):
        paths = Paths.resolve(work / folder)
        lws = Workspace.open(paths)
        try:
            case = lws.cases(inspection_id)[0]
            lws.record_answer(case.id, "C1", value, note)
            Fieldwork(lws, paths).export(inspection_id, work / "shared")
        finally:
            lws.close()
    ws = Workspace.open(lead_paths)
    hub = rawdb.hub(url)
    try:
        hubs.merge(hub, Fieldwork(ws, lead_paths), work / "shared")
        assert [c for c in hubs.conflicts(hub, inspection_id) if c.kind == "conflict"] == []
        [c1] = [r for r in hubs.export_rows(hub, inspection_id, with_notes=False)
                if r["question_id"] == "C1"]  # fmt: skip
        assert c1["answer"] == kept
    finally:
        hub.close()
        ws.close()


def test_the_same_answer_on_two_laptops_is_no_conflict(tmp_path: Path) -> None:
    root, inspection_id = two_laptop_conflict(tmp_path / "same")
    # the first laptop changes its C1 to what the second said, with the same note
    paths = Paths.resolve(root / "ab")
    lws = Workspace.open(paths)
    try:
        case = lws.cases(inspection_id)[0]
        lws.record_answer(case.id, "C1", "yes", "seen on the second laptop")
        Fieldwork(lws, paths).export(inspection_id, root / "shared")
    finally:
        lws.close()
    lead_paths = Paths.resolve(root / "lead")
    ws = Workspace.open(lead_paths)
    hub = rawdb.hub(f"sqlite:///{root / 'hub.sqlite'}")
    try:
        hubs.merge(hub, Fieldwork(ws, lead_paths), root / "shared")
        assert [c for c in hubs.conflicts(hub, inspection_id) if c.kind == "conflict"] == []
    finally:
        hub.close()
        ws.close()
