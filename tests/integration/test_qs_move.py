"""Moving an ongoing inspection to a new version of its question set (#15, item 1), in the
middle of fieldwork, with answers on questions the new version drops, changes and adds:
checked on the lead's laptop, on the assessor's laptop, in the hub and in the figures."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import hubworld
import pytest
import yaml
from hubworld import AB, PDU_CORE, PDUS, Inspection, setup_inspection

from probdesk.domain.records import Assessor
from probdesk.errors import InputError
from probdesk.hub.store import Hub
from probdesk.services import figures, qs_move, retention
from probdesk.services import hub as hubs

SAMPLE = (
    ("A100001", PDUS[0], AB, {}),  # domestic abuse yes: 2.1.3.c applies
    ("A100002", PDUS[1], AB, {"domestic_abuse": "unknown"}),
)


def _pdf_text(path: Path) -> str:
    import subprocess

    done = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    return done.stdout


def _questions(d: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {q["id"]: q for s in d["sections"] for q in [s["key_question"], *s.get("prompts", [])]}


def _v2(root: Path, *, incompatible: bool = True) -> Path:
    data = yaml.safe_load(PDU_CORE.read_text(encoding="utf-8"))
    new = copy.deepcopy(data)
    new["version"] = "2026.1-test"
    qs = _questions(new)
    qs["2.1.1.a"]["text"] = "Does assessment involve the person and take their views?"
    qs["2.1.3.c"]["applies_when"] = {"fact": "domestic_abuse", "equals": "yes"}
    if incompatible:
        qs["2.1.1.b"]["answer"] = "yes_no_na"
    section = next(s for s in new["sections"] if s["id"] == "s2-1-1")
    section["prompts"] = [p for p in section["prompts"] if p["id"] != "2.1.1.c"]
    section["prompts"].append(
        {"id": "2.1.1.d", "text": "Was the assessment shared with the person?", "answer": "yes_no"}
    )
    out = root / "pdu-core-2026.1.yaml"
    out.write_text(yaml.safe_dump(new, sort_keys=False), encoding="utf-8")
    return out


@pytest.fixture
def world(tmp_path: Path) -> Inspection:
    w = setup_inspection(tmp_path / "world", SAMPLE, PDUS)
    yield w
    w.close()


def _answer(world: Inspection) -> dict[str, str]:
    ab = world.assessors[AB]
    ids = {c.reference: c.id for c in ab.ws.cases(world.inspection_id)}
    for ref in ("A100001", "A100002"):
        for qid in ("2.1.1", "2.1.1.a", "2.1.1.b", "2.1.1.c", "2.1.3.c"):
            ab.ws.record_answer(ids[ref], qid, "yes", f"note on {qid}")
    return ids


def test_a_move_in_the_middle_of_fieldwork_keeps_every_answer(
    world: Inspection, tmp_path: Path
) -> None:
    lead, ab = world.lead, world.assessors[AB]
    iid = world.inspection_id
    ids = _answer(world)
    hubworld.export(world, AB)
    url = world.sqlite_url()
    hubworld.merge(url, lead, world.setup_pack.parent)
    v2 = _v2(tmp_path)

    planned = qs_move.preview(lead.ws, iid, v2)
    assert all(not m.impact.carried for m in planned.cases)  # the lead's laptop: no answers
    hub = Hub(url)
    try:  # with the answers merged into the hub, the lead sees what the assessors gave
        merged = qs_move.hub_answers(hub, iid)
    finally:
        hub.close()
    planned = qs_move.preview(lead.ws, iid, v2, merged)
    first = next(m for m in planned.cases if m.reference == "A100001")
    assert set(first.impact.carried) >= {"2.1.1", "2.1.1.a"}
    assert "2.1.1.c" in first.impact.kept_not_counted
    assert planned.change.question("2.1.1.c").changes[0].value == "dropped"
    assert planned.incompatible
    text = qs_move.preview_text(planned)
    assert "2.1.1.b (s2-1-1): answer type changed  INCOMPATIBLE" in text
    assert "2.1.1.d (s2-1-1): added" in text
    # Refused unless confirmed, and nothing changes.
    before = lead.ws.inspection(iid)
    with pytest.raises(InputError, match=r"reuses ids .*2\.1\.1\.b.*Nothing was changed"):
        qs_move.move(lead.ws, planned)
    assert lead.ws.inspection(iid) == before
    moved = qs_move.move(lead.ws, planned, accept_incompatible=True)
    assert (moved.qs_version, moved.qs_hash) == ("2026.1-test", planned.new.content_hash)

    # The next setup revision moves the assessor's laptop, which keeps every answer.
    pack = lead.fw.create_setup_pack(iid, hubworld.PASSPHRASE, world.setup_pack.parent, "TL")
    with ab.ws.store.unit_of_work(read_only=True) as uow:
        events_before = len(uow.answers.for_inspection(iid))
    result = ab.fw.open_setup_pack(pack, hubworld.PASSPHRASE, AB)
    assert result.moved_from == "2025.1-illustrative"
    assert result.inspection.qs_version == "2026.1-test"
    review = "\n".join(result.to_review)
    assert "A100001: " in review and "A100002: " in review
    assert "2.1.1.b: answer type yes_no -> yes_no_na" in review
    # A100002's domestic abuse is "unknown": 2.1.3.c no longer applies, kept but not counted.
    assert "2.1.3.c: answered, but no longer applies" in review.split("A100002: ")[1]
    # Each case to review is on the assessor's to-do list, with a notice that says why; the
    # lead's laptop, whose cases are the team's, lists none.
    assert {r.reference: r.to_do for r in ab.ws.case_rows(iid)} == {"A100001": 1, "A100002": 1}
    assert {r.to_do for r in lead.ws.case_rows(iid)} == {0}
    [notice] = ab.fw.comments(iid, ids["A100001"])
    assert notice.author == qs_move.NOTICE_AUTHOR and notice.package_id is None
    assert notice.text.startswith(
        "The question set moved from version 2025.1-illustrative to 2026.1-test; review "
    )
    assert "2.1.1.b: answer type yes_no -> yes_no_na" in notice.text
    with ab.ws.store.unit_of_work(read_only=True) as uow:
        after = uow.answers.for_inspection(iid)
    assert len(after) == events_before + 2  # one event setting each 2.1.1.b answer aside
    state = ab.ws.case_state(ids["A100001"])
    assert state.answers.get("2.1.1.b") is None  # set aside: answered again under v2
    assert state.notes["2.1.1.b"] == "note on 2.1.1.b"  # the note stays
    assert [h.old_value for h in ab.ws.history(ids["A100001"], "2.1.1.b")][-1] == "yes"
    assert ("2.1.1.c", "yes") in state.other_variant_answers  # dropped: kept and shown
    assert state.answers["2.1.1.a"] == "yes"  # wording changed: carried over
    assert "2.1.1.d" in state.applicable  # added

    ab.ws.record_answer(ids["A100001"], "2.1.1.d", "no")
    ab.ws.record_answer(ids["A100001"], "2.1.1.b", "na")
    # Reviewed: marked done, it leaves the to-do list and stays shown; once only.
    assert ab.fw.mark_comments_done(ids["A100001"]) == 1
    assert ab.fw.mark_comments_done(ids["A100001"]) == 0
    assert {r.reference: r.to_do for r in ab.ws.case_rows(iid)} == {"A100001": 0, "A100002": 1}
    [notice] = ab.fw.comments(iid, ids["A100001"])
    assert notice.done_at is not None
    hubworld.export(world, AB)
    hubworld.merge(url, lead, world.setup_pack.parent)

    hub = Hub(url)
    try:
        assert hub.inspection(iid).qs_hash == planned.new.content_hash  # the hub followed
        rows = {r.question_id: r for r in figures.summarise(hub, iid, "region", provisional=True)}
        assert "2.1.1.c" not in rows  # dropped: no longer counted
        assert rows["2.1.1.d"].no == 1 and rows["2.1.1.d"].relevant == 1
        assert rows["2.1.1.b"].yes == 0  # the v1 answers set aside; A100001 now says n/a
        assert rows["2.1.1.b"].not_applicable == 1
        assert rows["2.1.3.c"].yes == 1  # only A100001 still counts
        # Every answer any laptop gave is still in the hub.
        assert len(hub.events_of(iid)) >= len(after)
        # The reports: the PDU summary names the new version and counts as the figures do;
        # the case summary of A100001 has the added question.
        from probdesk.services import reports

        pdf = tmp_path / "pdu.pdf"
        request = reports.ReportRequest(reports.PDU, pdf, iid, pdu=PDUS[0], provisional=True)
        reports.build(hub, request)  # the cases are in progress: provisional figures
        text = _pdf_text(pdf)
        assert "PROVISIONAL FIGURES" in text
        assert "pdu-core 2026.1-test" in text
        assert "2.1.1.d" in text and "2.1.1.c" not in text
        case_pdf = tmp_path / "case.pdf"
        reports.build(hub, reports.ReportRequest(reports.CASES, case_pdf, iid, ("A100001",)))
        case_text = " ".join(_pdf_text(case_pdf).split())
        assert "2.1.1.d" in case_text
        # The dropped question's answer is printed apart, with its v1 wording: kept, shown.
        kept = case_text.split("Answers kept, not counted")[1]
        assert "2.1.1.c" in kept and "Asked in version 2025.1-illustrative" in kept
        assert "dropped from 2026.1-test" in kept and "note on 2.1.1.c" in kept
        # A100002's 2.1.3.c no longer applies: the line says so and keeps the answer given.
        other = tmp_path / "other.pdf"
        reports.build(hub, reports.ReportRequest(reports.CASES, other, iid, ("A100002",)))
        other_text = " ".join(_pdf_text(other).split())
        assert "The answer given before (Yes) is kept as recorded, not counted" in other_text
    finally:
        hub.close()


def test_a_move_is_refused_for_another_set_or_the_same_version(
    world: Inspection, tmp_path: Path
) -> None:
    lead = world.lead
    iid = world.inspection_id
    with pytest.raises(InputError, match="already uses"):
        qs_move.preview(lead.ws, iid, PDU_CORE)
    data = yaml.safe_load(PDU_CORE.read_text(encoding="utf-8"))
    data["title"] = "Changed without a new version"
    same = tmp_path / "same-version.yaml"
    same.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(InputError, match="same version"):
        qs_move.preview(lead.ws, iid, same)
    data["id"], data["version"] = "another-set", "9"
    other = tmp_path / "other.yaml"
    other.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(InputError, match="not a new version"):
        qs_move.preview(lead.ws, iid, other)
    # An assessor's laptop cannot move the lead's inspection.
    with pytest.raises(InputError, match="only the team lead"):
        qs_move.preview(world.assessors[AB].ws, iid, _v2(tmp_path))


def test_a_compatible_move_needs_no_confirmation_and_a_late_v1_package_still_merges(
    world: Inspection, tmp_path: Path
) -> None:
    lead, ab = world.lead, world.assessors[AB]
    iid = world.inspection_id
    ids = _answer(world)
    planned = qs_move.preview(lead.ws, iid, _v2(tmp_path, incompatible=False))
    assert not planned.incompatible
    qs_move.move(lead.ws, planned)
    lead.fw.set_team(iid, [Assessor(AB, "inspector")])
    url = world.sqlite_url()
    hubworld.merge(url, lead, world.setup_pack.parent)  # the hub on v2 before any package
    # The assessor has not opened the new pack yet: a package written under v1 arrives late.
    ab.ws.record_answer(ids["A100002"], "2.1.1.c", "no")
    hubworld.export(world, AB)
    outcomes = hubworld.merge(url, lead, world.setup_pack.parent)
    assert hubs.MERGED in hubworld.states(outcomes).values()
    hub = Hub(url)
    try:
        assert hub.inspection(iid).qs_hash == planned.new.content_hash
        rows = {r.question_id: r for r in figures.summarise(hub, iid, "region", provisional=True)}
        assert "2.1.1.c" not in rows
        assert rows["2.1.1.a"].yes == 2  # reworded, carried over
        stored = [e for e in hub.events_of(iid) if e.question_id == "2.1.1.c"]
        assert len(stored) == 3  # the v1 answers are all kept in the hub
        # Closed and purged after its retention period, the inspection leaves neither
        # version's text behind: v1 is named by its answers, v2 is the one it is on.
        versions = {v for _h, v, _t in hub.question_set_versions(planned.old.id)}
        assert versions == {planned.old.version, planned.new.version}
        closed = datetime(2026, 1, 5, 12, 0)
        retention.close_inspection(hub, lead.fw, iid, world.setup_pack.parent, closed)
        done = retention.purge_hub(hub, now=closed + timedelta(days=400))
        assert [r.inspection_id for r in done.purged] == [iid]
        assert done.purged[0].counts["hub_question_set"] == 2
        assert hub.question_set_versions(planned.old.id) == []
    finally:
        hub.close()


# -- pooling across versions (#15, item 3) -----------------------------------------------------


def test_regional_figures_pool_only_the_questions_every_version_shares(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    v1_world = setup_inspection(tmp_path / "v1", SAMPLE, PDUS)
    monkeypatch.setattr(hubworld, "PDU_CORE", _v2(tmp_path))
    v2_world = setup_inspection(tmp_path / "v2", (("B100001", PDUS[1], AB, {}),), PDUS)
    try:
        for world in (v1_world, v2_world):
            ab = world.assessors[AB]
            for c in ab.ws.cases(world.inspection_id):
                for qid in ("2.1.1", "2.1.1.a", "2.1.1.b"):
                    ab.ws.record_answer(c.id, qid, "yes")
            hubworld.export(world, AB)
        url = v1_world.sqlite_url()
        hubworld.merge(url, v1_world.lead, v1_world.setup_pack.parent)
        hubworld.merge(url, v2_world.lead, v2_world.setup_pack.parent)
        hub = Hub(url)
        try:
            region = hub.inspection(v1_world.inspection_id).region
            rows = figures.regional_summary(hub, region, "region", provisional=True)
            ids = [r.question_id for r in rows]
            assert len(ids) == len(set(ids))  # no question twice
            assert "2.1.1.c" not in ids and "2.1.1.d" not in ids and "2.1.1.b" not in ids
            by_id = {r.question_id: r for r in rows}
            assert by_id["2.1.1.a"].yes == 3  # reworded only: pooled over all three cases
            assert by_id["2.1.1"].relevant == 3
            assert {r.version for r in rows} == {"pdu-core 2025.1-illustrative + 2026.1-test"}
            regional = figures.regional_figures(hub, region)
            assert regional.cases == 3
            why = {o.question_id: o.reason for o in regional.left_out}
            assert why["2.1.1.b"] == "answer type yes_no / yes_no_na in pdu-core 2026.1-test"
            assert why["2.1.1.c"] == "not in pdu-core 2026.1-test"
            assert why["2.1.1.d"].startswith("only in pdu-core 2026.1-test")
            # The regional PDF names both versions, counts the pooled cases and says what
            # was left out and why.
            from probdesk.services import reports

            pdf = tmp_path / "region.pdf"
            reports.build(hub, reports.ReportRequest(reports.REGION, pdf, region=region))
            text = " ".join(_pdf_text(pdf).split())
            assert "pdu-core 2025.1-illustrative + 2026.1-test" in text
            assert "left out of the pooled figures:" in text
            assert "2.1.1.c (not in pdu-core 2026.1-test)" in text
            assert "2.1.1.b (answer type yes_no / yes_no_na in pdu-core 2026.1-test)" in text
            assert "(2 PDU inspections pooled)" in text and "Cases 3 " in text
        finally:
            hub.close()
        # The command says the same, table and all (no hub held open while it runs).
        from cli_support import run

        done = run("--data-dir", v1_world.lead.paths.data, "summary", "--hub", url,
                   "--region", region, "--by", "region", "--provisional")  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("question set: pdu-core 2025.1-illustrative + 2026.1-test\n")
        assert "  2.1.1.b: answer type yes_no / yes_no_na in pdu-core 2026.1-test" in done.stdout
        assert done.stdout.count("2.1.1.a ") == 1
        as_csv = run("--data-dir", v1_world.lead.paths.data, "summary", "--hub", url,
                     "--region", region, "--format", "csv", "--provisional")  # fmt: skip
        assert as_csv.returncode == 0, as_csv.stderr
        assert "left out of the pooled figures: 2.1.1.c: not in pdu-core 2026.1-test" in (
            as_csv.stderr
        )
        as_json = run("--data-dir", v1_world.lead.paths.data, "summary", "--hub", url,
                      "--region", region, "--format", "json", "--provisional")  # fmt: skip
        left = {o["question_id"]: o["reason"] for o in json.loads(as_json.stdout)["left_out"]}
        assert left["2.1.1.c"] == "not in pdu-core 2026.1-test"
    finally:
        v1_world.close()
        v2_world.close()
