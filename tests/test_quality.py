"""The project's own rules, checked by `make test`: lint, types, no case content in logs."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from probdesk import logsetup
from probdesk.paths import Paths
from probdesk.services.fieldwork import Fieldwork
from probdesk.services.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: `make test` installs the dev extras")
    return found


def test_ruff_finds_nothing() -> None:
    run = subprocess.run(
        [_tool("ruff"), "check", "probdesk", "tests", "benchmarks", "packaging", "setup.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_pure_layers_type_check_strictly() -> None:
    run = subprocess.run([_tool("mypy")], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_log_never_holds_case_content(tmp_path: Path) -> None:
    """References, facts, answers and notes stay out of the log, even when things go wrong."""
    paths = Paths.resolve(tmp_path / "data").ensure()
    handler = logsetup.configure(paths)
    reference, note = "ZZREF9137", "NOTE-TEXT-about-the-person-4711"
    ws = Workspace.open(paths)
    try:
        ws.set_identity("AB", "inspector")
        inspection = ws.create_inspection(
            "South West", "Plymouth", date(2026, 11, 2), date(2026, 11, 6),
            ROOT / "question_sets" / "dipp-public-protection.yaml",
        )  # fmt: skip
        facts = {
            "sentence_type": "licence", "contact_suspended": "no", "rosh_level": "high",
            "domestic_abuse": "yes", "child_safeguarding": "no", "mappa_eligible": "no",
            "tier": "B2", "practitioner_grade": "po",
        }  # fmt: skip
        case = ws.add_case(inspection.id, reference, facts)
        ws.record_answer(case.id, "C1", "yes", note)
        fw = Fieldwork(ws, paths)
        # An export that cannot reach the team lead, and a copy to a missing folder: both log.
        with pytest.raises(Exception, match="team lead"):
            fw.export(inspection.id, tmp_path / "missing")
    finally:
        ws.close()
        handler.flush()
    text = paths.log_file.read_text(encoding="utf-8")
    assert "inspection" in text  # the log is written at all
    for secret in (reference, note, "Plymouth", "licence"):
        assert secret not in text, f"{secret!r} reached the log"
