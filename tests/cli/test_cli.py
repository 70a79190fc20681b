"""The command line: `probdesk.cli.main(argv)` in this process (tests/support/cli_support.py), and a
few smoke tests of the real entry points in a subprocess (`python -m probdesk`, the `probdesk`
script, a crash)."""

from __future__ import annotations

import importlib.metadata
import logging
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from cli_support import run

import probdesk
from probdesk import _version, bundled, cli

ROOT = Path(__file__).resolve().parents[2]
DIPP = bundled.question_sets_dir() / "dipp-public-protection.yaml"
PDU = bundled.question_sets_dir() / "pdu-core.yaml"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))


def in_a_process(*args: str | Path, program: str | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m probdesk ARGS` (or the installed `probdesk` script) in a real process."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    command = [program] if program else [sys.executable, "-m", "probdesk"]
    return subprocess.run(
        [*command, *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


# -- version -----------------------------------------------------------------------------------


def test_version_flag() -> None:
    done = run("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"probdesk {_version.__version__}"
    assert re.fullmatch(r"\d+\.\d+\.\d+", _version.__version__)


# -- the real entry points, in a process of their own -----------------------------------------


def test_python_m_probdesk_and_the_probdesk_script_run() -> None:
    script = Path(sys.executable).parent / ("probdesk.exe" if os.name == "nt" else "probdesk")
    for done in (in_a_process("--version"), in_a_process("--version", program=str(script))):
        assert done.returncode == 0, done.stderr
        assert done.stdout == f"probdesk {_version.__version__}\n"
    done = in_a_process("--help")
    assert done.returncode == 0 and done.stdout.startswith("usage: probdesk")
    done = in_a_process("questionset")  # a usage error
    assert done.returncode == 2 and "usage:" in done.stderr and "Traceback" not in done.stderr


def test_a_crash_in_a_real_process_is_one_line_and_exit_code_70(tmp_path: Path) -> None:
    crash = (
        "import sys\n"
        "import probdesk.cli as cli\n"
        "def broken(*_args):\n"
        "    raise RuntimeError('boom X123456')\n"
        "cli._dispatch = broken\n"
        "sys.exit(cli.main(sys.argv[1:]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", crash, "--data-dir", str(tmp_path / "data"), "verify"],
        capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120,
    )  # fmt: skip
    assert done.returncode == cli.EXIT_BUG
    log_file = tmp_path / "data" / "logs" / "probdesk.log"
    assert done.stderr == (
        f"probdesk: unexpected error (RuntimeError); details are in {log_file}\n"
    )
    assert "X123456" not in log_file.read_text("utf-8")


def test_the_version_has_one_source() -> None:
    # pyproject.toml takes it from probdesk/_version.py; the installed metadata follows
    assert "version" not in PYPROJECT["project"]
    assert "version" in PYPROJECT["project"]["dynamic"]
    attr = PYPROJECT["tool"]["setuptools"]["dynamic"]["version"]["attr"]
    assert attr == "probdesk._version.__version__"
    assert probdesk.__version__ == _version.__version__
    assert importlib.metadata.version("probdesk") == _version.__version__


# -- questionset validate ----------------------------------------------------------------------


def test_validate_the_bundled_sets() -> None:
    done = run("questionset", "validate", DIPP, PDU)
    assert done.returncode == 0, done.stderr
    assert f"{DIPP}: valid (dipp-public-protection " in done.stdout
    assert f"{PDU}: valid (pdu-core " in done.stdout
    assert done.stderr == ""


BAD = """\
format: 1
id: bad
version: "1"
title: Bad set
facts:
  - id: da
    label: Domestic abuse
    type: yes_no
variants:
  - id: main
    label: Main
sections:
  - id: s1
    title: One
    key_question:
      id: K1
      text: Key?
      answer: yes_no
    prompts:
      - id: K1
        text: Again?
        answer: yes_no
        applies_when:
          fact: danger
          equals: yes
"""


def test_validate_one_good_and_one_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD, encoding="utf-8")
    done = run("questionset", "validate", DIPP, bad)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert f"{DIPP}: valid" in done.stdout
    lines = done.stderr.splitlines()
    assert lines == [
        f"{bad}:20:13: duplicate question id 'K1' (first on line 16)",
        f"{bad}:24:11: condition names unknown case fact 'danger'",
        "1 of 2 file(s) invalid",
    ]
    for line in lines[:-1]:
        assert re.match(rf"^{re.escape(str(bad))}:\d+:\d+: \S", line)


WARNED = BAD.replace(
    "      - id: K1\n        text: Again?\n        answer: yes_no\n"
    "        applies_when:\n          fact: danger\n          equals: yes\n",
    "      - id: P1\n        text: Never?\n        answer: yes_no\n"
    "        applies_when:\n          all:\n            - fact: da\n              equals: yes\n"
    "            - fact: da\n              equals: no\n",
)


def test_validate_warns_about_a_question_that_can_never_apply(tmp_path: Path) -> None:
    warned = tmp_path / "warned.yaml"
    warned.write_text(WARNED, encoding="utf-8")
    done = run("questionset", "validate", warned, PDU)
    assert done.returncode == 1  # valid, with a warning
    assert f"{warned}: valid (bad 1, 1 warning(s))" in done.stdout
    assert done.stderr.splitlines() == [
        f"{warned}:20:13: warning: question 'P1': no case facts and answers make it apply"
    ]
    strict = run("questionset", "validate", "--strict", warned, PDU)
    assert strict.returncode == 2
    assert f"{warned}: valid" not in strict.stdout
    assert f"{PDU}: valid" in strict.stdout
    assert strict.stderr.splitlines()[-1] == "1 of 2 file(s) invalid"
    assert run("questionset", "validate", "--strict", PDU).returncode == 0


def test_validate_a_file_that_is_not_yaml(tmp_path: Path) -> None:
    bad = tmp_path / "notes.yaml"
    bad.write_bytes(b"title: Caf\xe9\n")
    done = run("questionset", "validate", bad)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[0] == (f"{bad}:1:11: not UTF-8 text (byte 0xe9); save as UTF-8")


def test_validate_a_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    done = run("questionset", "validate", missing)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert f"{missing}: no such file" in done.stderr


def test_show_a_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    done = run("questionset", "show", missing)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"probdesk: {missing}: 1 problem in the question set",
        f"{missing}: no such file",
    ]


# -- questionset show --------------------------------------------------------------------------


def test_show_prints_the_outline() -> None:
    done = run("questionset", "show", DIPP)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("Dynamic inspection of public protection (illustrative)\n")
    assert "Variants\n" in out
    assert "  - Core questions [core]: when Supervision contact suspended early is 'No'" in out
    assert (
        "  - Adjusted questions [adjusted]: when Supervision contact suspended early is 'Yes'"
        in out
    )
    assert "Questions for the Core questions variant" in out
    assert "Questions for the Adjusted questions variant" in out
    for title in ("  Assessment\n", "  Planning\n", "  Planning (contact suspended)\n"):
        assert title in out
    for qid in ("C1", "C1.4", "C4.5", "A1", "A4.2"):
        assert re.search(rf"^    {re.escape(qid)}  (Key question|Prompt): ", out, re.M), qid
    assert (
        "          applies when Domestic abuse indicated is 'Yes' or 'Not known' and the answer "
        "to C1.4 is 'Yes'\n"
    ) in out
    assert "No ratings: this set reports percentages only." in out


def test_show_a_rated_set() -> None:
    done = run("questionset", "show", PDU)
    assert done.returncode == 0, done.stderr
    assert "Ratings: Outstanding from 80% (3 pts); Good from 65% (2 pts)" in done.stdout
    assert "Standard 2.1 Assessment: rated by the lowest of 2.1.1, 2.1.2, 2.1.3" in done.stdout
    assert "Overall score bands: Outstanding from 10; Good from 7" in done.stdout


# -- help --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "mentions"),
    [
        ((), ["--version", "--data-dir", "questionset", "selfcheck", "gui"]),
        (("gui",), ["--data-dir"]),
        (("questionset",), ["validate", "show"]),
        (("questionset", "validate"), ["PATH", "FILE:LINE:COLUMN", "Exit 0"]),
        (("questionset", "show"), ["PATH", "outline"]),
        (("selfcheck",), ["--data-dir", "offscreen"]),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, tuple) else None,
)
def test_help(args: tuple[str, ...], mentions: list[str]) -> None:
    done = run(*args, "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: probdesk")
    for word in mentions:
        assert word in done.stdout


def test_a_missing_action_is_a_usage_error() -> None:
    done = run("questionset")
    assert done.returncode == 2
    assert "usage:" in done.stderr
    assert "Traceback" not in done.stderr


# -- selfcheck ---------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["after", "before"])
def test_selfcheck(tmp_data_dir: Path, where: str) -> None:
    # In a process of its own: selfcheck builds the application as a fresh start does (in the
    # test process, pytest-qt's QApplication would already exist, without probdesk's icon).
    if where == "after":
        done = in_a_process("selfcheck", "--data-dir", tmp_data_dir)
    else:
        done = in_a_process("--data-dir", tmp_data_dir, "selfcheck")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == "selfcheck: ok"
    assert any(ln.startswith("question set dipp-public-protection ") for ln in lines)
    assert "4 question sets in the browser" in done.stdout
    assert "reports: a case summary PDF built with the bundled fonts" in done.stdout
    assert (tmp_data_dir / "config").is_dir()  # everything went under --data-dir


# -- unexpected errors (in process: the failure is injected) -----------------------------------


@pytest.mark.logs_warnings
def test_a_bug_is_logged_and_reported_in_one_line(
    tmp_data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*_args: object) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "_dispatch", broken)
    assert cli.main(["--data-dir", str(tmp_data_dir), "selfcheck"]) == cli.EXIT_BUG
    err = capsys.readouterr().err
    log_file = tmp_data_dir / "logs" / "probdesk.log"
    assert err == f"probdesk: unexpected error (RuntimeError); details are in {log_file}\n"
    logged = log_file.read_text("utf-8")
    assert "builtins.RuntimeError" in logged and " in broken" in logged
    assert "boom" not in logged  # the message could quote case content


@pytest.mark.logs_warnings
def test_a_crash_logs_types_and_places_never_what_the_message_said(tmp_path: Path) -> None:
    """A bug whose message quotes case content (a note, a reference) leaves only the
    exception's type and where it was raised, through its whole chain, in the log."""
    from probdesk import logsetup
    from probdesk.paths import Paths

    paths = Paths.resolve(tmp_path / "data").ensure()

    def save(note: str) -> None:
        try:
            {}["missing"]
        except KeyError as inner:
            raise ValueError(f"could not save note {note!r} for X123456") from inner

    try:
        save("Seen at home; the partner was present")
    except ValueError as exc:
        where = cli._log_crash(paths, exc)
    for h in logging.getLogger("probdesk").handlers:
        h.flush()
    logged = Path(where).read_text("utf-8")
    assert "builtins.ValueError" in logged and "builtins.KeyError" in logged
    assert "caused by:" in logged
    assert "cli/test_cli.py:" in logged and " in save" in logged
    for secret in ("partner", "X123456", "could not save", "missing"):
        assert secret not in logged
    report = logsetup.crash_report(ValueError("X123456"))
    assert "X123456" not in report and "builtins.ValueError" in report


# -- main called many times in one process -------------------------------------------------------


def test_main_leaves_nothing_behind_in_the_process(tmp_path: Path) -> None:
    """A command's log handler, logging's settings and the data keys it unlocked are put back
    when main returns, so that commands run one after another in one process (the tests, a
    script) never see each other's state."""
    from probdesk.store import datakey

    logger = logging.getLogger("probdesk")
    before = (list(logger.handlers), logger.level, logging.raiseExceptions)
    environ = dict(os.environ)
    for n in range(2):
        data = tmp_path / f"data{n}"
        assert run("--data-dir", data, "keys").returncode == 0
        assert (data / "logs" / "probdesk.log").is_file()  # it did log, to its own folder
        assert (list(logger.handlers), logger.level, logging.raiseExceptions) == before
        assert datakey._unlocked == {}
        assert dict(os.environ) == environ
    # A usage error, --help and --version return their code instead of leaving the process.
    assert cli.main(["--data-dir", str(tmp_path / "x"), "no-such-command"]) == 2
    assert cli.main(["--help"]) == 0
    assert cli.main(["--version"]) == 0
