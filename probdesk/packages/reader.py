"""Reading packages: strict, bounded, verify before decrypt, decrypt before parse.

Whatever the bytes, the only exception that leaves this module is PackageError. The zip
structure is checked by hand (end record at the very end, central directory right before it,
entries back to back from offset 0, local headers agreeing with the directory) and entries are
inflated here with a running count, so a lying header cannot make the reader use unbounded
memory or time, and `zipfile`'s tolerance of junk around an archive does not apply.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import hashlib
import json
import os
import re
import stat
import struct
import threading
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NoReturn, Protocol

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hpke, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from probdesk.packages.format import (
    ENTRY_LIMITS,
    ENTRY_NAMES,
    FILE_SUFFIX,
    FORMAT,
    FORMAT_MAJOR,
    FORMAT_MINOR,
    HPKE_INFO_PREFIX,
    KEY_BYTES,
    MANIFEST,
    MANIFEST_SCHEMA,
    MAX_ENTRIES,
    MAX_PACKAGE_BYTES,
    MAX_RATIO,
    NONCE_BYTES,
    PAYLOAD,
    SIGNATURE,
    PackageError,
    control_character_path,
    finite_float,
    parse_version,
)
from probdesk.packages.keys import fingerprint, key_id

__all__ = ["OpenedPackage", "content_id", "peek_manifest", "read_package", "scan_folder"]

HPKE_SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)

_EOCD = struct.Struct("<4s4H2LH")  # end of central directory record, 22 bytes
_CDH = struct.Struct("<4s6H3L5H2L")  # central directory file header, 46 bytes
_LFH = struct.Struct("<4s5H3L2H")  # local file header, 30 bytes
_EOCD_SIG, _CDH_SIG, _LFH_SIG = b"PK\x05\x06", b"PK\x01\x02", b"PK\x03\x04"
_ZIP64_LOCATOR_SIG = b"PK\x06\x07"
_MAX_COMMENT = 0xFFFF
_MAX_CENTRAL_DIRECTORY = 64 * 1024
_FLAG_ENCRYPTED, _FLAG_DATA_DESCRIPTOR, _FLAG_UTF8 = 0x1, 0x8, 0x800
_ALLOWED_FLAGS = 0x2 | 0x4 | _FLAG_UTF8  # deflate options and UTF-8 names
_STORED, _DEFLATED = 0, 8
_CHUNK = 256 * 1024
_BACKGROUND_HASH_MIN = 4 * 1024 * 1024
_RAW = (serialization.Encoding.Raw, serialization.PublicFormat.Raw)
_LONE_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
_WINDOWS_RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³])$", re.IGNORECASE)


@dataclass(frozen=True)
class OpenedPackage:
    """A package that passed every check: its manifest, its decrypted payload and its identity."""

    manifest: dict[str, Any]
    payload: dict[str, Any]
    sha256: str  # of the whole package file: with manifest["package_id"], its identity
    signer_fingerprint: str

    @property
    def package_id(self) -> str:
        return str(self.manifest["package_id"])


def content_id(data: bytes) -> str:
    """SHA-256 (hex) of a package's bytes: equal for every copy of the same package."""
    digest = hashlib.sha256()
    digest.update(data)  # update() lets other threads run meanwhile; the constructor may not
    return digest.hexdigest()


@dataclass(frozen=True)
class VerifiedPackage:
    """A package whose signature, hash and encryption checked out: its decrypted bytes."""

    manifest: dict[str, Any]
    plaintext: bytes
    sha256: str
    signer_fingerprint: str


