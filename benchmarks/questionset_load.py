"""Question-set loading: the bundled DIPP set against a generated set of 5,000 questions.

Times probdesk.domain.loader.load (read, YAML, JSON Schema, meaning checks, typed build) on
  - the bundled question_sets/dipp-public-protection.yaml (the baseline), and
  - a generated file: 500 sections x (1 key question + 9 prompts) = 5,000 questions, with case
    facts in conditions, prompts conditioned on earlier answers in `answer:` chains (within a
    section and from one section's key question to the next), all/any/not, choice questions
    and ratings over the key questions.
The generated file is checked to load without problems before it is timed.
value = large-set median ms; baseline = bundled-set median ms; target: value under 1000 ms.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml
from _common import ROOT, median, result, summary, time_ms

from probdesk.domain import loader
from probdesk.errors import QuestionSetError

SECTIONS = 500
PROMPTS = 9
BUNDLED_RUNS = 15
LARGE_RUNS = 7
TARGET_MS = 1000.0
BUNDLED = ROOT / "question_sets" / "dipp-public-protection.yaml"

YES_NO = ["yes", "no"]


def _prompt(s: int, p: int, prev_id: str, key_id: str) -> dict[str, Any]:
    qid = f"S{s}.{p}"
    q: dict[str, Any] = {
        "id": qid,
        "text": f"Section {s}, prompt {p}: was the work in this part of the case sufficient?",
        "answer": "yes_no",
        "guidance": "Answer Yes when the case record and the interview both show it was done.",
        "evidence": ["Case record (nDelius)", "Practitioner interview"],
    }
    kind = p % 9
    if kind == 1:
        q["applies_when"] = {"fact": "rosh_level", "in": ["high", "very_high"]}
    elif kind == 2:  # chain on the previous prompt and a fact
        q["applies_when"] = {
            "all": [
                {"fact": "domestic_abuse", "in": ["yes", "unknown"]},
                {"answer": prev_id, "equals": "yes"},
            ]
        }
    elif kind == 3:  # chain on the previous prompt
        q["applies_when"] = {"answer": prev_id, "equals": "yes"}
    elif kind == 4:
        q["answer"] = "choice"
        q["options"] = [
            {"value": "none", "label": "None"},
            {"value": "some", "label": "Some"},
            {"value": "all", "label": "All"},
        ]
        q["applies_when"] = {
            "any": [
                {"fact": "mappa_eligible", "equals": "yes"},
                {"fact": "age", "at_least": 18},
            ]
        }
    elif kind == 5:  # depends on the choice answer just above
        q["applies_when"] = {"answer": prev_id, "in": ["some", "all"]}
    elif kind == 6:
        q["answer"] = "yes_no_na"
        q["applies_when"] = {"not": {"answer": key_id, "equals": "no"}}
    elif kind == 7:
        q["applies_when"] = {"answer": prev_id, "answered": True}
    elif kind == 8:
        q["answer"] = "number"
        q["counts"] = False
        q["applies_when"] = {
            "all": [
                {"fact": "age", "at_most": 25},
                {"not": {"fact": "sentence_type", "equals": "pss"}},
            ]
        }
    return q


def generate() -> dict[str, Any]:
    """A valid question set of SECTIONS x (1 + PROMPTS) questions."""
    facts = [
        {
            "id": "sentence_type",
            "label": "Sentence type",
            "type": "choice",
            "options": [
                {"value": v, "label": v.replace("_", " ").title()}
                for v in ("community_order", "suspended_sentence_order", "licence", "pss")
            ],
        },
        {"id": "contact_suspended", "label": "Contact suspended", "type": "yes_no"},
        {
            "id": "rosh_level",
            "label": "RoSH level",
            "type": "choice",
            "options": [
                {"value": v, "label": v.replace("_", " ").title()}
                for v in ("low", "medium", "high", "very_high")
            ],
        },
        {"id": "domestic_abuse", "label": "Domestic abuse", "type": "yes_no_unknown"},
        {"id": "mappa_eligible", "label": "MAPPA eligible", "type": "yes_no"},
        {"id": "age", "label": "Age", "type": "number", "required": False},
    ]
    sections = []
    prev_key = None
    for s in range(SECTIONS):
        key_id = f"K{s}"
        key: dict[str, Any] = {
            "id": key_id,
            "text": f"Key question {s}: does the work keep other people safe?",
            "answer": "yes_no",
            "guidance": "Judge the work as a whole.",
            "evidence": ["Case record (nDelius)"],
        }
        if prev_key is not None and s % 2 == 1:  # chains across sections
            key["applies_when"] = {"answer": prev_key, "answered": True}
        prompts = []
        prev_id = key_id
        for p in range(1, PROMPTS + 1):
            prompts.append(_prompt(s, p, prev_id, key_id))
            prev_id = prompts[-1]["id"]
        sections.append(
            {
                "id": f"section-{s}",
                "title": f"Section {s}",
                "stage": ("assessment", "planning", "implementation", "review")[s % 4],
                "variants": ["core" if s % 2 == 0 else "adjusted"],
                "key_question": key,
                "prompts": prompts,
            }
        )
        prev_key = key_id
    standards = [
        {
            "id": f"std-{i}",
            "title": f"Standard {i}",
            "key_questions": [f"K{s}" for s in range(i * 10, i * 10 + 10)],
        }
        for i in range(SECTIONS // 10)
    ]
    return {
        "format": 1,
        "id": "generated-large",
        "version": "1",
        "title": f"Generated set of {SECTIONS * (1 + PROMPTS)} questions",
        "facts": facts,
        "variants": [
            {
                "id": "core",
                "label": "Core",
                "when": {"fact": "contact_suspended", "equals": "no"},
            },
            {"id": "adjusted", "label": "Adjusted"},
        ],
        "sections": sections,
        "participant_groups": [{"id": "staff", "label": "Staff"}],
        "non_case_questions": [
            {"id": "N1", "theme": "Leadership", "text": "How is work led?", "groups": ["staff"]}
        ],
        "aggregation": {
            "percentage": "yes_over_relevant",
            "ratings": {
                "scale": [
                    {"id": "good", "label": "Good", "min_percent": 65, "points": 2},
                    {"id": "ri", "label": "Requires improvement", "min_percent": 0, "points": 1},
                ],
                "standards": standards,
            },
        },
    }


def main() -> None:
    dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    with tempfile.TemporaryDirectory(prefix="probdesk-bench-") as tmp:
        large = Path(tmp) / "generated-large.yaml"
        text = yaml.dump(generate(), Dumper=dumper, sort_keys=False, width=100)
        large.write_text("# yaml-language-server: $schema=question-set.schema.json\n" + text)
        try:
            qs = loader.load(large)  # also the warm-up: the schema is read once
        except QuestionSetError as exc:
            sys.exit("the generated set does not load:\n" + "\n".join(exc.problems[:20]))
        conditioned = sum(q.applies_when is not None for q in qs.questions)
        size_kb = large.stat().st_size / 1024
        print(
            f"generated set: {len(qs.questions)} questions in {len(qs.sections)} sections, "
            f"{conditioned} with conditions, {size_kb:,.0f} KiB of YAML; loads without problems"
        )
        loader.load(BUNDLED)
        bundled_ms = [time_ms(lambda: loader.load(BUNDLED)) for _ in range(BUNDLED_RUNS)]
        large_ms = [time_ms(lambda: loader.load(large)) for _ in range(LARGE_RUNS)]

    bundled_qs = loader.load(BUNDLED)
    print(summary(f"bundled {BUNDLED.name} ({len(bundled_qs.questions)} q)", bundled_ms))
    print(summary(f"generated ({len(qs.questions)} q)", large_ms))
    value, baseline = median(large_ms), median(bundled_ms)
    print(f"large set: {value:.0f} ms; target under {TARGET_MS:.0f} ms")
    result(
        "questionset_load",
        value,
        "ms",
        baseline,
        TARGET_MS,
        passed=value < TARGET_MS,
        target_kind="value_max_ms",
        questions=len(qs.questions),
        yaml_kib=round(size_kb),
        runs=LARGE_RUNS,
        baseline_runs=BUNDLED_RUNS,
    )


if __name__ == "__main__":
    main()
