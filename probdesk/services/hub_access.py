"""How the composition roots hand the team lead's hub to what reads it, cheaply: making the
handle imports nothing of the hub (SQLAlchemy and the hub's upgrade steps load the first time
the hub is opened), so opening the data folder stays quick on every laptop."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from probdesk.errors import InputError

if TYPE_CHECKING:
    from probdesk.hub.store import Hub


def default_hub_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'hub.sqlite'}"


class HubAccess:
    """The team lead's hub for one data folder, as the composition root hands it to the views
    and commands that read or write it: the window's data-opening code (or the command line)
    makes one, every view shares it, and its maker closes it. The hub is opened on first use,
    once; asking whether there is one never makes an empty hub file (an assessor's laptop, or
    a lead's before any merge, keeps none)."""

    def __init__(self, data_dir: Path, url: str | None = None) -> None:
        self.data_dir = data_dir
        self.url = url or default_hub_url(data_dir)
        self._hub: Hub | None = None

    def exists(self) -> bool:
        """Whether there is a hub to read: open, a server's, or a SQLite file on disk."""
        if self._hub is not None or not self.url.startswith("sqlite:///"):
            return True
        return Path(self.url.removeprefix("sqlite:///").partition("?")[0]).is_file()

    def get(self) -> Hub:
        """The hub, opened the first time it is asked for (a new one is made if none is
        there: merging into it comes next), with the data folder's key like `open_hub`."""
        if self._hub is None:
            from probdesk.services.hub import open_hub

            self._hub = open_hub(self.data_dir, self.url)
        return self._hub

    def close(self) -> None:
        """Let go of the hub (the owner calls this once no view needs it any more)."""
        if self._hub is not None:
            self._hub.close()
            self._hub = None


def hub_of(access: HubAccess | None) -> Hub:
    """The hub through the handle the composition root passed in, or why there is none."""
    if access is None:
        raise InputError("There is no hub here: open the team lead's data folder.")
    return access.get()
