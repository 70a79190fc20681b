"""probdesk installed as a user installs it: a wheel in a fresh virtual environment outside the
source tree, and a damaged install that says what is missing (exit 2, one line)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from probdesk import _version, bundled

ROOT = Path(__file__).resolve().parents[2]
# What a source distribution would hold: everything but local state and build output.
WHEEL_PASSPHRASE = "kettle orbit marsh violin"
NOT_SOURCE = {".git", ".venv", "build", "dist", "out", ".pytest_cache", ".mypy_cache",
              ".ruff_cache", ".hypothesis", "__pycache__"}  # fmt: skip


def probdesk_cli(*args: str | Path, env: dict[str, str] | None = None,
                 cwd: Path | None = None) -> subprocess.CompletedProcess[str]:  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "probdesk", *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env or {})},
        cwd=cwd,
        timeout=300,
    )


# -- a damaged or partial install ----------------------------------------------------------------


def _partial_install(tmp_path: Path, leave_out: str) -> Path:
    """A copy of the shipped files with one file or folder missing."""
    target = tmp_path / "shipped"
    for name in (bundled.QUESTION_SETS, bundled.RESOURCES):
        shutil.copytree(bundled.root() / name, target / name)
    missing = target / leave_out
    if missing.is_dir():
        shutil.rmtree(missing)
    else:
        missing.unlink()
    return target


@pytest.mark.parametrize(
    ("leave_out", "command", "named"),
    [
        ("question_sets/schema/question-set.schema.json", ("selfcheck",),
         "question_sets/schema/question-set.schema.json is missing"),
        ("resources/fonts", ("selfcheck",), "resources/fonts/DejaVuSans.ttf"),
        ("question_sets", ("demo", "--out", "{tmp}/demo"), "question_sets/pdu-core.yaml"),
        ("question_sets/schema", ("questionset", "validate", "{set}"),
         "question_sets/schema/question-set.schema.json is missing"),
        ("resources/icons/probdesk.png", ("selfcheck",), "resources/icons/probdesk.png"),
    ],
)  # fmt: skip
def test_a_damaged_install_names_what_is_missing(
    tmp_path: Path, leave_out: str, command: tuple[str, ...], named: str
) -> None:
    shipped = _partial_install(tmp_path, leave_out)
    args = [
        a.format(tmp=tmp_path, set=bundled.root() / "question_sets" / "pdu-core.yaml")
        for a in command
    ]
    done = probdesk_cli("--data-dir", tmp_path / "data", *args,
                        env={"PROBDESK_RESOURCES": str(shipped)})  # fmt: skip
    assert done.returncode == 2, done.stderr + done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("probdesk: this installation of probdesk is damaged or incomplete")
    assert named in lines[0] and "Reinstall probdesk" in lines[0]
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "demo").exists()


def test_a_whole_install_misses_nothing() -> None:
    assert bundled.missing_files() == []
    bundled.check_installation()
    assert {p.name for p in bundled.bundled_question_sets()} == {
        "dipp-public-protection.yaml", "pdu-core.yaml", "region-unpaid-work.yaml",
        "region-victim-contact.yaml",
    }  # fmt: skip


# -- the wheel, installed outside the source tree -------------------------------------------------


def _copy_source(target: Path) -> Path:
    def ignore(folder: str, names: list[str]) -> set[str]:
        skip = {n for n in names if n in NOT_SOURCE or n.endswith(".egg-info")}
        if Path(folder).resolve() == ROOT:
            skip |= {n for n in names if n.startswith(".") and n not in (".ci",)}
        return skip

    shutil.copytree(ROOT, target, ignore=ignore)
    return target


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the venv's python, the wheel): built from a copy of the source, installed into a fresh venv.

    The venv gets probdesk from the wheel alone; its dependencies come from the environment
    running the tests (a .pth line, which does not run that environment's own .pth files, so
    the editable source checkout stays out of sight).
    """
    base = tmp_path_factory.mktemp("wheel")
    source = _copy_source(base / "source")
    wheels = base / "wheels"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(source)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = wheels.glob("probdesk-*.whl")
    env_dir = base / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True, env=_installed_env(),
    ).stdout.strip()  # fmt: skip
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(site) / "probdesk-test-deps.pth").write_text("\n".join(sorted(deps)) + "\n")
    done = subprocess.run(
        [python, "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
        capture_output=True, text=True, timeout=300, env=_installed_env(),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    shutil.rmtree(source)  # nothing may lean on the source tree
    return python, wheel


def _installed_env() -> dict[str, str]:
    """The environment without what would point the installed probdesk back at the source.

    Nor the tests' stand-in key store: the installed probdesk finds the machine's own (none on
    a CI machine), and so opens its data folders with a data passphrase, given as an
    unattended run gives it."""
    dropped = ("PROBDESK_RESOURCES", "PYTHONPATH", "PYTHON_KEYRING_BACKEND")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    return {**env, "QT_QPA_PLATFORM": "offscreen", "PROBDESK_PASSPHRASE": WHEEL_PASSPHRASE}


def _run_installed(python: Path, cwd: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    script = python.parent / ("probdesk.exe" if os.name == "nt" else "probdesk")
    return subprocess.run(
        [script, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300,
        env=_installed_env(),
    )  # fmt: skip


@pytest.mark.slow
def test_the_wheel_carries_every_shipped_file(installed: tuple[Path, Path]) -> None:
    _python, wheel = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in bundled.REQUIRED_FILES:
        assert f"probdesk/{required}" in names, required
    assert "probdesk/store/migrations/env.py" in names
    assert any(n.startswith("probdesk/store/migrations/versions/0001") for n in names)
    assert "probdesk/py.typed" in names
    assert not any(n.startswith(("tests/", "benchmarks/")) for n in names)
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert wheel.name.startswith(f"probdesk-{_version.__version__}-py3-none-any")


@pytest.mark.slow
def test_the_installed_wheel_works_outside_the_source_tree(
    installed: tuple[Path, Path], tmp_path: Path
) -> None:
    python, _wheel = installed
    where = subprocess.run(
        [python, "-c", "import probdesk, probdesk.bundled as b; print(probdesk.__file__); "
         "print(b.root())"],
        capture_output=True, text=True, cwd=tmp_path, check=True, env=_installed_env(),
    ).stdout.split()  # fmt: skip
    venv_dir = python.parent.parent
    assert all(Path(w).is_relative_to(venv_dir) for w in where), where

    version = _run_installed(python, tmp_path, "--version")
    assert version.returncode == 0 and version.stdout.strip() == f"probdesk {_version.__version__}"

    check = _run_installed(python, tmp_path, "selfcheck", "--data-dir", tmp_path / "data")
    assert check.returncode == 0, check.stderr
    assert "selfcheck: ok" in check.stdout and "reports: a case summary PDF" in check.stdout

    sets = sorted((Path(where[1]) / "question_sets").glob("*.yaml"))
    assert len(sets) == 4
    valid = _run_installed(python, tmp_path, "questionset", "validate", *sets)
    assert valid.returncode == 0, valid.stderr
    assert valid.stdout.count(": valid (") == 4

    demo = _run_installed(python, tmp_path, "demo", "--out", tmp_path / "demo")
    assert demo.returncode == 0, demo.stderr
    assert len(list((tmp_path / "demo" / "reports").glob("*.pdf"))) >= 1


# -- the PostgreSQL extra -------------------------------------------------------------------------


def test_a_bare_postgresql_url_means_psycopg_on_every_sqlalchemy() -> None:
    from probdesk.hub.store import engine_url

    assert engine_url("postgresql://lead@127.0.0.1/hub").drivername == "postgresql+psycopg"
    assert engine_url("postgres://lead@127.0.0.1/hub").drivername == "postgresql+psycopg"
    assert engine_url("postgresql+psycopg://x@h/d").drivername == "postgresql+psycopg"
    assert engine_url("sqlite:///hub.sqlite").drivername == "sqlite"


def test_without_the_postgres_extra_the_hub_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from probdesk import cli
    from probdesk.errors import InputError
    from probdesk.hub.store import Hub

    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if the driver were not installed
    url = "postgresql://lead:s3cret@127.0.0.1:1/hub"
    # One plain message, exit 2 (bad input: #16), nothing made; never the password.
    with pytest.raises(InputError, match=r"pip install 'probdesk\[postgres\]'") as err:
        Hub(url)
    assert "s3cret" not in str(err.value)
    code = cli.main(["--data-dir", str(tmp_path / "data"), "summary", "--hub", url])
    out = capsys.readouterr()
    assert code == 2
    assert out.err.count("\n") == 1 and "probdesk[postgres]" in out.err
    assert "s3cret" not in out.err


def test_a_hub_location_that_is_not_a_url_is_named(tmp_path: Path) -> None:
    from probdesk.errors import InputError
    from probdesk.hub.store import Hub

    with pytest.raises(InputError, match="'nonsense' is not a hub location"):
        Hub("nonsense")
    with pytest.raises(InputError, match="does not know this kind of database"):
        Hub("oracle2://x@h/d")