def verify_and_decrypt(
    source: Path | bytes,
    *,
    private_keys: Sequence[X25519PrivateKey],
    trusted_signers: Mapping[str, bytes] | None = None,
    expected_kind: str | None = None,
    name: str | None = None,
) -> VerifiedPackage:
    """Every structural check, the signature, the payload hash, then decryption; no parsing."""
    label, data = _load_all(source, name)
    whole_file_hash = _hash_in_background(data)  # overlaps with the checks below (no GIL)
    blob = _BytesBlob(data)
    ctx = _Context(label)
    manifest, entries, signing_public = _verified_manifest(blob, ctx, trusted_signers)
    if expected_kind is not None and manifest["kind"] != expected_kind:
        ctx.fail(
            "wrong_kind",
            f"This is a package of kind {manifest['kind']!r} where kind {expected_kind!r} was "
            "expected",
        )
    # The signed SHA-256 covers payload.bin; the zip CRC is checked only to say, on a mismatch,
    # whether the file was damaged in copying ("corrupt") or changed ("payload_hash").
    payload_bin = _extract(blob, entries[PAYLOAD], ctx, check_crc=False)
    declared = manifest["payload"]
    if len(payload_bin) != declared["size"] or (
        hashlib.sha256(payload_bin).hexdigest() != declared["sha256"]
    ):
        _check_crc(payload_bin, entries[PAYLOAD], ctx)
        ctx.fail(
            "payload_hash",
            "The payload does not match the hash in the signed manifest: it was changed or "
            "damaged after it was written",
        )
    plaintext = _decrypt(manifest, payload_bin, private_keys, ctx)
    return VerifiedPackage(manifest, plaintext, whole_file_hash(), fingerprint(signing_public))


def read_package(
    source: Path | bytes,
    *,
    private_keys: Sequence[X25519PrivateKey],
    trusted_signers: Mapping[str, bytes] | None = None,
    expected_kind: str | None = None,
    payload_schema: dict[str, Any] | None = None,
    name: str | None = None,
) -> OpenedPackage:
    """Check, verify, decrypt and parse a package; PackageError (with a reason) otherwise.

    trusted_signers maps device ids to raw Ed25519 public keys. None means trust on first use:
    any correctly signed package is accepted and the caller records manifest["signer"]. Given a
    mapping, a device that is not in it is "unknown_signer" and a different key is
    "signer_mismatch". The payload must be a JSON object whose "device_id" and
    "inspection_id" are the manifest's; payload_schema (JSON Schema) is checked when given.
    """
    verified = verify_and_decrypt(
        source,
        private_keys=private_keys,
        trusted_signers=trusted_signers,
        expected_kind=expected_kind,
        name=name,
    )
    ctx = _Context(name or (source.name if isinstance(source, Path) else "<bytes>"))
    payload = _parse_payload(verified.plaintext, verified.manifest, payload_schema, ctx)
    return OpenedPackage(verified.manifest, payload, verified.sha256, verified.signer_fingerprint)


def _hash_in_background(data: bytes) -> Callable[[], str]:
    """content_id(data), computed on another thread when data is large enough to gain from it.

    hashlib releases the GIL while it hashes, so on a multi-core machine the whole-file hash
    costs nothing next to the payload hash, decryption and JSON parsing.
    """
    if len(data) < _BACKGROUND_HASH_MIN:
        return lambda: content_id(data)
    found: list[str] = []
    worker = threading.Thread(
        target=lambda: found.append(content_id(data)), name="package-hash", daemon=True
    )
    worker.start()

    def result() -> str:
        worker.join()
        return found[0] if found else content_id(data)

    return result


