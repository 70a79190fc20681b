"""Fuzzing the package reader: whatever happens to the bytes, only PackageError comes out.

A changed package may still be read when the change is in bytes that carry no meaning (a zip
timestamp, the padding bits at the end of the deflated manifest); then what comes out must be
exactly what went in.
"""

from __future__ import annotations

import contextlib
import io
import zipfile

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from probdesk.packages.format import ENTRY_NAMES, PackageError
from probdesk.packages.keys import DeviceKeys
from probdesk.packages.reader import OpenedPackage, peek_manifest, read_package
from probdesk.packages.writer import _zip, build_package

DEVICE = "dev-1"
INSPECTION = "insp-1"
AUTHOR = DeviceKeys.generate()
LEAD = DeviceKeys.generate()
RECOVERY = X25519PrivateKey.generate()
PAYLOAD = {
    "device_id": DEVICE,
    "inspection_id": INSPECTION,
    "events": [{"seq": i, "value": "yes", "note": "n" * (i % 7)} for i in range(30)],
}
PACKAGE_ID, PACKAGE = build_package(
    kind="events",
    payload=PAYLOAD,
    inspection_id=INSPECTION,
    device_id=DEVICE,
    hlc=f"1763640000000.000001.{DEVICE}",
    counts={"events": 30},
    extra={"seq_from": 0, "seq_to": 29},
    signer=AUTHOR,
    recipients=[LEAD.recipient("lead", "team_lead"), AUTHOR.recipient("self", "assessor")],
)
ORIGINAL = read_package(PACKAGE, private_keys=[LEAD.encryption_key])
N = len(PACKAGE)

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check(data: bytes) -> None:
    """The property: PackageError or the original content; never anything else."""
    try:
        opened = read_package(
            data,
            private_keys=[LEAD.encryption_key, RECOVERY],
            trusted_signers={DEVICE: AUTHOR.signing_public},
            expected_kind="events",
        )
    except PackageError as e:
        assert e.reason and str(e).startswith("<bytes>: ")
        opened = None
    if data == PACKAGE:
        assert opened is not None
    if opened is not None:
        assert same_content(opened)
    try:
        manifest = peek_manifest(data)
    except PackageError:
        manifest = None
    if manifest is not None:
        assert manifest == ORIGINAL.manifest


def same_content(opened: OpenedPackage) -> bool:
    return opened.manifest == ORIGINAL.manifest and opened.payload == ORIGINAL.payload


@st.composite
def flipped(draw: st.DrawFn) -> bytes:
    data = bytearray(PACKAGE)
    for _ in range(draw(st.integers(1, 8))):
        data[draw(st.integers(0, N - 1))] ^= draw(st.integers(1, 255))
    return bytes(data)


@st.composite
def truncated(draw: st.DrawFn) -> bytes:
    return PACKAGE[: draw(st.integers(0, N - 1))]


@st.composite
def inserted(draw: st.DrawFn) -> bytes:
    at = draw(st.integers(0, N))
    return PACKAGE[:at] + draw(st.binary(min_size=1, max_size=64)) + PACKAGE[at:]


@st.composite
def deleted(draw: st.DrawFn) -> bytes:
    start = draw(st.integers(0, N - 1))
    end = draw(st.integers(start + 1, min(N, start + 512)))
    return PACKAGE[:start] + PACKAGE[end:]


@st.composite
def shuffled(draw: st.DrawFn) -> bytes:
    cuts = sorted(draw(st.lists(st.integers(1, N - 1), min_size=1, max_size=6, unique=True)))
    pieces = [PACKAGE[a:b] for a, b in zip([0, *cuts], [*cuts, N], strict=True)]
    return b"".join(draw(st.permutations(pieces)))


@st.composite
def header_fields(draw: st.DrawFn) -> bytes:
    """Overwrite a 2- or 4-byte field at a zip header's position with an interesting value."""
    positions = [i for i in range(N - 4) if PACKAGE[i : i + 2] == b"PK"]
    at = draw(st.sampled_from(positions)) + draw(st.integers(0, 45))
    width = draw(st.sampled_from([2, 4]))
    value = draw(st.sampled_from([0, 1, 0x7F, 0xFF, 0xFFFF, 0xFFFFFFFF, 2**31, N, N * 100]))
    raw = (value % (1 << (8 * width))).to_bytes(width, "little")
    data = bytearray(PACKAGE)
    data[at : at + width] = raw[: max(0, min(width, N - at))]
    return bytes(data[:N])


MUTATIONS = st.one_of(flipped(), truncated(), inserted(), deleted(), shuffled(), header_fields())


@FUZZ
@given(MUTATIONS)
def test_mutated_packages_are_refused_cleanly(data: bytes) -> None:
    check(data)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_are_refused_cleanly(data: bytes) -> None:
    check(data)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["manifest.json", "payload.bin", "signature.bin", "../x", "CON"]),
            st.binary(max_size=200),
            st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]),
        ),
        max_size=5,
    )
)
def test_arbitrary_zips_are_refused_cleanly(entries: list[tuple[str, bytes, int]]) -> None:
    import warnings

    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names are part of the point
        with zipfile.ZipFile(out, "w") as zf:
            for name, data, method in entries:
                zf.writestr(name, data, compress_type=method)
    check(out.getvalue())


def _entries() -> list[bytes]:
    with zipfile.ZipFile(io.BytesIO(PACKAGE)) as zf:
        return [zf.read(name) for name in ENTRY_NAMES]


MANIFEST, PAYLOAD_BIN, SIGNATURE = _entries()


@st.composite
def changed_manifest(draw: st.DrawFn) -> bytes:
    """The manifest's JSON text changed: its byte, a cut, or an insertion."""
    data = bytearray(MANIFEST)
    at = draw(st.integers(0, len(data) - 1))
    how = draw(st.sampled_from(["flip", "cut", "insert"]))
    if how == "flip":
        data[at] ^= draw(st.integers(1, 255))
    elif how == "cut":
        del data[at : at + draw(st.integers(1, 40))]
    else:
        data[at:at] = draw(st.sampled_from([b"[", b"{", b'"', b"\\", b"\\u0000", b",", b"9" * 30]))
    return bytes(data)


@FUZZ
@given(changed_manifest(), st.booleans())
def test_changed_manifests_are_refused_cleanly(manifest: bytes, sign_again: bool) -> None:
    """Rezipped with good checksums, so the JSON, schema and signature checks are reached.

    Signed again by the author, a changed manifest may well be valid: then it must read
    without any exception but PackageError.
    """
    signature = AUTHOR.signing_key.sign(manifest) if sign_again else SIGNATURE
    data = _zip(manifest, PAYLOAD_BIN, signature)
    if not sign_again:
        check(data)
        return
    with contextlib.suppress(PackageError):
        read_package(data, private_keys=[LEAD.encryption_key], expected_kind="events")


def test_the_unchanged_package_is_read() -> None:
    check(PACKAGE)
    assert ORIGINAL.payload == PAYLOAD
