"""How the composition roots hand the team lead's hub to what reads it, cheaply: making the
handle imports nothing of the hub (SQLAlchemy and the hub's upgrade steps load the first time
the hub is opened), so opening the data folder stays quick on every laptop.

A PostgreSQL hub's password is never kept in a setting or in its URL: it comes from the
operating system's key store (service "probdesk-hub", account user@host:port/database), or on
the command line from PROBDESK_HUB_PASSWORD, or it is asked for (the window's password dialog,
a terminal's prompt). A URL with the password written in it still works on the command line."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from probdesk.errors import InputError

if TYPE_CHECKING:
    from probdesk.hub.store import Hub, HubLocation

PASSWORD_ENV = "PROBDESK_HUB_PASSWORD"
KEY_STORE_SERVICE = "probdesk-hub"  # probdesk.store.hub_password.SERVICE


def default_hub_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'hub.sqlite'}"


def location(url: str) -> HubLocation:
    """The URL taken apart (user, server, database, a password written in it); InputError
    when it is no URL. Connects to nothing."""
    from probdesk.hub.store import hub_location

    return hub_location(url)


# -- the password ------------------------------------------------------------------------------


def stored_password(url: str) -> str | None:
    """The password this computer's key store keeps for the PostgreSQL hub at `url`."""
    loc = location(url)
    if not loc.postgresql:
        return None
    from probdesk.store import hub_password

    return hub_password.stored(loc.account)


def remember_password(url: str, password: str) -> bool:
    """Keep the hub's password in the key store; False when there is none, or it refused."""
    from probdesk.store import hub_password

    return hub_password.remember(location(url).account, password)


def forget_password(url: str) -> None:
    from probdesk.store import hub_password

    hub_password.forget(location(url).account)


def has_key_store() -> bool:
    from probdesk.store import hub_password

    return hub_password.has_key_store()


def is_password_problem(exc: BaseException) -> bool:
    """Whether `exc` is the server asking for a password, or refusing the one given."""
    from probdesk.hub.store import PasswordNeeded, PasswordRefused

    return isinstance(exc, (PasswordNeeded, PasswordRefused))


def open_hub_asking(
    data_dir: Path,
    url: str | None,
    *,
    environ: Mapping[str, str] = os.environ,
    ask: Callable[[str], str | None] | None = None,
) -> Hub:
    """The command line's hub: `url` (else the data folder's hub.sqlite). A PostgreSQL hub's
    password is the one written in the URL (not recommended), else PROBDESK_HUB_PASSWORD,
    else the key store's; when the server asks for one none of those gave, or refuses the
    key store's, `ask` (a terminal's prompt; None without a terminal) is asked once. No
    password to give is one plain InputError saying where to put it."""
    from probdesk.hub.store import PasswordNeeded
    from probdesk.services.hub import open_hub

    if url is None or url.startswith("sqlite"):
        return open_hub(data_dir, url)
    loc = location(url)
    if not loc.postgresql:
        return open_hub(data_dir, url)
    given = loc.password if loc.password is not None else environ.get(PASSWORD_ENV) or None
    password = given if given is not None else stored_password(loc.url)
    try:
        return open_hub(data_dir, loc.url, password)
    except InputError as exc:
        if not is_password_problem(exc):
            raise
        if given is None and ask is not None:
            typed = ask(f"Password for {loc.account}: ")
            if typed:
                return open_hub(data_dir, loc.url, typed)
        if isinstance(exc, PasswordNeeded):
            raise InputError(
                f"{exc.message} Set {PASSWORD_ENV}, keep the password in this computer's key "
                f"store (service {KEY_STORE_SERVICE}, user {loc.account}), or run the command "
                "in a terminal to be asked for it."
            ) from None
        source = (
            "written in the URL"
            if loc.password is not None
            else f"from {PASSWORD_ENV}"
            if given is not None
            else "from this computer's key store"
        )
        raise InputError(f"{exc.message} (The password came {source}.)") from None


# -- the window's handle -------------------------------------------------------------------------


class HubAccess:
    """The team lead's hub for one data folder, as the composition root hands it to the views
    and commands that read or write it: the window's data-opening code (or the command line)
    makes one, every view shares it, and its maker closes it. The hub is opened on first use,
    once; asking whether there is one never makes an empty hub file (an assessor's laptop, or
    a lead's before any merge, keeps none).

    `url` is the hub's URL without a password (None: the data folder's hub.sqlite); a
    PostgreSQL hub is opened with `password` (None: none, or the server does not ask).
    `password_hint` is added to the message when the server asks for a password or refuses
    it (the window says where to give it)."""

    def __init__(
        self,
        data_dir: Path,
        url: str | None = None,
        password: str | None = None,
        *,
        password_hint: str = "",
    ) -> None:
        self.data_dir = data_dir
        self.url = url or default_hub_url(data_dir)
        self.password = password
        self.password_hint = password_hint
        self._hub: Hub | None = None
        # A server that refused or could not be reached: said again at once to every view
        # that asks, instead of each waiting out the connect timeout (File > Hub... makes a
        # new handle to try again).
        self._refused: InputError | None = None

    @property
    def is_default(self) -> bool:
        """Whether this is the data folder's own hub (hub.sqlite in it)."""
        return self.url == default_hub_url(self.data_dir)

    def describe(self) -> str:
        """Which hub this is, in a few words: "PostgreSQL lead@hub.example.org/probdesk", or
        "this data folder's (SQLite file)"."""
        if self.is_default:
            return "this data folder's (SQLite file)"
        try:
            return location(self.url).shown
        except InputError:
            return self.url

    def exists(self) -> bool:
        """Whether there is a hub to read: open, a server's, or a SQLite file on disk."""
        if self._hub is not None or not self.url.startswith("sqlite:///"):
            return True
        return Path(self.url.removeprefix("sqlite:///").partition("?")[0]).is_file()

    def get(self) -> Hub:
        """The hub, opened the first time it is asked for (a new one is made if none is
        there: merging into it comes next), with the data folder's key like `open_hub`."""
        if self._refused is not None:
            raise self._refused
        if self._hub is None:
            from probdesk.services.hub import open_hub

            try:
                self._hub = open_hub(self.data_dir, self.url, self.password)
            except InputError as exc:
                refused = exc
                if self.password_hint and is_password_problem(exc):
                    refused = InputError(f"{exc.message} {self.password_hint}")
                if not self.url.startswith("sqlite"):
                    self._refused = refused
                if refused is exc:
                    raise
                raise refused from None
        return self._hub

    @property
    def is_open(self) -> bool:
        return self._hub is not None

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
