"""A PostgreSQL hub's password in the operating system's key store (never in a setting or a
file of probdesk's): kept under the service "probdesk-hub" and the account user@host:port/db.
"""

from __future__ import annotations

import logging

from probdesk.store.datakey import _keyring

log = logging.getLogger("probdesk.store.hub_password")

SERVICE = "probdesk-hub"


def has_key_store() -> bool:
    return _keyring() is not None


def stored(account: str) -> str | None:
    """The password kept for `account`, or None (none kept, no key store, or it refused)."""
    backend = _keyring()
    if backend is None:
        return None
    try:
        found = backend.get_password(SERVICE, account)
    except Exception:  # locked, refused: as if none were kept
        log.warning("the key store did not give the hub's password")
        return None
    return str(found) if found else None


def remember(account: str, password: str) -> bool:
    """Keep `password` for `account`; True when the key store holds it afterwards."""
    backend = _keyring()
    if backend is None:
        return False
    try:
        backend.set_password(SERVICE, account, password)
        return bool(backend.get_password(SERVICE, account) == password)
    except Exception:
        log.warning("the key store refused the hub's password")
        return False


def forget(account: str) -> None:
    """Drop the password kept for `account`, if any."""
    backend = _keyring()
    if backend is None:
        return
    try:
        if backend.get_password(SERVICE, account) is not None:
            backend.delete_password(SERVICE, account)
    except Exception:
        log.warning("the key store did not drop the hub's password")
