"""The command line run in this process: `probdesk.cli.main(argv)` with its stdout and stderr
captured, an empty stdin that is no terminal (as `stdin=DEVNULL` gives a subprocess) and, for
the call only, the environment variables given. A few tests still start a real process (the
entry points, a crash, what needs a separate process); everything else runs here, about forty
times faster.

`run(...)` answers with the same names as subprocess.CompletedProcess (returncode, stdout,
stderr), and unpacks as (code, out, err).
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from probdesk import cli


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str

    def __iter__(self) -> Iterator[object]:
        return iter((self.returncode, self.stdout, self.stderr))


@contextlib.contextmanager
def environment(env: Mapping[str, str | None]) -> Iterator[None]:
    """Set (a value) or unset (None) each variable, and put every one back afterwards."""
    saved = {k: os.environ.get(k) for k in env}
    try:
        for k, v in env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run(*args: str | Path, env: Mapping[str, str | None] | None = None, stdin: str = "") -> Ran:
    """`probdesk ARGS...` in this process; nothing it prints reaches the test's output."""
    out, err = io.StringIO(), io.StringIO()
    real_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with (
            environment(env or {}),
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
        ):
            code = cli.main([str(a) for a in args])
    finally:
        sys.stdin = real_stdin
    return Ran(code, out.getvalue(), err.getvalue())


def home_environment(home: Path) -> dict[str, str | None]:
    """HOME and the XDG folders under `home`: where a command without --data-dir keeps its
    data, so that nothing is written to the real home."""
    env: dict[str, str | None] = {"HOME": str(home)}
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[var] = str(home / var.lower())
    return env


def run_in(home: Path, *args: str | Path) -> Ran:
    """`probdesk ARGS` in this process, with the default data folders under `home`."""
    done = run(*args, env=home_environment(home))
    assert "Traceback" not in done.stderr, done.stderr
    assert "unexpected error" not in done.stderr, done.stderr
    return done
