"""Question-set use cases: validate files, load the bundled sets, describe a set in words."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from probdesk import bundled
from probdesk.domain.answer_types import answer_kind, fact_kind
from probdesk.domain.questionset import Fact, Question, QuestionSet
from probdesk.errors import QuestionSetError

if TYPE_CHECKING:
    from probdesk.domain.qsdiff import ItemChange, QuestionSetDiff


@dataclass(frozen=True)
class ValidationResult:
    path: str
    question_set: QuestionSet | None
    problems: tuple[str, ...]
    warnings: tuple[str, ...] = ()  # variants no case reaches, questions that never apply

    @property
    def ok(self) -> bool:
        return not self.problems


def validate(paths: Iterable[str | Path]) -> list[ValidationResult]:
    from probdesk.domain import loader

    out = []
    for p in paths:
        try:
            checked = loader.check(p)
            out.append(ValidationResult(str(p), checked.question_set, (), checked.warnings))
        except QuestionSetError as exc:
            out.append(ValidationResult(str(p), None, tuple(exc.problems)))
    return out


def load_bundled() -> list[QuestionSet]:
    from probdesk.domain import loader  # YAML and schema code load when first needed

    return [loader.load(p) for p in bundled.bundled_question_sets()]


def answer_words(q: Question) -> str:
    """How a question is answered, in words: "Yes / No", "one choice: Low, High"."""
    words = answer_kind(q.answer).words
    if q.options:
        words += ": " + ", ".join(o.label for o in q.options)
    return words


def fact_words(f: Fact) -> str:
    """What a case fact records, in words, without its options: "Yes / No / Not known"."""
    return fact_kind(f.type).words


def outline(qs: QuestionSet) -> str:
    """A readable outline: facts, variants, sections, questions and their conditions in words."""
    lines = [
        f"{qs.title}",
        f"  id {qs.id}, version {qs.version}, content hash {qs.content_hash[:16]}",
    ]
    if qs.framework_notes:
        lines.append(f"  {qs.framework_notes}")
    lines.append("")
    lines.append("Case facts")
    for f in qs.facts:
        kind = fact_words(f)
        if f.options:
            kind += ": " + ", ".join(o.label for o in f.options)
        optional = "" if f.required else " (optional)"
        lines.append(f"  - {f.label} [{f.id}] ({kind}){optional}")
    lines.append("")
    lines.append("Variants")
    for v in qs.variants:
        when = f"when {qs.describe(v.when)}" if v.when else "otherwise"
        lines.append(f"  - {v.label} [{v.id}]: {when}")
    for v in qs.variants:
        lines.append("")
        lines.append(f"Questions for the {v.label} variant")
        for s in qs.sections_for(v.id):
            lines.append(f"  {s.title}")
            for q in s.questions:
                marker = "Key question" if q.is_key else "Prompt"
                lines.append(f"    {q.id}  {marker}: {q.text}  ({answer_words(q)})")
                if q.applies_when is not None:
                    lines.append(f"          applies when {qs.describe(q.applies_when)}")
    if qs.non_case_questions:
        lines.append("")
        lines.append("Non-case questions (meetings and focus groups)")
        for n in qs.non_case_questions:
            groups = ", ".join(qs.group(g).label for g in n.groups)
            lines.append(f"  {n.id}  [{n.theme}] {n.text}")
            lines.append(f"          with: {groups}")
    if qs.domain_one:
        lines.append("")
        lines.append("Domain one (judged by the team, never computed)")
        for d in qs.domain_one:
            lines.append(f"  {d.id}  {d.title}: {d.text}")
            for p in d.prompts:
                lines.append(f"    {p.id}  Prompt: {p.text}")
            if d.non_case_questions:
                lines.append(f"          informed by: {', '.join(d.non_case_questions)}")
    lines.append("")
    lines.append("Findings")
    lines.append("  Percentage of relevant cases answered Yes; Not applicable is excluded.")
    if qs.ratings is None:
        lines.append("  No ratings: this set reports percentages only.")
    else:
        r = qs.ratings
        scale = "; ".join(f"{lv.label} from {lv.min_percent}% ({lv.points} pts)" for lv in r.scale)
        lines.append(f"  Ratings: {scale}")
        for st in r.standards:
            keys = ", ".join(st.key_questions)
            lines.append(f"  Standard {st.id} {st.title}: rated by the lowest of {keys}")
        if r.bands:
            bands = "; ".join(f"{b.label} from {b.min_score}" for b in r.bands)
            lines.append(f"  Overall score bands: {bands}")
    return "\n".join(lines) + "\n"


# -- what changes between two versions ---------------------------------------------------------

DIFF_SEVERITY_WORDS = {
    0: "no differences",
    1: "answers carry over as they are",
    2: "answers are kept; some cases need review or stop counting",
    3: "incompatible: an id reused with another answer type or other answer values",
}


def diff_text(change: QuestionSetDiff) -> str:
    """The classification `probdesk questionset diff` and the move's preview print."""
    from probdesk.domain.qsdiff import Change

    lines = [
        f"{change.old_id} {change.old_version} -> {change.new_id} {change.new_version}: "
        f"{DIFF_SEVERITY_WORDS[change.severity]}",
        "",
    ]
    counts = [
        f"{change.count(c)} {c.value}"
        for c in Change
        if change.count(c) and c is not Change.UNCHANGED
    ]
    unchanged = change.count(Change.UNCHANGED)
    lines.append(f"Questions: {unchanged} unchanged" + "".join(f", {c}" for c in counts))
    for title, items in (
        ("Case facts", change.facts),
        ("Variants", change.variants),
        ("Questions", change.questions),
    ):
        changed = [i for i in items if i.changes != (Change.UNCHANGED,)]
        if not changed:
            continue
        lines += ["", f"{title}:"]
        for i in changed:
            where = f" ({i.section})" if i.section else ""
            mark = "  INCOMPATIBLE" if i.incompatible else ""
            lines.append(f"  {i.id}{where}: {', '.join(c.value for c in i.changes)}{mark}")
            lines += [f"      {d}" for d in i.details]
    if change.other:
        lines += ["", "Other parts:"] + [f"  {o}" for o in change.other]
    return "\n".join(lines) + "\n"


def diff_json(change: QuestionSetDiff) -> dict[str, object]:
    def item(i: ItemChange) -> dict[str, object]:
        return {
            "id": i.id,
            "section": i.section or None,
            "changes": [c.value for c in i.changes],
            "severity": i.severity.name.lower(),
            "details": list(i.details),
        }

    return {
        "old": {"id": change.old_id, "version": change.old_version},
        "new": {"id": change.new_id, "version": change.new_version},
        "severity": change.severity.name.lower(),
        "facts": [item(i) for i in change.facts],
        "variants": [item(i) for i in change.variants],
        "questions": [item(i) for i in change.questions],
        "other": list(change.other),
    }
