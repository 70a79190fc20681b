"""Writing packages: seal a JSON payload for recipients, sign the manifest, zip, write safely."""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import uuid
import zipfile
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from probdesk.errors import EnvironmentProblem
from probdesk.fs import atomic_write
from probdesk.packages.format import (
    CIPHER,
    FILE_SUFFIX,
    FORMAT,
    FORMAT_VERSION,
    HPKE_INFO_PREFIX,
    KEY_BYTES,
    MANIFEST,
    MANIFEST_SCHEMA,
    MAX_MANIFEST_BYTES,
    MAX_PACKAGE_BYTES,
    MAX_PAYLOAD_BYTES,
    MAX_RECIPIENTS,
    NONCE_BYTES,
    PAYLOAD,
    SIGNATURE,
    PackageError,
    canonical_json,
    control_character_path,
)
from probdesk.packages.keys import DeviceKeys, Recipient, b64, key_id

log = logging.getLogger(__name__)

HPKE_SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_NAME_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_KIND = re.compile(r"[a-z][a-z0-9_]{0,31}")
_NEW = "<new package>"


def build_package(
    *,
    kind: str,
    payload: dict[str, Any],
    inspection_id: str,
    device_id: str,
    hlc: str,
    counts: Mapping[str, int],
    extra: Mapping[str, Any] | None,
    signer: DeviceKeys,
    recipients: Sequence[Recipient],
    package_id: str | None = None,
    created_at: datetime | None = None,
) -> tuple[str, bytes]:
    """(package_id, the package's bytes): payload encrypted to recipients, manifest signed.

    The payload must be a JSON object carrying this "device_id" and "inspection_id" (the reader
    insists on both). A new random package id is used unless one is given. Inputs that break
    the format are programming errors (ValueError); a payload over the size limit is a
    PackageError with reason "too_large". Nothing personal may go into counts or extra: they
    are readable by anyone who can see the shared folder.
    """
    if not isinstance(payload, dict):
        raise ValueError("the payload must be a JSON object (dict)")
    if payload.get("device_id") != device_id:
        raise ValueError("payload['device_id'] must be the package's device_id")
    if payload.get("inspection_id") != inspection_id:
        raise ValueError("payload['inspection_id'] must be the package's inspection_id")
    return _seal(
        kind=kind, payload=payload, inspection_id=inspection_id, device_id=device_id, hlc=hlc,
        counts=counts, extra=extra, signer=signer, recipients=recipients,
        package_id=package_id or str(uuid.uuid4()), created_at=created_at,
    )  # fmt: skip


def _seal(
    *,
    kind: str,
    payload: Any,
    inspection_id: str,
    device_id: str,
    hlc: str,
    counts: Mapping[str, int],
    extra: Mapping[str, Any] | None,
    signer: DeviceKeys,
    recipients: Sequence[Recipient],
    package_id: str,
    created_at: datetime | None,
) -> tuple[str, bytes]:
    """build_package without the payload checks (tests use it to make packages readers refuse)."""
    if not recipients:
        raise ValueError("a package needs at least one recipient")
    unique = list({r.key_id: r for r in recipients}.values())
    if len(unique) > MAX_RECIPIENTS:
        raise ValueError(f"at most {MAX_RECIPIENTS} recipients, not {len(unique)}")
    try:
        plaintext = canonical_json(payload)
    except (TypeError, ValueError) as e:
        raise ValueError(f"the payload is not JSON: {e}") from e
    if len(plaintext) + NONCE_BYTES + 16 > MAX_PAYLOAD_BYTES:
        raise PackageError(
            _NEW,
            "too_large",
            f"the payload is {len(plaintext) / 2**20:.0f} MiB; a package holds at most "
            f"{MAX_PAYLOAD_BYTES // 2**20} MiB: export in smaller parts",
        )

    content_key = os.urandom(KEY_BYTES)
    nonce = os.urandom(NONCE_BYTES)
    payload_bin = nonce + AESGCM(content_key).encrypt(nonce, plaintext, package_id.encode())
    info = HPKE_INFO_PREFIX + package_id.encode()
    wrapped = [
        {
            "key_id": r.key_id,
            "role": r.role,
            "wrapped_key": b64(
                HPKE_SUITE.encrypt(content_key, X25519PublicKey.from_public_bytes(r.public), info)
            ),
        }
        for r in unique
    ]
    when = (created_at or datetime.now(UTC)).astimezone(UTC)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "kind": kind,
        "package_id": package_id,
        "inspection_id": inspection_id,
        "device_id": device_id,
        "hlc": hlc,
        "counts": dict(counts),
        "extra": None if extra is None else dict(extra),
        "created_at": when.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "payload": {
            "sha256": hashlib.sha256(payload_bin).hexdigest(),
            "size": len(payload_bin),
            "cipher": CIPHER,
        },
        "recipients": wrapped,
        "signer": {
            "key_id": key_id(signer.signing_public),
            "signing_public": b64(signer.signing_public),
            "encryption_public": b64(signer.encryption_public),
        },
    }
    _check_manifest(manifest)
    manifest_bytes = canonical_json(manifest)
    if len(manifest_bytes) > MAX_MANIFEST_BYTES:
        raise ValueError(f"the manifest is {len(manifest_bytes)} bytes (counts/extra too big)")
    signature = signer.signing_key.sign(manifest_bytes)
    return package_id, _zip(manifest_bytes, payload_bin, signature)