def peek_manifest(
    source: Path | bytes,
    *,
    trusted_signers: Mapping[str, bytes] | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    """The verified manifest of a package without decrypting (or reading) its payload.

    The same structural, limit, schema, version and signature checks as read_package; from a
    path only the zip directory, the manifest and the signature are read, so listing a folder
    of large packages is quick. The payload's hash is checked only by read_package.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        label = name or "<bytes>"
        return _verified_manifest(_BytesBlob(bytes(source)), _Context(label), trusted_signers)[0]
    path = Path(source)
    label = name or path.name
    ctx = _Context(label)
    try:
        size = _regular_file_size(path, ctx)
        with open(path, "rb") as f:
            return _verified_manifest(_FileBlob(f, size, ctx), ctx, trusted_signers)[0]
    except OSError as e:
        ctx.fail("unreadable", f"The file could not be read: {e.strerror or e}")


def scan_folder(folder: Path, depth: int = 1) -> list[Path]:
    """Package files (*.pdpkg) in folder and in sub-folders up to `depth` levels down, sorted.

    Temporary and hidden files (".name", "~$name", *.tmp, *.partial, *.crdownload, *.part,
    Syncthing's ".syncthing.*.tmp") and hidden folders (".stversions", ".dropbox.cache") are
    skipped, as are symbolic links and anything that is not a regular file. Conflict copies
    made by sync tools ("X (conflicted copy ...).pdpkg", "X.sync-conflict-....pdpkg",
    "X (1).pdpkg") are ordinary package files: callers recognise repeats by package id and
    content hash, never by name.
    """
    found: list[Path] = []
    pending = [(Path(folder), 0)]
    while pending:
        current, level = pending.pop()
        try:
            entries = list(os.scandir(current))
        except OSError:
            continue  # a folder that vanished or is not readable: nothing to list there
        for entry in entries:
            if entry.name.startswith((".", "~")):
                continue
            try:
                if entry.is_symlink():
                    continue
                if entry.is_dir(follow_symlinks=False):
                    if level < depth:
                        pending.append((Path(entry.path), level + 1))
                elif entry.is_file(follow_symlinks=False) and _is_package_name(entry.name):
                    found.append(Path(entry.path))
            except OSError:
                continue
    return sorted(found)


def _is_package_name(name: str) -> bool:
    # Temporary names (*.tmp, *.part, *.partial, *.crdownload, ...) do not end in .pdpkg, and
    # the hidden ones (".name", "~$name", ".syncthing.*.tmp") are skipped before this.
    return name.lower().endswith(FILE_SUFFIX)


# --- sources -----------------------------------------------------------------------------


class _Context:
    """The package's display name, and failing with it."""

    def __init__(self, label: str) -> None:
        self.label = label

    def fail(self, reason: str, explanation: str) -> NoReturn:
        raise PackageError(self.label, reason, explanation)


class _Blob(Protocol):
    size: int

    def read(self, offset: int, length: int) -> bytes | memoryview: ...


class _BytesBlob:
    def __init__(self, data: bytes) -> None:
        self._view = memoryview(data)
        self.size = len(data)

    def read(self, offset: int, length: int) -> memoryview:
        return self._view[offset : offset + length]


class _FileBlob:
    def __init__(self, f: IO[bytes], size: int, ctx: _Context) -> None:
        self._f, self.size, self._ctx = f, size, ctx

    def read(self, offset: int, length: int) -> bytes:
        self._f.seek(offset)
        data = self._f.read(length)
        if len(data) != length:
            self._ctx.fail("truncated", "The file changed size while it was being read")
        return data


def _load_all(source: Path | bytes, name: str | None) -> tuple[str, bytes]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        ctx = _Context(name or "<bytes>")
        if len(data) > MAX_PACKAGE_BYTES:
            _too_big(ctx, len(data))
        return ctx.label, data
    path = Path(source)
    ctx = _Context(name or path.name)
    try:
        _regular_file_size(path, ctx)
        with open(path, "rb") as f:
            data = f.read(MAX_PACKAGE_BYTES + 1)  # never more, whatever the file does meanwhile
    except OSError as e:
        ctx.fail("unreadable", f"The file could not be read: {e.strerror or e}")
    if len(data) > MAX_PACKAGE_BYTES:
        _too_big(ctx, len(data))
    return ctx.label, data


def _regular_file_size(path: Path, ctx: _Context) -> int:
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        ctx.fail("not_a_file", "This is not a regular file")
    if st.st_size > MAX_PACKAGE_BYTES:
        _too_big(ctx, st.st_size)
    return st.st_size


def _bytes(n: int) -> str:
    return f"{n:,} unexpected byte{'s' if n != 1 else ''}"


def _too_big(ctx: _Context, size: int) -> NoReturn:
    ctx.fail(
        "too_large",
        f"The file is {size / 2**20:.0f} MiB; packages are at most "
        f"{MAX_PACKAGE_BYTES // 2**20} MiB",
    )


# --- zip structure -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    name: str
    raw_name: bytes
    flags: int
    method: int
    crc: int
    compress_size: int
    file_size: int
    offset: int  # of the local header
    data_offset: int = 0


def _entries(blob: _Blob, ctx: _Context) -> dict[str, _Entry]:
    """The three entries, after every structural check; fails on anything unexpected."""
    eocd_pos, (_, disk, cd_disk, n_disk, n_total, cd_size, cd_offset, _) = _find_end(blob, ctx)
    if disk or cd_disk or n_disk != n_total:
        ctx.fail("bad_structure", "The zip file is split over several parts")
    if (
        n_total == 0xFFFF
        or 0xFFFFFFFF in (cd_size, cd_offset)
        or (eocd_pos >= 20 and bytes(blob.read(eocd_pos - 20, 4)) == _ZIP64_LOCATOR_SIG)
    ):
        ctx.fail("bad_structure", "The file uses ZIP64 records, which packages never need")
    if n_total > MAX_ENTRIES:
        ctx.fail("too_many_entries", f"The file has {n_total} entries; a package has 3")
    cd_start = eocd_pos - cd_size
    if cd_start < 0 or cd_size > _MAX_CENTRAL_DIRECTORY:
        ctx.fail("bad_structure", "The zip directory's size is impossible")
    if cd_start > cd_offset:
        ctx.fail(
            "leading_data",
            f"The file has {_bytes(cd_start - cd_offset)} before the package's content",
        )
    if cd_start < cd_offset:
        ctx.fail("bad_structure", "The zip directory is not where the end record says it is")
    listed = _central_directory(bytes(blob.read(cd_start, cd_size)), n_total, ctx)
    _check_names(listed, ctx)
    for entry in listed:
        _check_entry(entry, ctx)
    return _check_layout(blob, listed, cd_start, ctx)


def _find_end(blob: _Blob, ctx: _Context) -> tuple[int, tuple[Any, ...]]:
    """The end-of-central-directory record, which must end exactly at the end of the file."""
    size = blob.size
    tail_start = max(0, size - _EOCD.size - _MAX_COMMENT)
    tail = bytes(blob.read(tail_start, size - tail_start))
    pos = tail.rfind(_EOCD_SIG)
    while pos >= 0:
        if len(tail) - pos >= _EOCD.size:
            record = _EOCD.unpack_from(tail, pos)
            end = pos + _EOCD.size + record[-1]
            if end == len(tail):
                if record[-1]:
                    ctx.fail("bad_structure", "The zip file has a comment; packages never do")
                return tail_start + pos, record
            cd_size, cd_offset = record[5], record[6]
            at = tail_start + pos
            if cd_offset + cd_size <= at and (
                at - cd_size >= 0 and bytes(blob.read(at - cd_size, 4)) == _CDH_SIG
            ):
                ctx.fail(
                    "trailing_data",
                    f"The file has {_bytes(size - at - _EOCD.size)} after the end of the package",
                )
        pos = tail.rfind(_EOCD_SIG, 0, pos)
    if size >= 4 and bytes(blob.read(0, 4)) == _LFH_SIG:
        ctx.fail(
            "truncated",
            "The file is incomplete (its end is missing): it may still be being copied, or "
            "the copy was interrupted",
        )
    ctx.fail("not_a_zip", "This is not a probdesk package (not a zip file)")


def _central_directory(cd: bytes, count: int, ctx: _Context) -> list[_Entry]:
    entries: list[_Entry] = []
    pos = 0
    for _ in range(count):
        if pos + _CDH.size > len(cd) or cd[pos : pos + 4] != _CDH_SIG:
            ctx.fail("bad_structure", "The zip directory is damaged")
        fields = _CDH.unpack_from(cd, pos)
        flags, method, crc, csize, usize = fields[3], fields[4], fields[7], fields[8], fields[9]
        name_len, extra_len, comment_len, disk_start = fields[10:14]
        offset = fields[16]
        end = pos + _CDH.size + name_len + extra_len + comment_len
        if end > len(cd) or disk_start != 0:
            ctx.fail("bad_structure", "The zip directory is damaged")
        if extra_len or comment_len:
            ctx.fail("bad_structure", "A zip entry has extra fields or a comment")
        raw = cd[pos + _CDH.size : pos + _CDH.size + name_len]
        if 0xFFFFFFFF in (csize, usize, offset):
            ctx.fail("bad_structure", "The file uses ZIP64 records, which packages never need")
        try:
            name = raw.decode("utf-8") if flags & _FLAG_UTF8 else raw.decode("cp437")
        except UnicodeDecodeError:
            ctx.fail("bad_entry_name", "An entry's name is not valid UTF-8")
        entries.append(_Entry(name, raw, flags, method, crc, csize, usize, offset))
        pos = end
    if pos != len(cd):
        ctx.fail("bad_structure", "The zip directory holds more than its entries")
    return entries


def unsafe_entry_name(name: str) -> str | None:
    """Why an entry name would be unsafe to extract anywhere, or None when it is harmless."""
    if not name:
        return "an empty name"
    if any(ord(c) < 0x20 for c in name):
        return "a control character"
    if "\\" in name:
        return "a backslash"
    if name.startswith("/"):
        return "an absolute path"
    if re.match(r"^[A-Za-z]:", name):
        return "a drive letter"
    parts = name.split("/")
    if ".." in parts:
        return "a '..' path component"
    for part in parts:
        stem = part.split(".")[0].rstrip(" ")
        if _WINDOWS_RESERVED.match(stem):
            return f"the reserved Windows name {stem!r}"
        if part.endswith((" ", ".")) and part not in ("", "."):
            return "a name ending in a space or dot"
    return None


def _check_names(entries: list[_Entry], ctx: _Context) -> None:
    by_name: dict[str, _Entry] = {}
    for entry in entries:
        problem = unsafe_entry_name(entry.name)
        if problem:
            ctx.fail("bad_entry_name", f"An entry name has {problem}: {entry.name[:60]!r}")
    for entry in entries:
        if entry.name in by_name or entry.raw_name in (e.raw_name for e in by_name.values()):
            ctx.fail("duplicate_entry", f"The entry {entry.name[:60]!r} appears more than once")
        by_name[entry.name] = entry
    unexpected = [n for n in by_name if n not in ENTRY_NAMES]
    if unexpected:
        ctx.fail("bad_entry_name", f"Unexpected entry {unexpected[0][:60]!r} in the package")
    missing = [n for n in ENTRY_NAMES if n not in by_name]
    if missing:
        ctx.fail("missing_entry", f"The package has no {', '.join(missing)}")


def _check_entry(entry: _Entry, ctx: _Context) -> None:
    if entry.flags & _FLAG_ENCRYPTED:
        ctx.fail("bad_structure", f"{entry.name} uses zip encryption; packages never do")
    if entry.flags & ~_ALLOWED_FLAGS:
        ctx.fail("bad_structure", f"{entry.name} uses zip features packages never use")
    if entry.method not in (_STORED, _DEFLATED):
        ctx.fail("bad_structure", f"{entry.name} uses an unsupported compression method")
    limit = ENTRY_LIMITS[entry.name]
    if entry.file_size > limit:
        ctx.fail(
            "too_large",
            f"{entry.name} is {entry.file_size:,} bytes; at most {limit:,} are allowed",
        )
    if entry.method == _STORED and entry.compress_size != entry.file_size:
        ctx.fail("bad_structure", f"{entry.name}'s stored and declared sizes differ")
    if (
        entry.method == _DEFLATED
        and entry.file_size
        and (entry.compress_size == 0 or entry.file_size > entry.compress_size * MAX_RATIO)
    ):
        ctx.fail(
            "compression_bomb",
            f"{entry.name} would expand {entry.file_size / max(entry.compress_size, 1):,.0f} "
            f"times; at most {MAX_RATIO} is allowed",
        )


def _check_layout(
    blob: _Blob, listed: list[_Entry], cd_start: int, ctx: _Context
) -> dict[str, _Entry]:
    """Entries back to back from offset 0 up to the directory, each local header agreeing."""
    expected = 0
    placed: dict[str, _Entry] = {}
    for entry in sorted(listed, key=lambda e: e.offset):
        if entry.offset != expected:
            if expected == 0:
                ctx.fail(
                    "leading_data",
                    f"The file has {_bytes(entry.offset)} before the package's content",
                )
            ctx.fail("bad_structure", "The zip entries overlap or have gaps between them")
        if entry.offset + _LFH.size > cd_start:
            ctx.fail("bad_structure", "A zip entry runs into the directory")
        header = bytes(blob.read(entry.offset, _LFH.size))
        sig, _, flags, method, _, _, crc, csize, usize, name_len, extra_len = _LFH.unpack(header)
        data_offset = entry.offset + _LFH.size + name_len + extra_len
        end = data_offset + entry.compress_size
        if sig != _LFH_SIG or end > cd_start:
            ctx.fail("bad_structure", f"The zip header of {entry.name} is damaged")
        if extra_len:
            ctx.fail("bad_structure", f"The zip header of {entry.name} has extra fields")
        raw_name = bytes(blob.read(entry.offset + _LFH.size, name_len))
        if (raw_name, flags, method, crc, csize, usize) != (
            entry.raw_name, entry.flags, entry.method, entry.crc, entry.compress_size,
            entry.file_size,
        ):  # fmt: skip
            ctx.fail("bad_structure", f"The two zip headers of {entry.name} disagree")
        placed[entry.name] = dataclasses.replace(entry, data_offset=data_offset)
        expected = end
    if expected != cd_start:
        ctx.fail("bad_structure", "There are unexpected bytes before the zip directory")
    return placed


def _extract(
    blob: _Blob, entry: _Entry, ctx: _Context, *, check_crc: bool = True
) -> bytes | memoryview:
    """An entry's bytes, inflated with a running count against its declared size; CRC checked."""
    compressed = blob.read(entry.data_offset, entry.compress_size)
    if entry.method == _STORED:
        out: bytes | memoryview = compressed
    else:
        out = _inflate(memoryview(compressed), entry, ctx)
    if check_crc:
        _check_crc(out, entry, ctx)
    return out


def _check_crc(data: bytes | memoryview, entry: _Entry, ctx: _Context) -> None:
    if zlib.crc32(data) != entry.crc:
        ctx.fail(
            "corrupt",
            f"{entry.name} is damaged (its checksum does not match): copy the file again",
        )


def _inflate(compressed: memoryview, entry: _Entry, ctx: _Context) -> bytes:
    inflater = zlib.decompressobj(-15)
    out = bytearray()
    limit = entry.file_size
    pos = 0
    try:
        while pos < len(compressed) and not inflater.eof:
            chunk: bytes | memoryview = compressed[pos : pos + _CHUNK]
            pos += len(chunk)
            while chunk:
                # Never more than one byte past the declared size, whatever the stream holds.
                out += inflater.decompress(chunk, limit + 1 - len(out))
                if len(out) > limit:
                    ctx.fail(
                        "compression_bomb",
                        f"{entry.name} expands beyond the {limit:,} bytes its header declares",
                    )
                chunk = inflater.unconsumed_tail
    except zlib.error:
        ctx.fail("corrupt", f"{entry.name} is damaged (its compressed data is invalid)")
    if not inflater.eof or inflater.unused_data or pos < len(compressed):
        ctx.fail("corrupt", f"{entry.name} is damaged (its compressed data is cut or padded)")
    if len(out) != limit:
        ctx.fail("corrupt", f"{entry.name} is damaged (it is shorter than its header declares)")
    return bytes(out)


# --- manifest and signature ------------------------------------------------------------------


def _verified_manifest(
    blob: _Blob, ctx: _Context, trusted_signers: Mapping[str, bytes] | None
) -> tuple[dict[str, Any], dict[str, _Entry], bytes]:
    """(manifest, entries, signer's raw public key) once the signature and trust are checked."""
    entries = _entries(blob, ctx)
    manifest_bytes = bytes(_extract(blob, entries[MANIFEST], ctx))
    signature = bytes(_extract(blob, entries[SIGNATURE], ctx))
    manifest = _parse_manifest(manifest_bytes, ctx)
    signer = manifest["signer"]
    signing_public = base64.b64decode(signer["signing_public"])  # the schema checked its form
    if signer["key_id"] != key_id(signing_public):
        ctx.fail("bad_manifest", "The signer's key id does not belong to its key")
    try:
        Ed25519PublicKey.from_public_bytes(signing_public).verify(signature, manifest_bytes)
    except (InvalidSignature, ValueError):
        ctx.fail(
            "bad_signature",
            "The signature does not match the manifest: the package was changed after it was "
            "signed, or is damaged",
        )
    if trusted_signers is not None:
        device = manifest["device_id"]
        known = trusted_signers.get(device)
        if known is None:
            ctx.fail(
                "unknown_signer",
                f"The package is signed by device {device}, which is not in the team's list "
                f"of devices (key fingerprint {fingerprint(signing_public)})",
            )
        if bytes(known) != signing_public:
            ctx.fail(
                "signer_mismatch",
                f"The package claims to come from device {device} but is signed with a "
                f"different key (fingerprint {fingerprint(signing_public)}) from the one on "
                "record for it",
            )
    return manifest, entries, signing_public


@functools.cache
def _manifest_validator() -> Any:
    import jsonschema  # lazily: importing probdesk.packages stays cheap

    return jsonschema.Draft202012Validator(MANIFEST_SCHEMA)


def _parse_manifest(data: bytes, ctx: _Context) -> dict[str, Any]:
    try:
        manifest = json.loads(
            data.decode("utf-8"),
            object_pairs_hook=_no_duplicate_keys,
            parse_constant=_no_constants,
            parse_float=finite_float,
        )
    except (ValueError, RecursionError):
        ctx.fail("bad_manifest", "manifest.json is not valid JSON")
    if not isinstance(manifest, dict):
        ctx.fail("bad_manifest", "manifest.json is not a JSON object")
    if manifest.get("format") != FORMAT:
        ctx.fail("bad_manifest", "This is not a probdesk package (its manifest says otherwise)")
    version = parse_version(manifest.get("format_version"))
    if version is None:
        ctx.fail("bad_manifest", "The manifest has no valid format version")
    major, minor = version
    if major > FORMAT_MAJOR:
        ctx.fail(
            "newer_format",
            f"This package was written in format version {major}.{minor} by a newer probdesk; "
            f"install a version that reads format {major} to open it",
        )
    if major < FORMAT_MAJOR:
        ctx.fail("bad_manifest", f"Format version {major}.{minor} is not supported")
    checked = manifest
    if minor > FORMAT_MINOR:  # a later 1.x may add top-level fields: this reader ignores them
        known = MANIFEST_SCHEMA["properties"]
        checked = {k: v for k, v in manifest.items() if k in known}
    problem = _first_error(_manifest_validator(), checked)
    if problem:
        ctx.fail("bad_manifest", f"The manifest is not valid: {problem}")
    bad = control_character_path(manifest)
    if bad:
        ctx.fail("bad_manifest", f"The manifest has a control character at {bad}")
    return manifest


def _first_error(validator: Any, instance: Any) -> str | None:
    """Where and which rule the instance breaks: never its values (they may be personal)."""
    from jsonschema.exceptions import best_match

    try:
        first = next(iter(validator.iter_errors(instance)), None)  # the first, in document order
        error = None if first is None else best_match([first])  # best_match: inside anyOf etc.
    except RecursionError:
        return "it is nested too deeply"
    if error is None:
        return None
    rule = json.dumps(error.validator_value, default=str)
    if len(rule) > 80:
        rule = rule[:77] + "..."
    return f"at {error.json_path}: fails {error.validator!r} {rule}"


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate key")
    return result


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# --- payload -------------------------------------------------------------------------------


def _decrypt(
    manifest: dict[str, Any],
    payload_bin: bytes | memoryview,
    private_keys: Sequence[X25519PrivateKey],
    ctx: _Context,
) -> bytes:
    mine = {key_id(k.public_key().public_bytes(*_RAW)): k for k in private_keys}
    info = HPKE_INFO_PREFIX + manifest["package_id"].encode()
    matched = False
    for recipient in manifest["recipients"]:
        key = mine.get(recipient["key_id"])
        if key is None:
            continue
        matched = True
        try:
            wrapped = base64.b64decode(recipient["wrapped_key"], validate=True)
            content_key = HPKE_SUITE.decrypt(wrapped, key, info)
        except (binascii.Error, InvalidTag, ValueError):
            continue
        if len(content_key) != KEY_BYTES:
            continue
        nonce, ciphertext = payload_bin[:NONCE_BYTES], payload_bin[NONCE_BYTES:]
        try:
            return AESGCM(content_key).decrypt(nonce, ciphertext, manifest["package_id"].encode())
        except (InvalidTag, ValueError):
            ctx.fail(
                "decrypt_failed",
                "The payload could not be decrypted: it does not match its key (damaged or "
                "tampered with)",
            )
    if matched:
        ctx.fail("decrypt_failed", "The package's key for you could not be unwrapped")
    roles = sorted({r["role"] for r in manifest["recipients"]})
    ids = ", ".join(r["key_id"] for r in manifest["recipients"])
    ctx.fail(
        "not_a_recipient",
        f"This package is not encrypted to any of your keys; it is for "
        f"{len(manifest['recipients'])} key(s) ({', '.join(roles)}: {ids})",
    )


def _parse_payload(
    plaintext: bytes,
    manifest: dict[str, Any],
    payload_schema: dict[str, Any] | None,
    ctx: _Context,
) -> dict[str, Any]:
    try:
        text = plaintext.decode("utf-8")
        payload = json.loads(text, parse_constant=_no_constants, parse_float=finite_float)
        if "\\" in text and _LONE_SURROGATE.search(text):  # only \\u escapes can make them
            json.dumps(payload, ensure_ascii=False).encode("utf-8")  # fails on a lone one
    except (ValueError, RecursionError):
        ctx.fail("bad_payload", "The payload is not valid JSON (or not valid Unicode text)")
    if not isinstance(payload, dict):
        ctx.fail("bad_payload", "The payload is not a JSON object")
    if payload.get("device_id") != manifest["device_id"]:
        ctx.fail(
            "signer_mismatch",
            f"The payload names a different device from the signer's ({manifest['device_id']})",
        )
    if payload.get("inspection_id") != manifest["inspection_id"]:
        ctx.fail("bad_payload", "The payload names a different inspection from its manifest")
    if payload_schema is not None:
        import fastjsonschema

        try:
            _compiled(json.dumps(payload_schema, sort_keys=True))(payload)
        except fastjsonschema.JsonSchemaValueException as exc:
            # The place and the rule, never the value: payloads hold case content.
            where = "$" + "".join(
                f"[{p}]" if str(p).isdigit() else f".{p}" for p in (exc.path or [])[1:]
            )
            ctx.fail(
                "bad_payload", f"The payload does not match its schema at {where} ({exc.rule})"
            )
    return payload


@functools.lru_cache(maxsize=16)
def _compiled(schema_json: str) -> Callable[[Any], Any]:
    """Payload schemas compiled once: jsonschema takes most of a second on a large payload."""
    import fastjsonschema

    validate: Callable[[Any], Any] = fastjsonschema.compile(json.loads(schema_json))
    return validate
