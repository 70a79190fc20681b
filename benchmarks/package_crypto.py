"""Package crypto: verify and decrypt a ~20 MB package, against SHA-256 of the same bytes.

probdesk: verify_and_decrypt on the bytes of a package whose payload is ~20 MB of answer
events as JSON: zip structure checks, Ed25519 signature over the manifest, SHA-256 of the whole
file (its content id) and of payload.bin, HPKE unwrap of the content key, AES-256-GCM decrypt.
Baseline: hashlib.sha256 of the same package bytes, in the same run, interleaved.
value = verify_and_decrypt median ms; baseline = sha256 median ms; so ratio = sha256 MB/s /
verify MB/s. Target: at most 3. Also printed: read_package (the same plus json.loads and the
payload checks), build_package throughput, and reading from a file.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import median, result, summary
from cryptography import __version__ as cryptography_version
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from probdesk.packages.keys import DeviceKeys, Recipient
from probdesk.packages.reader import read_package, verify_and_decrypt
from probdesk.packages.writer import build_package, package_file_name

RUNS = 9
WARMUP = 1
TARGET_RATIO = 3.0
DEVICE = "0b7e4c1e-5d7a-4f59-9a53-1f1c2b7d9e01"
INSPECTION = "5f0c8a52-7f59-4e0b-8a4e-2d1f6c3b9a10"
MB = 1_000_000


def events_payload(target_bytes: int) -> dict[str, Any]:
    """Answer events shaped like the store's answer_event rows, ~target_bytes as JSON."""
    events = []
    size, i = 0, 0
    while size < target_bytes:
        event = {
            "id": f"{i:08x}-7c1d-4e2a-9f3b-5a6c7d8e9f00",
            "case_id": f"c{i // 120:07x}-1111-4222-8333-444455556666",
            "question_id": f"q{i % 240:03d}",
            "value": ("yes", "no", "partly")[i % 3],
            "note": "Risk of serious harm was reviewed at allocation and again after the "
            "incident; the plan sets out contact with the police." * (1 + i % 3),
            "device_id": DEVICE,
            "seq": i + 1,
            "hlc": f"{1763640000000 + i:013d}.000000.{DEVICE}",
            "replaces": None if i % 5 else f"{i - 1:08x}-7c1d-4e2a-9f3b-5a6c7d8e9f00",
            "qs_id": "dipp-public-protection",
            "qs_version": "2025.10-illustrative",
            "recorded_at": "2026-11-20T10:10:10.123456",
        }
        size += len(json.dumps(event)) + 1
        events.append(event)
        i += 1
    return {"device_id": DEVICE, "inspection_id": INSPECTION, "events": events}


def main() -> None:
    author, lead = DeviceKeys.generate(), DeviceKeys.generate()
    recovery = X25519PrivateKey.generate()
    recipients = [
        lead.recipient("Team lead", "team_lead"),
        Recipient("Organisation", "recovery", recovery.public_key().public_bytes_raw()),
    ]
    payload = events_payload(20 * MB)
    plaintext_bytes = len(json.dumps(payload, separators=(",", ":")).encode())
    hlc = f"1763640000000.000000.{DEVICE}"

    def build() -> bytes:
        return build_package(
            kind="events", payload=payload, inspection_id=INSPECTION, device_id=DEVICE, hlc=hlc,
            counts={"events": len(payload["events"])}, extra=None, signer=author,
            recipients=recipients, package_id="bench-1",
        )[1]  # fmt: skip

    build_ms: list[float] = []
    for _ in range(3):
        start = time.perf_counter()
        data = build()
        build_ms.append((time.perf_counter() - start) * 1000)
    size = len(data)

    read_ms: list[float] = []
    verify_ms: list[float] = []
    sha_ms: list[float] = []
    file_ms: list[float] = []
    parse_ms: list[float] = []
    plaintext = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    with tempfile.TemporaryDirectory(prefix="probdesk-bench-") as tmp:
        path = Path(tmp) / package_file_name("events", "bench-1")
        path.write_bytes(data)
        for i in range(WARMUP + RUNS):
            steps = [
                (read_ms, lambda: read_package(data, private_keys=[lead.encryption_key])),
                (verify_ms, lambda: verify_and_decrypt(data, private_keys=[lead.encryption_key])),
                (sha_ms, lambda: hashlib.sha256(data).hexdigest()),
                (file_ms, lambda: read_package(path, private_keys=[lead.encryption_key])),
                (parse_ms, lambda: json.loads(plaintext)),  # the part that is not crypto
            ]
            for samples, fn in steps if i % 2 == 0 else reversed(steps):
                start = time.perf_counter()
                kept = fn()  # freeing the result is the caller's time, not the reader's
                elapsed = (time.perf_counter() - start) * 1000
                del kept
                if i >= WARMUP:
                    samples.append(elapsed)
        opened = read_package(path, private_keys=[recovery])
        assert opened.payload == payload

    # The figure: verify and decrypt (all checks, signature, hash, AES-GCM), against
    # SHA-256 of the same bytes. Parsing the JSON afterwards is reported beside it.
    value, baseline = median(verify_ms), median(sha_ms)
    ratio = value / baseline
    read_rate = size / MB / (median(read_ms) / 1000)
    verify_rate, sha_rate = size / MB / (value / 1000), size / MB / (baseline / 1000)
    build_rate = plaintext_bytes / MB / (median(build_ms) / 1000)
    print(f"python {sys.version.split()[0]}, cryptography {cryptography_version}")
    print(
        f"package {size / MB:.1f} MB ({len(payload['events']):,} events, "
        f"payload JSON {plaintext_bytes / MB:.1f} MB), 2 recipients"
    )
    print(summary("build_package", build_ms) + f" = {build_rate:.0f} MB/s of payload JSON")
    print(summary("read_package (bytes)", read_ms) + f" = {read_rate:.0f} MB/s")
    print(
        summary("read_package (file) ", file_ms)
        + f" = {size / MB / median(file_ms) * 1000:.0f} MB/s"
    )
    print(summary("hashlib.sha256      ", sha_ms) + f" = {sha_rate:.0f} MB/s")
    print(f"json.loads of the plaintext on its own: {median(parse_ms):.1f} ms")
    print(
        summary("verify_and_decrypt  ", verify_ms)
        + f" = {size / MB / median(verify_ms) * 1000:.0f} MB/s"
    )
    print(f"verify+decrypt / sha256: {ratio:.2f}x; target at most {TARGET_RATIO}x")
    print(f"read_package (with the JSON parse) / sha256: {median(read_ms) / baseline:.2f}x")
    result(
        "package_crypto",
        value,
        "ms",
        baseline,
        TARGET_RATIO,
        passed=ratio <= TARGET_RATIO,
        target_kind="ratio_max",
        runs=RUNS,
        package_mb=round(size / MB, 2),
        read_mb_s=round(read_rate, 1),
        sha256_mb_s=round(sha_rate, 1),
        read_file_ms=round(median(file_ms), 2),
        build_ms=round(median(build_ms), 2),
        build_mb_s=round(build_rate, 1),
        json_parse_ms=round(median(parse_ms), 2),
        verify_mb_s=round(verify_rate, 1),
        read_package_ratio=round(median(read_ms) / baseline, 3),
    )


if __name__ == "__main__":
    main()
