"""The team lead's hub: merging packages as a union, summaries, exports, SQLite and PostgreSQL.

One small inspection is built per module (a team lead, two assessors, six cases): the assessors
answer, change and clear answers at random (from a fixed seed) and export several cumulative
packages as they go. Each package is copied aside into a pool as it is written; the tests merge
choices of that pool into fresh hubs.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import json
import re
import shutil
import struct
import threading
import uuid
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import rawdb
from hubworld import (  # the hub tests' world (tests/support/hubworld.py)
    AB,
    ALREADY,
    CD,
    HELD,
    MERGED,
    NOT_HELD,
    PDUS,
    QUARANTINED,
    REGION,
    REJECTED,
    SAMPLE,
    Inspection,
    Pooled,
    Snapshot,
    build_world,
    export,
    merge,
    setup_inspection,
    snapshot,
    snapshot_of,
    states,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scenes import Laptop

from probdesk.domain.questionset import NO, YES
from probdesk.hub.store import Hub
from probdesk.packages import reader, writer
from probdesk.packages.format import PAYLOAD, PackageError
from probdesk.packages.keys import DeviceKeys, Recipient, unb64
from probdesk.services import hub as hubs
from probdesk.services.fieldwork import EVENTS_SCHEMA, RECEIPTS_FOLDER, device_keys


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Inspection]:
    w = build_world(tmp_path_factory.mktemp("hub"))
    yield w
    w.close()


@pytest.fixture(scope="module")
def reference(world: Inspection) -> Snapshot:
    """Every pooled package merged at once, in file-name order, into a SQLite hub."""
    url = world.sqlite_url()
    outcomes = merge(url, world.lead, world.folder(world.pool))
    assert states(outcomes) == {p.path.name: MERGED for p in world.pool}
    snap = snapshot_of(url, world.inspection_id)
    assert snap.counts["hub_package"] == len(world.pool)
    return snap


# -- merging is a union --------------------------------------------------------------------------


def test_the_inspection_has_what_the_tests_need(world: Inspection, reference: Snapshot) -> None:
    counts = Counter(p.assessor for p in world.pool)
    assert counts == {AB: 3, CD: 4}
    for pkgs in world.by_assessor().values():
        seqs = [p.seq_to for p in pkgs]
        assert seqs == sorted(seqs) and seqs[0] < seqs[-1]  # cumulative: each holds more
    rows = json.loads(reference.texts["pdu.json"])
    assert {r["name"] for r in rows} == set(PDUS)
    assert any(r["not_applicable"] and r["relevant"] for r in rows)
    assert any(r["relevant"] == 0 for r in rows)
    assert any(r["no"] for r in rows) and any(r["yes"] for r in rows)
    assert reference.counts["hub_meeting"] == 1 and reference.counts["hub_meeting_note"] == 1
    statuses = {c["reference"]: c["status"] for c in json.loads(reference.texts["cases"])}
    assert statuses["A100001"] == "in_progress"  # submitted, then reopened: the newest wins


def test_merging_twice_changes_nothing(
    world: Inspection, reference: Snapshot, hub_url: str
) -> None:
    folder = world.folder(world.pool)
    first = merge(hub_url, world.lead, folder)
    assert states(first) == {p.path.name: MERGED for p in world.pool}  # the setup pack: ignored
    assert {o.package_id for o in first} == {p.package_id for p in world.pool}
    after_first = snapshot_of(hub_url, world.inspection_id)
    second = merge(hub_url, world.lead, folder)
    assert states(second) == {p.path.name: ALREADY for p in world.pool}
    assert all(o.reason == "" and o.counts == {} for o in second)
    again = snapshot_of(hub_url, world.inspection_id)
    assert again == after_first == reference


@st.composite
def merge_plans(draw: st.DrawFn, by_assessor: dict[str, list[Pooled]]) -> Any:
    """Some of each device's packages, always with its last one, in any order."""
    chosen: list[Pooled] = []
    for name in sorted(by_assessor):
        *older, last = by_assessor[name]
        chosen.append(last)
        if older:
            chosen += draw(st.lists(st.sampled_from(older), unique=True), label=f"older {name}")
    order = draw(st.permutations(chosen), label="order")
    one_by_one = draw(st.booleans(), label="one folder copy at a time")
    return order, one_by_one


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_subset_in_any_order_gives_the_same_hub(
    world: Inspection, reference: Snapshot, data: st.DataObject
) -> None:
    order, one_by_one = data.draw(merge_plans(world.by_assessor()))
    folder = world.folder()
    hub = Hub(world.sqlite_url())
    try:
        if one_by_one:
            for n, p in enumerate(order):
                shutil.copy2(p.path, folder / p.path.name)
                got = states(hubs.merge(hub, world.lead.fw, folder))
                assert got == {q.path.name: MERGED if q is p else ALREADY for q in order[: n + 1]}
        else:
            for p in order:
                shutil.copy2(p.path, folder / p.path.name)
            got = states(hubs.merge(hub, world.lead.fw, folder))
            assert got == {p.path.name: MERGED for p in order}
        snap = snapshot(hub, world.inspection_id)
    finally:
        hub.close()
    assert snap.texts == reference.texts  # byte for byte
    assert {k: v for k, v in snap.counts.items() if k != "hub_package"} == {
        k: v for k, v in reference.counts.items() if k != "hub_package"
    }
    assert snap.counts["hub_package"] == len(order)


