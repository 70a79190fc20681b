"""`probdesk send-back`, run as the team lead runs it, on the demo's fictional inspection.

The command line in this process (tests/support/cli_support.py) on a copy of the demo:
the team lead's data folder, the assessors' laptops and their exports in the shared folder. No
command may show a traceback.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import cli_support
import pytest
from cli_support import Ran
from demos import Demos

from probdesk.domain.records import Case, CaseStatus
from probdesk.paths import Paths
from probdesk.services.demo import DemoResult
from probdesk.services.fieldwork import Fieldwork
from probdesk.services.workspace import Workspace

FINGERPRINT = r"[0-9a-f]{4}( [0-9a-f]{4}){7}"


def run(*args: str | Path) -> Ran:
    done = cli_support.run(*args)
    assert "Traceback" not in done.stderr, done.stderr
    assert "unexpected error" not in done.stderr, done.stderr
    return done


def line_value(text: str, prefix: str) -> str:
    [value] = [line.split(prefix, 1)[1].strip() for line in text.splitlines() if prefix in line]
    return value


@pytest.fixture(scope="module")
def built_demo(demos: Demos) -> DemoResult:
    """Built once per session (tests/support/demos.py): each test copies it."""
    return demos.build(2)


@pytest.fixture
def demo(built_demo: DemoResult, tmp_path: Path) -> Path:
    out = tmp_path / "demo"
    shutil.copytree(built_demo.out, out)
    return out


def cases_of(data: Path, assessor: str) -> list[Case]:
    paths = Paths.resolve(data)
    ws = Workspace.open(paths)
    try:
        [inspection] = ws.inspections()
        return [c for c in ws.cases(inspection.id) if c.assessor == assessor]
    finally:
        ws.close()


def send_back(demo: Path, *args: str | Path) -> Ran:
    return run("--data-dir", demo / "lead", "send-back", "--to", demo / "shared", *args)


def sendbacks(demo: Path) -> list[Path]:
    return sorted((demo / "shared").glob("pd-sendback-*.pdpkg"))


def test_send_back_reaches_the_assessor_at_their_next_sync(demo: Path) -> None:
    first, second, third = cases_of(demo / "lead", "AB")[:3]
    done = send_back(
        demo, "--assessor", "AB",
        "--comment", f"{first.reference}:Say where the risk assessment was found.",
        "--comment", f"{third.reference}:The contingency plan: is it in the record?",
        "--return", second.reference, "--return", second.reference,
        "--note", "Thorough notes overall.",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    pack = Path(line_value(done.stdout, "send-back pack:"))
    assert pack.exists() and pack.parent == demo / "shared"
    assert re.fullmatch(r"pd-sendback-[0-9a-f-]{36}\.pdpkg", pack.name)
    assert sendbacks(demo) == [pack]
    assert re.search(
        rf"^3 comments, 1 case returned, for AB's laptop \(key {FINGERPRINT}\)$",
        done.stdout,
        re.MULTILINE,
    )

    # Only AB's laptop opens it.
    done = run("--data-dir", demo / "cd", "sync", demo / "shared")
    assert done.returncode == 0, done.stderr
    assert "comments from" not in done.stdout
    done = run("--data-dir", demo / "ab", "sync", demo / "shared")
    assert done.returncode == 0, done.stderr
    assert re.search(
        rf"comments from the team lead \({FINGERPRINT}\): 3 comments, 1 case returned",
        done.stdout,
    )
    paths = Paths.resolve(demo / "ab")
    ws = Workspace.open(paths)
    try:
        fw = Fieldwork(ws, paths)
        iid = first.inspection_id
        assert ws.case(second.id).status is CaseStatus.RETURNED
        assert ws.case(first.id).status is not CaseStatus.RETURNED
        assert [c.text for c in fw.comments(iid, first.id)] == [
            "Say where the risk assessment was found."
        ]
        assert [c.text for c in fw.comments(iid, third.id)] == [
            "The contingency plan: is it in the record?"  # only the first colon splits
        ]
        general = [c for c in fw.comments(iid) if c.case_id is None]
        assert [(c.text, c.author) for c in general] == [("Thorough notes overall.", "TL")]
    finally:
        ws.close()
    done = run("--data-dir", demo / "ab", "sync", demo / "shared")
    assert "comments from" not in done.stdout  # opened once


def test_refusals_name_what_is_wrong_and_write_nothing(demo: Path) -> None:
    ab = cases_of(demo / "lead", "AB")[0]
    cd = cases_of(demo / "lead", "CD")[0]

    done = send_back(demo, "--assessor", "ZZ", "--return", ab.reference)
    assert done.returncode == 2
    assert "No export from 'ZZ'" in done.stderr
    assert "exports were found from AB, CD, EF" in done.stderr

    done = send_back(demo, "--assessor", "AB", "--comment", "X999999:Where is this?")
    assert done.returncode == 2
    assert "No case with reference 'X999999'" in done.stderr

    done = send_back(demo, "--assessor", "AB", "--return", "X999998")
    assert done.returncode == 2
    assert "'X999998'" in done.stderr

    done = send_back(demo, "--assessor", "AB", "--return", cd.reference)
    assert done.returncode == 2
    assert f"Case {cd.reference} is assigned to CD, not AB" in done.stderr

    done = send_back(demo, "--assessor", "AB", "--comment", "no colon here")
    assert done.returncode == 2
    assert "CASE_REF:TEXT" in done.stderr

    done = send_back(demo, "--assessor", "AB")
    assert done.returncode == 2
    assert "at least one --comment, --note or --return" in done.stderr

    done = run(
        "--data-dir", demo / "lead", "send-back", "--to", demo / "unplugged",
        "--assessor", "AB", "--note", "Hello",
    )  # fmt: skip
    assert done.returncode == 2
    assert "not reachable" in done.stderr

    assert sendbacks(demo) == []
    # A name in another case finds the same laptop.
    done = send_back(demo, "--assessor", "ab", "--return", ab.reference.lower())
    assert done.returncode == 0, done.stderr
    assert "0 comments, 1 case returned, for AB's laptop" in done.stdout
    assert len(sendbacks(demo)) == 1


def test_help() -> None:
    done = run("send-back", "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: probdesk send-back")
    for flag in ("--to SHARED", "--assessor NAME", "--comment CASE_REF:TEXT", "--note TEXT",
                 "--return CASE_REF", "--inspection ID"):  # fmt: skip
        assert flag in done.stdout
    done = run("--help")
    assert "send-back" in done.stdout
