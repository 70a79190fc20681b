"""The analysts' workbook: 100,000 cases (and 10,000) into one Excel workbook, in constant memory.

Hub: one PDU inspection of N cases over three PDUs against pdu-core (59 questions), built
straight with rows as a merge leaves them (in batches, no laptops): every question of each
case's variant answered (Yes, No, Not applicable), case facts spread so that conditions switch
some prompts off, a note on every fifth answer (some starting with = or +), an assessor's
laptop with its role, statuses spread. A plain SQLite file (a team lead's is SQLCipher).

probdesk: services.workbook.write_workbook(hub, inspection, out, with_notes=True), in a child
process per run, so that its peak resident memory (VmHWM) is the workbook's alone; the time
is split into reading and writing the rows, the figures, and xlsxwriter zipping the file.
Baseline, in the same run and also in a child: xlsxwriter in constant_memory mode writing the
same cells straight, nothing read or worked out: the same sheets with the same rows and
columns, every cell the workbook fills for this hub (the moderation columns stay empty, a
note every fifth answer), text of the same lengths: the floor for this writer, since the
workbook writes through it (services/workbook.py says why faster writers were not taken).
Also timed in a child: reading the cases alone (services.workbook.read_cases, its events read
for READ_BATCH cases to a query), to show the hub's share.

value = seconds at 100,000 cases; targets: under 60 s, and a peak under 1 GB (1,024 MB).

    .venv/bin/python benchmarks/workbook.py                          # 3 at 10,000, 1 at 100,000
    .venv/bin/python benchmarks/workbook.py --scales 10000 --runs 1  # a quick look
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import ROOT, median, result

from probdesk.domain import loader
from probdesk.domain.answer_types import AnswerType
from probdesk.domain.questionset import QuestionSet

QUESTION_SET = ROOT / "question_sets" / "pdu-core.yaml"
PDUS = ("Plymouth", "Devon & Torbay", "Cornwall & Isles of Scilly")
SCALES = (10_000, 100_000)
RUNS = 3  # at every scale but the largest, which runs once
TARGET_S = 60.0
TARGET_PEAK_MB = 1024.0
BATCH = 2_000  # cases per transaction while the hub is built
STATUSES = ("submitted", "submitted", "approved", "in_progress", "locked")
NOTES = (
    "Fictional evidence: the plan names the risk to the partner and the children, and the "
    "review after the incident records what changed, who was told and when (ŵ, ŷ).",
    '=HYPERLINK("http://example.invalid","see the record")',
    "+44 1234 567890 rang the practitioner; no answer.",
)
DEVICE = "d0000000-0000-4000-8000-000000000001"


def _question_set() -> tuple[QuestionSet, str]:
    text = QUESTION_SET.read_text(encoding="utf-8")
    return loader.parse_text(text, str(QUESTION_SET)), text


def facts_of(qs: QuestionSet, i: int) -> dict[str, object]:
    """Case i's facts: every fact set, spread over its values (conditions switch some off)."""
    out: dict[str, object] = {}
    for n, f in enumerate(qs.facts):
        values = f.allowed_values()
        out[f.id] = values[(i // (n + 1)) % len(values)] if values else f"T{i % 7}"
    return out


def build_hub(path: Path, n_cases: int) -> str:
    from probdesk.hub.store import Hub

    qs, text = _question_set()
    inspection_id = "1a2b3c4d-0000-4000-8000-000000000001"
    hub = Hub(f"sqlite:///{path}")
    try:
        with hub.transaction() as conn:
            hub.add_question_set(conn, qs.content_hash, qs.id, qs.version, text)
            hub.add_inspection(conn, {
                "id": inspection_id, "region": "South West", "pdu": PDUS[0], "kind": "pdu",
                "pdus": json.dumps(list(PDUS)), "fieldwork_start": _date(2026, 11, 2),
                "fieldwork_end": _date(2026, 11, 13), "qs_hash": qs.content_hash,
            })  # fmt: skip
            hub.add_device(conn, {
                "device_id": DEVICE, "name": "AB", "role": "inspector",
                "signing_public": "x" * 43, "encryption_public": "y" * 43,
            })  # fmt: skip
        seq = 0
        for start in range(0, n_cases, BATCH):
            cases, events = [], []
            for i in range(start, min(n_cases, start + BATCH)):
                case_id = f"c{i:08d}-0000-4000-8000-000000000000"
                facts = facts_of(qs, i)
                variant = qs.variant_for(facts)
                assert variant is not None
                cases.append({
                    "id": case_id, "inspection_id": inspection_id, "reference": f"X{700000 + i}",
                    "pdu": PDUS[i % len(PDUS)], "facts": json.dumps(facts), "variant": variant.id,
                    "assessor": "AB", "status": STATUSES[i % len(STATUSES)],
                    "updated_hlc": f"{i:020d}",
                })  # fmt: skip
                for s in qs.sections_for(variant.id):
                    for q in s.questions:
                        seq += 1
                        three = q.answer is AnswerType.YES_NO_NA
                        value = ("yes", "no", "na")[(i + seq) % 3 if three else (i + seq) % 2]
                        events.append({
                            "id": f"e{seq:011d}-0000-4000-8000-00000000", "case_id": case_id,
                            "question_id": q.id, "value": json.dumps(value),
                            "note": NOTES[seq % len(NOTES)] if seq % 5 == 0 else "",
                            "device_id": DEVICE, "seq": seq, "hlc": f"{seq:020d}",
                            "replaces": None, "qs_id": qs.id, "qs_version": qs.version,
                            "recorded_at": "2026-11-05T10:00:00", "author": "AB",
                        })  # fmt: skip
            with hub.transaction() as conn:
                hub.add_cases(conn, cases)
                hub.add_events(conn, events)
    finally:
        hub.close()
    return inspection_id


def _date(y: int, m: int, d: int) -> Any:
    from datetime import date

    return date(y, m, d)


# -- children ---------------------------------------------------------------------------------


def _peak_mb() -> float:
    """This process's peak resident memory (VmHWM: its own, unlike ru_maxrss across exec)."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_workbook(hub_path: Path, out: Path) -> dict[str, Any]:
    from probdesk.hub.store import Hub
    from probdesk.services import figures
    from probdesk.services.workbook import write_workbook

    hub = Hub(f"sqlite:///{hub_path}")
    marks: dict[str, float] = {}

    def progress(_done: int, _total: int, what: str) -> None:
        for key in ("Counting the figures", "Writing the workbook file"):
            if what.startswith(key) and key not in marks:
                marks[key] = time.perf_counter()

    before = _peak_mb()
    try:
        inspection_id = figures.pick_inspection(hub, None)
        start = time.perf_counter()
        done = write_workbook(hub, inspection_id, out, with_notes=True, progress=progress)
        end = time.perf_counter()
    finally:
        hub.close()
    figures_at = marks["Counting the figures"]
    zip_at = marks["Writing the workbook file"]
    return {
        "seconds": end - start, "rows_s": figures_at - start, "figures_s": zip_at - figures_at,
        "zip_s": end - zip_at, "peak_mb": _peak_mb(), "before_mb": before,
        "cases": done.cases, "answers": done.answers, "figures": done.figures,
        "sheets": list(done.sheets), "bytes": out.stat().st_size,
    }  # fmt: skip


def child_read(hub_path: Path) -> dict[str, Any]:
    from probdesk.hub.store import Hub
    from probdesk.services import figures
    from probdesk.services.workbook import read_cases

    hub = Hub(f"sqlite:///{hub_path}")
    try:
        inspection_id = figures.pick_inspection(hub, None)
        start = time.perf_counter()
        n = sum(1 for _c in read_cases(hub, inspection_id))
        seconds = time.perf_counter() - start
    finally:
        hub.close()
    return {"seconds": seconds, "cases": n, "peak_mb": _peak_mb()}


def child_baseline(n_cases: int, out: Path) -> dict[str, Any]:
    """xlsxwriter alone, the same cells: see the module's docstring."""
    import xlsxwriter

    from probdesk.services.workbook import OPTIONS, SHEET_ROWS

    qs, _text = _question_set()
    fact_cols = sum(2 if f.allowed_values() else 1 for f in qs.facts)
    case_cols = 10 + fact_cols + len(qs.questions)
    start = time.perf_counter()
    book = xlsxwriter.Workbook(str(out), {**OPTIONS, "tmpdir": str(out.parent)})
    cover, cases = book.add_worksheet("Cover"), book.add_worksheet("Cases")
    for r in range(40):
        cover.write_string(r, 0, "What is counted")
        cover.write_string(r, 1, "Every case the hub holds for the inspection, whatever ...")
    for c in range(case_cols):
        cases.write_string(0, c, f"fact_column_{c}"[:12])
    fixed = ("X700000", "South West", PDUS[1], "AB", "inspector", "submitted", None, None,
             "standard", "Standard")  # fmt: skip
    for r in range(1, n_cases + 1):
        for c, v in enumerate(fixed):
            if v is not None:
                cases.write_string(r, c, v)
        for c in range(10, case_cols):
            cases.write_string(r, c, "Yes" if c % 3 else "did not apply")
    rows = n_cases * sum(len(s.questions) for s in qs.sections_for(qs.variants[0].id))
    sheet, row, n_sheet = book.add_worksheet("Answers"), 0, 1
    for c, name in enumerate(("case_ref", "pdu", "question_id", "answer", "answer_label",
                              "applicable", "note")):  # fmt: skip
        sheet.write_string(0, c, name)
    for n in range(rows):
        row += 1
        if row >= SHEET_ROWS:
            n_sheet += 1
            sheet, row = book.add_worksheet(f"Answers {n_sheet}"), 1
        sheet.write_string(row, 0, "X700000")
        sheet.write_string(row, 1, PDUS[n % 3])
        sheet.write_string(row, 2, "2.1.3.c")
        sheet.write_string(row, 3, "yes")
        sheet.write_string(row, 4, "Yes")
        sheet.write_string(row, 5, "yes")
        if n % 5 == 0:
            sheet.write_string(row, 6, NOTES[0])
    codebook, figs = book.add_worksheet("Codebook"), book.add_worksheet("Figures")
    for r in range(80):
        for c in range(10):
            codebook.write_string(r, c, "Does assessment focus on keeping people safe?")
    for r in range(len(PDUS) * len(qs.questions) + 1):
        for c in range(16):
            figs.write_string(r, c, "Plymouth")
    book.close()
    return {"seconds": time.perf_counter() - start, "peak_mb": _peak_mb(), "rows": rows}


def run_child(*args: str) -> dict[str, Any]:
    """This script in a new process; its last stdout line is the child's JSON."""
    proc = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"child {args[:2]} failed with exit code {proc.returncode}")
    if proc.stderr.strip():
        sys.stderr.write(proc.stderr)
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def run_scale(n: int, runs: int, tmp: Path) -> dict[str, Any]:
    folder = tmp / f"n{n}"
    folder.mkdir()
    hub_path = folder / "hub.sqlite"
    start = time.perf_counter()
    build_hub(hub_path, n)
    print(f"{n:,} cases: hub built in {time.perf_counter() - start:.0f} s "
          f"({hub_path.stat().st_size / 1e6:.0f} MB)", flush=True)  # fmt: skip
    books, bases = [], []
    for i in range(runs):
        out = folder / f"book-{i}.xlsx"
        books.append(run_child("--child-workbook", str(hub_path), str(out)))
        b = books[-1]
        print(f"  workbook {i + 1}/{runs}: {b['seconds']:.1f} s (rows {b['rows_s']:.1f}, "
              f"figures {b['figures_s']:.1f}, zip {b['zip_s']:.1f}); peak {b['peak_mb']:.0f} "
              f"MB; {b['bytes'] / 1e6:.0f} MB, sheets {', '.join(b['sheets'])}",
              flush=True)  # fmt: skip
        out.unlink()
        base_out = folder / f"raw-{i}.xlsx"
        bases.append(run_child("--child-baseline", str(n), str(base_out)))
        base_out.unlink()
        print(f"  xlsxwriter alone {i + 1}/{runs}: {bases[-1]['seconds']:.1f} s; "
              f"peak {bases[-1]['peak_mb']:.0f} MB", flush=True)  # fmt: skip
    read = run_child("--child-read", str(hub_path))
    print(f"  reading the cases alone: {read['seconds']:.1f} s; peak {read['peak_mb']:.0f} MB",
          flush=True)  # fmt: skip
    hub_path.unlink()
    return {
        "seconds": median([b["seconds"] for b in books]),
        "baseline": median([b["seconds"] for b in bases]),
        "peak_mb": max(b["peak_mb"] for b in books),
        "baseline_peak_mb": max(b["peak_mb"] for b in bases),
        "rows_s": median([b["rows_s"] for b in books]),
        "figures_s": median([b["figures_s"] for b in books]),
        "zip_s": median([b["zip_s"] for b in books]),
        "read_s": read["seconds"],
        "answers": books[0]["answers"],
        "runs": runs,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scales", default=",".join(str(s) for s in SCALES),
                    help="comma-separated case counts; the largest runs once")  # fmt: skip
    ap.add_argument("--runs", type=int, default=RUNS, help="runs at every scale but the largest")
    ap.add_argument("--child-workbook", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--child-baseline", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--child-read", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_workbook:
        print(json.dumps(child_workbook(Path(args.child_workbook[0]),
                                        Path(args.child_workbook[1]))))  # fmt: skip
        return
    if args.child_baseline:
        n, out = int(args.child_baseline[0]), Path(args.child_baseline[1])
        print(json.dumps(child_baseline(n, out)))
        return
    if args.child_read:
        print(json.dumps(child_read(Path(args.child_read))))
        return

    scales = sorted({int(s) for s in args.scales.split(",") if s.strip()})
    largest = scales[-1]
    import xlsxwriter

    print(f"python {sys.version.split()[0]}, xlsxwriter {xlsxwriter.__version__}; scales "
          f"{scales}; the largest runs once", flush=True)  # fmt: skip
    runs: dict[int, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="probdesk-bench-") as tmp:
        for n in scales:
            runs[n] = run_scale(n, 1 if n == largest and len(scales) > 1 else args.runs, Path(tmp))
    for n, r in runs.items():
        print(
            f"{n:>7,} cases, {r['answers']:>9,} answers: workbook {r['seconds']:6.1f} s "
            f"(median of {r['runs']}), xlsxwriter alone {r['baseline']:6.1f} s, workbook / "
            f"xlsxwriter {r['seconds'] / r['baseline']:.2f}x; reading the cases "
            f"{r['read_s']:.1f} s, figures {r['figures_s']:.1f} s, zip {r['zip_s']:.1f} s; "
            f"peak {r['peak_mb']:.0f} MB (xlsxwriter alone {r['baseline_peak_mb']:.0f} MB)"
        )
    top = runs[largest]
    checks = {
        f"under_{TARGET_S:g}s_at_{largest}": top["seconds"] < TARGET_S,
        f"peak_under_{TARGET_PEAK_MB:g}mb_at_{largest}": top["peak_mb"] < TARGET_PEAK_MB,
    }
    print(f"at {largest:,} cases: {top['seconds']:.1f} s (target under {TARGET_S:g} s), peak "
          f"{top['peak_mb']:.0f} MB (target under {TARGET_PEAK_MB:g} MB)")  # fmt: skip
    result(
        "workbook",
        top["seconds"],
        "s",
        top["baseline"],
        TARGET_S,
        passed=all(checks.values()),
        target_kind="value_max_s",
        checks=checks,
        cases=largest,
        answers=top["answers"],
        peak_mb={str(n): round(r["peak_mb"]) for n, r in runs.items()},
        seconds={str(n): round(r["seconds"], 1) for n, r in runs.items()},
        baseline_seconds={str(n): round(r["baseline"], 1) for n, r in runs.items()},
        read_seconds={str(n): round(r["read_s"], 1) for n, r in runs.items()},
        figures_seconds={str(n): round(r["figures_s"], 1) for n, r in runs.items()},
        zip_seconds={str(n): round(r["zip_s"], 1) for n, r in runs.items()},
    )


if __name__ == "__main__":
    main()