# -- packages that cannot be merged -----------------------------------------------------------


def lead_recipient(world: Inspection) -> Recipient:
    return Recipient("lead", "team_lead", world.lead.fw.keys.encryption_public)


def assessor_keys(world: Inspection, assessor: str) -> DeviceKeys:
    return device_keys(world.assessors[assessor].paths)


def open_as_lead(world: Inspection, path: Path) -> reader.OpenedPackage:
    return reader.read_package(
        path,
        private_keys=[world.lead.fw.keys.encryption_key],
        expected_kind="events",
        payload_schema=EVENTS_SCHEMA,
    )


def repackage(
    world: Inspection,
    source: Pooled,
    *,
    signer: DeviceKeys,
    recipients: Sequence[Recipient],
    package_id: str | None = None,
    inspection_id: str | None = None,
    change: Callable[[dict[str, Any]], None] = lambda p: None,
) -> bytes:
    """A package built from another's payload, as a second laptop or a forger would."""
    opened = open_as_lead(world, source.path)
    payload = copy.deepcopy(opened.payload)
    change(payload)
    m = opened.manifest
    if inspection_id is not None:
        payload["inspection_id"] = inspection_id
    _, data = writer.build_package(
        kind="events",
        payload=payload,
        inspection_id=payload["inspection_id"],
        device_id=m["device_id"],
        hlc=m["hlc"],
        counts=m["counts"],
        extra=m["extra"],
        signer=signer,
        recipients=recipients,
        package_id=package_id,
    )
    return data


