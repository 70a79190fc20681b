"""Opening a case: the question form built for a case with 60 applicable questions.

The question set is generated from the bundled DIPP set: its case facts, and six sections of a
key question and nine prompts each, reusing the DIPP core questions' wording, guidance and
evidence (so labels wrap as they do in use). A third of the prompts apply on a case fact, a
third on the answer to the prompt before. The timed case has every condition met (60
applicable questions), an answer to each and evidence notes on half of them.

Timed, in probdesk's main window shown offscreen: CaseForm.load(case_id) followed by
QApplication.processEvents() (layout and paint), alternating between two such cases. The form
of a question set's variant is built once (ahead of time, when an inspection is selected) and
refilled for each case; cold_ms is the first build of a variant's form from nothing.
The baseline builds the same number of plain QLabel + QPlainTextEdit pairs into a QScrollArea
of the same size, also followed by processEvents(). Runs alternate between the two.
value = probdesk median ms; baseline = plain-widgets median ms; target: value under 100 ms.
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from _common import ROOT, median, result, summary, time_ms
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QPlainTextEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from probdesk.paths import Paths
from probdesk.ui.app import application, build_main_window

SECTIONS = 6
PROMPTS = 9
QUESTIONS = SECTIONS * (1 + PROMPTS)
RUNS = 21
WARMUP = 3
TARGET_MS = 100.0
DIPP = ROOT / "question_sets" / "dipp-public-protection.yaml"
FACTS = {
    "sentence_type": "licence",
    "contact_suspended": "no",
    "rosh_level": "high",
    "domestic_abuse": "yes",
    "child_safeguarding": "unknown",
    "mappa_eligible": "yes",
    "mappa_category": "cat2",
    "mappa_level": "level2",
    "tier": "A1",
    "practitioner_grade": "po",
}


class _NoAliases(yaml.SafeDumper):
    """probdesk refuses YAML anchors; reused guidance and evidence lists are written out."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def generate() -> dict[str, Any]:
    """The DIPP facts and SECTIONS x (1 + PROMPTS) questions worded like DIPP's core ones."""
    dipp = yaml.safe_load(DIPP.read_text(encoding="utf-8"))
    core = [s for s in dipp["sections"] if "core" in s.get("variants", [])]
    keys = [s["key_question"] for s in core]
    prompts = [p for s in core for p in s.get("prompts", [])]
    sections = []
    for s in range(SECTIONS):
        key = {k: v for k, v in keys[s % len(keys)].items() if k != "applies_when"}
        key["id"] = f"K{s + 1}"
        qs = []
        prev = key["id"]
        for p in range(1, PROMPTS + 1):
            source = prompts[(s * PROMPTS + p) % len(prompts)]
            q = {k: v for k, v in source.items() if k != "applies_when"}
            q["id"] = f"K{s + 1}.{p}"
            if p % 3 == 1:
                q["applies_when"] = {"fact": "domestic_abuse", "in": ["yes", "unknown"]}
            elif p % 3 == 2:
                q["applies_when"] = {"answer": prev, "equals": "yes"}
            qs.append(q)
            prev = q["id"]
        sections.append(
            {
                "id": f"section-{s + 1}",
                "title": f"{core[s % len(core)]['title']} ({s + 1})",
                "stage": core[s % len(core)].get("stage", "assessment"),
                "variants": ["core"],
                "key_question": key,
                "prompts": qs,
            }
        )
    return {
        "format": 1,
        "id": "generated-open-case",
        "version": "1",
        "title": f"Generated: {QUESTIONS} case questions in DIPP wording",
        "facts": dipp["facts"],
        "variants": [{"id": "core", "label": "Core questions"}],
        "sections": sections,
        "aggregation": {"percentage": "yes_over_relevant"},
    }


