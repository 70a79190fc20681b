"""Start-up: probdesk's main window shown offscreen and quit, against a bare Qt window.

Each run is a fresh Python process (QT_QPA_PLATFORM=offscreen), timed from launch to exit.
The probdesk process shows the real main window as `probdesk` does (probdesk.ui.app.
show_main_window); a third process also opens the local data into it (open_data: store checks,
question sets, case list), reported as ready_ms. The baseline process shows an empty
QMainWindow. Runs are alternated so that all see the same machine load. The warm-up runs
fill the OS file cache and write the bytecode cache, as the first start of an installed app
does (PYTHONDONTWRITEBYTECODE is dropped for the child processes).
value = probdesk median, baseline = bare
median, ratio = value / baseline; target: ratio at most 1.5.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

from _common import median, result, summary

RUNS = 7
WARMUP = 1
TARGET_RATIO = 1.5

BARE = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])
window = QMainWindow()
window.show()
app.processEvents()
shown = window.isVisible()
QTimer.singleShot(0, app.quit)
app.exec()
print("shown" if shown else "not shown")
"""

PROBDESK = """
import sys
from PySide6.QtCore import QTimer
from probdesk.paths import Paths
from probdesk.ui.app import application, show_main_window
app = application()
window = show_main_window(Paths.resolve(sys.argv[1]))
app.processEvents()
shown = window.isVisible()
QTimer.singleShot(0, app.quit)
app.exec()
print("shown" if shown else "not shown")
"""

# The same, then the data opened into the window as `probdesk` does right after showing it.
READY = """
import sys
from PySide6.QtCore import QTimer
from probdesk.paths import Paths
from probdesk.ui.app import application, open_data, show_main_window
app = application()
paths = Paths.resolve(sys.argv[1])
window = show_main_window(paths)
app.processEvents()
assert open_data(window, paths)
app.processEvents()
shown = window.isVisible()
QTimer.singleShot(0, app.quit)
app.exec()
print("shown" if shown else "not shown")
"""


def run_once(snippet: str, data_dir: str) -> float:
    """Milliseconds from launching the process to its exit; fails loudly if it did not work."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    # An installed probdesk starts from compiled bytecode (the wheel's installer and the
    # bundle both compile it): let the warm-up run write it, as a first start would.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", snippet, data_dir],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    elapsed = (time.perf_counter() - start) * 1000
    if proc.returncode != 0 or proc.stdout.strip() != "shown":
        raise SystemExit(
            f"start-up run failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        )
    return elapsed


def main() -> None:
    bare: list[float] = []
    probdesk: list[float] = []
    ready: list[float] = []
    with tempfile.TemporaryDirectory(prefix="probdesk-bench-") as tmp:
        for _ in range(WARMUP):  # fill the OS file cache and create the store; not counted
            run_once(BARE, tmp)
            run_once(PROBDESK, tmp)
            run_once(READY, tmp)
        for i in range(RUNS):
            # alternate, and swap which goes first every other round
            order = [(BARE, bare), (PROBDESK, probdesk), (READY, ready)]
            for snippet, samples in order if i % 2 == 0 else reversed(order):
                samples.append(run_once(snippet, tmp))

    print(f"python {sys.version.split()[0]}, QT_QPA_PLATFORM=offscreen, launch to exit")
    print(summary("bare QApplication + QMainWindow", bare))
    print(summary("probdesk main window shown    ", probdesk))
    print(summary("... and the local data opened ", ready))
    value, baseline = median(probdesk), median(bare)
    ratio = value / baseline
    extra_ms = value - baseline
    print(f"probdesk / bare: {ratio:.2f}x ({extra_ms:+.0f} ms); target at most {TARGET_RATIO}x")
    result(
        "startup",
        value,
        "ms",
        baseline,
        TARGET_RATIO,
        passed=ratio <= TARGET_RATIO,
        target_kind="ratio_max",
        runs=RUNS,
        samples_ms=[round(x, 1) for x in probdesk],
        ready_ms=round(median(ready), 1),
        baseline_samples_ms=[round(x, 1) for x in bare],
    )


if __name__ == "__main__":
    main()
