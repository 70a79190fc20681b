"""The hub's command line as a team lead runs it: `python -m probdesk merge|summary|export-data`.

One demo folder per module (a team lead, three assessors, their packages in DIR/shared, already
merged into DIR/hub.sqlite by the demo). The commands run in this process
(tests/support/cli_support.py), except two merges at once, which are two real processes. No
command may show a traceback.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import pytest
import rawdb
from cli_support import run_in as run
from demos import Demos

from probdesk import bundled
from probdesk.paths import Paths
from probdesk.services import hub as hubs
from probdesk.services.demo import DemoResult
from probdesk.services.workspace import Workspace

SUMMARY_KEYS = {"scope", "name", "question_id", "relevant", "yes", "no", "not_applicable",
                "did_not_apply", "not_answered", "percent", "rating", "caution",
                "publication"}  # fmt: skip
EXPORT_COLUMNS = ["region", "pdu", "case_ref", "variant", "question_id", "answer",
                  "assessor_role", "status"]  # fmt: skip
STATES = ("merged", "already merged", "held", "rejected", "quarantined")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the default data folders point, so that nothing is written to the real home."""
    return tmp_path_factory.mktemp("home")


@pytest.fixture(scope="module")
def demo(demos: Demos, tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    result = demos.copy(11, tmp_path_factory.mktemp("demo") / "demo")  # built once per session
    assert result.hub is not None and result.hub.is_file()
    return result


def environment(home: Path) -> dict[str, str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(home)}
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[var] = str(home / var.lower())
    return env


def url(path: Path) -> str:
    return f"sqlite:///{path}"


def copy_shared(demo: DemoResult, to: Path) -> Path:
    """A copy of the demo's shared folder, without the receipts the demo's merge wrote."""
    shutil.copytree(demo.shared, to, ignore=shutil.ignore_patterns("receipts"))
    return to


def merge_lines(stdout: str) -> tuple[dict[str, str], str]:
    """{file name: state} from the per-package lines, and the tally line."""
    *lines, tally = stdout.strip().splitlines()
    states = {}
    for line in lines:
        state = next(s for s in STATES if line.startswith(f"{s} "))
        name = line[len(state) :].strip().split(": ", 1)[0]
        states[name] = state
    return states, tally


def tally(
    merged: int = 0, already: int = 0, rejected: int = 0, quarantined: int = 0, held: int = 0
) -> str:
    return (
        f"{merged} merged, {already} already merged, {held} held, {rejected} rejected, "
        f"{quarantined} quarantined"
    )


# -- merge -------------------------------------------------------------------------------------


def test_merge_reports_each_package_and_a_second_run_finds_them_merged(
    demo: DemoResult, home: Path
) -> None:
    names = sorted(p.name for p in demo.packages)
    first = run(home, "--data-dir", demo.lead, "merge", demo.shared)
    assert first.returncode == 0, first.stderr
    states, last = merge_lines(first.stdout)
    assert states == dict.fromkeys(names, "merged")  # the setup pack gets no line
    assert last == tally(merged=3)
    for line in first.stdout.splitlines()[:-1]:
        pattern = r": \d+ answers, (\d+ case changes, )?\d+ cases, \d+ meeting notes, \d+ meetings$"
        assert re.search(pattern, line), line
    assert (demo.lead / "hub.sqlite").is_file()  # the data folder's hub by default

    second = run(home, "--data-dir", demo.lead, "merge", demo.shared)
    assert second.returncode == 0, second.stderr
    states, last = merge_lines(second.stdout)
    assert states == dict.fromkeys(names, "already merged")
    assert last == tally(already=3)
    # The hub the demo merged into knows them too.
    third = run(home, "--data-dir", demo.lead, "merge", demo.shared, "--hub", url(demo.hub))
    assert merge_lines(third.stdout) == (dict.fromkeys(names, "already merged"), tally(already=3))


def test_two_merge_commands_at_once_merge_each_package_once(
    demo: DemoResult, home: Path, tmp_path: Path
) -> None:
    shared = copy_shared(demo, tmp_path / "shared")
    hub_url = url(tmp_path / "hub.sqlite")
    env = environment(home)
    cmd = [sys.executable, "-m", "probdesk", "--data-dir", str(demo.lead), "merge", str(shared),
           "--hub", hub_url]  # fmt: skip
    procs = [
        subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    merged: Counter[str] = Counter()
    for p, (out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err
        assert "Traceback" not in err
        states, _ = merge_lines(out)
        assert set(states) == {pkg.name for pkg in demo.packages}
        assert set(states.values()) <= {"merged", "already merged"}
        merged.update(n for n, s in states.items() if s == "merged")
    assert merged == dict.fromkeys((pkg.name for pkg in demo.packages), 1)
    hub, single = hubs.open_hub(demo.lead, hub_url), rawdb.hub(url(demo.hub))
    try:
        assert hub.counts() == single.counts()
        assert hub.counts()["hub_package"] == len(demo.packages)
    finally:
        hub.close()
        single.close()
    receipts = sorted(p.name for p in (shared / "receipts").iterdir())
    assert len(receipts) == len(demo.packages)


# -- summary -------------------------------------------------------------------------------------


def test_summary_as_json_is_stable_and_complete(demo: DemoResult, home: Path) -> None:
    args = (
        "--data-dir",
        demo.lead,
        "summary",
        "--hub",
        url(demo.hub),
        "--by",
        "region",
        "--format",
        "json",
    )
    first, second = run(home, *args), run(home, *args)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout  # byte for byte
    doc = json.loads(first.stdout)
    assert set(doc) == {"question_set", "coverage", "figures", "standards", "overall", "left_out"}
    rows = doc["figures"]
    assert rows
    cov = doc["coverage"]
    # The demo submits two cases in three: the rest are counted nowhere yet, and it says so.
    assert 0 < cov["counted"] < cov["cases"] and cov["provisional"] is False
    assert sum(cov["not_counted"].values()) == cov["cases"] - cov["counted"]
    assert cov["text"].startswith(f"Counted: {cov['counted']} of {cov['cases']} cases")
    assert doc["question_set"].startswith("dipp-public-protection ")
    assert doc["standards"] == [] and doc["overall"] == []  # the dipp set does not rate
    for r in rows:
        assert set(r) >= SUMMARY_KEYS
        assert r["scope"] == "region" and r["name"] == "South West"
        assert r["relevant"] == r["yes"] + r["no"]
        if r["relevant"] == 0:
            assert r["percent"] is None
        else:
            assert r["percent"] == (1000 * r["yes"] // r["relevant"]) / 10
    for fmt in ("table", "csv"):
        done = run(
            home,
            "--data-dir",
            demo.lead,
            "summary",
            "--hub",
            url(demo.hub),
            "--by",
            "pdu",
            "--format",
            fmt,
        )
        assert done.returncode == 0, done.stderr
        for pdu in ("Plymouth", "Devon & Torbay", "Cornwall & Isles of Scilly"):
            assert pdu in done.stdout


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_summary_matches_a_recount_from_export_data(
    demo: DemoResult, home: Path, tmp_path: Path
) -> None:
    """Variants, conditions and N/A answers: every figure recounted from the exported rows."""
    out = tmp_path / "rows.csv"
    done = run(
        home,
        "--data-dir",
        demo.lead,
        "export-data",
        "--hub",
        url(demo.hub),
        "--format",
        "csv",
        "--out",
        out,
    )
    assert done.returncode == 0, done.stderr
    rows = read_csv(out)
    assert done.stdout.strip() == f"{len(rows)} rows written to {out}"
    for by in ("pdu", "region"):
        done = run(
            home,
            "--data-dir",
            demo.lead,
            "summary",
            "--hub",
            url(demo.hub),
            "--by",
            by,
            "--format",
            "json",
        )
        summary = json.loads(done.stdout)["figures"]
        counted = {s["question_id"] for s in summary}
        recount: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        for r in rows:
            if r["question_id"] not in counted:
                continue  # not a yes/no question: not in the figures
            if r["status"] not in ("submitted", "approved", "locked"):
                continue  # not finished: not counted yet
            c = recount[(r[by], r["question_id"])]
            if r["applicable"] == "no":
                c["did_not_apply"] += 1
            elif r["answer"] == "na":
                c["na"] += 1
            elif r["answer"] in ("yes", "no"):
                c[r["answer"]] += 1
            else:
                c["unanswered"] += 1
        assert {(s["name"], s["question_id"]) for s in summary} == set(recount)
        for s in summary:
            c = recount[(s["name"], s["question_id"])]
            assert (s["yes"], s["no"], s["not_applicable"]) == (c["yes"], c["no"], c["na"]), s
            assert (s["did_not_apply"], s["not_answered"]) == (
                c["did_not_apply"],
                c["unanswered"],
            ), s
            relevant = c["yes"] + c["no"]  # N/A is not in the denominator
            assert s["relevant"] == relevant
            assert s["percent"] == (None if not relevant else (1000 * c["yes"] // relevant) / 10)
        assert any(s["not_applicable"] and s["relevant"] for s in summary)


# -- export-data ---------------------------------------------------------------------------------


def test_export_data_as_csv(demo: DemoResult, home: Path, tmp_path: Path) -> None:
    """(The XLSX workbook, and its Answers sheet against these rows: test_cli_workbook.py.)"""
    got: dict[tuple[str, bool], list[dict[str, str]]] = {}
    for fmt in ("csv",):
        for notes in (False, True):
            out = tmp_path / f"rows-{notes}.{fmt}"
            args = [
                "--data-dir",
                demo.lead,
                "export-data",
                "--hub",
                url(demo.hub),
                "--format",
                fmt,
                "--out",
                out,
            ]
            done = run(home, *args, *(["--with-notes"] if notes else []))
            assert done.returncode == 0, done.stderr
            rows = read_csv(out)
            assert done.stdout.strip() == f"{len(rows)} rows written to {out}"
            got[(fmt, notes)] = rows
    for (fmt, notes), rows in got.items():
        columns = list(rows[0])
        assert [c for c in columns if c in EXPORT_COLUMNS] == EXPORT_COLUMNS, fmt
        assert ("note" in columns) == notes, (fmt, notes)
        assert {r["pdu"] for r in rows} == {
            "Plymouth",
            "Devon & Torbay",
            "Cornwall & Isles of Scilly",
        }
        assert {r["region"] for r in rows} == {"South West"}
        assert {r["assessor_role"] for r in rows} <= {"inspector", "local_assessor"}
        assert {r["status"] for r in rows} >= {"submitted", "in_progress"}
        assert len({r["case_ref"] for r in rows}) == 60
    assert any(r["note"] for r in got[("csv", True)])  # the demo writes some evidence notes
    assert [{k: v for k, v in r.items() if k != "note"} for r in got[("csv", True)]] == got[
        ("csv", False)
    ]


# -- choosing the inspection ---------------------------------------------------------------------


def test_a_hub_with_two_inspections_asks_which(
    demo: DemoResult, home: Path, tmp_path: Path
) -> None:
    lead = tmp_path / "lead"
    shutil.copytree(demo.lead, lead)
    paths = Paths.resolve(lead)
    ws = Workspace.open(paths)
    try:
        other = ws.create_inspection(
            "North East", "Durham", date(2027, 1, 11), date(2027, 1, 15),
            bundled.question_sets_dir() / "pdu-core.yaml",
        )  # fmt: skip
        first = next(i.id for i in ws.inspections() if i.id != other.id)
    finally:
        ws.close()
    hub_url = url(tmp_path / "hub.sqlite")
    done = run(
        home, "--data-dir", lead, "merge", copy_shared(demo, tmp_path / "s"), "--hub", hub_url
    )
    assert done.returncode == 0, done.stderr
    ids = sorted([first, other.id])

    for args in (
        ("--data-dir", lead, "summary", "--hub", hub_url, "--format", "json"),
        ("--data-dir", lead, "export-data", "--hub", hub_url, "--out", tmp_path / "rows.csv"),
    ):
        done = run(home, *args)
        assert done.returncode == 2, done.stdout
        assert done.stdout == ""
        assert "--inspection" in done.stderr
        assert all(i in done.stderr for i in ids), done.stderr
    assert not (tmp_path / "rows.csv").exists()

    chosen = run(
        home,
        "--data-dir",
        demo.lead,
        "summary",
        "--hub",
        hub_url,
        "--format",
        "json",
        "--inspection",
        first,
    )
    assert chosen.returncode == 0, chosen.stderr
    same = run(home, "--data-dir", demo.lead, "summary", "--hub", url(demo.hub), "--format", "json")
    assert chosen.stdout == same.stdout
    # The inspection without packages has nothing to summarise yet.
    empty = run(
        home,
        "--data-dir",
        demo.lead,
        "summary",
        "--hub",
        hub_url,
        "--format",
        "json",
        "--inspection",
        other.id,
    )
    assert empty.returncode == 0 and json.loads(empty.stdout)["figures"] == []
    assert json.loads(empty.stdout)["coverage"]["cases"] == 0
    unknown = run(
        home,
        "--data-dir",
        demo.lead,
        "summary",
        "--hub",
        hub_url,
        "--inspection",
        "no-such-inspection",
    )
    assert unknown.returncode == 2 and "no-such-inspection" in unknown.stderr


@pytest.mark.parametrize("command", ["merge", "summary", "export-data"])
def test_help(command: str, home: Path) -> None:
    done = run(home, command, "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: probdesk {command}")
    assert "--hub" in done.stdout


def test_merge_of_a_missing_folder_is_a_plain_error(
    demo: DemoResult, home: Path, tmp_path: Path
) -> None:
    done = run(home, "--data-dir", demo.lead, "merge", tmp_path / "nowhere",
               "--hub", url(tmp_path / "hub.sqlite"))  # fmt: skip
    assert done.returncode == 2
    assert "not reachable" in done.stderr
