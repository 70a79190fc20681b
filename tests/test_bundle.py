"""The PyInstaller bundle builds from build.spec and works: --version and selfcheck."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUILD_TIMEOUT_S = 600
RUN_TIMEOUT_S = 120

pytestmark = [
    pytest.mark.bundle,
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("PyInstaller") is None,
        reason="PyInstaller is not installed in this environment (pip install -e '.[dev]')",
    ),
]


def _project() -> dict[str, str]:
    with (ROOT / "pyproject.toml").open("rb") as fh:
        project: dict[str, str] = tomllib.load(fh)["project"]
    return project


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the one-folder bundle into a temporary folder; return its executable."""
    out = tmp_path_factory.mktemp("bundle")
    start = time.monotonic()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--clean",
            "--log-level",
            "WARN",
            "--distpath",
            str(out / "dist"),
            "--workpath",
            str(out / "work"),
            str(ROOT / "build.spec"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
    )
    elapsed = time.monotonic() - start
    assert proc.returncode == 0, (
        f"PyInstaller failed (exit {proc.returncode}) after {elapsed:.0f} s:\n"
        f"{_tail(proc.stdout + proc.stderr)}"
    )
    name = _project()["name"]
    exe = out / "dist" / name / (f"{name}.exe" if sys.platform == "win32" else name)
    assert exe.is_file(), f"no executable at {exe}"
    return exe


def _run(exe: Path, *args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PROBDESK_RESOURCES"}
    env["QT_QPA_PLATFORM"] = "offscreen"
    return subprocess.run(
        [str(exe), "--data-dir", str(data_dir), *args],
        cwd=data_dir,  # not the source tree, so nothing is found there by accident
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
    )


def test_bundle_reports_the_pyproject_version(bundle: Path, tmp_path: Path) -> None:
    proc = _run(bundle, "--version", data_dir=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"probdesk {_project()['version']}"


def test_bundle_selfcheck_passes(bundle: Path, tmp_path: Path) -> None:
    proc = _run(bundle, "selfcheck", data_dir=tmp_path)
    assert proc.returncode == 0, f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert "selfcheck: ok" in proc.stdout.splitlines()
    assert any(line.startswith("reports: a case summary PDF") for line in proc.stdout.splitlines())
    shipped = sorted((ROOT / "question_sets").glob("*.yaml"))
    loaded = [line for line in proc.stdout.splitlines() if line.startswith("question set ")]
    assert len(loaded) == len(shipped), f"bundle loaded {loaded}, source tree has {shipped}"
