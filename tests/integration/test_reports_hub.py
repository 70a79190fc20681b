"""Reports from a real hub, read back as a reader sees them.

Every answer and note of a case is in its summary; every percentage in the PDU and regional
reports equals the one `probdesk summary` prints; the CLI's report commands and their bad
inputs; the demo leaves real PDFs; a 1,000-case regional report.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import rawdb
from cli_support import Ran
from cli_support import run_in as run
from demos import Demos
from hubfill import NOTE, fill_hub, flat, pdftext  # noqa: F401

from probdesk.domain.questionset import NA
from probdesk.hub.store import Hub
from probdesk.services import hub as hubs
from probdesk.services import reports
from probdesk.services.demo import DemoResult


@pytest.fixture(scope="module")
def demo(demos: Demos, tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    """A copy for this module of the demo built once per session (tests/support/demos.py)."""
    return demos.copy(5, tmp_path_factory.mktemp("rdemo") / "demo")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("home")


@pytest.fixture()
def hub(demo: DemoResult) -> Iterator[Hub]:
    assert demo.hub is not None
    h = rawdb.hub(f"sqlite:///{demo.hub}")
    yield h
    h.close()


def pages(path: Path) -> list[str]:
    return pdftext(path).split("\f")[:-1]


def cli(home: Path, *args: str | Path) -> Ran:
    """The command line, in this process (test_cli_hub.run: also fails on any traceback)."""
    return run(home, *args)


# -- case summaries ------------------------------------------------------------------------------


def test_a_case_summary_holds_every_answer_and_note_of_the_case(
    hub: Hub, demo: DemoResult, tmp_path: Path
) -> None:
    qs, cases = hubs.load_cases(hub, demo.inspection_id)
    case = max(cases, key=lambda c: (len(c.notes), len(c.answers)))  # the fullest case
    assert case.answers and case.notes
    source = reports.ReportSource(hub, demo.inspection_id)
    out = reports.write_case(source, case.reference, tmp_path / "case.pdf")
    text = flat(pdftext(out))
    assert case.reference in text and case.pdu in text and case.region in text
    for qid, value in case.answers.items():
        q = qs.question(qid)
        assert qid in text
        shown = "Not applicable" if value == NA else q.label_of(value)
        assert re.search(rf"{re.escape(qid)}\b.*?{re.escape(shown)}", text), (qid, shown)
    for note in case.notes.values():
        assert flat(note) in text
    applicable = qs.applicable(case.variant, case.facts, case.answers)
    unanswered = [
        q.id
        for s in qs.sections_for(case.variant)
        for q in s.questions
        if q.id in applicable and q.id not in case.answers
    ]
    assert text.count("Not answered") >= len(unanswered)
    assert f"{qs.id} {qs.version}" in text
    for page in pages(out):
        assert page.count("OFFICIAL-SENSITIVE") >= 2  # top and bottom of every page


def test_a_case_with_nothing_answered_still_prints_every_question_as_not_answered(
    hub: Hub, demo: DemoResult, tmp_path: Path
) -> None:
    qs, cases = hubs.load_cases(hub, demo.inspection_id)
    empty = next(c for c in cases if not c.answers)  # each assessor left one case unstarted
    source = reports.ReportSource(hub, demo.inspection_id)
    out = reports.write_case(source, empty.reference, tmp_path / "empty.pdf", "OFFICIAL")
    text = flat(pdftext(out))
    asked = [q for s in qs.sections_for(empty.variant) for q in s.questions]
    applicable = qs.applicable(empty.variant, empty.facts, {})
    assert text.count("Not answered") >= sum(q.id in applicable for q in asked)
    assert "OFFICIAL-SENSITIVE" not in text and "OFFICIAL" in text
    assert "Did not apply" in text or len(applicable) == len(asked)


def test_bulk_case_summaries_for_a_pdu_in_one_pdf_and_one_per_case(
    hub: Hub, demo: DemoResult, tmp_path: Path
) -> None:
    source = reports.ReportSource(hub, demo.inspection_id)
    pdu = source.pdus[1]
    refs = sorted(c.reference for c in source.cases if c.pdu == pdu)
    (one,) = reports.write_cases(source, tmp_path / "pdu-cases.pdf", pdu=pdu)
    text = pdftext(one)
    contents = text.split("\f")[0]
    for ref in refs:
        assert ref in contents, f"{ref} missing from the contents page"
    assert all(flat(text).count(ref) >= 2 for ref in refs)  # contents and its own pages
    files = reports.write_cases(source, tmp_path / "each", pdu=pdu, folder=True)
    assert len(files) == len(refs)
    for n, (f, ref) in enumerate(zip(sorted(files), refs, strict=True), 1):
        assert f.name == f"case-{n:03d}.pdf" and ref in pdftext(f)  # the reference inside only
    named = reports.write_cases(source, tmp_path / "named", pdu=pdu, folder=True, by_reference=True)
    for f, ref in zip(sorted(named), refs, strict=True):
        assert ref in f.name and ref in pdftext(f)


def test_unknown_case_references_and_pdus_are_refused_with_what_is_wrong(
    hub: Hub, demo: DemoResult, tmp_path: Path
) -> None:
    from probdesk.errors import InputError

    source = reports.ReportSource(hub, demo.inspection_id)
    with pytest.raises(InputError, match=r"No case NOPE-1"):
        reports.write_case(source, "NOPE-1", tmp_path / "x.pdf")
    with pytest.raises(InputError, match=r"No PDU 'Atlantis'.*Plymouth"):
        reports.write_summary(source, "pdu", tmp_path / "y.pdf", "Atlantis")
    assert not list(tmp_path.iterdir())


# -- summary reports against the summary command ---------------------------------------------------


def _row_line(text: str, qid: str) -> str:
    """The table line that starts with the question id (layout mode keeps a row on a line)."""
    for line in text.splitlines():
        if re.match(rf"\s*{re.escape(qid)}\s", line):
            return line
    raise AssertionError(f"no table row for {qid}")


@pytest.mark.parametrize("scope", ["pdu", "region"])
def test_summary_reports_print_the_summary_commands_figures(
    demo: DemoResult, home: Path, tmp_path: Path, scope: str
) -> None:
    lead = demo.lead
    hub = f"--hub=sqlite:///{demo.hub}"
    done = cli(home, "--data-dir", lead, "summary", hub, "--by", scope, "--format", "json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)["figures"]
    names = sorted({r["name"] for r in rows})
    assert names  # the demo submits two cases in three: there are figures
    for name in names[:2]:
        out = tmp_path / f"{scope}-{reports.safe_name(name)}.pdf"
        args = ["report", scope, *([name] if scope == "pdu" else []), "--out", out]
        made = cli(home, "--data-dir", lead, args[0], hub, *args[1:])
        assert made.returncode == 0, made.stderr
        assert str(out) in made.stdout
        text = pdftext(out)
        section = text.split("Percentages by question", 1)[1]  # the table, after the charts
        for r in (r for r in rows if r["name"] == name):
            pct = "–" if r["percent"] is None else f"{r['percent']:.1f}%"
            line = _row_line(section, r["question_id"])
            after_text = line.split(r["question_id"], 1)[1]
            numbers = [int(n) for n in re.findall(r"(?<![\d.])\d+(?![\d.%])", after_text)]
            expected = [r["relevant"], r["yes"], r["no"], r["not_applicable"],
                        r["did_not_apply"], r["not_answered"]]  # fmt: skip
            assert numbers[-6:] == expected, (r, line)
            assert pct in line, (r, line)
        if scope == "region":
            for pdu in json.loads(
                cli(
                    home, "--data-dir", lead, "summary", hub, "--by", "pdu", "--format", "json"
                ).stdout
            )["figures"]:
                assert pdu["name"] in text


def test_report_command_bad_inputs_say_what_is_wrong(
    demo: DemoResult, home: Path, tmp_path: Path
) -> None:
    lead = demo.lead
    hub = f"--hub=sqlite:///{demo.hub}"
    no_name = cli(home, "--data-dir", lead, "report", hub, "pdu", "--out", tmp_path / "a.pdf")
    assert no_name.returncode != 0 and "Name one PDU" in no_name.stderr
    unknown = cli(
        home, "--data-dir", lead, "report", hub, "case", "ZZ-404", "--out", tmp_path / "b.pdf"
    )
    assert unknown.returncode != 0 and "No case ZZ-404" in unknown.stderr
    assert "Traceback" not in no_name.stderr + unknown.stderr
    assert not list(tmp_path.iterdir())
    marked = cli(
        home,
        "--data-dir",
        lead,
        "report",
        hub,
        "region",
        "--marking",
        "OFFICIAL",
        "--out",
        tmp_path / "r.pdf",
    )
    assert marked.returncode == 0, marked.stderr
    assert all("OFFICIAL" in p and "OFFICIAL-SENSITIVE" not in p for p in pages(tmp_path / "r.pdf"))


def test_the_demo_leaves_real_pdfs_to_open(demo: DemoResult) -> None:
    assert demo.reports, "the demo wrote no reports"
    names = {p.name for p in demo.reports}
    assert "region-summary.pdf" in names
    assert sum(n.startswith("pdu-") for n in names) == 3
    assert sum(n.startswith("case-") for n in names) == 1
    assert "case-summary.pdf" in names  # no case reference in any file name
    hub = rawdb.hub(f"sqlite:///{demo.hub}")
    try:
        refs = {c.reference for c in hub.cases_of(demo.inspection_id)}
    finally:
        hub.close()
    assert refs and not any(ref in n for ref in refs for n in names)
    for p in demo.reports:
        assert p.parent == demo.out / "reports" and p.read_bytes().startswith(b"%PDF")
        assert "OFFICIAL-SENSITIVE" in pdftext(p)


# -- a 1,000-case regional report --------------------------------------------------------------


def test_a_regional_report_of_a_thousand_cases(tmp_path: Path) -> None:
    pdus = ("Ynys Môn a Gwynedd", "Conwy a Sir Ddinbych", "Wrecsam a Sir y Fflint")
    hub = rawdb.hub(f"sqlite:///{tmp_path / 'hub.sqlite'}")
    try:
        inspection_id = fill_hub(hub, 1000, pdus)
        source = reports.ReportSource(hub, inspection_id)
        out = reports.write_summary(source, "region", tmp_path / "region.pdf")
        expected = [r for r in hubs.summarise(hub, inspection_id, "region")]
    finally:
        hub.close()
    text = pdftext(out)
    table = text.split("Percentages by question", 1)[1]
    assert "1000" in flat(text) or "1,000" in flat(text)
    for pdu in pdus:
        assert pdu in text  # Welsh names with their circumflex intact
    for r in expected:
        line = _row_line(table, r.question_id)
        shown = "–" if r.percent is None else f"{r.percent:.1f}%"
        assert shown in line and str(r.relevant) in line, (r, line)
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True).stdout
    n_pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))  # type: ignore[union-attr]
    assert f"Page {n_pages} of {n_pages}" in text
