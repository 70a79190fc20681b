"""Autosave: one answer committed through Workspace.record_answer, against raw sqlite3.

probdesk's database is encrypted at rest (SQLCipher, the data key from the key store): that is
the figure the target is for. The same saves on an unencrypted probdesk database are measured
alongside, to show what encryption costs.

probdesk: Workspace.record_answer on one case of an inspection (validation, current-answer
look-up, device counter, event insert, case status, commit with synchronous=FULL), cycling
through the case's questions and changing the value each time so that every call writes.
Baseline: Python's sqlite3 on a second database in the same folder with the same PRAGMAs
(journal_mode=WAL, synchronous=FULL, foreign_keys=ON), inserting and committing one row of
the same shape per save. Saves are interleaved so that both see the same disk and load.
value = encrypted probdesk median ms; baseline = raw (unencrypted) sqlite3 median ms; target:
ratio at most 3.
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
import uuid
from datetime import date, datetime
from pathlib import Path

from _common import KEY_STORE, ROOT, median, percentile, result, summary

from probdesk.paths import Paths
from probdesk.services.workspace import Workspace
from probdesk.store.database import Store, make_engine, migrate

SAVES = 300
WARMUP = 20
TARGET_RATIO = 3.0
QUESTION_SET = ROOT / "question_sets" / "dipp-public-protection.yaml"
FACTS = {
    "sentence_type": "licence",
    "contact_suspended": "no",
    "rosh_level": "high",
    "domestic_abuse": "yes",
    "child_safeguarding": "yes",
    "mappa_eligible": "yes",
    "tier": "B2",
    "practitioner_grade": "po",
}
RAW_SCHEMA = """
CREATE TABLE answer_event (
    id VARCHAR(36) PRIMARY KEY, case_id VARCHAR(36) NOT NULL, question_id VARCHAR(64) NOT NULL,
    value TEXT NOT NULL, note TEXT NOT NULL, device_id VARCHAR(36) NOT NULL,
    seq INTEGER NOT NULL, hlc VARCHAR(80) NOT NULL, replaces VARCHAR(36),
    qs_id VARCHAR(64) NOT NULL, qs_version VARCHAR(64) NOT NULL, recorded_at DATETIME NOT NULL,
    UNIQUE (device_id, seq)
);
CREATE INDEX ix_answer_event_case_question ON answer_event (case_id, question_id);
"""


def raw_connection(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=5000")
    conn.executescript(RAW_SCHEMA)
    return conn


def raw_save(conn: sqlite3.Connection, seq: int, question_id: str, value: str) -> None:
    conn.execute("BEGIN IMMEDIATE")
    conn.execute(
        "INSERT INTO answer_event VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            str(uuid.uuid4()), "case-1", question_id, f'"{value}"', "", "device-1", seq,
            f"{time.time_ns() // 1_000_000:013d}.000000.device-1", None,
            "dipp-public-protection", "2025.10-illustrative",
            datetime.now().strftime("%Y-%m-%d %H:%M:%S.%f"),
        ),
    )  # fmt: skip
    conn.execute("COMMIT")


def plaintext_workspace(folder: Path) -> Workspace:
    """probdesk on an unencrypted database (as before encryption at rest), for comparison."""
    folder.mkdir()
    path = folder / "plain.sqlite"
    engine = make_engine(path, None)
    migrate(engine)
    return Workspace(Store(path, engine))


def _case(ws: Workspace) -> str:
    inspection = ws.create_inspection(
        "North West", "Manchester North", date(2025, 3, 3), date(2025, 3, 7), QUESTION_SET
    )
    return ws.add_case(inspection.id, "CRN-0001", FACTS).id


def main() -> None:
    probdesk: list[float] = []
    plain: list[float] = []
    raw: list[float] = []
    with tempfile.TemporaryDirectory(prefix="probdesk-bench-") as tmp:
        ws = Workspace.open(Paths.resolve(Path(tmp) / "data"))
        pws = plaintext_workspace(Path(tmp) / "plain")
        conn = raw_connection(Path(tmp) / "raw.sqlite")
        try:
            case_id, plain_case = _case(ws), _case(pws)
            inspection = ws.inspections()[0]
            qs = ws.question_set(inspection)
            questions = [
                q.id
                for s in qs.sections_for("core")
                for q in s.questions
                if {"yes", "no"} <= set(q.allowed_values() or ())
            ]
            for i in range(WARMUP + SAVES):
                qid = questions[i % len(questions)]
                value = ("yes", "no")[(i // len(questions)) % 2]  # a change on every call
                timings = [
                    (probdesk, ws.record_answer, (case_id, qid, value)),
                    (plain, pws.record_answer, (plain_case, qid, value)),
                    (raw, raw_save, (conn, i + 1, qid, value)),
                ]
                for samples, fn, args in timings[i % 3 :] + timings[: i % 3]:
                    start = time.perf_counter()
                    fn(*args)  # type: ignore[operator]
                    elapsed = (time.perf_counter() - start) * 1000
                    if i >= WARMUP:
                        samples.append(elapsed)
            events = len(ws.history(case_id, questions[0]))
            assert ws.unexported_count() == 1 + WARMUP + SAVES, "every save should have written"
        finally:
            conn.close()
            ws.close()
            pws.close()

    value, baseline = median(probdesk), median(raw)
    ratio = value / baseline
    print(
        f"python {sys.version.split()[0]}, sqlite {sqlite3.sqlite_version}, WAL + synchronous=FULL"
    )
    print(f"{SAVES} saves each ({WARMUP} warm-up saves not counted); {events} events per question")
    print(f"key store: {KEY_STORE}")
    print(
        summary("Workspace.record_answer, encrypted", probdesk)
        + f", p99 {percentile(probdesk, 99):.1f}"
    )
    print(
        summary("Workspace.record_answer, unencrypted", plain)
        + f", p99 {percentile(plain, 99):.1f}"
    )
    print(summary("raw sqlite3 insert+commit", raw) + f", p99 {percentile(raw, 99):.1f}")
    print(f"encryption costs {median(probdesk) / median(plain):.2f}x of unencrypted probdesk")
    print(f"encrypted probdesk / raw: {ratio:.2f}x; target at most {TARGET_RATIO}x")
    result(
        "autosave",
        value,
        "ms",
        baseline,
        TARGET_RATIO,
        passed=ratio <= TARGET_RATIO,
        target_kind="ratio_max",
        runs=SAVES,
        p99_ms=round(percentile(probdesk, 99), 2),
        baseline_p99_ms=round(percentile(raw, 99), 2),
        unencrypted_ms=round(median(plain), 3),
    )


if __name__ == "__main__":
    main()
