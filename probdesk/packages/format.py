"""The package format: names, version, limits, the manifest schema and the one error type.

See docs/package-format.md. Nothing here does I/O or cryptography.
"""

from __future__ import annotations

import json
from typing import Any

from probdesk.errors import InputError

FORMAT = "probdesk-package"
FORMAT_VERSION = "1.0"  # major.minor: a reader reads every minor of its major, nothing newer
FORMAT_MAJOR, FORMAT_MINOR = (int(p) for p in FORMAT_VERSION.split("."))

MANIFEST, PAYLOAD, SIGNATURE = ENTRY_NAMES = ("manifest.json", "payload.bin", "signature.bin")
FILE_SUFFIX = ".pdpkg"
CIPHER = "AES-256-GCM"
NONCE_BYTES = 12
KEY_BYTES = 32
TAG_BYTES = 16
SIGNATURE_BYTES = 64  # Ed25519
HPKE_INFO_PREFIX = b"probdesk-package-v1:"  # + package_id: a wrapped key is bound to its package
ROLES = ("team_lead", "recovery", "assessor")

MiB = 1024 * 1024
MAX_PACKAGE_BYTES = 512 * MiB
MAX_MANIFEST_BYTES = 64 * 1024
MAX_PAYLOAD_BYTES = 256 * MiB
MAX_SIGNATURE_BYTES = 1024
MAX_RATIO = 50  # uncompressed / compressed, per entry
MAX_ENTRIES = 3
MAX_RECIPIENTS = 64

#: Largest uncompressed size of each entry.
ENTRY_LIMITS = {
    MANIFEST: MAX_MANIFEST_BYTES,
    PAYLOAD: MAX_PAYLOAD_BYTES,
    SIGNATURE: MAX_SIGNATURE_BYTES,
}


class PackageError(InputError):
    """A package file that cannot be used; `reason` is a short stable code for callers and tests.

    Reasons: unreadable, not_a_file, not_a_zip, truncated, leading_data, trailing_data,
    bad_structure, corrupt, bad_entry_name, duplicate_entry, missing_entry, too_many_entries,
    too_large, compression_bomb, bad_manifest, newer_format, bad_signature, unknown_signer,
    signer_mismatch, payload_hash, not_a_recipient, decrypt_failed, bad_payload, wrong_kind;
    from the writer: name_taken, verify_failed.
    """

    def __init__(self, package: str, reason: str, explanation: str) -> None:
        super().__init__(f"{package}: {explanation}")
        self.package = package
        self.reason = reason
        self.explanation = explanation


def canonical_json(value: Any) -> bytes:
    """The one byte form of a JSON value: sorted keys, no spaces, UTF-8, no NaN/Infinity."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


_ID = {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"}
_KEY_ID = {"type": "string", "pattern": r"^[0-9a-f]{16}$"}
_B64_32 = {"type": "string", "pattern": r"^[A-Za-z0-9+/]{43}=$"}  # 32 raw bytes
_SHA256 = {"type": "string", "pattern": r"^[0-9a-f]{64}$"}
_REQUIRED = [
    "format", "format_version", "kind", "package_id", "inspection_id", "device_id", "hlc",
    "counts", "extra", "created_at", "payload", "recipients", "signer",
]  # fmt: skip

#: JSON Schema of manifest.json, format 1.x. Top-level fields added by a later 1.x minor are
#: dropped before validation (see reader); everything else is exact.
MANIFEST_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "probdesk package manifest 1.x",
    "type": "object",
    "additionalProperties": False,
    "required": _REQUIRED,
    "properties": {
        "format": {"const": FORMAT},
        "format_version": {"type": "string", "pattern": r"^1\.(0|[1-9][0-9]{0,5})$"},
        "kind": {"type": "string", "pattern": r"^[a-z][a-z0-9_]{0,31}$"},
        "package_id": _ID,
        "inspection_id": _ID,
        "device_id": _ID,
        "hlc": {"type": "string", "pattern": r"^[0-9]{13}\.[0-9]{6}\.[A-Za-z0-9._-]{1,64}$"},
        "counts": {
            "type": "object",
            "maxProperties": 64,
            "propertyNames": {"pattern": r"^[a-z][a-z0-9_]{0,63}$"},
            "additionalProperties": {"type": "integer", "minimum": 0},
        },
        "extra": {"type": ["object", "null"], "maxProperties": 64},
        "created_at": {
            "type": "string",
            "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?Z$",
        },
        "payload": {
            "type": "object",
            "additionalProperties": False,
            "required": ["sha256", "size", "cipher"],
            "properties": {
                "sha256": _SHA256,
                "size": {
                    "type": "integer",
                    "minimum": NONCE_BYTES + TAG_BYTES,
                    "maximum": MAX_PAYLOAD_BYTES,
                },
                "cipher": {"const": CIPHER},
            },
        },
        "recipients": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_RECIPIENTS,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["key_id", "role", "wrapped_key"],
                "properties": {
                    "key_id": _KEY_ID,
                    "role": {"enum": list(ROLES)},
                    "wrapped_key": {"type": "string", "pattern": r"^[A-Za-z0-9+/]{4,200}={0,2}$"},
                },
            },
        },
        "signer": {
            "type": "object",
            "additionalProperties": False,
            "required": ["key_id", "signing_public", "encryption_public"],
            "properties": {
                "key_id": _KEY_ID,
                "signing_public": _B64_32,
                "encryption_public": _B64_32,
            },
        },
    },
}


def parse_version(text: object) -> tuple[int, int] | None:
    """(major, minor) of a "major.minor" string, or None when it is not one."""
    if not isinstance(text, str) or len(text) > 16:
        return None
    major, dot, minor = text.partition(".")
    if not (dot and major.isascii() and minor.isascii() and major.isdigit() and minor.isdigit()):
        return None
    return int(major), int(minor)


def control_character_path(value: Any) -> str | None:
    """Where the first control character (or lone surrogate) in a JSON value's strings or keys
    is, or None.

    The schema's patterns end in "$", which Python also matches before a final newline; this
    closes that gap, keeps terminal escapes out of anything shown or logged, and keeps out
    strings that cannot be written as UTF-8.
    """
    stack: list[tuple[str, Any]] = [("$", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if _bad_text(item):
                return path
        elif isinstance(item, dict):
            for k, v in item.items():
                if _bad_text(k):
                    return path
                stack.append((f"{path}.{k}", v))
        elif isinstance(item, list):
            stack.extend((f"{path}[{i}]", v) for i, v in enumerate(item))
    return None


def _bad_text(text: str) -> bool:
    return any(c < " " or "\x7f" <= c < "\xa0" or "\ud800" <= c <= "\udfff" for c in text)


def finite_float(text: str) -> float:
    """json's parse_float: a number too large for a float (1e999) is not taken as infinity."""
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"number out of range: {text[:20]}")
    return value
