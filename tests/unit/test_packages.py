"""Package files: round trip, determinism, atomic writes, and every kind of bad package."""

from __future__ import annotations

import errno
import functools
import io
import json
import logging
import os
import shutil
import stat
import struct
import tracemalloc
import warnings
import zipfile
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from probdesk import fs as fs_module
from probdesk.errors import EnvironmentProblem, InputError
from probdesk.packages import reader as reader_module
from probdesk.packages import writer as writer_module
from probdesk.packages.format import (
    ENTRY_NAMES,
    MAX_PAYLOAD_BYTES,
    MAX_RATIO,
    PackageError,
    canonical_json,
)
from probdesk.packages.keys import (
    DeviceKeys,
    Recipient,
    b64,
    fingerprint,
    generate_recovery_key,
    key_id,
    load_private_x25519,
    unb64,
)
from probdesk.packages.reader import (
    content_id,
    peek_manifest,
    read_package,
    scan_folder,
    unsafe_entry_name,
)
from probdesk.packages.writer import build_package, package_file_name, write_atomically

DEVICE = "0b7e4c1e-5d7a-4f59-9a53-1f1c2b7d9e01"
INSPECTION = "5f0c8a52-7f59-4e0b-8a4e-2d1f6c3b9a10"
HLC = f"1763640000000.000003.{DEVICE}"
WHEN = datetime(2026, 11, 20, 10, 10, 10, tzinfo=UTC)
PERSONAL = "Jane Doe, 14 Acacia Avenue"


@pytest.fixture(scope="module")
def author() -> DeviceKeys:
    return DeviceKeys.generate()


@pytest.fixture(scope="module")
def lead() -> DeviceKeys:
    return DeviceKeys.generate()


@pytest.fixture(scope="module")
def recovery() -> X25519PrivateKey:
    return X25519PrivateKey.generate()


@pytest.fixture(scope="module")
def recipients(lead: DeviceKeys, recovery: X25519PrivateKey) -> list[Recipient]:
    from cryptography.hazmat.primitives import serialization

    raw = recovery.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return [lead.recipient("Team lead", "team_lead"), Recipient("Organisation", "recovery", raw)]


def events_payload(n: int = 200, device: str = DEVICE) -> dict[str, Any]:
    return {
        "device_id": device,
        "inspection_id": INSPECTION,
        "events": [
            {"seq": i, "question_id": f"q{i % 40}", "value": "yes", "note": f"{PERSONAL} #{i}"}
            for i in range(1, n + 1)
        ],
    }


@pytest.fixture
def build(author: DeviceKeys, recipients: list[Recipient]) -> Callable[..., tuple[str, bytes]]:
    def make(**overrides: Any) -> tuple[str, bytes]:
        args: dict[str, Any] = {
            "kind": "events",
            "payload": events_payload(),
            "inspection_id": INSPECTION,
            "device_id": DEVICE,
            "hlc": HLC,
            "counts": {"events": 200},
            "extra": {"seq_from": 1, "seq_to": 200},
            "signer": author,
            "recipients": recipients,
            "created_at": WHEN,
        }
        args.update(overrides)
        return build_package(**args)

    return make


@pytest.fixture
def package(build: Callable[..., tuple[str, bytes]]) -> bytes:
    return build()[1]


def reason_of(data: bytes, lead: DeviceKeys, **kwargs: Any) -> str:
    with pytest.raises(PackageError) as info:
        read_package(data, private_keys=[lead.encryption_key], **kwargs)
    assert str(info.value).startswith(f"{kwargs.get('name', '<bytes>')}: ")
    return info.value.reason


def entries_of(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def rezip(data: bytes, **replace: bytes) -> bytes:
    """The package rebuilt the way the writer zips, with some entries' bytes replaced."""
    entries = entries_of(data)
    for key, value in replace.items():
        entries[{"manifest": ENTRY_NAMES[0], "payload": ENTRY_NAMES[1]}.get(key, key)] = value
    return writer_module._zip(*(entries[n] for n in ENTRY_NAMES))


def resign(data: bytes, signer: DeviceKeys, change: Callable[[dict[str, Any]], None]) -> bytes:
    """The package with its manifest changed and signed again (by signer)."""
    manifest = json.loads(entries_of(data)["manifest.json"])
    change(manifest)
    manifest_bytes = canonical_json(manifest)
    return rezip(
        data, manifest=manifest_bytes, **{"signature.bin": signer.signing_key.sign(manifest_bytes)}
    )


def flip_bit(data: bytes, index: int, bit: int = 0) -> bytes:
    changed = bytearray(data)
    changed[index] ^= 1 << bit
    return bytes(changed)


def deflate(data: bytes) -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def raw_zip(entries: list[tuple[str | bytes, bytes, int, int, int]], comment: bytes = b"") -> bytes:
    """A zip written by hand: (name, stored bytes, method, crc, declared size) per entry."""
    out, cd = bytearray(), bytearray()
    for name, stored, method, crc, size in entries:
        raw = name.encode() if isinstance(name, str) else name
        offset = len(out)
        out += struct.pack(
            "<4s5H3L2H", b"PK\x03\x04", 20, 0, method, 0, 0x21, crc, len(stored), size, len(raw), 0
        )
        out += raw + stored
        cd += struct.pack(
            "<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, method, 0, 0x21, crc, len(stored), size,
            len(raw), 0, 0, 0, 0, 0, offset,
        ) + raw  # fmt: skip
    n = len(entries)
    eocd = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, n, n, len(cd), len(out), len(comment))
    return bytes(out + cd + eocd + comment)


