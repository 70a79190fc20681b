"""A native crash (inside Qt or another compiled library, which no Python handler sees) leaves
where it happened in the log folder, and the next start of the window says so once."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

from probdesk.logsetup import NATIVE_CRASH_LOG, PREVIOUS_NATIVE_CRASH

CRASH = """
import sys, faulthandler
from probdesk import logsetup
from probdesk.paths import Paths

def deep_in_qt():
    faulthandler._sigsegv()  # what a fault in compiled code does

logsetup.native_crashes(Paths.resolve(sys.argv[1]))
deep_in_qt()
"""

START_WINDOW = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMessageBox
from probdesk.paths import Paths
from probdesk.ui import app

QMessageBox.warning = staticmethod(lambda _w, title, text: print("WARNED:", title, "|", text))
opened = app.open_data

def open_data(window, paths, **kw):
    ok = opened(window, paths, **kw)
    QTimer.singleShot(50, window.close)
    return ok

app.open_data = open_data
sys.exit(app.run_gui(Paths.resolve(sys.argv[1])))
"""


def _run(code: str, data: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PROBDESK_PASSPHRASE": ""}
    env.pop("PROBDESK_PASSPHRASE")
    return subprocess.run(
        [sys.executable, "-c", code, str(data)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_a_native_crash_is_written_to_the_log_folder_and_told_once_at_the_next_start(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    crashed = _run(CRASH, data)
    assert crashed.returncode == -signal.SIGSEGV, crashed.stderr
    report = data / "logs" / NATIVE_CRASH_LOG
    text = report.read_text(encoding="utf-8")
    assert "Segmentation fault" in text
    assert "in deep_in_qt" in text  # where: the function, file and line of each frame
    if os.name == "posix":
        assert stat.S_IMODE(report.stat().st_mode) == 0o600

    first = _run(START_WINDOW, data)
    assert first.returncode == 0, first.stderr
    warned = [line for line in first.stdout.splitlines() if line.startswith("WARNED:")]
    assert len(warned) == 1 and "stopped unexpectedly" in warned[0]
    previous = data / "logs" / PREVIOUS_NATIVE_CRASH
    assert f"recorded in {previous}" in first.stdout
    assert "in deep_in_qt" in previous.read_text(encoding="utf-8")
    assert report.read_text(encoding="utf-8") == ""  # this run ended well

    second = _run(START_WINDOW, data)
    assert second.returncode == 0, second.stderr
    assert "WARNED:" not in second.stdout  # said once, not at every start
