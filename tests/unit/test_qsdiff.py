"""What changes between two versions of a question set (probdesk.domain.qsdiff), and what it
does to a case: the classification the move's preview and `questionset diff` print."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from probdesk import bundled
from probdesk.domain import loader
from probdesk.domain.qsdiff import Change, Severity, case_impact, diff
from probdesk.domain.questionset import QuestionSet

CORE = bundled.question_sets_dir() / "pdu-core.yaml"


@pytest.fixture(scope="module")
def core_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(CORE.read_text(encoding="utf-8"))
    return data


def _question(data: dict[str, Any], qid: str) -> dict[str, Any]:
    for s in data["sections"]:
        for q in [s["key_question"], *s.get("prompts", [])]:
            if q["id"] == qid:
                return q  # type: ignore[no-any-return]  # yaml data
    raise KeyError(qid)


def _section_of(data: dict[str, Any], qid: str) -> dict[str, Any]:
    for s in data["sections"]:
        if any(q["id"] == qid for q in [s["key_question"], *s.get("prompts", [])]):
            return s  # type: ignore[no-any-return]  # yaml data
    raise KeyError(qid)


def _version(
    tmp_path: Path, data: dict[str, Any], edit: Callable[[dict[str, Any]], None]
) -> QuestionSet:
    new = copy.deepcopy(data)
    new["version"] = "2026.1-test"
    edit(new)
    path = tmp_path / "v2.yaml"
    path.write_text(yaml.safe_dump(new, sort_keys=False), encoding="utf-8")
    return loader.load(path)


def test_the_same_file_has_no_differences() -> None:
    qs = loader.load(CORE)
    change = diff(qs, qs)
    assert change.severity is Severity.NONE
    assert change.count(Change.UNCHANGED) == len(qs.questions)
    assert all(i.changes == (Change.UNCHANGED,) for i in change.items)
    assert change.other == ()


def test_each_kind_of_change_is_named(tmp_path: Path, core_data: dict[str, Any]) -> None:
    def edit(d: dict[str, Any]) -> None:
        _question(d, "2.1.1.a")["text"] = "Does assessment involve the person meaningfully?"
        _question(d, "2.1.1.b")["guidance"] = "Look for diversity factors."
        _question(d, "2.1.3.c")["applies_when"] = {"fact": "domestic_abuse", "equals": "yes"}
        prompts = _section_of(d, "2.1.1.c")["prompts"]
        prompts[:] = [p for p in prompts if p["id"] != "2.1.1.c"]
        prompts.append({"id": "2.1.1.z", "text": "A new prompt?", "answer": "yes_no"})
        _question(d, "2.1.2.a")["answer"] = "yes_no_na"
        _question(d, "2.1.2.b")["counts"] = False

    old = loader.load(CORE)
    new = _version(tmp_path, core_data, edit)
    change = diff(old, new)
    assert change.question("2.1.1.a").changes == (Change.WORDING,)
    assert change.question("2.1.1.b").changes == (Change.GUIDANCE,)
    assert change.question("2.1.3.c").changes == (Change.CONDITION,)
    assert "Domestic abuse indicated" in change.question("2.1.3.c").details[0]
    assert change.question("2.1.1.c").changes == (Change.DROPPED,)
    assert change.question("2.1.1.z").changes == (Change.ADDED,)
    assert change.question("2.1.2.a").changes == (Change.ANSWER_TYPE,)
    assert change.question("2.1.2.a").incompatible
    assert change.question("2.1.2.b").changes == (Change.COUNTING,)
    assert change.question("2.1.1").changes == (Change.UNCHANGED,)
    assert change.severity is Severity.INCOMPATIBLE
    assert [i.id for i in change.incompatible] == ["2.1.2.a"]
    # Old order first, the added question last; every question of either version once.
    ids = [q.id for q in change.questions]
    assert len(ids) == len(set(ids)) == len(old.questions) + 1
    assert ids[-1] == "2.1.1.z"


def test_option_labels_are_wording_but_option_values_are_incompatible(
    tmp_path: Path,
) -> None:
    base = yaml.safe_load(
        (Path(__file__).parents[1] / "fixtures/question_sets/all-answer-types.yaml").read_text()
    )
    choice = next(
        q
        for s in base["sections"]
        for q in [s["key_question"], *s.get("prompts", [])]
        if q["answer"] == "choice"
    )
    old = _version(tmp_path, base, lambda d: None)

    def relabel(d: dict[str, Any]) -> None:
        _question(d, choice["id"])["options"][0]["label"] = "Renamed"

    def revalue(d: dict[str, Any]) -> None:
        _question(d, choice["id"])["options"][0]["value"] = "renamed"

    relabelled = diff(old, _version(tmp_path, base, relabel)).question(choice["id"])
    assert relabelled.changes == (Change.WORDING,)
    assert relabelled.severity is Severity.CARRIED
    revalued = diff(old, _version(tmp_path, base, revalue)).question(choice["id"])
    assert Change.OPTIONS in revalued.changes
    assert revalued.incompatible
    assert "renamed" in revalued.details[0]


def test_facts_and_variants(tmp_path: Path) -> None:
    dipp = bundled.question_sets_dir() / "dipp-public-protection.yaml"
    data = yaml.safe_load(dipp.read_text(encoding="utf-8"))
    old = loader.load(dipp)
    conditional = next(v for v in data["variants"] if "when" in v)

    def edit(d: dict[str, Any]) -> None:
        d["facts"].append(
            {"id": "new_fact", "label": "A new fact", "type": "yes_no", "required": True}
        )
        v = next(x for x in d["variants"] if x["id"] == conditional["id"])
        v["when"] = {"not": v["when"]}

    change = diff(old, _version(tmp_path, data, edit))
    fact = next(f for f in change.facts if f.id == "new_fact")
    assert fact.changes == (Change.ADDED,)
    variant = next(v for v in change.variants if v.id == conditional["id"])
    assert variant.changes == (Change.CONDITION,)
    assert change.severity is Severity.REVIEW


def test_a_case_keeps_every_answer_and_learns_what_to_review(
    tmp_path: Path, core_data: dict[str, Any]
) -> None:
    def edit(d: dict[str, Any]) -> None:
        prompts = _section_of(d, "2.1.1.c")["prompts"]
        prompts[:] = [p for p in prompts if p["id"] != "2.1.1.c"]
        _question(d, "2.1.3.c")["applies_when"] = {"fact": "domestic_abuse", "equals": "yes"}
        _question(d, "2.1.2.a")["answer"] = "yes_no_na"
        _question(d, "2.1.1.a")["text"] = "Reworded?"

    old = loader.load(CORE)
    new = _version(tmp_path, core_data, edit)
    change = diff(old, new)
    facts = {
        "sentence_type": "licence",
        "rosh_level": "high",
        "domestic_abuse": "unknown",
        "child_safeguarding": "no",
        "mappa_eligible": "no",
        "tier": "B2",
        "practitioner_grade": "po",
    }
    answers = {"2.1.1.a": "yes", "2.1.1.c": "no", "2.1.3.c": "yes", "2.1.2.a": "no", "2.1.1": None}
    impact = case_impact(change, old, new, facts, "standard", answers)
    assert impact.variant_before == impact.variant_after == "standard"
    assert impact.carried == ("2.1.1.a",)
    # Dropped, switched off and incompatible answers are kept (shown, not counted).
    assert set(impact.kept_not_counted) == {"2.1.1.c", "2.1.3.c", "2.1.2.a"}
    reviewed = dict(impact.review)
    assert "no longer applies" in reviewed["2.1.3.c"]
    assert "answer type" in reviewed["2.1.2.a"]
    assert "2.1.1.a" not in reviewed and "2.1.1.c" not in reviewed
    assert impact.needs_review
    # The same case with domestic abuse recorded as yes keeps 2.1.3.c counting, but its
    # condition changed, so it is shown for review.
    impact = case_impact(change, old, new, {**facts, "domestic_abuse": "yes"}, "standard", answers)
    assert "2.1.3.c" in impact.carried
    assert "2.1.3.c" in dict(impact.review)


def test_a_case_whose_variant_the_new_rules_change_is_reviewed(tmp_path: Path) -> None:
    dipp = bundled.question_sets_dir() / "dipp-public-protection.yaml"
    data = yaml.safe_load(dipp.read_text(encoding="utf-8"))
    old = loader.load(dipp)
    conditional = next(v for v in data["variants"] if "when" in v)

    def edit(d: dict[str, Any]) -> None:
        v = next(x for x in d["variants"] if x["id"] == conditional["id"])
        v["when"] = {"not": v["when"]}

    new = _version(tmp_path, data, edit)
    change = diff(old, new)
    # Find facts the old rules put in the conditional variant: try each fact combination
    # of the case facts' first options until one does.
    from itertools import product

    choices = [f.allowed_values() or ("x",) for f in old.facts]
    for combo in product(*(c[:3] for c in choices)):
        facts = {f.id: v for f, v in zip(old.facts, combo, strict=True)}
        chosen = old.variant_for(facts)
        if chosen is not None and chosen.id == conditional["id"]:
            break
    else:
        pytest.fail("no facts choose the conditional variant")
    impact = case_impact(change, old, new, facts, conditional["id"], {})
    assert impact.variant_after != conditional["id"]
    assert dict(impact.review)["variant"].startswith("the new rules choose")