def plain_form(n: int) -> QWidget:
    body = QWidget()
    layout = QVBoxLayout(body)
    for i in range(n):
        label = QLabel(f"Question {i + 1}: was the work in this part of the case sufficient?")
        label.setWordWrap(True)
        layout.addWidget(label)
        note = QPlainTextEdit()
        note.setFixedHeight(52)
        layout.addWidget(note)
    layout.addStretch(1)
    return body


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # read when the application starts
    app = application()
    with tempfile.TemporaryDirectory(prefix="probdesk-bench-") as tmp:
        qs_path = Path(tmp) / "generated-open-case.yaml"
        qs_path.write_text(
            yaml.dump(generate(), Dumper=_NoAliases, sort_keys=False), encoding="utf-8"
        )
        window = build_main_window(Paths.resolve(Path(tmp) / "data"))
        window.show()
        app.processEvents()
        ws = window.workspace
        ws.set_identity("BM", "inspector")
        inspection = ws.create_inspection(
            "South West", "Plymouth", date(2025, 10, 6), date(2025, 10, 17), qs_path
        )
        window.reload_inspections(select=inspection.id)
        qs = ws.question_set(inspection)
        case_ids = []
        for ref in ("BENCH001", "BENCH002"):
            case = ws.add_case(inspection.id, ref, FACTS)
            for i, q in enumerate(qs.questions):
                note = f"Evidence for {q.id}: seen in the case record and interview." * (i % 2)
                ws.record_answer(case.id, q.id, "yes", note)
            case_ids.append(case.id)
        applicable = len(ws.case_state(case_ids[0]).applicable)
        if applicable != QUESTIONS:
            sys.exit(f"expected {QUESTIONS} applicable questions, the case has {applicable}")
        form = window.case_form
        window.case_list.set_rows(ws.case_rows(inspection.id))

        baseline_area = QScrollArea()
        baseline_area.setWidgetResizable(True)
        baseline_area.resize(form.questions_area.size())
        baseline_area.show()

        def open_case(i: int) -> None:
            form.load(case_ids[i % 2])
            QApplication.processEvents()

        def open_cold(i: int) -> None:
            form.clear()  # no form kept: the first case of a variant after opening the data
            form.load(case_ids[i % 2])
            QApplication.processEvents()

        def plain(_i: int) -> None:
            baseline_area.setWidget(plain_form(QUESTIONS))
            QApplication.processEvents()

        for i in range(WARMUP):
            open_case(i)
            plain(i)
        probdesk_ms: list[float] = []
        cold_ms: list[float] = []
        plain_ms: list[float] = []
        for i in range(RUNS):
            pair = [(open_case, probdesk_ms), (plain, plain_ms), (open_cold, cold_ms)]
            for fn, samples in pair if i % 2 == 0 else reversed(pair):
                samples.append(time_ms(lambda fn=fn, i=i: fn(i)))
        built = len(form.rows)
        shown = sum(row.isVisibleTo(window) for row in form.rows.values())
        window.close()
        baseline_area.close()
        ws.close()

    print(f"python {sys.version.split()[0]}, QT_QPA_PLATFORM={os.environ['QT_QPA_PLATFORM']}")
    print(f"case form: {built} question rows built, {shown} shown (applicable)")
    print(summary(f"probdesk CaseForm.load ({QUESTIONS} questions)", probdesk_ms))
    print(summary("... the variant's form built from nothing     ", cold_ms))
    print(summary(f"plain QLabel + QPlainTextEdit x {QUESTIONS}    ", plain_ms))
    value, baseline = median(probdesk_ms), median(plain_ms)
    ratio = value / baseline
    print(f"open case: {value:.1f} ms ({ratio:.2f}x plain); target under {TARGET_MS:.0f} ms")
    result(
        "open_case",
        value,
        "ms",
        baseline,
        TARGET_MS,
        passed=value < TARGET_MS,
        target_kind="value_max_ms",
        questions=QUESTIONS,
        runs=RUNS,
        cold_ms=round(median(cold_ms), 1),
        samples_ms=[round(x, 1) for x in probdesk_ms],
        baseline_samples_ms=[round(x, 1) for x in plain_ms],
    )


if __name__ == "__main__":
    main()