def _check_manifest(manifest: dict[str, Any]) -> None:
    import jsonschema  # lazily: only code that writes or reads packages pays for the import

    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(MANIFEST_SCHEMA).iter_errors(manifest)
    )
    if error is not None:
        raise ValueError(f"the manifest would be invalid at {error.json_path}: {error.message}")
    bad = control_character_path(manifest)
    if bad:
        raise ValueError(f"the manifest would have a control character at {bad}")


def _zip(manifest: bytes, payload: bytes, signature: bytes) -> bytes:
    """The three entries in fixed order with fixed metadata: same inputs, same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data, method in (
            (MANIFEST, manifest, zipfile.ZIP_DEFLATED),
            (PAYLOAD, payload, zipfile.ZIP_STORED),
            (SIGNATURE, signature, zipfile.ZIP_STORED),
        ):
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.compress_type = method
            info.create_system = 3  # the same bytes whichever system writes them
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return out.getvalue()


def package_file_name(kind: str, package_id: str) -> str:
    """The file name in the shared folder, e.g. "pd-events-<package_id>.pdpkg": ids only."""
    if not _KIND.fullmatch(kind):
        raise ValueError(f"bad package kind {kind!r}")
    if not _NAME_PART.fullmatch(package_id):
        raise ValueError(f"bad package id {package_id!r}")
    return f"pd-{kind}-{package_id}{FILE_SUFFIX}"


def write_atomically(data: bytes, folder: Path, name: str, mode: int = 0o644) -> Path:
    """Write data to folder/name so that the name only ever holds the complete bytes.

    `mode` on POSIX: 0644 by default, for the shared folder, where the team's accounts read
    each other's packages (encrypted and signed: a package's bytes are safe to read); the
    outbox's staging copies are written 0600.

    Written by probdesk.fs.atomic_write (a temporary ".{name}.<random>.tmp" that scan_folder
    ignores, flush, fsync, rename over the final name, fsync the folder), then the final file
    is read back and its SHA-256 compared.
    Writing the same bytes again is a no-op (a retry after an interruption); different bytes
    under an existing name are a PackageError "name_taken"; a read-back mismatch removes the
    file and is a PackageError "verify_failed". Disk problems are EnvironmentProblem.
    """
    if not name or name in (".", "..") or Path(name).name != name or "\\" in name:
        raise ValueError(f"not a plain file name: {name!r}")
    if len(data) > MAX_PACKAGE_BYTES:
        raise ValueError(f"{len(data)} bytes is over the package limit")
    folder = Path(folder)
    final = folder / name
    want = hashlib.sha256(data).hexdigest()
    try:
        if final.exists():
            if _sha256_of(final) == want:
                log.info("%s is already in the shared folder with the same content", name)
                return final
            raise PackageError(
                name,
                "name_taken",
                "a different file with this name is already in the shared folder; "
                "it was left as it is",
            )
        atomic_write(final, data, mode=mode)  # `mode` whatever the process's umask
        if _sha256_of(final) != want:
            _remove_quietly(final)
            raise PackageError(
                name,
                "verify_failed",
                "the file read back from the shared folder differs from what was written; "
                "it was removed: check the drive and export again",
            )
    except OSError as e:
        raise EnvironmentProblem(
            f"{final}: could not write the package: {e.strerror or e}. "
            "Check that the shared folder is reachable, writable and not full, then try again."
        ) from e
    return final


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _remove_quietly(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        log.warning("could not remove %s", path.name)
