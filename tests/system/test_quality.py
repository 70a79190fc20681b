"""The project's own rules, checked by `make test`: lint, types, no case content in logs."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
import tokenize
from datetime import date
from pathlib import Path

import pytest

from probdesk import logsetup
from probdesk.paths import Paths
from probdesk.services.fieldwork import Fieldwork
from probdesk.services.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
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


def test_the_listed_modules_type_check_strictly() -> None:
    """mypy --strict over pyproject.toml's [tool.mypy] files (most of the package)."""
    run = subprocess.run([_tool("mypy")], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


# `# type: ignore[code]  # why`: which error is silenced, and why, on the same line.
_IGNORE = re.compile(r"#\s*type:\s*ignore\b(?P<codes>\[[^\]]*\])?(?P<rest>.*)")
_EXPLAINED = re.compile(r"\[\s*[\w-]+(\s*,\s*[\w-]+)*\s*\]\s+#\s*\S")


def unexplained_ignores(source: str) -> list[tuple[int, str]]:
    """(line, comment) of each `type: ignore` comment in `source` that names no error code
    or gives no reason after it."""
    found = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type != tokenize.COMMENT:
            continue
        m = _IGNORE.search(tok.string)
        if m is None:
            continue
        codes = m["codes"] or ""
        ok = bool(codes.strip("[] ")) and _EXPLAINED.match(codes + m["rest"]) is not None
        if not ok:
            found.append((tok.start[0], tok.string))
    return found


def test_unexplained_ignores_are_found() -> None:
    source = (
        "a = 1  # type: ignore\n"
        "b = 2  # type: ignore[assignment]\n"
        "c = 3  # type: ignore[assignment]  # Qt's stub says object\n"
        "d = 4  # type: ignore[arg-type, union-attr]  # the stub lacks Unpack\n"
        "e = 5  # type: ignore[]  # a reason but no code\n"
        "f = '# type: ignore'  # inside a string: not a comment\n"
    )
    assert [n for n, _ in unexplained_ignores(source)] == [1, 2, 5]


def test_every_type_ignore_in_the_package_names_its_error_and_why() -> None:
    """Anywhere in probdesk/, a `type: ignore` names the error it silences and says why on
    the same line, as in `# type: ignore[override]  # Qt's signature differs`."""
    bad = []
    for path in sorted((ROOT / "probdesk").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        source = path.read_text(encoding="utf-8")
        for n, comment in unexplained_ignores(source):
            bad.append(f"{rel}:{n}: {comment}")
    assert not bad, "type: ignore without an error code and a reason:\n" + "\n".join(bad)


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
