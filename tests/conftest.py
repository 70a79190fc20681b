"""Shared test set-up: offscreen Qt, a throwaway data folder, hypothesis profiles."""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

# The shared helpers (tests/support/: scenes, rawdb, keystore, guikit, pg, cli_support,
# hubfill, hubworld, demos) import by their names, in this process and in the commands a test
# starts.
_SUPPORT = str(Path(__file__).resolve().parent / "support")
sys.path.insert(0, _SUPPORT)

from pg import pg_server, pg_url  # noqa: E402, F401  (fixtures: a throwaway PostgreSQL server)

# Before pytest-qt (or anything else) creates a QApplication.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The operating system's key store, which holds each data folder's wrapping key, stands in as
# one file for the session (tests/support/keystore.py; a CI machine has no Secret Service); the
# commands the tests start use it too. Tests of a computer without a key store say so.
os.environ["PYTHONPATH"] = os.pathsep.join(
    [_SUPPORT, *(p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p)]
)
os.environ["PYTHON_KEYRING_BACKEND"] = "keystore.FileKeyring"
os.environ["PROBDESK_TEST_KEYSTORE"] = os.path.join(
    tempfile.mkdtemp(prefix="probdesk-test-keystore-"), "keystore.json"
)
os.environ.pop("PROBDESK_PASSPHRASE", None)

settings.register_profile("ci", deadline=None, derandomize=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

from demos import demos  # noqa: E402, F401  (fixture: the demo built once per seed, copied)
from hubworld import hub_url, new_hub  # noqa: E402, F401  (fixtures: empty hubs, SQLite or PG)
from scenes import team, url  # noqa: E402, F401  (fixtures: a lead and two assessors; a hub)

TIERS = ("unit", "integration", "gui", "cli", "system")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each test is marked with its tier, the folder it lives in (tests/<tier>/): `-m unit`,
    `-m "not system"` and so on (make test-fast)."""
    for item in items:
        tier = next((p for p in item.path.parts[-3:-1] if p in TIERS), None)
        if tier is not None:
            item.add_marker(getattr(pytest.mark, tier))


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """pytest-randomly's seed is in the header, which -q (make test) leaves out: printed here
    instead, once, by the process that runs the xdist workers (they all take its seed), so a
    failing order can be run again: make test PYTEST_ARGS=--randomly-seed=N."""
    config = session.config
    seed = getattr(config.option, "randomly_seed", None)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if hasattr(config, "workerinput") or not isinstance(seed, int) or reporter is None:
        return
    if reporter.verbosity < 0:
        reporter.write_line(f"Using --randomly-seed={seed}")


XDG = ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME")


@pytest.fixture(autouse=True, scope="session")
def _no_real_home_folders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Nothing a test runs writes under the real ~/.local or ~/.config: where a test, or a
    command it starts, names no --data-dir, probdesk's platform folders are a throwaway's."""
    base = tmp_path_factory.mktemp("home")
    saved = {k: os.environ.get(k) for k in XDG}
    for k in XDG:
        os.environ[k] = str(base / k.lower())
    yield
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(autouse=True)
def _offscreen_qt() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _no_key_unlocked_before() -> Iterator[None]:
    """Each test unlocks the data keys it uses itself (probdesk keeps them per process)."""
    from probdesk.store import datakey

    datakey.forget()
    datakey.set_asker(None)
    yield
    datakey.forget()
    datakey.set_asker(None)


class _Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def _logfail(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that logs a warning or an error it did not expect fails (qutebrowser's logfail):
    a warning is something a user or a maintainer would have to act on, so a test that
    provokes one says so, by reading it with caplog or with @pytest.mark.logs_warnings."""
    recorder = _Recorder()
    root = logging.getLogger()
    root.addHandler(recorder)
    yield
    root.removeHandler(recorder)
    expected = "caplog" in request.fixturenames or request.node.get_closest_marker("logs_warnings")
    if recorder.records and not expected:
        lines = [f"{r.levelname} {r.name}: {r.getMessage()[:200]}" for r in recorder.records]
        pytest.fail("unexpected log warnings (read them with caplog, or mark the test "
                    "@pytest.mark.logs_warnings):\n" + "\n".join(lines), pytrace=False)  # fmt: skip


@pytest.fixture(autouse=True)
def _probdesk_logging_restored() -> Iterator[None]:
    """logsetup.configure (the CLI's crash log, the GUI's log) sets the "probdesk" logger's
    level and adds a file handler in the test's folder: both are put back after the test, so
    no later test logs into another test's folder or records what it did not ask for."""
    logger = logging.getLogger("probdesk")
    handlers, level = list(logger.handlers), logger.level
    yield
    for h in list(logger.handlers):
        if h not in handlers:
            logger.removeHandler(h)
            h.close()
    logger.setLevel(level)


@pytest.fixture
def hub_never_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """A hub opened in this test never waits for a lock another connection holds: it fails at
    once (SQLite: no busy timeout; PostgreSQL: a lock_timeout of 100 ms) instead of after the
    seconds the program waits. "Takes no lock" is then checked without timing anything, so a
    slow or loaded machine cannot fail it."""
    from probdesk.hub import store

    pragmas = store._sqlite_pragmas

    def without_waiting(dbapi_conn: Any, record: Any) -> None:
        pragmas(dbapi_conn, record)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout=0")
        cur.close()

    monkeypatch.setattr(store, "_sqlite_pragmas", without_waiting)
    monkeypatch.setenv("PGOPTIONS", "-c lock_timeout=100")  # libpq reads it at each connect


@pytest.fixture
def tmp_data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"
