"""The wire format: what travels in packages, in one place.

The payload schema of each kind of package (events, setup, send-back, receipt) and the typed
conversion of each record that travels. A field that travels is added here and in the two
stores (probdesk.store for the laptop, probdesk.hub for the hub), nowhere else. The
envelope (manifest, signature, encryption) is probdesk.packages.format.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from probdesk.domain.case_events import CaseEvent, base_events
from probdesk.domain.evidence import ATTACHMENT_LIMIT

_STR = {"type": "string"}
_OPT_STR = {"type": ["string", "null"]}
_ID = {"type": "string", "minLength": 1, "maxLength": 36}
_EVENT = {
    "type": "object",
    "required": ["id", "case_id", "question_id", "value", "note", "device_id", "seq", "hlc",
                 "replaces", "qs_id", "qs_version", "recorded_at"],
    "properties": {
        "id": _ID, "case_id": _ID, "question_id": {"type": "string", "maxLength": 64},
        "note": {"type": "string"}, "device_id": _ID, "seq": {"type": "integer", "minimum": 0},
        "hlc": {"type": "string", "maxLength": 80}, "replaces": {"type": ["string", "null"],
        "maxLength": 36}, "qs_id": {"type": "string", "maxLength": 64},
        "qs_version": {"type": "string", "maxLength": 64},
        "recorded_at": {"type": "string", "maxLength": 40},
        "author": {"type": "string", "maxLength": 80}},
}  # fmt: skip
_CASE_EVENT = {
    "type": "object",
    "required": ["id", "case_id", "field", "value", "device_id", "seq", "hlc", "replaces",
                 "settles", "author", "recorded_at"],
    "properties": {
        "id": _ID, "case_id": _ID, "field": {"type": "string", "minLength": 1, "maxLength": 80},
        "device_id": {"type": "string", "maxLength": 36},
        "seq": {"type": "integer", "minimum": 0}, "hlc": {"type": "string", "maxLength": 80},
        "replaces": {"type": ["string", "null"], "maxLength": 36},
        "settles": {"type": "array", "items": _ID, "maxItems": 64},
        "author": {"type": "string", "maxLength": 80},
        "recorded_at": {"type": "string", "maxLength": 40}},
}  # fmt: skip
EVENTS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["device_id", "inspection_id", "device", "seq_to", "cases", "answers",
                 "meetings", "meeting_notes"],
    "properties": {
        "device_id": _STR,
        "inspection_id": _STR,
        "device": {"type": "object", "required": ["name", "role"]},
        "seq_to": {"type": "integer", "minimum": 0},
        "cases": {"type": "array", "items": {"type": "object",
                  "required": ["id", "reference", "facts", "variant", "assessor", "status"],
                  "properties": {
                      "id": _ID, "reference": {"type": "string", "minLength": 1, "maxLength": 64},
                      "pdu": {"type": ["string", "null"], "maxLength": 120},
                      "facts": {"type": "object"}, "variant": _OPT_STR,
                      "assessor": {"type": "string", "maxLength": 80},
                      "status": {"type": "string", "maxLength": 20},
                      "updated_hlc": {"type": "string", "maxLength": 80}}}},
        "answers": {"type": "array", "items": _EVENT},
        "case_events": {"type": "array", "items": _CASE_EVENT},
        "enrolment": {"type": "object", "required": ["member", "proof"],
                      "properties": {"member": {"type": "string", "maxLength": 80},
                                     "proof": {"type": "string", "maxLength": 128}}},
        "meetings": {"type": "array", "items": {"type": "object",
                     "required": ["id", "kind", "held_on", "title", "groups", "questions"],
                     "properties": {
                         "id": _ID, "kind": {"type": "string", "maxLength": 20},
                         "held_on": {"type": "string", "maxLength": 10}, "title": _STR,
                         "groups": {"type": "array"}, "questions": {"type": "array"}}}},
        "meeting_notes": {"type": "array", "items": {"type": "object",
                          "required": ["id", "meeting_id", "question_id", "note", "device_id",
                                       "seq", "hlc", "replaces", "recorded_at"],
                          "properties": {
                              "id": _ID, "meeting_id": _ID,
                              "question_id": {"type": "string", "maxLength": 64}, "note": _STR,
                              "device_id": _ID, "seq": {"type": "integer", "minimum": 0},
                              "hlc": {"type": "string", "maxLength": 80},
                              "replaces": {"type": ["string", "null"], "maxLength": 36},
                              "recorded_at": {"type": "string", "maxLength": 40},
                              "author": {"type": "string", "maxLength": 80}}}},
        # The signed head of the device's chain for the inspection (probdesk.domain.tamper);
        # absent from packages written before tamper evidence.
        "chain": {"type": "object", "required": ["seq", "count", "hash", "signature"],
                  "properties": {
                      "seq": {"type": "integer", "minimum": 0},
                      "count": {"type": "integer", "minimum": 0},
                      "hash": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                      "signature": {"type": "string", "pattern": "^([0-9a-f]{128})?$"}}},
        # Domain one evidence (absent from packages written before it existed).
        "org_events": {"type": "array", "items": {"type": "object",
                       "required": ["id", "kind", "subject_id", "payload", "device_id", "seq",
                                    "hlc", "replaces", "author", "recorded_at"],
                       "properties": {
                           "id": _STR, "kind": {"type": "string", "pattern": "^[a-z][a-z_]{0,19}$"},
                           "subject_id": {"type": "string", "minLength": 1, "maxLength": 200},
                           "payload": {"type": "object"}, "device_id": _STR,
                           "seq": {"type": "integer", "minimum": 1}, "hlc": _STR,
                           "replaces": _OPT_STR, "author": _STR, "recorded_at": _STR}}},
        "attachments": {"type": "array", "items": {"type": "object",
                        "required": ["sha256", "name", "size", "data"],
                        "properties": {
                            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                            "name": _STR, "data": _STR,
                            "size": {"type": "integer", "minimum": 0,
                                     "maximum": ATTACHMENT_LIMIT}}}},
    },
}  # fmt: skip
SETUP_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["device_id", "inspection_id", "revision", "inspection", "question_set",
                 "assessors", "cases", "recipients", "lead"],
    "properties": {
        "revision": {"type": "integer", "minimum": 1},
        "inspection": {"type": "object", "required": ["region", "pdu", "pdus", "fieldwork_start",
                                                     "fieldwork_end"]},
        "question_set": {"type": "object", "required": ["text", "hash"]},
        "assessors": {"type": "array", "items": {"type": "object", "required": ["name", "role"]}},
        "cases": {"type": "array", "items": {"type": "object",
                  "required": ["id", "reference", "pdu", "facts", "assessor"]}},
        "case_events": {"type": "array", "items": _CASE_EVENT},
        "recipients": {"type": "array", "items": {"type": "object",
                       "required": ["name", "role", "public"]}},
        "lead": {"type": "object", "required": ["name", "signing_public", "encryption_public"]},
    },
}  # fmt: skip
SENDBACK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["device_id", "inspection_id", "to_device", "comments", "returned", "author"],
    "properties": {
        "comments": {"type": "array", "items": {"type": "object",
                     "required": ["id", "case_id", "text", "created_at"],
                     # The one question it is about (absent from packs written before).
                     "properties": {"question_id": {"type": ["string", "null"],
                                                    "minLength": 1, "maxLength": 64}}}},
        "returned": {"type": "array", "items": _STR},
        "resolutions": {"type": "array", "items": _EVENT},
        "case_events": {"type": "array", "items": _CASE_EVENT},
        # The team lead closed the inspection (absent from packs written before retention).
        "closed_at": {"type": "string", "maxLength": 40,
                      "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T"},
    },
}  # fmt: skip
RECEIPT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["device_id", "inspection_id", "package_id", "sha256", "seq_to", "merged_at"],
}


# -- case events ----------------------------------------------------------------------------------


def own_changes(payload: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """An events package's changes made by the device that sent it, as (kind, change): what
    its chain (probdesk.domain.tamper) covers."""
    device_id = payload["device_id"]
    out: list[tuple[str, Mapping[str, Any]]] = []
    for kind, key in (("answer", "answers"), ("case_event", "case_events"),
                      ("meeting_note", "meeting_notes"), ("org_event", "org_events")):  # fmt: skip
        out.extend((kind, d) for d in payload.get(key, []) if d.get("device_id") == device_id)
    return out


def case_event_out(e: CaseEvent) -> dict[str, Any]:
    return {
        "id": e.id, "case_id": e.case_id, "field": e.field, "value": e.value,
        "device_id": e.device_id, "seq": e.seq, "hlc": e.hlc, "replaces": e.replaces,
        "settles": list(e.settles), "author": e.author, "recorded_at": e.recorded_at,
    }  # fmt: skip


def case_event_in(d: Mapping[str, Any]) -> CaseEvent:
    """A checked payload's case event (the schema has been applied)."""
    return CaseEvent(
        str(d["id"]), str(d["case_id"]), str(d["field"]), d.get("value"), str(d["device_id"]),
        int(d["seq"]), str(d["hlc"]), d.get("replaces"), tuple(str(x) for x in d["settles"]),
        str(d.get("author", "")), str(d.get("recorded_at", "")),
    )  # fmt: skip


def case_events_of(payload: Mapping[str, Any]) -> list[CaseEvent]:
    """An events package's case changes. A package written before case events carries none:
    its case rows are not taken as changes (the laptop's next package, written after its
    upgrade, carries its whole state as events)."""
    return [case_event_in(d) for d in payload.get("case_events", [])]


def setup_case_events(payload: Mapping[str, Any]) -> list[CaseEvent]:
    """A setup pack's case events: the team lead's changes. A pack written before case
    events carries the lead's case rows only; they are read as the base events an upgraded
    store makes of them (the same value is the same event everywhere)."""
    if "case_events" in payload:
        return [case_event_in(d) for d in payload["case_events"]]
    out: list[CaseEvent] = []
    for c in payload["cases"]:
        out.extend(base_events(str(c["id"]), dict(c["facts"]), c.get("pdu"),
                               str(c.get("assessor") or ""), ""))  # fmt: skip
    return out