def raw_entries(data: bytes) -> list[tuple[str | bytes, bytes, int, int, int]]:
    """The package's entries for raw_zip: manifest deflated, the others stored."""
    found = entries_of(data)
    return [
        (ENTRY_NAMES[0], deflate(found[ENTRY_NAMES[0]]), 8, zlib.crc32(found[ENTRY_NAMES[0]]),
         len(found[ENTRY_NAMES[0]])),
        *((n, found[n], 0, zlib.crc32(found[n]), len(found[n])) for n in ENTRY_NAMES[1:]),
    ]  # fmt: skip


# --- round trip and format ----------------------------------------------------------------


def test_round_trip_every_recipient_can_decrypt(
    build: Callable[..., tuple[str, bytes]], lead: DeviceKeys, recovery: X25519PrivateKey
) -> None:
    package_id, data = build()
    for key in (lead.encryption_key, recovery):
        opened = read_package(data, private_keys=[key], expected_kind="events")
        assert opened.payload == events_payload()
        assert opened.manifest["package_id"] == opened.package_id == package_id
        assert opened.sha256 == content_id(data)
        assert opened.manifest["counts"] == {"events": 200}
        assert opened.manifest["extra"] == {"seq_from": 1, "seq_to": 200}
        assert opened.manifest["created_at"] == "2026-11-20T10:10:10.000000Z"


def test_a_key_that_is_not_a_recipient_cannot_decrypt(package: bytes, lead: DeviceKeys) -> None:
    stranger = X25519PrivateKey.generate()
    with pytest.raises(PackageError) as info:
        read_package(package, private_keys=[stranger])
    assert info.value.reason == "not_a_recipient"
    assert "team_lead" in str(info.value) and "recovery" in str(info.value)
    # Several keys: the one that matches is used.
    opened = read_package(package, private_keys=[stranger, lead.encryption_key])
    assert opened.payload["events"][0]["seq"] == 1


def test_the_signer_fingerprint_is_reported(
    package: bytes, lead: DeviceKeys, author: DeviceKeys
) -> None:
    opened = read_package(package, private_keys=[lead.encryption_key])
    assert opened.signer_fingerprint == fingerprint(author.signing_public)
    manifest = peek_manifest(package)
    assert manifest == opened.manifest
    assert manifest["signer"]["signing_public"] == b64(author.signing_public)
    assert manifest["signer"]["key_id"] == key_id(author.signing_public)


def test_no_personal_data_in_the_manifest_file_name_or_clear_bytes(
    build: Callable[..., tuple[str, bytes]],
) -> None:
    package_id, data = build()
    name = package_file_name("events", package_id)
    assert name == f"pd-events-{package_id}.pdpkg"
    for text in (PERSONAL, "Jane", "Acacia", "Team lead", "Organisation"):
        assert text.encode() not in data
        assert text not in json.dumps(peek_manifest(data))
    assert set(peek_manifest(data)) == {
        "format", "format_version", "kind", "package_id", "inspection_id", "device_id", "hlc",
        "counts", "extra", "created_at", "payload", "recipients", "signer",
    }  # fmt: skip


def test_entries_are_written_in_a_fixed_order_with_fixed_metadata(
    build: Callable[..., tuple[str, bytes]],
) -> None:
    first = build(package_id="p-1")[1]
    second = build(package_id="p-1")[1]
    layouts = []
    for data in (first, second):
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
        layouts.append(
            [
                (
                    i.filename,
                    i.date_time,
                    i.compress_type,
                    i.create_system,
                    i.external_attr,
                    i.file_size,
                    i.flag_bits,
                    i.extra,
                    i.comment,
                )
                for i in infos
            ]
        )
        assert [i.filename for i in infos] == list(ENTRY_NAMES)
        assert [i.compress_type for i in infos] == [zipfile.ZIP_DEFLATED, 0, 0]
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    # Only the random content key, nonce and HPKE encapsulation differ (and so the compressed
    # manifest's size, and the offsets after it).
    assert layouts[0] == layouts[1]
    m1, m2 = (json.loads(entries_of(d)["manifest.json"]) for d in (first, second))
    for m in (m1, m2):
        m["payload"].pop("sha256")
        for r in m["recipients"]:
            r.pop("wrapped_key")
    assert m1 == m2


