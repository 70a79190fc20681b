"""Cancel stops long work at the next safe point (#16, part 7): a merge between two packages
(those merged stay merged, the rest are untouched and a merge again takes them), Copy pending
between two packages, a hub purge between two inspections, a laptop's purge before anything
goes; reading the shared folder stops at once. Real stores, packages and hubs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta

import hubworld
import pytest
import rawdb
from hubworld import ALREADY, MERGED, Inspection, build_world, snapshot, states
from scenes import AB, PDU_CORE, Team

from probdesk.errors import OperationCancelled
from probdesk.hub.store import Hub
from probdesk.services import hub as hubs
from probdesk.services import retention
from probdesk.services.fieldwork import RECEIPTS_FOLDER, CopyCancelled

CLOSED = datetime(2026, 12, 1, 10, 0, 0)


def after(n: int) -> Callable[[], bool]:
    """A `cancelled()` that says no the first n times it is asked, then yes."""
    asked = 0

    def cancelled() -> bool:
        nonlocal asked
        asked += 1
        return asked > n

    return cancelled


def always() -> bool:
    return True


# -- the merge -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Inspection]:
    w = build_world(tmp_path_factory.mktemp("cancel"))
    yield w
    w.close()


def test_a_cancelled_merge_keeps_the_packages_merged_and_a_merge_again_takes_the_rest(
    world: Inspection,
) -> None:
    packages = [world.last(hubworld.AB), world.last(hubworld.CD)]
    names = {p.path.name for p in packages}
    folder = world.folder(packages)  # with the setup pack: three files
    reported: list[str] = []

    def progress(_done: int, _total: int, what: str) -> None:
        reported.append(what)

    def cancelled() -> bool:  # Cancel pressed while the first package was being merged
        return any(what in names for what in reported)

    hub = Hub(world.sqlite_url())
    try:
        with pytest.raises(hubs.MergeCancelled) as stopped:
            hubs.merge(hub, world.lead.fw, folder, progress, cancelled)
        cancel = stopped.value
        assert isinstance(cancel, OperationCancelled)
        [first] = cancel.outcomes
        assert first.state == MERGED and first.file in names
        [rest] = names - {first.file}
        assert cancel.total == 3 and cancel.done == reported.index(first.file) + 1
        assert cancel.message.startswith(f"Merge cancelled after {cancel.done} of the 3 files")
        assert "the 1 package merged stays merged." in cancel.message
        assert f"The other {3 - cancel.done}" in cancel.message and "merge again" in cancel.message
        # The first is merged whole, with its receipt; the second was not even read.
        by_name = {p.path.name: p for p in packages}
        assert hub.package(by_name[first.file].package_id) is not None
        assert hub.package(by_name[rest].package_id) is None
        assert hub.counts()["hub_package"] == 1
        assert len(list((folder / RECEIPTS_FOLDER).glob("*.pdpkg"))) == 1
        assert rest not in reported

        # A merge again takes the rest, and the hub is the one a whole merge makes.
        assert states(hubs.merge(hub, world.lead.fw, folder)) == {first.file: ALREADY, rest: MERGED}
        resumed = snapshot(hub, world.inspection_id)
        assert states(hubs.merge(hub, world.lead.fw, folder)) == dict.fromkeys(names, ALREADY)
        assert snapshot(hub, world.inspection_id) == resumed
        assert len(list((folder / RECEIPTS_FOLDER).glob("*.pdpkg"))) == 2
    finally:
        hub.close()
    whole = Hub(world.sqlite_url())
    try:
        hubs.merge(whole, world.lead.fw, world.folder(packages))
        assert snapshot(whole, world.inspection_id) == resumed
    finally:
        whole.close()


def test_a_merge_cancelled_before_its_first_package_merges_none(world: Inspection) -> None:
    folder = world.folder([world.last(hubworld.AB)])
    hub = Hub(world.sqlite_url())
    try:
        with pytest.raises(hubs.MergeCancelled) as stopped:
            hubs.merge(hub, world.lead.fw, folder, cancelled=always)
        assert stopped.value.outcomes == [] and stopped.value.done == 0
        assert "the shared folder: nothing was merged." in stopped.value.message
        assert hub.counts()["hub_package"] == 0
        assert not (folder / RECEIPTS_FOLDER).exists()
        # Never asked to cancel: the whole folder, as before.
        assert states(hubs.merge(hub, world.lead.fw, folder)) == {
            world.last(hubworld.AB).path.name: MERGED
        }
    finally:
        hub.close()


# -- the shared folder on a laptop ---------------------------------------------------------------


def test_copy_pending_stops_between_packages_and_copies_the_rest_next_time(team: Team) -> None:
    ab = team.laptops[AB]
    written = [ab.fw.export(team.inspection_id, None).outbox_path for _ in range(3)]
    with pytest.raises(CopyCancelled) as stopped:
        ab.fw.copy_pending(team.shared, after(1))
    [copied] = stopped.value.copied
    assert copied.parent == team.shared and copied.name in {p.name for p in written}
    assert stopped.value.message == (
        "Copying cancelled after 1 of 3 packages: the other 2 wait in the outbox; Copy pending "
        "copies them."
    )
    in_shared = {p.name for p in team.shared.glob("pd-events-*.pdpkg")}
    assert in_shared == {copied.name}
    assert sum(p.copied_at is None for p in ab.fw.outbox(team.inspection_id)) == 2
    rest = ab.fw.copy_pending(team.shared)
    assert {p.name for p in rest} == {p.name for p in written} - {copied.name}
    assert ab.fw.copy_pending(team.shared) == []


def test_reading_the_shared_folder_stops_when_cancelled(team: Team) -> None:
    team.export(AB)
    ab, lead = team.laptops[AB], team.lead
    with pytest.raises(OperationCancelled):
        ab.fw.incoming(team.shared, always)
    assert [p.kind for p in ab.fw.incoming(team.shared, after(100))] == ["setup"]
    with pytest.raises(OperationCancelled):
        lead.fw.read_exports(team.shared, team.inspection_id, always)
    [seen] = lead.fw.read_exports(team.shared, team.inspection_id, after(100))
    assert seen.name == AB and seen.problem is None


# -- purges --------------------------------------------------------------------------------------


def test_a_laptop_purge_cancelled_after_its_check_removes_nothing(team: Team, url: str) -> None:
    ab = team.laptops[AB]
    team.export(AB)
    team.merge(url)
    hub = rawdb.hub(url)
    try:
        retention.close_inspection(hub, team.lead.fw, team.inspection_id, team.shared, CLOSED)
    finally:
        hub.close()
    ab.fw.check_receipts(team.shared)
    for pack in ab.fw.incoming(team.shared):
        if pack.kind == "sendback" and not pack.opened:
            ab.fw.open_sendback(pack.path)
    plan = retention.plan_purge(ab.fw, team.inspection_id, shared=team.shared)
    assert plan.allowed, plan.problems()
    files = sorted(p for p in team.shared.rglob("*.pdpkg"))
    steps: list[str] = []
    with pytest.raises(OperationCancelled, match="nothing was changed"):
        retention.purge(
            ab.fw, team.inspection_id, shared=team.shared,
            progress=lambda _d, _t, what: steps.append(what), cancelled=always,
        )  # fmt: skip
    assert steps == ["Checking what is merged"]
    assert len(ab.ws.cases(team.inspection_id)) == 2
    assert sorted(p for p in team.shared.rglob("*.pdpkg")) == files
    assert all(p.exists() for p in plan.files)
    done = retention.purge(ab.fw, team.inspection_id, shared=team.shared, cancelled=after(1))
    assert done.rows["cases"] == 2
    assert team.inspection_id not in {i.id for i in ab.ws.inspections()}


def _two_closed_inspections(team: Team, url: str) -> list[str]:
    """The team's inspection and a second one of the lead's, both in the hub and closed."""
    second = team.lead.ws.create_inspection(
        "South West", "Exeter", date(2026, 11, 9), date(2026, 11, 13), PDU_CORE
    )
    team.export(AB)
    team.merge(url)  # the lead's inspections come with every merge
    hub = rawdb.hub(url)
    try:
        ids = [team.inspection_id, second.id]
        for inspection_id in ids:
            retention.close_inspection(hub, team.lead.fw, inspection_id, None, CLOSED)
        assert set(hub.inspection_ids()) == set(ids)
    finally:
        hub.close()
    return ids


def test_a_hub_purge_stops_between_inspections_and_still_compacts(team: Team, url: str) -> None:
    ids = _two_closed_inspections(team, url)
    later = CLOSED + timedelta(days=400)
    hub = rawdb.hub(url)
    try:
        with pytest.raises(OperationCancelled):  # before the first: nothing purged
            retention.purge_hub(hub, now=later, cancelled=always)
        assert set(hub.inspection_ids()) == set(ids) and hub.purge_records() == []

        done = retention.purge_hub(hub, now=later, cancelled=after(1))
        [purged] = done.purged
        [left] = done.left
        assert {purged.inspection_id, left.inspection_id} == set(ids)
        assert hub.inspection_ids() == [left.inspection_id]
        assert [r.inspection_id for r in hub.purge_records()] == [purged.inspection_id]
        assert done.compacted  # what was purged does not stay in the file

        again = retention.purge_hub(hub, now=later)
        assert [r.inspection_id for r in again.purged] == [left.inspection_id]
        assert again.left == () and hub.inspection_ids() == []
    finally:
        hub.close()
