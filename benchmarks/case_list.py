"""The case list: Workspace.case_rows for an inspection of 500 cases with ~30 answers each.

Builds one inspection with 500 cases (mixed facts: both variants, domestic abuse, children,
MAPPA, RoSH levels) through Workspace.add_case, then 30 answer events per case (27 questions
answered, 3 of them changed again) written in one transaction through the repositories, as
record_answer would write them (sequence numbers, HLC clock, replaces chain). Then times
case_rows (cases, current answers, applicability, progress counts; the question set is
already parsed, as it is once the window is open).
Baseline: raw sqlite3 running the same two SELECTs (the cases, and their answer events in clock
order) and fetching every row, on the same (encrypted) file through a connection given the
data key. value = case_rows median ms; target: under 200 ms.
Also measured: opening the 500-case encrypted database as the window does (the data key
unwrapped through the key store, start-up checks, the first case list), from a cold process
cache of keys.
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
import uuid
from datetime import date, datetime
from pathlib import Path

from _common import KEY_STORE, ROOT, median, result, summary, time_ms

from probdesk.domain.records import AnswerEvent
from probdesk.paths import Paths
from probdesk.services.workspace import Workspace
from probdesk.store import cipher, datakey

CASES = 500
OPENS = 5
ANSWERED = 27
CHANGED = 3
RUNS = 15
WARMUP = 2
TARGET_MS = 200.0
QUESTION_SET = ROOT / "question_sets" / "dipp-public-protection.yaml"

CASES_SQL = (
    'SELECT id, inspection_id, reference, facts, variant, assessor, status, created_at FROM "case"'
    " WHERE inspection_id = ? ORDER BY reference"
)
EVENTS_SQL = (
    "SELECT id, case_id, question_id, value, note, device_id, seq, hlc, replaces, qs_id,"
    " qs_version, recorded_at FROM answer_event WHERE case_id IN"
    ' (SELECT id FROM "case" WHERE inspection_id = ?) ORDER BY hlc'
)


def facts_for(n: int) -> dict[str, object]:
    return {
        "sentence_type": ("community_order", "suspended_sentence_order", "licence", "pss")[n % 4],
        "contact_suspended": "yes" if n % 5 == 0 else "no",
        "rosh_level": ("low", "medium", "high", "very_high")[n % 4],
        "domestic_abuse": ("yes", "no", "unknown")[n % 3],
        "child_safeguarding": ("no", "yes", "unknown")[n % 3],
        "mappa_eligible": "yes" if n % 7 == 0 else "no",
        **({"mappa_level": "level2"} if n % 7 == 0 else {}),
        "tier": f"B{n % 4 + 1}",
        "practitioner_grade": ("po", "pso", "pqip")[n % 3],
    }


def build(ws: Workspace) -> tuple[str, int]:
    inspection = ws.create_inspection(
        "North West", "Manchester North", date(2025, 3, 3), date(2025, 3, 7), QUESTION_SET
    )
    qs = ws.question_set(inspection)
    cases = [ws.add_case(inspection.id, f"CRN-{n:05d}", facts_for(n)) for n in range(CASES)]
    events = 0
    with ws.store.unit_of_work() as uow:
        for n, case in enumerate(cases):
            questions = [q.id for s in qs.sections_for(case.variant) for q in s.questions]
            head: dict[str, str] = {}
            plan = [*questions[:ANSWERED], *questions[:CHANGED]]
            for i, qid in enumerate(plan):
                allowed = qs.question(qid).allowed_values() or ("yes",)
                value = allowed[(n + i) % len(allowed)]
                seq, hlc = ws.next_event(uow)
                event = AnswerEvent(
                    str(uuid.uuid4()), case.id, qid, value, "", ws.device_id, seq, hlc,
                    head.get(qid), qs.id, qs.version, datetime.now().replace(microsecond=0),
                )  # fmt: skip
                uow.answers.add(event)
                head[qid] = event.id
                events += 1
    return inspection.id, events


def raw_connection(db: Path, key: bytes | None) -> sqlite3.Connection:
    conn: sqlite3.Connection = cipher.connect(db, key)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


def raw_select(conn: sqlite3.Connection, inspection_id: str) -> int:
    cases = conn.execute(CASES_SQL, (inspection_id,)).fetchall()
    events = conn.execute(EVENTS_SQL, (inspection_id,)).fetchall()
    return len(cases) + len(events)


def main() -> None:
    probdesk: list[float] = []
    raw: list[float] = []
    with tempfile.TemporaryDirectory(prefix="probdesk-bench-") as tmp:
        ws = Workspace.open(Paths.resolve(Path(tmp) / "data"))
        try:
            started = time.perf_counter()
            inspection_id, events = build(ws)
            built_s = time.perf_counter() - started
            rows = ws.case_rows(inspection_id)
            assert len(rows) == CASES
            assert all(0 < r.answered <= r.applicable for r in rows)
            answered = sum(r.answered for r in rows)
            applicable = sum(r.applicable for r in rows)
            conn = raw_connection(ws.store.path, ws.store.key)  # kept open, like the pool's
            assert raw_select(conn, inspection_id) == CASES + events
            for i in range(WARMUP + RUNS):
                timings = [
                    (probdesk, lambda: ws.case_rows(inspection_id)),
                    (raw, lambda: raw_select(conn, inspection_id)),
                ]
                for samples, fn in timings if i % 2 == 0 else reversed(timings):
                    elapsed = time_ms(fn)
                    if i >= WARMUP:
                        samples.append(elapsed)
            conn.close()
        finally:
            ws.close()
        opened: list[float] = []
        for _ in range(OPENS):
            datakey.forget()  # as a new process: the key comes from the key store again
            start = time.perf_counter()
            again = Workspace.open(Paths.resolve(Path(tmp) / "data"))
            try:
                assert len(again.case_rows(inspection_id)) == CASES
            finally:
                again.close()
            opened.append((time.perf_counter() - start) * 1000)

    value, baseline = median(probdesk), median(raw)
    print(f"python {sys.version.split()[0]}, sqlite {sqlite3.sqlite_version}")
    print(
        f"{CASES} cases, {events} answer events (built in {built_s:.1f} s); progress "
        f"{answered} of {applicable} applicable questions answered"
    )
    print(summary("Workspace.case_rows      ", probdesk))
    print(summary("raw SQLCipher same SELECTs", raw))
    print(f"key store: {KEY_STORE}")
    print(summary("open the encrypted 500-case database + first case list", opened))
    print(
        f"case_rows: {value:.0f} ms, {value / baseline:.1f}x raw; target under {TARGET_MS:.0f} ms"
    )
    result(
        "case_list",
        value,
        "ms",
        baseline,
        TARGET_MS,
        passed=value < TARGET_MS,
        target_kind="value_max",
        runs=RUNS,
        cases=CASES,
        events=events,
        samples_ms=[round(x, 1) for x in probdesk],
        open_ms=round(median(opened), 1),
    )


if __name__ == "__main__":
    main()
