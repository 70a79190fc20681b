"""Tamper evidence: one hash chain over what a device recorded for an inspection, and the
statement its key signs.

Every change a device records for an inspection (an answer, a case change, a meeting note,
an evidence event) is a link of that device's chain for the inspection, in the order of its
sequence numbers: each link's hash covers the one before and the change's content. The
device keeps the newest link (the head) and signs it with its Ed25519 key at every save
(probdesk.store.chains); packages carry the signed head. Anyone holding the device's public
key and the changes can fold them again and compare: an answer edited, a note inserted or a
change deleted outside probdesk gives another hash.

The same chain is computed from the laptop's rows, from a package's payload and from the
hub's rows, so a change's content is read field by field from a mapping or an object alike.
Times of recording are left out (stores keep them in different forms); the clock (`hlc`) is
in, and it orders everything.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# The content of each kind of change that the chain covers, by field name (the names are
# the same in the domain records, the wire format and both stores).
FIELDS: dict[str, tuple[str, ...]] = {
    "answer": ("id", "case_id", "question_id", "value", "note", "device_id", "seq", "hlc",
               "replaces", "author"),
    "case_event": ("id", "case_id", "field", "value", "device_id", "seq", "hlc", "replaces",
                   "settles", "author"),
    "meeting_note": ("id", "meeting_id", "question_id", "note", "device_id", "seq", "hlc",
                     "replaces", "author"),
    "org_event": ("id", "kind", "subject_id", "payload", "device_id", "seq", "hlc",
                  "replaces", "author"),
}  # fmt: skip
AUDIT_CHAIN = "audit"
_VERSION = "probdesk chain v1"


def content_chain(inspection_id: str) -> str:
    """The name of a device's chain of changes for one inspection."""
    return f"content/{inspection_id}"


@dataclass(frozen=True)
class Head:
    """The newest link of a chain: the highest sequence number, how many links, the hash."""

    seq: int
    count: int
    hash: str


def _canonical(value: Any) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def genesis(device_id: str, chain: str) -> Head:
    """The chain before its first link."""
    digest = hashlib.sha256(_canonical([_VERSION, device_id, chain])).hexdigest()
    return Head(0, 0, digest)


def _field(change: Any, name: str) -> Any:
    value = change.get(name) if isinstance(change, Mapping) else getattr(change, name)
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Mapping):
        return dict(value)
    return value


def content(kind: str, change: Any) -> list[Any]:
    """What the chain covers of one change (a record, a payload dict or a store row)."""
    names = FIELDS[kind]
    return [kind, *(_field(change, n) for n in names)]


def link(head: Head, kind: str, change: Any) -> Head:
    """The head after one more change (which must come after the head in sequence)."""
    seq = int(_field(change, "seq"))
    payload = _canonical([head.hash, content(kind, change)])
    return Head(seq, head.count + 1, hashlib.sha256(payload).hexdigest())


def order(kind_change: tuple[str, Any]) -> tuple[int, str, str]:
    """Where a (kind, change) pair comes in its chain: by sequence number (the changes made
    at once share one), then kind and id."""
    kind, change = kind_change
    return int(_field(change, "seq")), kind, str(_field(change, "id"))


def fold(device_id: str, chain: str, changes: Iterable[tuple[str, Any]]) -> Head:
    """The head of a chain made of (kind, change) pairs, taken in their order."""
    head = genesis(device_id, chain)
    for kind, change in sorted(changes, key=order):
        head = link(head, kind, change)
    return head


def statement(device_id: str, chain: str, head: Head) -> bytes:
    """The bytes a device signs for a head."""
    return _canonical([_VERSION, device_id, chain, head.seq, head.count, head.hash])


def head_out(head: Head, signature: str) -> dict[str, Any]:
    """A signed head as it travels in a package."""
    return {"seq": head.seq, "count": head.count, "hash": head.hash, "signature": signature}


def head_in(d: Mapping[str, Any]) -> tuple[Head, str]:
    return Head(int(d["seq"]), int(d["count"]), str(d["hash"])), str(d["signature"])