def flip_payload_byte(data: bytes) -> bytes:
    """The same zip with one byte of the encrypted payload changed: the manifest still reads."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.getinfo(PAYLOAD)
    name_len, extra_len = struct.unpack(
        "<HH", data[info.header_offset + 26 : info.header_offset + 30]
    )
    start = info.header_offset + 30 + name_len + extra_len  # after the local file header
    at = start + info.compress_size // 2
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def reader_reason(world: Inspection, path: Path, known: dict[str, str]) -> str:
    """What the package reader says about a package, given the devices the hub knows."""
    with pytest.raises(PackageError) as err:
        device = str(reader.peek_manifest(path)["device_id"])
        reader.read_package(
            path,
            private_keys=[world.lead.fw.keys.encryption_key],
            trusted_signers={device: unb64(known[device])} if device in known else None,
            expected_kind="events",
            payload_schema=EVENTS_SCHEMA,
        )
    return err.value.explanation


def test_bad_packages_are_rejected_with_the_readers_reason_and_stop_nothing(
    world: Inspection, reference: Snapshot, hub_url: str
) -> None:
    folder = world.folder(world.pool)
    good = world.last(AB)
    data = good.path.read_bytes()
    bad: dict[str, bytes] = {
        "pd-events-0-truncated.pdpkg": data[: len(data) // 2],
        "pd-events-0-junk.pdpkg": b"not a package at all",
        "pd-events-0-flipped.pdpkg": flip_payload_byte(
            repackage(
                world, good, signer=assessor_keys(world, AB), recipients=[lead_recipient(world)]
            )
        ),
        "pd-events-0-other-key.pdpkg": repackage(
            world,
            good,
            signer=assessor_keys(world, AB),
            recipients=[Recipient("someone", "team_lead", DeviceKeys.generate().encryption_public)],
        ),
        "pd-events-0-other-inspection.pdpkg": repackage(
            world,
            good,
            signer=assessor_keys(world, AB),
            recipients=[lead_recipient(world)],
            inspection_id=str(uuid.uuid4()),
        ),
        # Names sort last: merged after AB's device is known; a new key is held, not trusted.
        "pd-events-zz-forged.pdpkg": repackage(
            world, good, signer=DeviceKeys.generate(), recipients=[lead_recipient(world)]
        ),
    }
    for name, content in bad.items():
        (folder / name).write_bytes(content)
    # Corrupted copies of packages merged before them (their names sort after the originals).
    for p in world.pool[:2]:
        raw = p.path.read_bytes()
        (folder / f"{p.path.stem}~truncated.pdpkg").write_bytes(raw[:-100])
        (folder / f"{p.path.stem}~flipped.pdpkg").write_bytes(flip_payload_byte(raw))

    outcomes = merge(hub_url, world.lead, folder)
    got = states(outcomes)
    reasons = {o.file: o.reason for o in outcomes}
    for p in world.pool:
        assert got[p.path.name] == MERGED
    for name in (*bad, *(f for f in got if "~" in f)):
        assert got[name] == (HELD if name == "pd-events-zz-forged.pdpkg" else REJECTED), name
        assert reasons[name], name
    hub = Hub(hub_url)
    try:
        known = hub.device_keys()
    finally:
        hub.close()
    expected = {
        # The "pd-events-0-" files come first, before any device is known to the hub.
        name: reader_reason(world, folder / name, {} if "events-0-" in name else known)
        for name in got
        if got[name] == REJECTED and name != "pd-events-0-other-inspection.pdpkg"
    }
    assert {n: reasons[n] for n in expected} == expected
    assert reasons["pd-events-0-other-inspection.pdpkg"] == NOT_HELD
    assert "is not enrolled" in reasons["pd-events-zz-forged.pdpkg"]
    assert len(outcomes) == len(world.pool) + len(bad) + 4  # the setup pack is not listed

    assert snapshot_of(hub_url, world.inspection_id) == reference
    hub = Hub(hub_url)
    try:
        assert hub.counts()["hub_quarantine"] == 0
        assert hub.inspection_ids() == [world.inspection_id]
    finally:
        hub.close()
    # Merging again: the same answers.
    assert states(merge(hub_url, world.lead, folder)) == {
        n: (ALREADY if s == MERGED else s) for n, s in got.items()
    }


def test_a_resigned_copy_is_quarantined_and_a_sync_copy_is_already_merged(
    world: Inspection, reference: Snapshot, hub_url: str
) -> None:
    folder = world.folder(world.pool)
    assert set(states(merge(hub_url, world.lead, folder)).values()) == {MERGED}
    target = world.last(AB)
    sync_copy = folder / f"{target.path.stem} (conflicted copy 2026-11-20).pdpkg"
    shutil.copy2(target.path, sync_copy)

    def change(payload: dict[str, Any]) -> None:  # what a second laptop might have said
        for e in payload["answers"]:
            if e["value"] in (YES, NO):
                e["value"] = NO if e["value"] == YES else YES

    resent = folder / "resent" / f"{target.path.stem} (from the other laptop).pdpkg"
    resent.parent.mkdir()
    resent.write_bytes(
        repackage(
            world,
            target,
            signer=assessor_keys(world, AB),
            recipients=[lead_recipient(world)],
            package_id=target.package_id,
            change=change,
        )
    )
    assert reader.peek_manifest(resent)["package_id"] == target.package_id
    assert open_as_lead(world, resent).package_id == target.package_id  # valid, and signed

    for _ in range(2):
        outcomes = merge(hub_url, world.lead, folder)
        got = states(outcomes)
        assert got.pop(sync_copy.name) == ALREADY
        assert got.pop(resent.name) == QUARANTINED
        assert got == {p.path.name: ALREADY for p in world.pool}
        [q] = [o for o in outcomes if o.state == QUARANTINED]
        assert q.package_id == target.package_id
        assert "different content" in q.reason
        assert snapshot_of(hub_url, world.inspection_id) == reference
        hub = Hub(hub_url)
        try:
            assert hub.counts()["hub_quarantine"] == 1
            merged = hub.package(target.package_id)
            assert merged is not None
            assert merged.sha256 == hashlib.sha256(target.path.read_bytes()).hexdigest()
            assert merged.file_name == target.path.name
        finally:
            hub.close()


# -- receipts ------------------------------------------------------------------------------------


def test_each_merged_package_gets_a_receipt_that_clears_the_outbox(world: Inspection) -> None:
    folder = world.folder(world.pool)
    outcomes = merge(world.sqlite_url(), world.lead, folder)
    assert set(states(outcomes).values()) == {MERGED}
    receipts = folder / RECEIPTS_FOLDER
    assert sorted(p.name for p in receipts.iterdir()) == sorted(
        writer.package_file_name("receipt", p.package_id) for p in world.pool
    )
    for name, lt in world.assessors.items():
        mine = {p.package_id for p in world.pool if p.assessor == name}
        pending = {p.package_id for p in lt.fw.outbox(world.inspection_id) if p.receipt_at is None}
        assert pending == mine
        assert lt.fw.check_receipts(folder) == len(mine)
        assert all(p.receipt_at is not None for p in lt.fw.outbox(world.inspection_id))
        assert list(lt.paths.outbox.iterdir()) == []
        assert lt.fw.check_receipts(folder) == 0
    # A second merge writes no receipt again.
    before = sorted((p.name, p.stat().st_mtime_ns) for p in receipts.iterdir())
    assert set(states(merge(world.sqlite_url(), world.lead, folder)).values()) == {MERGED}
    assert sorted((p.name, p.stat().st_mtime_ns) for p in receipts.iterdir()) == before


# -- two merges at once --------------------------------------------------------------------------


def merge_twice_at_once(world: Inspection, url: str, folder: Path) -> list[list[hubs.MergeOutcome]]:
    """Two merges of one folder into one hub, started together, each with its own Hub object
    and its own store for the team lead (as two windows, or two team leads' laptops would)."""
    start = threading.Barrier(2)
    results: list[list[hubs.MergeOutcome]] = [[], []]
    errors: list[BaseException] = []

    def run(slot: int) -> None:
        try:
            lead = Laptop.open(world.lead.paths.data)
            try:
                start.wait(timeout=30)
                hub = Hub(url)  # a new database: both create the tables at once
                try:
                    results[slot] = hubs.merge(hub, lead.fw, folder)
                finally:
                    hub.close()
            finally:
                lead.ws.close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return results


def test_two_merges_at_once_on_one_hub_end_consistent(
    world: Inspection, reference: Snapshot, new_hub: Callable[[], str]
) -> None:
    names = {p.path.name for p in world.pool}
    for _round in range(3):  # the threads interleave differently each time
        url = new_hub()
        results = merge_twice_at_once(world, url, world.folder(world.pool))
        for outcomes in results:
            got = states(outcomes)
            assert set(got) == names
            assert set(got.values()) <= {MERGED, ALREADY}
        merged = Counter(o.file for outcomes in results for o in outcomes if o.state == MERGED)
        assert merged == dict.fromkeys(names, 1), "each package merged exactly once"
        assert snapshot_of(url, world.inspection_id) == reference  # counts, summaries, rows


# -- the numbers -------------------------------------------------------------------------------


def read_export(hub: Hub, inspection_id: str, out: Path) -> list[dict[str, str]]:
    rows = hubs.export_rows(hub, inspection_id, False)
    hubs.write_export(rows, "csv", out, False)
    with out.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


FINISHED = {"submitted", "approved", "locked"}


def recount(
    rows: Sequence[dict[str, str]], counted: set[str], by: str, provisional: bool = False
) -> dict[tuple, Counter]:
    """Yes, No, answered N/A, did not apply and not answered per (group, question), from the
    exported rows alone: over the finished cases, or (provisional) every case with an answer."""
    answered = {r["case_ref"] for r in rows if r["answer"]}
    out: dict[tuple, Counter] = defaultdict(Counter)
    for r in rows:
        if r["question_id"] not in counted:
            continue
        if r["status"] not in FINISHED and not (provisional and r["case_ref"] in answered):
            continue
        key = (r[by], r["question_id"])
        if r["applicable"] == "no":
            out[key]["did_not_apply"] += 1
        elif r["answer"] == "na":
            out[key]["na"] += 1
        elif r["answer"] in ("yes", "no"):
            out[key][r["answer"]] += 1
        else:
            out[key]["unanswered"] += 1  # applies, no answer yet: not in the base
    return out


def floor_percent(yes: int, relevant: int) -> float | None:
    return None if relevant == 0 else (1000 * yes // relevant) / 10


@pytest.mark.parametrize("provisional", [False, True], ids=["final", "provisional"])
def test_summaries_match_a_recount_from_the_exported_data(
    world: Inspection, hub_url: str, tmp_path: Path, provisional: bool
) -> None:
    assert set(states(merge(hub_url, world.lead, world.folder(world.pool))).values()) == {MERGED}
    hub = Hub(hub_url)
    try:
        qs, _ = hubs.load_cases(hub, world.inspection_id)
        counted = {q.id for q in qs.questions if q.counts}
        rows = read_export(hub, world.inspection_id, tmp_path / "export.csv")
        summaries = {
            by: json.loads(
                hubs.render(
                    hubs.summarise(hub, world.inspection_id, by, provisional=provisional), "json"
                )
            )
            for by in ("pdu", "region")
        }
    finally:
        hub.close()
    assert {r["case_ref"] for r in rows} == {ref for ref, *_ in SAMPLE}
    statuses = {r["status"] for r in rows}
    assert "in_progress" in statuses and statuses & FINISHED  # both kinds, for both modes
    for by, summary in summaries.items():
        counts = recount(rows, counted, by, provisional)
        assert {(s["name"], s["question_id"]) for s in summary} == set(counts)
        for s in summary:
            c = counts[(s["name"], s["question_id"])]
            assert s["scope"] == by
            assert (s["yes"], s["no"], s["not_applicable"]) == (c["yes"], c["no"], c["na"]), s
            assert (s["did_not_apply"], s["not_answered"]) == (
                c["did_not_apply"],
                c["unanswered"],
            ), s
            assert s["relevant"] == c["yes"] + c["no"]  # N/A is not in the denominator
            assert s["percent"] == floor_percent(c["yes"], s["relevant"])
            if s["relevant"] == 0:
                assert s["percent"] is None and s["rating"] is None
            assert s["key_question"] == qs.question(s["question_id"]).is_key
            assert (s["rating"] is not None) == (s["key_question"] and s["relevant"] > 0)
    region = summaries["region"]
    assert {s["name"] for s in region} == {REGION}
    # A region pools its PDUs' counts.
    kinds = ("yes", "no", "not_applicable", "did_not_apply", "not_answered")
    by_q: dict[str, Counter] = defaultdict(Counter)
    for s in summaries["pdu"]:
        by_q[s["question_id"]].update({k: s[k] for k in kinds})
    for s in region:
        assert by_q[s["question_id"]] == Counter({k: s[k] for k in kinds})
    if not provisional:
        return
    nulls = [s for s in region if s["percent"] is None]
    assert nulls and {s["question_id"] for s in nulls} >= {"2.3.3.d"}
    assert '"percent": null' in hubs.render(
        [hubs.SummaryRow(**s) for s in region], "json"
    )  # JSON null, not 0 or ""
    with_na = [s for s in region if s["not_applicable"] and s["relevant"]]
    assert with_na


# -- ratings -----------------------------------------------------------------------------------

# PDU: (yes, no) on key question 2.1.1, and the rating pdu-core.yaml gives (80/65/50).
BOUNDARIES = {
    "Exeter": (4, 1, 80.0, "Outstanding"),
    "Truro": (13, 7, 65.0, "Good"),
    "Bodmin": (1, 1, 50.0, "Requires improvement"),
    "Barnstaple": (1, 2, 33.3, "Inadequate"),
}


@pytest.fixture(scope="module")
def boundaries(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Inspection]:
    """One assessor's cases whose answers to 2.1.1 give exactly 80%, 65%, 50% and 33.3%."""
    sample = [
        (f"B{pdu[:3].upper()}{n:03d}", pdu, AB, {})
        for pdu, (yes, no, _, _) in BOUNDARIES.items()
        for n in range(yes + no)
    ]
    sample.append(("BEXE999", "Exeter", AB, {}))  # not answered yet: counted nowhere
    world = setup_inspection(tmp_path_factory.mktemp("ratings"), sample, list(BOUNDARIES))
    lt = world.assessors[AB]
    left = {pdu: [YES] * yes + [NO] * no for pdu, (yes, no, _, _) in BOUNDARIES.items()}
    for case in lt.ws.cases(world.inspection_id):
        if case.reference != "BEXE999":
            lt.ws.record_answer(case.id, "2.1.1", left[case.pdu].pop())
            lt.ws.record_answer(case.id, "2.1.1.a", YES)  # a prompt: no rating
    export(world, AB)
    yield world
    world.close()


def test_ratings_at_the_boundaries(boundaries: Inspection, hub_url: str) -> None:
    world = boundaries
    assert set(states(merge(hub_url, world.lead, world.folder(world.pool))).values()) == {MERGED}
    hub = Hub(hub_url)
    try:
        # The cases are still in progress: their figures are provisional.
        pdu_rows = hubs.summarise(hub, world.inspection_id, "pdu", provisional=True)
        assert hubs.summarise(hub, world.inspection_id, "pdu") == []  # none finished
        rows = {(r.name, r.question_id): r for r in pdu_rows}
        [region] = [
            r
            for r in hubs.summarise(hub, world.inspection_id, "region", provisional=True)
            if r.question_id == "2.1.1"
        ]
        table = hubs.render(pdu_rows, "table")
        parsed = json.loads(hubs.render(pdu_rows, "json"))
    finally:
        hub.close()
    for pdu, (yes, no, percent, rating) in BOUNDARIES.items():
        r = rows[(pdu, "2.1.1")]
        assert (r.yes, r.no, r.relevant, r.percent, r.rating) == (
            yes,
            no,
            yes + no,
            percent,
            rating,
        )
        assert rows[(pdu, "2.1.1.a")].rating is None  # prompts are not rated
        assert rows[(pdu, "2.1.2")].relevant == 0 and rows[(pdu, "2.1.2")].rating is None
    assert rows[("Exeter", "2.1.1")].relevant == 5  # the unanswered case is not relevant
    # Pooled: 19 of 30 is 63.3%, below Good.
    assert (region.yes, region.relevant, region.percent, region.rating) == (
        19,
        30,
        63.3,
        "Requires improvement",
    )
    assert re.search(r"80\.0%\s+Outstanding", table) and re.search(r"33\.3%\s+Inadequate", table)
    ratings = {(r["name"], r["question_id"]): r["rating"] for r in parsed}
    assert {p: ratings[(p, "2.1.1")] for p in BOUNDARIES} == {
        p: v[3] for p, v in BOUNDARIES.items()
    }


# -- SQLite and PostgreSQL ---------------------------------------------------------------------


def test_sqlite_and_postgresql_give_identical_summaries(
    world: Inspection, boundaries: Inspection, reference: Snapshot, pg_server: Any
) -> None:
    for w in (world, boundaries):
        sqlite_url = w.sqlite_url()
        pg_url = str(pg_server.create_database())
        assert set(states(merge(sqlite_url, w.lead, w.folder(w.pool))).values()) == {MERGED}
        # PostgreSQL gets the packages newest first, one at a time.
        folder = w.folder()
        for p in reversed(w.pool):
            shutil.copy2(p.path, folder / p.path.name)
            assert states(merge(pg_url, w.lead, folder))[p.path.name] == MERGED
        lite, pg = snapshot_of(sqlite_url, w.inspection_id), snapshot_of(pg_url, w.inspection_id)
        for name in lite.texts:
            assert pg.texts[name] == lite.texts[name], name
        assert pg.counts == lite.counts
        hub = Hub(pg_url)
        try:
            assert hub.dialect == "postgresql"
            region_rows = hubs.summarise(hub, w.inspection_id, "region", provisional=True)
            assert hubs.render(region_rows, "csv") == (
                hubs.render(
                    [hubs.SummaryRow(**r) for r in json.loads(lite.texts["region.json"])], "csv"
                )
            )
        finally:
            hub.close()
    assert lite.texts != reference.texts  # the two inspections really differ
    assert "Ynys Môn" in reference.texts["pdu.json"]


def test_the_hub_opens_on_postgresql_twice_and_keeps_its_rows(
    world: Inspection, pg_url: str
) -> None:
    """The session's own database: creating the tables again is harmless."""
    first = merge(pg_url, world.lead, world.folder([world.last(AB)]))
    assert states(first) == {world.last(AB).path.name: MERGED}
    hub = Hub(pg_url)
    try:
        assert hub.inspection_ids() == [world.inspection_id]
        assert hub.counts()["hub_package"] == 1
        # A device's keys, as base64 text in the hub.
        [(device, public)] = hub.device_keys().items()
        assert len(unb64(public, size=32)) == 32 and device
    finally:
        hub.close()


def test_reading_a_sqlite_hub_takes_no_write_lock(
    world: Inspection, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A summary or the dashboard reads while a merge holds the write lock (WAL snapshot)."""

    url = f"sqlite:///{tmp_path / 'hub.sqlite'}"
    merge(url, world.lead, world.folder(world.pool))
    expected = snapshot_of(url, world.inspection_id)
    # From here on, asking for the lock the merge holds fails at once ("database is locked"):
    # never waited, whatever the machine's speed.
    request.getfixturevalue("hub_never_waits")
    writer_conn = rawdb.connect(tmp_path / "hub.sqlite", isolation_level=None, timeout=0.1)
    writer_conn.execute("BEGIN IMMEDIATE")  # a merge in the middle of a package
    try:
        hub = Hub(url)  # opening an existing hub takes no write lock either
        try:
            assert snapshot(hub, world.inspection_id) == expected
        finally:
            hub.close()
    finally:
        writer_conn.execute("ROLLBACK")
        writer_conn.close()


def test_a_hub_of_a_newer_schema_is_refused_and_left_alone(tmp_path: Path) -> None:

    from probdesk.errors import EnvironmentProblem

    path = tmp_path / "hub.sqlite"
    Hub(f"sqlite:///{path}").close()
    with rawdb.connect(path) as db:
        db.execute("UPDATE hub_meta SET value = '99' WHERE key = 'schema'")
    before = path.read_bytes()
    with pytest.raises(EnvironmentProblem, match=r"schema 99, newer than this probdesk"):
        Hub(f"sqlite:///{path}")
    assert path.read_bytes() == before
