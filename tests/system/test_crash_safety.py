"""An acknowledged save survives the process being killed at any moment.

A forked child opens the workspace and records answers in a loop; after each record_answer
returns it reports the save on a pipe. The parent kills the child with SIGKILL at a random
moment, reopens the store the way probdesk does after a crash, and checks that every
acknowledged answer is there and that SQLite's integrity check passes. PROBDESK_CRASH_ROUNDS
sets the number of rounds (default 200).

The child is forked (no re-import, no interpreter start-up) so that rounds are cheap. The parent
holds no database connection while it forks.
"""

from __future__ import annotations

import os
import random
import select
import signal
import sys
import time
import traceback
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from probdesk.paths import Paths
from probdesk.services.workspace import Workspace

QUESTION_SET = Path(__file__).resolve().parents[2] / "question_sets" / "dipp-public-protection.yaml"
ROUNDS = int(os.environ.get("PROBDESK_CRASH_ROUNDS", "200"))
SEED = int(os.environ.get("PROBDESK_CRASH_SEED", "20250303"))
N_CASES = 6
MAX_DELAY_S = 0.060
KILL_DURING_OPEN_EVERY = 8  # every 8th round the kill may land while the child is still opening
MAX_WRITES = 100_000
READY_TIMEOUT_S = 120.0  # a guard against a hung child, not a speed limit

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

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork"),
    # Python 3.12+ warns about fork() in a threaded process (Qt may have started threads in
    # earlier tests). The child only touches its own new SQLite connection and exits with
    # os._exit, so the warning does not apply here.
    pytest.mark.filterwarnings("ignore:.*multi-threaded.*fork:DeprecationWarning"),
]


@dataclass(frozen=True)
class Write:
    index: int
    case_id: str
    question_id: str
    value: str
    note: str  # unique per (round, index): identifies exactly which write is current


def planned(round_no: int, index: int, case_ids: list[str], questions: list[str]) -> Write:
    """The index-th write of a round: deterministic, so the parent knows every write in flight."""
    case_id = case_ids[(round_no * 7 + index * 3) % len(case_ids)]
    question_id = questions[(round_no * 13 + index * 5) % len(questions)]
    value = "yes" if (round_no * 31 + index * 17) % 3 else "no"
    return Write(index, case_id, question_id, value, f"r{round_no}i{index}")


def child(
    data_dir: Path, round_no: int, case_ids: list[str], questions: list[str], fd: int
) -> None:
    """Runs in the forked child; never returns."""
    code = 0
    try:
        out = os.fdopen(fd, "w", buffering=1)
        ws = Workspace.open(Paths.resolve(data_dir))
        ws.case_state(case_ids[0])  # parse the question set now, so the kill lands among saves
        out.write("ready\n")
        out.flush()
        for index in range(MAX_WRITES):
            w = planned(round_no, index, case_ids, questions)
            ws.record_answer(w.case_id, w.question_id, w.value, w.note)
            out.write(f"{w.case_id} {w.question_id} {w.value} {w.index}\n")
            out.flush()
        out.write("done\n")
        out.flush()
        while True:  # wait to be killed
            time.sleep(1)
    except BaseException:
        traceback.print_exc()
        sys.stderr.flush()
        code = 3
    finally:
        os._exit(code)


