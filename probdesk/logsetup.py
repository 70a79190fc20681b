"""Logging to a rotating file in the log folder. Log ids and counts, never case content."""

from __future__ import annotations

import logging
import logging.handlers

from probdesk.paths import Paths

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure(paths: Paths, level: int = logging.INFO) -> logging.Handler:
    """Send probdesk's log records to LOG/probdesk.log (1 MB x 5 files). Idempotent."""
    root = logging.getLogger("probdesk")
    for h in list(root.handlers):
        if getattr(h, "_probdesk", False):
            root.removeHandler(h)
            h.close()
    paths.log.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        paths.log_file, maxBytes=1_000_000, backupCount=5, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler._probdesk = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    return handler
