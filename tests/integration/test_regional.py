"""The regional inspection: its figures pool the region's PDU inspections merged into the hub;
it has its own case sample with its own question set, and its own domain-one judgements.

Two PDU inspections of one region (and one of another region, which must not leak in) go
straight into a hub; the team lead's laptop holds the regional inspection, with a logged
document and a judgement; a merge registers it and carries the lead's evidence.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import rawdb
from cli_support import Ran
from cli_support import run_in as run
from hubfill import fill_hub, flat, pdftext

from probdesk import bundled
from probdesk.hub.store import Hub
from probdesk.paths import Paths
from probdesk.services import figures, reports
from probdesk.services import hub as hubs
from probdesk.services.evidence import EvidenceLog
from probdesk.services.fieldwork import Fieldwork
from probdesk.services.workspace import Workspace

REGION = "Gogledd Cymru"
PDUS_A = ("Ynys Môn a Gwynedd",)
PDUS_B = ("Conwy a Sir Ddinbych", "Wrecsam a Sir y Fflint")
PDUS_ALL = PDUS_A + PDUS_B
OWN_SET = "region-unpaid-work.yaml"
RATIONALE = "Regional leaders know the placement gaps; plans to close them are recent (ŵ, ŷ)."
PDU_RATIONALE = "Staff describe the delivery plan; audits lead to change, but slowly."
LED_PDU = "Sir Ddinbych"


@dataclass
class Region:
    root: Path
    url: str
    lead: Path
    pdu_inspections: tuple[str, str, str]
    other_region: str
    regional: str
    led_pdu: str  # a PDU inspection led from the lead's laptop, with domain-one evidence


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def region(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Region]:
    """The same region in a SQLite hub and in a hub on the throwaway PostgreSQL server."""
    root = tmp_path_factory.mktemp("regional")
    if request.param == "sqlite":
        url = f"sqlite:///{root / 'hub.sqlite'}"
    else:
        url = str(request.getfixturevalue("pg_server").create_database())
    hub = rawdb.hub(url)
    try:
        a = fill_hub(hub, 40, PDUS_A, seed=1)
        b = fill_hub(hub, 70, PDUS_B, seed=2)
        other = fill_hub(hub, 30, ("Bristol",), region="South West", seed=3)
    finally:
        hub.close()
    paths = Paths.resolve(root / "lead").ensure()
    ws = Workspace.open(paths)
    try:
        ws.set_identity("TL", "team_lead")
        insp = ws.create_inspection(
            REGION, REGION, date(2026, 12, 1), date(2026, 12, 11),
            bundled.question_sets_dir() / OWN_SET, pdus=PDUS_ALL, kind="region",
        )  # fmt: skip
        qs = ws.question_set(insp)
        log = EvidenceLog(ws)
        key = qs.domain_one[0]
        log.add_document(insp.id, "Regional unpaid work delivery plan", "plan",
                         date(2026, 11, 20), [key.id])  # fmt: skip
        log.record_judgement(insp.id, key.id, qs.ratings.scale[1].label, RATIONALE)  # type: ignore[union-attr]
        pdu_insp = ws.create_inspection(
            REGION, LED_PDU, date(2026, 10, 5), date(2026, 10, 16),
            bundled.question_sets_dir() / "pdu-core.yaml",
        )  # fmt: skip
        pdu_qs = ws.question_set(pdu_insp)
        leadership = pdu_qs.domain_one[0]
        log.add_document(pdu_insp.id, "PDU delivery plan 2026 to 2027", "plan",
                         date(2026, 9, 20), [leadership.id])  # fmt: skip
        gap = log.raise_gap(pdu_insp.id, leadership.id, "Which audits led to changes?")
        log.answer_gap(gap.id, "Home-visit checklist after the spring audit")
        log.record_survey(pdu_insp.id, leadership.id, "Staff who know the plan", "68%")
        log.record_judgement(pdu_insp.id, leadership.id, "Requires improvement", "First view.")
        log.record_judgement(pdu_insp.id, leadership.id, "Good", PDU_RATIONALE)
        shared = root / "shared"
        shared.mkdir()
        hub = rawdb.hub(url)
        try:
            hubs.merge(hub, Fieldwork(ws, paths), shared)  # registers it, carries the evidence
            fill_hub(hub, 25, PDUS_ALL, region=REGION, question_set=OWN_SET,
                     kind="region", inspection_id=insp.id)  # fmt: skip
            fill_hub(hub, 12, (LED_PDU,), region=REGION, inspection_id=pdu_insp.id)
        finally:
            hub.close()
    finally:
        ws.close()
    yield Region(root, url, root / "lead", (a, b, pdu_insp.id), other, insp.id, pdu_insp.id)


@pytest.fixture()
def hub(region: Region) -> Iterator[Hub]:
    h = rawdb.hub(region.url)
    yield h
    h.close()


def test_the_hub_knows_which_inspections_make_up_the_region(hub: Hub, region: Region) -> None:
    found = hubs.region_inspections(hub, "gogledd cymru")  # any case
    assert set(found.pdu_inspections) == set(region.pdu_inspections)
    assert found.region_inspections == (region.regional,)
    assert region.other_region not in found.pdu_inspections


def _recount(hub: Hub, inspection_ids: tuple[str, ...], by: str) -> dict[tuple[str, str], Counter]:
    """Yes / No / answered N/A / did not apply per (group, question), from each inspection's
    exported rows (the finished cases: hubfill's are submitted)."""
    out: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for inspection_id in inspection_ids:
        qs, _cases = hubs.load_cases(hub, inspection_id)
        counted = {q.id for q in qs.questions if q.counts}
        for r in hubs.export_rows(hub, inspection_id, False):
            if r["question_id"] not in counted:
                continue
            if r["status"] not in ("submitted", "approved", "locked"):
                continue
            key = (str(r[by]), str(r["question_id"]))
            if r["applicable"] == "no":
                out[key]["did_not_apply"] += 1
            elif r["answer"] == "na":
                out[key]["na"] += 1
            elif r["answer"] in ("yes", "no"):
                out[key][str(r["answer"])] += 1
            else:
                out[key]["not_answered"] += 1
    return out


@pytest.mark.parametrize("by", ["region", "pdu"])
def test_pooled_regional_figures_equal_a_recount_over_the_pdus_case_data(
    hub: Hub, region: Region, by: str
) -> None:
    rows = hubs.regional_summary(hub, REGION, by)
    recount = _recount(hub, region.pdu_inspections, by)
    assert rows and {r.name for r in rows} == ({REGION} if by == "region" else {*PDUS_ALL, LED_PDU})
    for r in rows:
        c = recount[(r.name, r.question_id)]
        assert (r.yes, r.no) == (c["yes"], c["no"]), r
        assert r.relevant == c["yes"] + c["no"]
        assert r.not_applicable == c["na"], r
        assert (r.did_not_apply, r.not_answered) == (c["did_not_apply"], c["not_answered"]), r
        if r.relevant:
            assert r.percent == (1000 * r.yes // r.relevant) / 10
    # pooled: the region's figure is neither PDU inspection's alone
    alone = {
        x.question_id: x.relevant for x in hubs.summarise(hub, region.pdu_inspections[0], "region")
    }
    assert (
        any(r.relevant > alone.get(r.question_id, 0) for r in rows if by == "region") or by == "pdu"
    )


def test_the_summary_command_pools_a_region_and_refuses_an_unknown_one(
    region: Region, tmp_path: Path
) -> None:
    def cli(*args: str) -> Ran:
        return run(tmp_path, "--data-dir", region.lead, *args)

    done = cli(
        "summary", "--hub", region.url, "--region", REGION, "--by", "region", "--format", "json"
    )
    assert done.returncode == 0, done.stderr
    hub = rawdb.hub(region.url)
    try:
        expected = hubs.render(hubs.regional_summary(hub, REGION, "region"), "json")
        pooled = figures.region_summary(hub, REGION, "region")
    finally:
        hub.close()
    shown = json.loads(done.stdout)
    assert shown["figures"] == json.loads(expected)  # the rows of the regional summary
    assert shown["coverage"] == pooled.coverage.as_dict()
    assert shown["coverage"]["undecided_conflicts"] == 0
    assert shown["standards"] and shown["overall"]  # pdu-core rates: the bands travel too
    bad = cli("summary", "--hub", region.url, "--region", "Atlantis")
    assert bad.returncode == 2
    assert "no inspection in the region 'Atlantis'" in bad.stderr and REGION in bad.stderr


def test_the_regional_report_pools_the_pdus_and_adds_the_own_sample_and_judgements(
    hub: Hub, region: Region, tmp_path: Path
) -> None:
    source = reports.RegionalSource(hub, REGION, author="TL")
    out = reports.write_regional(source, tmp_path / "regional.pdf")
    text = pdftext(out)
    words = flat(text)
    assert f"Regional inspection: {REGION}" in words  # the title
    assert "3 PDU inspections pooled" in words
    for pdu in PDUS_ALL:
        assert pdu in text  # the per-PDU breakdown
    assert "Bristol" not in text  # another region's PDU does not leak in
    pooled = hubs.regional_summary(hub, REGION, "region")
    for r in pooled:
        if r.key_question and r.percent is not None:
            assert f"{r.percent:.1f}%" in text
    qs_own, own_cases = hubs.load_cases(hub, region.regional)
    assert qs_own.title in words  # the own sample's block
    own = hubs.summarise(hub, region.regional, "region")
    for r in own:
        if r.key_question and r.percent is not None:
            assert f"{r.percent:.1f}%" in text
    assert flat(RATIONALE) in words  # the judgement with its rationale
    assert "Regional unpaid work delivery plan" in words  # the evidence summary
    assert f"Cases {len(own_cases)} (Submitted {len(own_cases)})" in words  # the sample's facts


def test_a_regional_inspection_travels_in_its_setup_pack(tmp_path: Path) -> None:
    """The kind reaches the assessor's laptop with the setup pack."""
    from probdesk.domain.records import Assessor

    lead_paths = Paths.resolve(tmp_path / "lead").ensure()
    ws = Workspace.open(lead_paths)
    try:
        ws.set_identity("TL", "team_lead")
        fw = Fieldwork(ws, lead_paths)
        insp = ws.create_inspection(
            REGION, REGION, date(2026, 12, 1), date(2026, 12, 11),
            bundled.question_sets_dir() / OWN_SET, pdus=PDUS_B, kind="region",
        )  # fmt: skip
        fw.set_team(insp.id, [Assessor("AB", "inspector")])
        qs = ws.question_set(insp)
        facts = {f.id: (f.allowed_values() or ("5",))[0] for f in qs.facts if f.required}
        fw.add_sample_case(insp.id, "U1001", facts, PDUS_B[0], "AB")
        pack = fw.create_setup_pack(insp.id, "a long passphrase 1", tmp_path, "TL")
    finally:
        ws.close()
    paths = Paths.resolve(tmp_path / "ab").ensure()
    ws = Workspace.open(paths)
    try:
        opened = Fieldwork(ws, paths).open_setup_pack(pack, "a long passphrase 1", "AB")
        assert opened.inspection.kind == "region"
        assert ws.inspection(insp.id).kind == "region"
    finally:
        ws.close()


def test_an_unknown_kind_of_inspection_is_refused(tmp_path: Path) -> None:
    from probdesk.errors import InputError

    ws = Workspace.open(Paths.resolve(tmp_path / "x").ensure())
    try:
        with pytest.raises(InputError, match="of a PDU or a region, not 'national'"):
            ws.create_inspection(
                REGION, REGION, date(2026, 12, 1), date(2026, 12, 11),
                bundled.question_sets_dir() / "pdu-core.yaml", kind="national",
            )  # fmt: skip
        assert ws.inspections() == []
    finally:
        ws.close()


def test_the_reports_tab_builds_the_regional_inspections_report(
    hub: Hub, region: Region, tmp_path: Path
) -> None:
    """The Reports tab's "Regional summary" on a regional inspection pools its PDUs."""
    from probdesk.ui.reports.models import REGION as REGION_KIND
    from probdesk.ui.reports.models import ReportRequest, build_report

    seen: list[str] = []
    (out,) = build_report(
        hub, region.regional, "TL",
        ReportRequest(REGION_KIND, tmp_path / "r.pdf", marking="OFFICIAL"),
        lambda _d, _t, what: seen.append(what), lambda: False,
    )  # fmt: skip
    words = flat(pdftext(out))
    assert "3 PDU inspections pooled" in words and flat(RATIONALE) in words
    assert all(pdu in words for pdu in PDUS_ALL) and "OFFICIAL-SENSITIVE" not in words
    assert seen, "no progress reported"


def test_the_command_and_the_tab_build_a_regional_inspections_report_the_same_way(
    region: Region, tmp_path: Path
) -> None:
    """One dispatch (services/reports.build): `report region` on the regional inspection, by
    --inspection as the tab names it or by --region, pools its PDUs as the tab does. No hub is
    held open while the command runs: on a plain hub its first command encrypts it, which
    waits for no other connection (that is the lead's own hub, opened by one program)."""
    by_id, by_name = tmp_path / "by-id.pdf", tmp_path / "by-name.pdf"
    base = ("--data-dir", region.lead, "report", "region", "--hub", region.url)
    for extra, out in ((("--inspection", region.regional), by_id), (("--region", REGION), by_name)):
        done = run(tmp_path, *base, *extra, "--out", out)
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines() == [str(out)]
    for out in (by_id, by_name):
        words = flat(pdftext(out))
        assert f"Regional inspection: {REGION}" in words and "3 PDU inspections pooled" in words
    hub = rawdb.hub(region.url)
    try:
        with pytest.raises(ValueError, match="no report of kind"):
            reports.build(hub, reports.ReportRequest("poster", tmp_path / "x.pdf"))
    finally:
        hub.close()


def test_a_pdu_report_holds_the_domain_one_evidence_summary_and_judgement(
    hub: Hub, region: Region, tmp_path: Path
) -> None:
    source = reports.ReportSource(hub, region.led_pdu)
    out = reports.write_summary(source, "pdu", tmp_path / "pdu.pdf", LED_PDU)
    words = flat(pdftext(out))
    assert "Domain one: evidence and judgements" in words
    assert "PDU delivery plan 2026 to 2027" in words  # the document informing it
    assert "Which audits led to changes?" in words and "Home-visit checklist" in words  # the gap
    assert "Staff who know the plan: 68%" in words  # the survey figure
    assert "Judgement: Good" in words and flat(PDU_RATIONALE) in words  # the latest judgement
    assert "First view." not in words  # history stays in the hub and on screen, not the report
    state = hubs.hub_org_state(hub, region.led_pdu)
    assert [j.rating for j in next(iter(state.histories.values()))] == [
        "Requires improvement",
        "Good",
    ]
    assert "Not yet judged." in words  # 1.2 and 1.3 have no judgement yet: said so


def test_a_regional_report_before_any_pdu_inspection_is_merged_says_so(tmp_path: Path) -> None:
    hub = rawdb.hub(f"sqlite:///{tmp_path / 'hub.sqlite'}")
    try:
        fill_hub(hub, 5, ("Ceredigion",), region="Dyfed", question_set="region-victim-contact.yaml",
                 kind="region")  # fmt: skip
        out = reports.write_regional(reports.RegionalSource(hub, "Dyfed"), tmp_path / "r.pdf")
    finally:
        hub.close()
    words = flat(pdftext(out))
    assert "0 PDU inspections pooled" in words
    assert "no PDU inspection of Dyfed is in the hub" in words
    assert "victim contact" in words.casefold()  # its own sample is still reported
