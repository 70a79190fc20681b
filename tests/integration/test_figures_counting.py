"""Figures that say what they count (#16, parts 2-4): by default only finished cases count;
provisional figures count every answered case and say so everywhere; answered N/A, did not
apply and not answered are counted apart; a question set's minimum base and publication level
show on every figure; the summary's JSON and CSV carry standards, bands and what is counted;
a closed pipe ends quietly.

The hub is filled straight with rows (hubfill), with cases in every status, from a copy of
pdu-core that sets a minimum base of 10 and publishes by region."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import rawdb
from cli_support import run_in as run
from hubfill import counting_set, fill_hub, flat, pdftext

from probdesk.domain.questionset import NOT_FOR_PUBLICATION
from probdesk.paths import Paths
from probdesk.services import figures, reports
from probdesk.services.workspace import Workspace

REGION = "Gogledd Cymru"
# Two PDUs whose names share their first 30 characters: a table must still tell them apart.
PDUS = ("Gwasanaeth Prawf Gogledd Cymru Dwyrain", "Gwasanaeth Prawf Gogledd Cymru Gorllewin")
# Seven in turn (two PDUs in turn): each PDU gets cases of every status.
STATUSES = (
    "submitted",
    "approved",
    "in_progress",
    "returned",
    "not_started",
    "locked",
    "submitted",
)
FINISHED = {"submitted", "approved", "locked"}
CASES = 60
# Between a PDU's finished cases (about 17) and the region's (about 34): every PDU figure is
# below the minimum, no regional one.
MINIMUM = 25
LABELS = {"not_started": "not started", "in_progress": "in progress", "returned": "returned"}


def expected_statuses(pdu: str | None = None) -> Counter:
    """The cases of each status fill_hub gives (all, or one PDU's)."""
    return Counter(
        STATUSES[i % len(STATUSES)] for i in range(CASES) if pdu in (None, PDUS[i % len(PDUS)])
    )


def coverage_text(pdu: str | None = None) -> str:
    n = expected_statuses(pdu)
    counted, total = sum(n[s] for s in FINISHED), sum(n.values())
    waiting = ", ".join(f"{n[s]} {label}" for s, label in LABELS.items() if n[s])
    return (
        f"Counted: {counted} of {total} cases (submitted, approved or locked). "
        f"Not counted yet: {waiting}. No undecided conflicts."
    )


@dataclass
class World:
    root: Path
    url: str
    lead: Path
    inspection_id: str


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("counting")
    url = f"sqlite:///{root / 'hub.sqlite'}"
    hub = rawdb.hub(url)
    try:
        iid = fill_hub(
            hub, CASES, PDUS, region=REGION, question_set=str(counting_set(root, MINIMUM)),
            statuses=STATUSES,
        )  # fmt: skip
    finally:
        hub.close()
    lead = Paths.resolve(root / "lead").ensure()
    Workspace.open(lead).close()
    yield World(root, url, lead.data, iid)


def recount(hub: object, iid: str, by: str, provisional: bool) -> dict[tuple[str, str], Counter]:
    """Each figure's counts from the exported rows alone: the finished cases (provisional:
    every case with an answer)."""
    from probdesk.services import hub as hubs

    rows = hubs.export_rows(hub, iid, False)  # type: ignore[arg-type]
    answered = {r["case_ref"] for r in rows if r["answer"]}
    out: dict[tuple[str, str], Counter] = defaultdict(Counter)
    qs, _ = figures.load_cases(hub, iid)  # type: ignore[arg-type]
    counting = {q.id for q in qs.questions if q.counts}
    for r in rows:
        if r["question_id"] not in counting:
            continue
        if r["status"] not in FINISHED and not (provisional and r["case_ref"] in answered):
            continue
        c = out[(str(r[by]), str(r["question_id"]))]
        if r["applicable"] == "no":
            c["did_not_apply"] += 1
        elif r["answer"] == "na":
            c["na"] += 1
        elif r["answer"] in ("yes", "no"):
            c[str(r["answer"])] += 1
        else:
            c["not_answered"] += 1
    return out


@pytest.mark.parametrize("provisional", [False, True], ids=["final", "provisional"])
@pytest.mark.parametrize("by", ["pdu", "region"])
def test_figures_count_the_finished_cases_unless_provisional(
    world: World, by: str, provisional: bool
) -> None:
    hub = rawdb.hub(world.url)
    try:
        rows = figures.summarise(hub, world.inspection_id, by, provisional=provisional)
        expected = recount(hub, world.inspection_id, by, provisional)
        summary = figures.inspection_summary(hub, world.inspection_id, by, provisional=provisional)
    finally:
        hub.close()
    assert rows == summary.rows
    assert {(r.name, r.question_id) for r in rows} == set(expected)
    for r in rows:
        c = expected[(r.name, r.question_id)]
        assert (r.yes, r.no, r.not_applicable, r.did_not_apply, r.not_answered) == (
            c["yes"], c["no"], c["na"], c["did_not_apply"], c["not_answered"]
        ), r  # fmt: skip
        assert r.relevant == c["yes"] + c["no"]
    assert any(r.did_not_apply for r in rows) and any(r.not_applicable for r in rows)
    cov = summary.coverage
    assert cov.provisional is provisional and cov.cases == CASES
    n = expected_statuses()
    finished = sum(n[s] for s in FINISHED)
    if provisional:  # hubfill answers every case, so every case counts
        assert cov.counted == CASES and cov.provisional_unfinished == CASES - finished
        assert cov.text.startswith(f"PROVISIONAL figures: {CASES} of {CASES} cases counted")
    else:
        assert cov.counted == finished
        assert dict(cov.not_counted) == {label.capitalize(): n[s] for s, label in LABELS.items()}
        assert cov.text == coverage_text()


def test_unfinished_answers_change_only_the_provisional_figures(world: World) -> None:
    """The issue's case: an in-progress case's answers changed a standard's rating. Now the
    figures and the standards are exactly those of the finished cases alone, whatever the
    unfinished ones say; only the provisional figures count them."""
    hub = rawdb.hub(world.url)
    try:
        iid = world.inspection_id
        qs, cases = figures.load_cases(hub, iid)
        alone = (qs, [c for c in cases if c.status in FINISHED])  # the others left out
        final = figures.summarise(hub, iid, "region")
        final_std = figures.standards(hub, iid, "region")
        assert final == figures.summarise(hub, "", "region", loaded=alone, provisional=True)
        assert final_std == figures.standards(hub, "", "region", loaded=alone, provisional=True)
        provisional = figures.summarise(hub, iid, "region", provisional=True)
    finally:
        hub.close()
    relevant = {r.question_id: r.relevant for r in final}
    assert all(r.relevant >= relevant.get(r.question_id, 0) for r in provisional)
    assert any(r.relevant > relevant[r.question_id] for r in provisional)


def test_a_base_below_the_minimum_carries_a_caution_and_no_rating(world: World) -> None:
    hub = rawdb.hub(world.url)
    try:
        rows = figures.summarise(hub, world.inspection_id, "pdu")
        std, totals = figures.standards(hub, world.inspection_id, "pdu")
        region_std, _ = figures.standards(hub, world.inspection_id, "region")
    finally:
        hub.close()
    small = [r for r in rows if 0 < r.relevant < MINIMUM]
    assert small and any(r.key_question for r in small)  # variant-only key questions
    for r in rows:
        if 0 < r.relevant < MINIMUM:
            assert r.caution == f"base too small ({r.relevant} of at least {MINIMUM})"
            assert r.rating is None and r.percent is not None  # the percentage still shows
        else:
            assert r.caution == ""
            assert (r.rating is not None) == (r.key_question and r.relevant > 0)
    # A standard whose key questions include one below the base: no rating, and why.
    held = [s for s in std if s.caution]
    assert held and all(s.rating is None for s in held)
    assert all(s.caution.startswith("base too small (") for s in held)
    assert all(t.band is None for t in totals)  # an unrated standard leaves no band
    assert region_std and not any(s.caution for s in region_std)  # pooled: bases big enough
    assert all(s.rating is not None for s in region_std)


def test_pdu_figures_of_a_set_published_by_region_are_marked(world: World) -> None:
    hub = rawdb.hub(world.url)
    try:
        by_pdu = figures.summarise(hub, world.inspection_id, "pdu")
        by_region = figures.summarise(hub, world.inspection_id, "region")
        std, _ = figures.standards(hub, world.inspection_id, "pdu")
    finally:
        hub.close()
    assert {r.publication for r in by_pdu} == {NOT_FOR_PUBLICATION}
    assert {s.publication for s in std} == {NOT_FOR_PUBLICATION}
    assert {r.publication for r in by_region} == {""}
    assert NOT_FOR_PUBLICATION == "for the inspection team; not for publication"


# -- the command line ----------------------------------------------------------------------------


def summary(world: World, *args: str) -> tuple[str, str, int]:
    done = run(world.root, "--data-dir", world.lead, "summary", "--hub", world.url, *args)
    return done.stdout, done.stderr, done.returncode


def test_summary_json_carries_coverage_standards_bands_and_every_count(world: World) -> None:
    out, err, code = summary(world, "--by", "pdu", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["question_set"] == "pdu-core 2026.2-counting"
    assert doc["coverage"]["text"] == coverage_text() and doc["coverage"]["provisional"] is False
    n = expected_statuses()
    assert doc["coverage"]["not_counted"] == {
        label.capitalize(): n[s] for s, label in LABELS.items()
    }
    assert {o["name"] for o in doc["overall"]} == set(PDUS)
    assert {s["name"] for s in doc["standards"]} == set(PDUS)
    keys = {"relevant", "yes", "no", "not_applicable", "did_not_apply", "not_answered",
            "percent", "rating", "caution", "publication"}  # fmt: skip
    assert all(keys <= set(r) for r in doc["figures"])
    again, _, _ = summary(world, "--by", "pdu", "--format", "json")
    assert again == out  # byte for byte
    provisional, _, _ = summary(world, "--by", "pdu", "--format", "json", "--provisional")
    assert json.loads(provisional)["coverage"]["provisional"] is True


def test_summary_csv_is_one_table_with_a_record_column(world: World) -> None:
    out, err, code = summary(world, "--by", "region", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    kinds = Counter(r["record"] for r in rows)
    assert set(kinds) == {"figure", "standard", "overall"} and kinds["overall"] == 1
    overall = next(r for r in rows if r["record"] == "overall")
    assert overall["name"] == REGION and overall["band"] and overall["score"]
    standard = next(r for r in rows if r["record"] == "standard")
    assert standard["standard_id"] and standard["title"] and standard["question_id"] == ""
    assert err.strip() == coverage_text()  # what is counted, beside the table


def test_the_table_tells_every_group_apart_and_says_what_it_counts(world: World) -> None:
    out, err, code = summary(world, "--by", "pdu")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "question set: pdu-core 2026.2-counting"
    assert lines[1] == coverage_text()
    assert lines[2] == f"PDU figures: {NOT_FOR_PUBLICATION}."
    for pdu in PDUS:  # whole names, never cut to the same 27 characters
        assert any(line.startswith(f"pdu    {pdu}  ") for line in lines)
    head = next(line for line in lines if line.startswith("scope"))
    for column in ("relevant", "answered n/a", "did not apply", "not answered", "% yes"):
        assert column in head
    assert "base too small" in out and NOT_FOR_PUBLICATION in out
    assert f"{PDUS[1]}  overall:" in out  # the standards block, names whole too


def test_a_closed_pipe_ends_quietly(world: World) -> None:
    """`probdesk summary | head -1`: the reader goes away before the summary is written (its
    end of the pipe is closed before the command starts, so no pipe buffer, however large,
    hides the moment)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    cmd = [sys.executable, "-m", "probdesk", "--data-dir", str(world.lead), "summary",
           "--hub", world.url, "--by", "pdu", "--format", "json"]  # fmt: skip
    try:
        done = subprocess.run(
            cmd, stdout=write_end, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
            timeout=120, check=False,
        )  # fmt: skip
    finally:
        os.close(write_end)
    err = done.stderr.decode()
    assert err == "", err  # no "unexpected error (BrokenPipeError)", no traceback
    assert done.returncode == 141  # as a shell reports a program ended by a closed pipe
    # And with a reader, the same command prints the whole summary.
    whole = subprocess.run(cmd, capture_output=True, stdin=subprocess.DEVNULL, timeout=120)
    assert whole.returncode == 0 and json.loads(whole.stdout)["figures"]


# -- the reports -------------------------------------------------------------------------------


def test_reports_say_what_they_count_on_the_first_page(world: World, tmp_path: Path) -> None:
    hub = rawdb.hub(world.url)
    try:
        final = reports.build(
            hub, reports.ReportRequest(reports.PDU, tmp_path / "pdu.pdf", pdu=PDUS[0])
        )[0]
        provisional = reports.build(
            hub,
            reports.ReportRequest(reports.REGION, tmp_path / "region.pdf", provisional=True),
        )[0]
        rows = figures.summarise(hub, world.inspection_id, "pdu")
    finally:
        hub.close()
    pages = pdftext(final).split("\f")
    first = flat(pages[0])
    assert f"What these figures count: {coverage_text(PDUS[0])}" in first
    assert f"PDU figures: {NOT_FOR_PUBLICATION}." in first
    assert f"fewer than {MINIMUM} relevant cases carries a caution" in first
    for page in pages[:-1]:  # the running header of every page says so too
        assert NOT_FOR_PUBLICATION in flat(page)
    text = flat(pdftext(final))
    assert "base too small" in text
    key = next(r for r in rows if r.name == PDUS[0] and r.key_question and r.percent is not None)
    assert f"{key.percent:.1f}% of {key.relevant}" in text  # the chart prints each bar's base
    region_pages = pdftext(provisional).split("\f")
    assert "PROVISIONAL FIGURES." in flat(region_pages[0])
    assert all("PROVISIONAL figures: every answered case counted" in flat(p)
               for p in region_pages[:-1])  # fmt: skip
    assert f"The PDU figures below are {NOT_FOR_PUBLICATION}." in flat(pdftext(provisional))


def test_a_case_summary_says_whether_the_figures_count_it(world: World, tmp_path: Path) -> None:
    hub = rawdb.hub(world.url)
    try:
        cases = figures.load_cases(hub, world.inspection_id)[1]
        waiting = next(c for c in cases if c.status == "in_progress")
        done = next(c for c in cases if c.status == "approved")
        out = reports.build(
            hub,
            reports.ReportRequest(
                reports.CASES, tmp_path / "cases.pdf", refs=(waiting.reference, done.reference)
            ),
        )[0]
    finally:
        hub.close()
    text = flat(pdftext(out))
    assert "In the figures not counted yet: the case is in progress" in text
    assert "In the figures counted (finished)" in text
