"""A hub filled straight with rows, as a merge would leave it, and PDF text read back: shared
by the report, regional and Hub-tab tests and benchmarks/reports.py."""

from __future__ import annotations

import json
import subprocess
import uuid
from datetime import date
from pathlib import Path

from probdesk import bundled
from probdesk.domain.questionset import NA, NO, YES, AnswerType
from probdesk.hub.store import Hub


def pdftext(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def flat(text: str) -> str:
    """Words in reading order with single spaces: a wrapped line reads on."""
    return " ".join(text.split())


NOTE = (
    "Fictional evidence: the plan names the risk to the partner and the children, and the "
    "review after the incident records what changed, who was told and when (ŵ, ŷ)."
)


def fill_hub(
    hub: Hub,
    n_cases: int,
    pdus: tuple[str, ...],
    notes: bool = False,
    *,
    region: str = "Gogledd Cymru",
    question_set: str = "pdu-core.yaml",
    kind: str = "pdu",
    seed: int = 0,
    inspection_id: str | None = None,
    statuses: tuple[str, ...] = ("submitted",),
) -> str:
    """A hub holding one inspection of n cases over `pdus`, every Yes/No question answered (no
    laptops: rows straight into the hub, as a merge would leave them); with notes, one on every
    third answer; `seed` shifts the answers; with inspection_id, the cases go into that
    inspection (already in the hub: it is kept as it is); the cases take `statuses` in turn;
    question_set: a bundled set's file name or a path. Also used by benchmarks/reports.py."""
    from probdesk.domain import loader

    path = bundled.question_sets_dir() / question_set  # an absolute path stays as it is
    text = path.read_text(encoding="utf-8")
    qs = loader.parse_text(text, str(path))
    inspection_id = inspection_id or str(uuid.uuid4())
    device = str(uuid.uuid4())
    with hub.transaction() as conn:
        hub.add_question_set(conn, qs.content_hash, qs.id, qs.version, text)
        hub.add_inspection(
            conn,
            {
                "id": inspection_id,
                "region": region,
                "pdu": region if kind == "region" else pdus[0],
                "kind": kind,
                "pdus": json.dumps(list(pdus)),
                "fieldwork_start": date(2026, 11, 2),
                "fieldwork_end": date(2026, 11, 13),
                "qs_hash": qs.content_hash,
            },
        )
        seq = 0
        for i in range(n_cases):
            case_id = str(uuid.uuid4())
            variant = qs.variants[(i + seed) % len(qs.variants)].id
            hub.add_cases(
                conn,
                [
                    {
                        "id": case_id,
                        "inspection_id": inspection_id,
                        "reference": f"R{100000 + i}",
                        "pdu": pdus[i % len(pdus)],
                        "facts": "{}",
                        "variant": variant,
                        "assessor": "AB",
                        "status": statuses[i % len(statuses)],
                        "updated_hlc": f"{i:020d}",
                    }
                ],
            )
            rows = []
            for s in qs.sections_for(variant):
                for q in s.questions:
                    if q.answer not in (AnswerType.YES_NO, AnswerType.YES_NO_NA):
                        continue
                    seq += 1
                    value = (YES, NO, NA)[
                        (i * 7 + seq + seed) % 3
                        if q.answer is AnswerType.YES_NO_NA
                        else (i * (seed + 1) + seq) % 2
                    ]
                    rows.append(
                        {
                            "id": str(uuid.uuid4()),
                            "case_id": case_id,
                            "question_id": q.id,
                            "value": json.dumps(value),
                            "note": NOTE if notes and seq % 3 == 0 else "",
                            "device_id": device,
                            "seq": seq,
                            "hlc": f"{seq:020d}",
                            "replaces": None,
                            "qs_id": qs.id,
                            "qs_version": qs.version,
                            "recorded_at": "2026-11-05T10:00:00",
                            "author": "AB",
                        }
                    )
            hub.add_events(conn, rows)
    return inspection_id


def counting_set(root: Path, minimum_base: int, published_at: str = "region") -> Path:
    """pdu-core with a minimum base and a publication level, under its own version (the
    figures-counting tests' set), written into `root`."""
    text = (bundled.question_sets_dir() / "pdu-core.yaml").read_text(encoding="utf-8")
    rule = "  percentage: yes_over_relevant\n"
    version = 'version: "2025.1-illustrative"'
    assert rule in text and version in text
    text = text.replace(
        rule, f"{rule}  minimum_base: {minimum_base}\n  published_at: {published_at}\n", 1
    ).replace(version, 'version: "2026.2-counting"', 1)
    path = root / "pdu-core-counting.yaml"
    path.write_text(text, encoding="utf-8")
    return path