class LineReader:
    """Lines from the child's pipe; what arrives after 'ready' is kept for the next read."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buf = b""
        self.eof = False

    def _fill(self, deadline: float) -> None:
        timeout = deadline - time.monotonic()
        if timeout <= 0:
            raise AssertionError("the child did not report in time")
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if ready:
            chunk = os.read(self.fd, 65536)
            self.buf += chunk
            self.eof = not chunk

    def until_ready(self, deadline: float) -> list[str]:
        while b"ready\n" not in self.buf:
            if self.eof:
                raise AssertionError("the child ended before it was ready")
            self._fill(deadline)
        head, self.buf = self.buf.split(b"ready\n", 1)
        return [*head.decode().splitlines(keepends=True), "ready\n"]

    def until_eof(self, deadline: float) -> list[str]:
        """Every line; a last line without its newline is the child dying mid-write."""
        while not self.eof:
            self._fill(deadline)
        lines, self.buf = self.buf.decode(errors="replace").splitlines(keepends=True), b""
        return lines


@dataclass
class Round:
    acked: list[Write]
    in_flight: Write  # the write that may have committed without being acknowledged
    killed_during_open: bool


def run_round(
    data_dir: Path, round_no: int, case_ids: list[str], questions: list[str], rng: random.Random
) -> Round:
    early = round_no % KILL_DURING_OPEN_EVERY == KILL_DURING_OPEN_EVERY - 1
    delay = rng.uniform(0, MAX_DELAY_S)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child leaves through os._exit
        os.close(r)
        child(data_dir, round_no, case_ids, questions, w)
    os.close(w)
    lines: list[str] = []
    reader = LineReader(r)
    try:
        if not early:
            lines += reader.until_ready(time.monotonic() + READY_TIMEOUT_S)
            assert lines == ["ready\n"], lines
        time.sleep(delay)
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        lines += reader.until_eof(time.monotonic() + READY_TIMEOUT_S)
    finally:
        os.close(r)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, (
        f"round {round_no}: the child ended by itself (status {status}); see its stderr"
    )
    acked: list[Write] = []
    for line in lines:
        if line in ("ready\n", "done\n") or not line.endswith("\n"):
            continue  # a partial line is not an acknowledgement
        case_id, question_id, value, index = line.split()
        expected = planned(round_no, int(index), case_ids, questions)
        assert (case_id, question_id, value) == (
            expected.case_id,
            expected.question_id,
            expected.value,
        )
        assert int(index) == len(acked), "acknowledgements out of order"
        acked.append(expected)
    return Round(acked, planned(round_no, len(acked), case_ids, questions), early)


def check_round(ws: Workspace, round_no: int, rnd: Round) -> None:
    latest: dict[tuple[str, str], Write] = {}
    for w in rnd.acked:
        latest[w.case_id, w.question_id] = w
    states = {case_id: ws.case_state(case_id) for case_id, _ in latest}
    for (case_id, question_id), w in latest.items():
        state = states[case_id]
        allowed = {w.note: w.value}
        f = rnd.in_flight
        if (f.case_id, f.question_id) == (case_id, question_id):
            allowed[f.note] = f.value
        note = state.notes.get(question_id)
        assert note in allowed, (
            f"round {round_no}: acknowledged save {w} is lost; the store holds "
            f"{state.answers.get(question_id)!r} with note {note!r}"
        )
        assert state.answers.get(question_id) == allowed[note]


def test_acknowledged_answers_survive_sigkill(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    ws = Workspace.open(Paths.resolve(data_dir))
    inspection = ws.create_inspection(
        "North West", "Manchester North", date(2025, 3, 3), date(2025, 3, 7), QUESTION_SET
    )
    case_ids = [ws.add_case(inspection.id, f"CRN-{n:04d}", FACTS).id for n in range(N_CASES)]
    qs = ws.question_set(inspection)
    questions = [
        q.id
        for s in qs.sections_for("core")
        for q in s.questions
        if {"yes", "no"} <= set(q.allowed_values() or ())
    ]
    ws.close()

    rng = random.Random(SEED)
    started = time.perf_counter()
    rounds: list[Round] = []
    for round_no in range(ROUNDS):
        rnd = run_round(data_dir, round_no, case_ids, questions, rng)
        rounds.append(rnd)
        ws = Workspace.open(Paths.resolve(data_dir))
        try:
            assert ws.notices == [], f"round {round_no}: {ws.notices}"
            assert ws.store.integrity_check() == "ok", f"round {round_no}"
            check_round(ws, round_no, rnd)
        finally:
            ws.close()
    elapsed = time.perf_counter() - started

    # Across all rounds: each key holds its last acknowledged write or a later one.
    ws = Workspace.open(Paths.resolve(data_dir))
    try:
        assert ws.store.integrity_check() == "ok"
        assert ws.audit_problems() == []
        order: dict[str, tuple[int, int]] = {}
        last_acked: dict[tuple[str, str], tuple[int, int]] = {}
        for round_no, rnd in enumerate(rounds):
            for w in [*rnd.acked, rnd.in_flight]:
                order[w.note] = (round_no, w.index)
            for w in rnd.acked:
                last_acked[w.case_id, w.question_id] = (round_no, w.index)
        states = {case_id: ws.case_state(case_id) for case_id in case_ids}
        for (case_id, question_id), when in last_acked.items():
            note = states[case_id].notes.get(question_id, "")
            assert note in order and order[note] >= when, (case_id, question_id, note, when)
        with ws.store.unit_of_work() as uow:
            events = uow.answers.count()
            device = uow.devices.get()
            max_seq = max(e.seq for c in case_ids for e in uow.answers.for_case(c))
        assert device is not None and device.last_seq >= max_seq
    finally:
        ws.close()
    total_acked = sum(len(r.acked) for r in rounds)
    # Every acknowledged write is an event; at most one unacknowledged write per round landed.
    assert total_acked <= events <= total_acked + len(rounds)
    print(
        f"\ncrash safety: {ROUNDS} rounds, {total_acked} acknowledged saves, "
        f"{events - total_acked} committed but unacknowledged, "
        f"{sum(1 for r in rounds if not r.acked)} rounds killed before any save, "
        f"{elapsed:.1f} s"
    )