def test_the_same_inputs_give_the_same_bytes_apart_from_randomness(
    build: Callable[..., tuple[str, bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the random parts fixed, build_package is a pure function of its inputs."""
    monkeypatch.setattr(writer_module.os, "urandom", lambda n: b"\x01" * n)

    class FixedSuite:
        def encrypt(self, plaintext: bytes, public_key: object, info: bytes) -> bytes:
            return b"\x03" * 80

    monkeypatch.setattr(writer_module, "HPKE_SUITE", FixedSuite())
    assert build(package_id="p-2")[1] == build(package_id="p-2")[1]


def test_building_refuses_what_readers_would_refuse(
    build: Callable[..., tuple[str, bytes]],
) -> None:
    with pytest.raises(ValueError, match="device_id"):
        build(payload=events_payload(device="someone-else"))
    with pytest.raises(ValueError, match="inspection_id"):
        build(payload={**events_payload(), "inspection_id": "other"})
    with pytest.raises(ValueError, match="recipient"):
        build(recipients=[])
    with pytest.raises(ValueError, match="kind"):
        build(kind="Events!")
    with pytest.raises(ValueError, match="control character"):
        build(package_id="p-3\n")
    with pytest.raises(ValueError, match="not JSON"):
        build(payload={**events_payload(), "x": float("nan")})
    with pytest.raises(ValueError):
        package_file_name("events", "../escape")


def test_a_payload_over_the_limit_is_refused_by_the_writer(
    build: Callable[..., tuple[str, bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer_module, "MAX_PAYLOAD_BYTES", 1000)
    with pytest.raises(PackageError) as info:
        build()
    assert info.value.reason == "too_large"
    assert MAX_PAYLOAD_BYTES == 256 * 1024 * 1024


# --- trust ---------------------------------------------------------------------------------


def test_trusted_signers(package: bytes, lead: DeviceKeys, author: DeviceKeys) -> None:
    known = {DEVICE: author.signing_public}
    assert read_package(package, private_keys=[lead.encryption_key], trusted_signers=known)
    assert read_package(package, private_keys=[lead.encryption_key], trusted_signers=None)
    assert reason_of(package, lead, trusted_signers={"other-device": b"\0" * 32}) == (
        "unknown_signer"
    )
    other = DeviceKeys.generate().signing_public
    assert reason_of(package, lead, trusted_signers={DEVICE: other}) == "signer_mismatch"
    with pytest.raises(PackageError) as info:
        peek_manifest(package, trusted_signers={DEVICE: other})
    assert info.value.reason == "signer_mismatch"


def test_a_package_signed_by_another_key_claiming_the_device(
    package: bytes, lead: DeviceKeys, author: DeviceKeys
) -> None:
    impostor = DeviceKeys.generate()

    def take_over(m: dict[str, Any]) -> None:
        m["signer"] = {
            "key_id": key_id(impostor.signing_public),
            "signing_public": b64(impostor.signing_public),
            "encryption_public": b64(impostor.encryption_public),
        }

    forged = resign(package, impostor, take_over)
    assert read_package(forged, private_keys=[lead.encryption_key])  # TOFU: caller decides
    known = {DEVICE: author.signing_public}
    assert reason_of(forged, lead, trusted_signers=known) == "signer_mismatch"


def test_a_payload_naming_another_device(
    author: DeviceKeys, recipients: list[Recipient], lead: DeviceKeys
) -> None:
    def seal(payload: Any) -> bytes:
        return writer_module._seal(
            kind="events", payload=payload, inspection_id=INSPECTION, device_id=DEVICE,
            hlc=HLC, counts={}, extra=None, signer=author, recipients=recipients,
            package_id="p-4", created_at=None,
        )[1]  # fmt: skip

    assert reason_of(seal(events_payload(device="another-device")), lead) == "signer_mismatch"
    other_inspection = {**events_payload(), "inspection_id": "another-inspection"}
    assert reason_of(seal(other_inspection), lead) == "bad_payload"
    assert reason_of(seal([1, 2, 3]), lead) == "bad_payload"


@pytest.mark.parametrize(
    ("tail", "reason"),
    [
        (b'"x":"\\ud800"}', "bad_payload"),  # a lone surrogate: not text
        (b'"x":1e999}', "bad_payload"),  # not a finite number
        (b'"x":NaN}', "bad_payload"),
        (b'"x":' + b"[" * 100_000 + b"]" * 100_000 + b"}", "bad_payload"),  # too deep
        (b'"x":"\xff"}', "bad_payload"),  # not UTF-8
        (b'"x":1', "bad_payload"),  # cut short
        (b'"x":"\\ud83d\\ude00"}', None),  # an escaped pair is fine
    ],
)
def test_payload_text_that_is_not_acceptable_json(
    author: DeviceKeys,
    recipients: list[Recipient],
    lead: DeviceKeys,
    monkeypatch: pytest.MonkeyPatch,
    tail: bytes,
    reason: str | None,
) -> None:
    plaintext = f'{{"device_id":"{DEVICE}","inspection_id":"{INSPECTION}",'.encode() + tail
    original, marker = writer_module.canonical_json, object()
    monkeypatch.setattr(
        writer_module, "canonical_json", lambda v: plaintext if v is marker else original(v)
    )
    data = writer_module._seal(
        kind="events", payload=marker, inspection_id=INSPECTION, device_id=DEVICE, hlc=HLC,
        counts={}, extra=None, signer=author, recipients=recipients, package_id="p-5",
        created_at=None,
    )[1]  # fmt: skip
    if reason is None:
        assert read_package(data, private_keys=[lead.encryption_key]).payload["x"] == "😀"
    else:
        assert reason_of(data, lead) == reason


# --- tampering and damage ------------------------------------------------------------------


def test_a_changed_manifest_fails_the_signature(package: bytes, lead: DeviceKeys) -> None:
    manifest = entries_of(package)["manifest.json"]
    index = manifest.index(b'"events":200') + len(b'"events":2')  # '0' -> '1': still valid
    tampered = rezip(package, manifest=flip_bit(manifest, index))
    assert b'"events":210' in entries_of(tampered)["manifest.json"]
    assert reason_of(tampered, lead) == "bad_signature"
    with pytest.raises(PackageError) as info:
        peek_manifest(tampered)
    assert info.value.reason == "bad_signature"


def test_a_changed_payload_fails_its_hash(package: bytes, lead: DeviceKeys) -> None:
    payload = entries_of(package)["payload.bin"]
    tampered = rezip(package, payload=flip_bit(payload, len(payload) // 2))
    assert reason_of(tampered, lead) == "payload_hash"
    assert peek_manifest(tampered)  # peek does not read the payload


def test_a_changed_signature_fails(package: bytes, lead: DeviceKeys) -> None:
    signature = entries_of(package)["signature.bin"]
    tampered = rezip(package, **{"signature.bin": flip_bit(signature, 10, 3)})
    assert reason_of(tampered, lead) == "bad_signature"
    assert reason_of(rezip(package, **{"signature.bin": signature[:-1]}), lead) == ("bad_signature")


@pytest.mark.parametrize("entry", ["payload.bin", "signature.bin"])
def test_a_flipped_bit_in_the_file_is_damage(package: bytes, lead: DeviceKeys, entry: str) -> None:
    """Without rebuilding the zip, the zip checksum finds the change before anything else."""
    raw = entries_of(package)[entry]
    index = package.index(raw) + len(raw) // 2
    assert reason_of(flip_bit(package, index), lead) == "corrupt"


def test_a_re_signed_manifest_with_a_swapped_wrapped_key_cannot_be_decrypted(
    package: bytes, lead: DeviceKeys, author: DeviceKeys
) -> None:
    def swap(m: dict[str, Any]) -> None:
        first, second = m["recipients"]
        first["wrapped_key"], second["wrapped_key"] = second["wrapped_key"], first["wrapped_key"]

    assert reason_of(resign(package, author, swap), lead) == "decrypt_failed"


def test_a_payload_that_matches_its_hash_but_not_its_key(
    package: bytes, lead: DeviceKeys, author: DeviceKeys
) -> None:
    import hashlib

    junk = os.urandom(500)
    forged = rezip(package, payload=junk)

    def point_at_junk(m: dict[str, Any]) -> None:
        m["payload"] = {
            "sha256": hashlib.sha256(junk).hexdigest(),
            "size": 500,
            "cipher": m["payload"]["cipher"],
        }

    assert reason_of(resign(forged, author, point_at_junk), lead) == "decrypt_failed"


@pytest.mark.parametrize("fraction", [0.01, 0.1, 0.5, 0.99, "all but one byte"])
def test_a_truncated_package(package: bytes, lead: DeviceKeys, fraction: float | str) -> None:
    cut = len(package) - 1 if isinstance(fraction, str) else int(len(package) * fraction)
    assert reason_of(package[:cut], lead) == "truncated"


@pytest.mark.parametrize("data", [b"", b"PK", b"hello world" * 10, os.urandom(4000)])
def test_not_a_zip(data: bytes, lead: DeviceKeys) -> None:
    assert reason_of(data, lead) == "not_a_zip"


def test_junk_before_or_after_the_package(package: bytes, lead: DeviceKeys) -> None:
    junk = b"junk" * 100
    # zipfile itself opens both, which is why the reader checks the layout itself.
    for data in (junk + package, package + junk):
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            assert zf.namelist() == list(ENTRY_NAMES)
    assert reason_of(junk + package, lead) == "leading_data"
    assert reason_of(package + junk, lead) == "trailing_data"
    assert reason_of(package + b"\0", lead) == "trailing_data"


def test_a_hand_written_zip_of_the_same_entries_is_read(package: bytes, lead: DeviceKeys) -> None:
    """The raw_zip helper below writes what the reader accepts, so its refusals mean something."""
    assert read_package(raw_zip(raw_entries(package)), private_keys=[lead.encryption_key])


def test_zip_features_packages_never_use(package: bytes, lead: DeviceKeys) -> None:
    assert reason_of(raw_zip(raw_entries(package), comment=b"hello"), lead) == "bad_structure"
    entries = raw_entries(package)
    name, stored, _, crc, size = entries[1]
    entries[1] = (name, stored, 12, crc, size)  # bzip2
    assert reason_of(raw_zip(entries), lead) == "bad_structure"
    # An entry's data changed without its checksum.
    entries = raw_entries(package)
    name, stored, method, crc, size = entries[2]
    entries[2] = (name, stored, method, crc ^ 1, size)
    assert reason_of(raw_zip(entries), lead) == "corrupt"


@pytest.mark.parametrize(
    "bad_name", ["../x", "/abs", "C:\\x", "C:x", "CON", "con.txt", "LPT1", "a\\b", "a/../../b"]
)
def test_unsafe_entry_names(package: bytes, lead: DeviceKeys, bad_name: str) -> None:
    assert unsafe_entry_name(bad_name)
    entries = raw_entries(package)
    _, stored, method, crc, size = entries[2]
    entries[2] = (bad_name, stored, method, crc, size)
    assert reason_of(raw_zip(entries), lead) == "bad_entry_name"


def test_harmless_names_are_not_called_unsafe() -> None:
    assert all(unsafe_entry_name(n) is None for n in ENTRY_NAMES)
    assert unsafe_entry_name("console.json") is None


def test_an_unexpected_or_missing_entry(package: bytes, lead: DeviceKeys) -> None:
    entries = raw_entries(package)
    _, stored, method, crc, size = entries[2]
    assert reason_of(raw_zip([*entries[:2], ("extra.txt", stored, method, crc, size)]), lead) == (
        "bad_entry_name"
    )
    assert reason_of(raw_zip(entries[:2]), lead) == "missing_entry"


def test_duplicate_entries(package: bytes, lead: DeviceKeys) -> None:
    found = entries_of(package)
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Duplicate name", category=UserWarning)
        with zipfile.ZipFile(out, "w") as zf:
            zf.writestr("manifest.json", found["manifest.json"])
            zf.writestr("manifest.json", found["manifest.json"])
            zf.writestr("payload.bin", found["payload.bin"])
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as zf:
        assert len(zf.infolist()) == 3  # zipfile keeps both; namelist has the name twice
    assert reason_of(out.getvalue(), lead) == "duplicate_entry"


def test_too_many_entries(package: bytes, lead: DeviceKeys) -> None:
    entries = raw_entries(package)
    assert reason_of(raw_zip([*entries, ("x", b"", 0, 0, 0)]), lead) == "too_many_entries"


@functools.cache
def _zeros_deflated(total: int) -> tuple[bytes, int]:
    """A raw deflate stream of `total` zero bytes, built in pieces, and its CRC."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = bytes(1 << 20)
    parts, crc = [], 0
    for _ in range(total // len(chunk)):
        parts.append(c.compress(chunk))
        crc = zlib.crc32(chunk, crc)
    parts.append(c.flush())
    return b"".join(parts), crc


def test_a_compression_bomb_declared_honestly(package: bytes, lead: DeviceKeys) -> None:
    bomb, crc = _zeros_deflated(100 * 2**20)
    assert len(bomb) * MAX_RATIO < 100 * 2**20
    entries = raw_entries(package)
    entries[1] = ("payload.bin", bomb, 8, crc, 100 * 2**20)
    assert reason_of(raw_zip(entries), lead) == "compression_bomb"


def test_a_compression_bomb_with_a_forged_small_size_stops_early(
    package: bytes, lead: DeviceKeys
) -> None:
    bomb, crc = _zeros_deflated(100 * 2**20)
    declared = len(bomb) * 2  # a believable ratio
    entries = raw_entries(package)
    entries[1] = ("payload.bin", bomb, 8, crc, declared)
    data = raw_zip(entries)
    tracemalloc.start()
    try:
        assert reason_of(data, lead) == "compression_bomb"
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10 * 2**20, f"inflating used {peak / 2**20:.0f} MiB"


def test_entries_over_their_size_limit(package: bytes, lead: DeviceKeys) -> None:
    entries = raw_entries(package)
    big = b" " * (64 * 1024 + 1)
    entries[0] = ("manifest.json", big, 0, zlib.crc32(big), len(big))
    assert reason_of(raw_zip(entries), lead) == "too_large"


def test_a_file_over_the_package_limit(
    package: bytes, lead: DeviceKeys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.pdpkg"
    path.write_bytes(package)
    monkeypatch.setattr(reader_module, "MAX_PACKAGE_BYTES", len(package) - 1)
    for source in (path, package):
        with pytest.raises(PackageError) as info:
            read_package(source, private_keys=[lead.encryption_key])
        assert info.value.reason == "too_large"


def test_paths_that_are_not_package_files(lead: DeviceKeys, tmp_path: Path) -> None:
    for path, reason in ((tmp_path, "not_a_file"), (tmp_path / "missing.pdpkg", "unreadable")):
        with pytest.raises(PackageError) as info:
            read_package(path, private_keys=[lead.encryption_key])
        assert info.value.reason == reason
        assert info.value.package == path.name
        with pytest.raises(PackageError):
            peek_manifest(path)


def test_a_newer_format_names_the_version_needed(package: bytes, lead: DeviceKeys) -> None:
    manifest = json.loads(entries_of(package)["manifest.json"])
    manifest["format_version"] = "2.0"
    manifest["something_new"] = {"shape": "unknown"}
    data = rezip(package, manifest=canonical_json(manifest))
    with pytest.raises(PackageError) as info:
        read_package(data, private_keys=[lead.encryption_key], name="pd-events-x.pdpkg")
    assert info.value.reason == "newer_format"
    assert str(info.value) == (
        "pd-events-x.pdpkg: This package was written in format version 2.0 by a newer "
        "probdesk; install a version that reads format 2 to open it"
    )


def test_a_later_minor_version_is_read_and_its_new_fields_ignored(
    package: bytes, lead: DeviceKeys, author: DeviceKeys
) -> None:
    def newer_minor(m: dict[str, Any]) -> None:
        m["format_version"] = "1.7"
        m["added_in_1_7"] = [1, 2]

    opened = read_package(resign(package, author, newer_minor), private_keys=[lead.encryption_key])
    assert opened.manifest["added_in_1_7"] == [1, 2]

    def unknown_field_in_1_0(m: dict[str, Any]) -> None:
        m["added_in_1_7"] = [1, 2]

    assert reason_of(resign(package, author, unknown_field_in_1_0), lead) == "bad_manifest"


@pytest.mark.parametrize(
    "change",
    [
        lambda m: m.pop("hlc"),
        lambda m: m.update(package_id="p\n"),
        lambda m: m.update(format_version="one"),
        lambda m: m.update(format_version="0.9"),
        lambda m: m.update(format="something-else"),
        lambda m: m["counts"].update(events=-1),
        lambda m: m["signer"].update(key_id="0" * 16),
        lambda m: m["recipients"].clear(),
        lambda m: m.update(extra={"x": "\x1b[31m"}),
    ],
)
def test_a_signed_but_invalid_manifest(
    package: bytes, lead: DeviceKeys, author: DeviceKeys, change: Callable[[dict[str, Any]], Any]
) -> None:
    assert reason_of(resign(package, author, change), lead) == "bad_manifest"


@pytest.mark.parametrize(
    "extra",
    [b'{"x":1e999}', b'{"x":"\\ud800"}', b'{"x":1,"x":2}', b"[" * 5000 + b"]" * 5000],
)
def test_a_signed_manifest_with_unacceptable_json(
    package: bytes, lead: DeviceKeys, author: DeviceKeys, extra: bytes
) -> None:
    manifest = entries_of(package)["manifest.json"]
    old = b'"extra":{"seq_from":1,"seq_to":200}'
    assert old in manifest
    changed = manifest.replace(old, b'"extra":' + extra)
    data = rezip(package, manifest=changed, **{"signature.bin": author.signing_key.sign(changed)})
    assert reason_of(data, lead) == "bad_manifest"


@pytest.mark.parametrize(
    "manifest", [b"not json", b"[1]", b'{"format": "probdesk-package", "format": 1}', b"\xff"]
)
def test_a_manifest_that_is_not_a_json_object(
    package: bytes, lead: DeviceKeys, manifest: bytes
) -> None:
    assert reason_of(rezip(package, manifest=manifest), lead) == "bad_manifest"


def test_wrong_kind(package: bytes, lead: DeviceKeys) -> None:
    assert reason_of(package, lead, expected_kind="decisions") == "wrong_kind"


def test_payload_schema(package: bytes, lead: DeviceKeys) -> None:
    schema = {
        "type": "object",
        "required": ["events"],
        "properties": {
            "events": {"type": "array", "items": {"properties": {"seq": {"type": "integer"}}}},
        },
    }
    assert read_package(package, private_keys=[lead.encryption_key], payload_schema=schema)
    strict = {**schema, "properties": {"events": {"type": "array", "items": {"properties": {
        "seq": {"type": "string"}}}}}}  # fmt: skip
    with pytest.raises(PackageError) as info:
        read_package(package, private_keys=[lead.encryption_key], payload_schema=strict)
    assert info.value.reason == "bad_payload"
    assert "$.events[0].seq" in str(info.value)
    assert "Jane" not in str(info.value)  # the rule and the place, never the value


# --- writing to the shared folder ---------------------------------------------------------


def test_write_atomically(build: Callable[..., tuple[str, bytes]], tmp_path: Path) -> None:
    package_id, data = build()
    name = package_file_name("events", package_id)
    path = write_atomically(data, tmp_path, name)
    assert path == tmp_path / name
    assert path.read_bytes() == data
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temporary file left
    # A retry with the same bytes is a no-op; different bytes under the name are refused.
    before = path.stat().st_mtime_ns
    assert write_atomically(data, tmp_path, name) == path
    assert path.stat().st_mtime_ns == before
    with pytest.raises(PackageError) as info:
        write_atomically(data + b"!", tmp_path, name)
    assert info.value.reason == "name_taken"
    assert path.read_bytes() == data


@pytest.mark.parametrize("step", ["replace", "fsync"])
def test_an_interrupted_write_leaves_nothing_under_the_final_name(
    build: Callable[..., tuple[str, bytes]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    step: str,
) -> None:
    package_id, data = build()
    name = package_file_name("events", package_id)

    def interrupted(*args: object) -> None:
        raise OSError(errno.EIO, "the network drive went away")

    with monkeypatch.context() as m:
        m.setattr(os, step, interrupted)
        with pytest.raises(EnvironmentProblem, match="could not write the package"):
            write_atomically(data, tmp_path, name)
    assert not (tmp_path / name).exists()
    assert list(tmp_path.iterdir()) == []
    # The retry writes the very same bytes.
    assert write_atomically(data, tmp_path, name).read_bytes() == data


def test_a_temporary_file_left_by_a_crash_is_ignored(
    build: Callable[..., tuple[str, bytes]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package_id, data = build()
    name = package_file_name("events", package_id)
    with monkeypatch.context() as m:
        m.setattr(os, "replace", lambda *a: (_ for _ in ()).throw(KeyboardInterrupt()))
        m.setattr(fs_module, "_discard", lambda path: None)  # as if killed
        with pytest.raises(KeyboardInterrupt):
            write_atomically(data, tmp_path, name)
    left = list(tmp_path.iterdir())
    assert len(left) == 1 and left[0].name.startswith(f".{name}.")
    assert left[0].name.endswith(".tmp")
    assert scan_folder(tmp_path) == []
    write_atomically(data, tmp_path, name)
    assert scan_folder(tmp_path) == [tmp_path / name]


def test_a_read_back_mismatch_removes_the_file(
    build: Callable[..., tuple[str, bytes]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package_id, data = build()
    name = package_file_name("events", package_id)
    monkeypatch.setattr(writer_module, "_sha256_of", lambda path: "0" * 64)
    with pytest.raises(PackageError) as info:
        write_atomically(data, tmp_path, name)
    assert info.value.reason == "verify_failed"
    assert list(tmp_path.iterdir()) == []


def test_write_atomically_wants_a_plain_name(tmp_path: Path) -> None:
    for bad in ("", "..", "sub/x.pdpkg", "a\\b.pdpkg"):
        with pytest.raises(ValueError):
            write_atomically(b"x", tmp_path, bad)


# --- the shared folder ----------------------------------------------------------------------


def test_scan_folder_finds_packages_and_conflict_copies_and_skips_temporary_files(
    tmp_path: Path,
) -> None:
    wanted = [
        "pd-events-A.pdpkg",
        "pd-events-A (conflicted copy 2026-11-20).pdpkg",
        "pd-events-A (Alice's conflicted copy).pdpkg",
        "pd-events-A.sync-conflict-20261120-101010-ABCDEF.pdpkg",
        "pd-events-A (1).pdpkg",
        "PD-EVENTS-B.PDPKG",
        "alice/pd-events-C.pdpkg",
    ]
    ignored = [
        ".pd-events-A.pdpkg.0123abcd.tmp",
        ".syncthing.pd-events-A.pdpkg.tmp",
        "~$pd-events-A.pdpkg",
        ".hidden.pdpkg",
        "pd-events-A.pdpkg.part",
        "pd-events-A.pdpkg.partial",
        "pd-events-A.pdpkg.crdownload",
        "pd-events-A.pdpkg.tmp",
        "notes.txt",
        "alice/deeper/pd-events-D.pdpkg",  # two levels down
        ".stversions/pd-events-A.pdpkg",  # Syncthing's old versions
        "alice/.pd-events-C.pdpkg.1.tmp",
    ]
    for rel in wanted + ignored:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"x")
    (tmp_path / "folder.pdpkg").mkdir()
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe.pdpkg")
    found = scan_folder(tmp_path)
    assert found == sorted(tmp_path / rel for rel in wanted)
    assert tmp_path / "alice/deeper/pd-events-D.pdpkg" in scan_folder(tmp_path, depth=2)
    assert scan_folder(tmp_path, depth=0) == sorted(
        tmp_path / rel for rel in wanted if "/" not in rel
    )
    assert scan_folder(tmp_path / "missing") == []


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_scan_folder_skips_symbolic_links(tmp_path: Path) -> None:
    (tmp_path / "real.pdpkg").write_bytes(b"x")
    try:
        (tmp_path / "link.pdpkg").symlink_to(tmp_path / "real.pdpkg")
    except OSError:
        pytest.skip("symbolic links are not allowed here")
    assert scan_folder(tmp_path) == [tmp_path / "real.pdpkg"]


def test_a_sync_tool_copy_is_the_same_package(
    build: Callable[..., tuple[str, bytes]], lead: DeviceKeys, tmp_path: Path
) -> None:
    package_id, data = build()
    name = package_file_name("events", package_id)
    original = write_atomically(data, tmp_path, name)
    copy = tmp_path / name.replace(".pdpkg", " (conflicted copy 2026-11-20).pdpkg")
    shutil.copyfile(original, copy)
    assert scan_folder(tmp_path) == sorted([original, copy])
    opened = [read_package(p, private_keys=[lead.encryption_key]) for p in (original, copy)]
    assert content_id(original.read_bytes()) == content_id(copy.read_bytes())
    assert {(o.package_id, o.sha256) for o in opened} == {(package_id, content_id(data))}
    assert peek_manifest(copy) == opened[0].manifest
    # A re-export of the same package id is different bytes: same id, different content.
    rebuilt = build(package_id=package_id)[1]
    assert content_id(rebuilt) != content_id(data)


# --- keys ------------------------------------------------------------------------------------


def test_device_keys_are_created_once_and_kept_private(tmp_path: Path) -> None:
    folder = tmp_path / "keys"
    keys = DeviceKeys.load_or_create(folder)
    again = DeviceKeys.load_or_create(folder)
    assert (keys.signing_public, keys.encryption_public) == (
        again.signing_public,
        again.encryption_public,
    )
    assert len(keys.signing_public) == len(keys.encryption_public) == 32
    if os.name == "posix":
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        for name in ("device-signing.pem", "device-encryption.pem"):
            assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600
    assert b"BEGIN PRIVATE KEY" in (folder / "device-signing.pem").read_bytes()


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_readable_key_file_is_tightened_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "keys"
    DeviceKeys.load_or_create(folder)
    os.chmod(folder / "device-signing.pem", 0o644)
    with caplog.at_level(logging.WARNING, logger="probdesk.packages.keys"):
        DeviceKeys.load_or_create(folder)
    assert stat.S_IMODE((folder / "device-signing.pem").stat().st_mode) == 0o600
    assert "tightened" in caplog.text


def test_a_damaged_key_file_is_never_replaced(tmp_path: Path) -> None:
    folder = tmp_path / "keys"
    DeviceKeys.load_or_create(folder)
    (folder / "device-encryption.pem").write_bytes(b"garbage")
    with pytest.raises(EnvironmentProblem, match=r"device-encryption\.pem"):
        DeviceKeys.load_or_create(folder)
    assert (folder / "device-encryption.pem").read_bytes() == b"garbage"
    # Swapped files are the wrong type.
    signing = (folder / "device-signing.pem").read_bytes()
    (folder / "device-encryption.pem").write_bytes(signing)
    with pytest.raises(EnvironmentProblem, match="not the expected key type"):
        DeviceKeys.load_or_create(folder)


def test_recovery_key(tmp_path: Path, build: Callable[..., tuple[str, bytes]]) -> None:
    path = tmp_path / "recovery.pem"
    public = generate_recovery_key(path)
    assert len(public) == 32
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    private = load_private_x25519(path)
    data = build(recipients=[Recipient("Organisation", "recovery", public)])[1]
    assert read_package(data, private_keys=[private]).payload == events_payload()
    with pytest.raises(InputError, match="already exists"):
        generate_recovery_key(path)
    DeviceKeys.load_or_create(tmp_path / "keys")
    with pytest.raises(InputError, match="not an X25519"):
        load_private_x25519(tmp_path / "keys" / "device-signing.pem")
    assert load_private_x25519(tmp_path / "keys" / "device-encryption.pem")
    with pytest.raises(InputError):
        load_private_x25519(tmp_path / "missing.pem")


def test_fingerprints_key_ids_and_base64() -> None:
    raw = bytes(range(32))
    assert len(fingerprint(raw)) == 39
    groups = fingerprint(raw).split(" ")
    assert len(groups) == 8 and all(len(g) == 4 for g in groups)
    assert "".join(groups).startswith(key_id(raw))
    assert len(key_id(raw)) == 16
    assert unb64(b64(raw), size=32) == raw
    with pytest.raises(InputError, match="not valid base64"):
        unb64("not base64!")
    with pytest.raises(InputError, match="32 bytes"):
        unb64(b64(raw[:31]), size=32)
    with pytest.raises(InputError, match="base64 text"):
        unb64(None)


def test_recipients_are_checked() -> None:
    with pytest.raises(ValueError, match="role"):
        Recipient("x", "inspector", bytes(32))
    with pytest.raises(ValueError, match="32 raw bytes"):
        Recipient("x", "assessor", bytes(31))
    assert Recipient("x", "assessor", bytes(32)).key_id == key_id(bytes(32))
