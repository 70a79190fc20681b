"""One start for every command: the data folder, the log, and the workspace, the fieldwork
service and the hub, each opened at most once, when a command first needs it, and closed when
the command ends (the hub before the workspace).

`Session` is what each command's `run(args, session)` receives; nothing here prints except the
workspace's notices (a damaged or empty database moved aside: said, never hidden).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias

from probdesk.errors import InputError
from probdesk.paths import Paths

if TYPE_CHECKING:
    from probdesk.hub.store import Hub
    from probdesk.services.fieldwork import Fieldwork
    from probdesk.services.workspace import Workspace

    # What add_subparsers() returns; generic in typeshed only, so named for type checking.
    Subparsers: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]

Run = Callable[[argparse.Namespace, "Session"], int]


class Session:
    """What one command opens; `close()` (or leaving the `with` block) closes it all."""

    def __init__(self, args: argparse.Namespace, paths: Paths) -> None:
        self.args = args
        self.paths = paths
        self._stack = contextlib.ExitStack()
        self._logging = False
        self._ws: Workspace | None = None
        self._fw: Fieldwork | None = None
        self._hub: Hub | None = None

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._ws = self._fw = self._hub = None
        self._stack.close()

    # -- the log ----------------------------------------------------------------------------
    def start_logging(self) -> Paths:
        """Make the data folders and log to the data folder's log file (once)."""
        if not self._logging:
            from probdesk import logsetup

            logsetup.configure(self.paths.ensure())
            self._logging = True
        return self.paths

    # -- this laptop ------------------------------------------------------------------------
    def workspace(self, *, notices_on_stdout: bool = False) -> Workspace:
        """The local database, opened once; its notices are printed when it opens (on stderr,
        after "probdesk: ", unless `notices_on_stdout`)."""
        if self._ws is None:
            from probdesk.services.workspace import Workspace

            self.start_logging()
            unsafe = bool(getattr(self.args, "allow_unsafe_data_dir", False))
            ws = Workspace.open(self.paths, allow_unsafe_location=unsafe)
            self._stack.callback(ws.close)
            for notice in ws.notices:
                if notices_on_stdout:
                    print(notice)
                else:
                    print(f"probdesk: {notice}", file=sys.stderr)
            self._ws = ws
        return self._ws

    @property
    def ws(self) -> Workspace:
        return self.workspace()

    @property
    def fw(self) -> Fieldwork:
        """Fieldwork (keys, packages, team) over the workspace."""
        if self._fw is None:
            from probdesk.services.fieldwork import Fieldwork

            self._fw = Fieldwork(self.ws, self.paths)
        return self._fw

    # -- the hub ----------------------------------------------------------------------------
    @property
    def hub(self) -> Hub:
        """The hub named by --hub, or the team lead's hub.sqlite in the data folder."""
        if self._hub is None:
            self._hub = self.open_hub(getattr(self.args, "hub", None))
        return self._hub

    def open_hub(self, url: str | None) -> Hub:
        """A hub by URL (None: the data folder's hub.sqlite), closed with the session. A
        PostgreSQL hub's password: PROBDESK_HUB_PASSWORD, the key store, or (in a terminal
        only) a prompt when the server asks for one (probdesk.services.hub_access)."""
        from probdesk.services.hub_access import open_hub_asking

        hub = open_hub_asking(self.paths.data, url, ask=_password_prompt())
        self._stack.callback(hub.close)
        return hub

    def default_inspection(self, given: str | None) -> str:
        """The inspection named (by its exact id), or else the only or newest one here."""
        if given:
            return self.ws.inspection(given).id
        inspections = self.ws.inspections()
        if not inspections:
            raise InputError("There is no inspection here yet: open a setup pack first.")
        return inspections[0].id


def _password_prompt() -> Callable[[str], str | None] | None:
    """getpass where there is a terminal to ask at; None where there is none."""
    if not (sys.stdin and sys.stdin.isatty()):
        return None
    import getpass

    return getpass.getpass


# -- the options several commands share ---------------------------------------------------------

DATA_DIR_HELP = (
    "keep all data, settings, logs and the outbox under DIR "
    "(default: the platform's user data folders)"
)
UNSAFE_HELP = (
    "open the data folder even inside a synced (OneDrive, Dropbox, ...) or network "
    "folder; risks corrupting the database"
)
HUB_HELP = (
    "the hub database URL (default: hub.sqlite in the data folder); "
    "postgresql+psycopg://USER@HOST:PORT/DATABASE for a regional or national hub, its "
    "password from PROBDESK_HUB_PASSWORD or the key store (docs/hub.md)"
)
INSPECTION_HELP = "the inspection's id; default: the only or newest inspection"
HUB_INSPECTION_HELP = "the hub's inspection, by its id; default: the only one in the hub"
PREFIX_INSPECTION_HELP = "the inspection (an id or a unique prefix); default: the only one here"


def _parent(*flags: str, **kwargs: Any) -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(*flags, **kwargs)
    return parent


class Parents:
    """argparse parent parsers for the options many commands take, made once per parser."""

    def __init__(self) -> None:
        # `probdesk selfcheck --data-dir DIR` works too: SUPPRESS keeps a value given before
        # the command when none is given after it.
        self.data_dir = argparse.ArgumentParser(add_help=False)
        self.data_dir.add_argument(
            "--data-dir", metavar="DIR", default=argparse.SUPPRESS, help=DATA_DIR_HELP
        )
        self.data_dir.add_argument(
            "--allow-unsafe-data-dir",
            action="store_true",
            default=argparse.SUPPRESS,
            help=UNSAFE_HELP,
        )
        self.hub = _parent("--hub", metavar="URL", help=HUB_HELP)
        # --inspection, read three ways: this laptop's (exact id, default the only or newest),
        # the hub's (exact id, default the only one) and by a unique prefix of the id.
        self.inspection = _parent("--inspection", metavar="ID", help=INSPECTION_HELP)
        self.hub_inspection = _parent("--inspection", metavar="ID", help=HUB_INSPECTION_HELP)
        self.prefix_inspection = _parent("--inspection", metavar="ID", help=PREFIX_INSPECTION_HELP)

    def of(self, *, hub: bool = False, inspection: str = "") -> list[argparse.ArgumentParser]:
        """The parents of a command: --data-dir always, --hub when `hub`, and --inspection
        read as `inspection` says ("local", "hub", "prefix" or "" for none)."""
        chosen = [self.data_dir]
        if hub:
            chosen.append(self.hub)
        if inspection:
            chosen.append(
                {
                    "local": self.inspection,
                    "hub": self.hub_inspection,
                    "prefix": self.prefix_inspection,
                }[inspection]
            )
        return chosen


# -- leaving no state behind ----------------------------------------------------------------------


@contextlib.contextmanager
def process_state_restored() -> Any:
    """Whatever a command changes in the process is put back when it returns, so that `main`
    can be called many times in one process: the "probdesk" logger's handlers and level,
    logging's raiseExceptions, and the data keys unlocked for the command."""
    logger = logging.getLogger("probdesk")
    handlers, level, raising = list(logger.handlers), logger.level, logging.raiseExceptions
    try:
        yield
    finally:
        for h in list(logger.handlers):
            if h not in handlers:
                logger.removeHandler(h)
                h.close()
        logger.setLevel(level)
        logging.raiseExceptions = raising
        datakey = sys.modules.get("probdesk.store.datakey")
        if datakey is not None:
            datakey.forget()
