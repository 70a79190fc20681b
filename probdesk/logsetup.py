"""Logging to a rotating file in the log folder. Log ids and counts, never case content."""

from __future__ import annotations

import faulthandler
import logging
import logging.handlers
import os
import traceback
from pathlib import Path, PurePath
from typing import IO

from probdesk.errors import ProbdeskError
from probdesk.fs import private_file, private_folder
from probdesk.paths import Paths

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
NATIVE_CRASH_LOG = "native-crash.log"
PREVIOUS_NATIVE_CRASH = "native-crash-previous.log"
_native_file: IO[str] | None = None


def configure(paths: Paths, level: int = logging.INFO) -> logging.Handler:
    """Send probdesk's log records to LOG/probdesk.log (1 MB x 5 files). Idempotent."""
    root = logging.getLogger("probdesk")
    for h in list(root.handlers):
        if getattr(h, "_probdesk", False):
            root.removeHandler(h)
            h.close()
    handler: logging.Handler
    try:
        private_folder(paths.log)
        private_file(paths.log_file)  # ids and counts only, but still nobody else's to read
        handler = logging.handlers.RotatingFileHandler(
            paths.log_file, maxBytes=1_000_000, backupCount=5, encoding="utf-8"
        )
    except (OSError, ProbdeskError):  # a read-only or full disk: probdesk says so elsewhere
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler._probdesk = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    # A log that cannot be written (a full disk, a read-only folder) never prints a traceback
    # over the message that says what is wrong; the record is dropped.
    logging.raiseExceptions = False
    return handler


def crash_report(exc: BaseException) -> str:
    """What a crash leaves in the log and the crash dialog: each exception of the chain by its
    type, and where it was raised, frame by frame (file, line, function). Never its message,
    the source lines or any value: a message can quote an answer, a note or a reference."""
    lines = ["Crash report (types and places only; no messages or values are recorded)"]
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        kind = type(e)
        lines.append(f"{kind.__module__}.{kind.__qualname__}")
        for frame in traceback.extract_tb(e.__traceback__):
            lines.append(f"  {_code_file(frame.filename)}:{frame.lineno} in {frame.name}")
        nxt = e.__cause__ or (None if e.__suppress_context__ else e.__context__)
        if nxt is not None:
            lines.append("raised while handling:" if e.__cause__ is None else "caused by:")
        e = nxt
    return "\n".join(lines)


def _code_file(filename: str) -> str:
    """probdesk/services/x.py for our own code; the last two parts of anything else."""
    parts = PurePath(filename).parts
    if "probdesk" in parts:
        return "/".join(parts[len(parts) - 1 - parts[::-1].index("probdesk") :])
    return "/".join(parts[-2:])


def native_crashes(paths: Paths) -> Path | None:
    """Send native crashes (a segmentation fault in Qt, an abort) to LOG/native-crash.log.

    faulthandler writes, at the moment of the crash, each thread's Python frames (file, line,
    function: never a value), which is all a crash inside compiled code leaves. The file is
    empty while all is well. When it is not empty at the next start, the previous run died
    there: its content is moved to native-crash-previous.log, whose path is returned so that
    the window can say so once; None when the last run did not crash (or nothing could be
    read or written: the log folder's problems are told elsewhere)."""
    global _native_file
    folder = paths.log
    target = folder / NATIVE_CRASH_LOG
    previous: Path | None = None
    try:
        private_folder(folder)
        if target.exists() and target.stat().st_size > 0:
            previous = folder / PREVIOUS_NATIVE_CRASH
            os.replace(target, previous)
        if _native_file is not None:
            _native_file.close()
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        _native_file = os.fdopen(fd, "w", encoding="utf-8")
        faulthandler.enable(_native_file, all_threads=True)
    except OSError:
        return previous
    return previous
