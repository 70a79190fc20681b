"""Loading question-set files: bundled sets, content hashes, and every kind of bad input."""

from __future__ import annotations

import dataclasses
import json
import tracemalloc
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from probdesk import bundled
from probdesk.domain import loader
from probdesk.domain.questionset import AnswerType, QuestionSet
from probdesk.errors import QuestionSetError

BASE = """\
# A small valid question set; each test below breaks it in one way.
format: 1
id: mini
version: "1"
title: Mini set
facts:
  - id: da
    label: Domestic abuse
    type: yes_no_unknown
  - id: kind
    label: Kind of case
    type: choice
    options:
      - value: alpha
        label: Alpha
      - value: beta
        label: Beta
  - id: tier
    label: Tier
    type: text
variants:
  - id: special
    label: Special
    when:
      fact: kind
      equals: beta
  - id: main
    label: Main
sections:
  - id: s1
    title: Section one
    key_question:
      id: K1
      text: Key one?
      answer: yes_no
    prompts:
      - id: P1
        text: Was a request made?
        answer: yes_no
        applies_when:
          fact: da
          in: [yes, unknown]
      - id: P2
        text: Was it received?
        answer: yes_no_na
        applies_when:
          answer: P1
          equals: yes
      - id: P3
        text: Notes
        answer: text
  - id: s2
    title: Section two
    variants: [main]
    key_question:
      id: K2
      text: Key two?
      answer: yes_no
    prompts:
      - id: P4
        text: Was anything else done?
        answer: yes_no
participant_groups:
  - id: staff
    label: Staff
non_case_questions:
  - id: N1
    theme: Leadership
    text: How is it led?
    groups: [staff]
aggregation:
  percentage: yes_over_relevant
  ratings:
    scale:
      - id: good
        label: Good
        min_percent: 65
        points: 2
      - id: fair
        label: Fair
        min_percent: 50
        points: 1
      - id: poor
        label: Poor
        min_percent: 0
        points: 0
    standards:
      - id: "1"
        title: Standard one
        key_questions: [K1, K2]
    bands:
      - min_score: 4
        label: Top
      - min_score: 2
        label: Middle
      - min_score: 0
        label: Bottom
"""


# -- helpers -----------------------------------------------------------------------------------


def mutate(text: str, *pairs: tuple[str, str]) -> str:
    for old, new in pairs:
        assert text.count(old) == 1, f"{old!r} is not unique in the base text"
        text = text.replace(old, new)
    return text


def where(text: str, line_text: str, token: str | None = None) -> str:
    """LINE:COL of `token` on the one line that contains `line_text` (token defaults to it)."""
    lines = [i for i, ln in enumerate(text.splitlines()) if line_text in ln]
    assert len(lines) == 1, f"{line_text!r} is on {len(lines)} lines"
    i = lines[0]
    col = text.splitlines()[i].index(token or line_text.strip())
    return f"{i + 1}:{col + 1}"


def problems_of(path: Path, text: str | bytes) -> list[str]:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(QuestionSetError) as info:
        loader.load(path)
    err = info.value
    assert err.path == str(path)
    assert list(err.details) == err.problems
    assert f"{len(err.problems)} problem" in err.message
    return err.problems


@pytest.fixture
def qs_file(tmp_path: Path) -> Path:
    return tmp_path / "mini.yaml"


def only_problem(path: Path, text: str | bytes) -> str:
    problems = problems_of(path, text)
    assert len(problems) == 1, problems
    return problems[0]


# -- the base and the bundled sets ---------------------------------------------------------


def test_the_base_text_is_valid(qs_file: Path) -> None:
    qs_file.write_text(BASE, encoding="utf-8")
    qs = loader.load(qs_file)
    assert qs.id == "mini"
    assert [q.id for q in qs.questions] == ["K1", "P1", "P2", "P3", "K2", "P4"]
    assert qs.question("P3").answer is AnswerType.TEXT
    assert qs.question("P3").counts is False  # text never counts
    assert qs.question("P2").counts is True  # yes/no types count by default
    assert qs.source == str(qs_file)


def test_parse_text_takes_str_and_bytes() -> None:
    a = loader.parse_text(BASE, "a.yaml")
    b = loader.parse_text(("\ufeff" + BASE).encode("utf-8"), "b.yaml")  # with a BOM
    assert a.content_hash == b.content_hash


def bundled_paths() -> list[Path]:
    return bundled.bundled_question_sets()


def test_every_bundled_set_is_found() -> None:
    names = {p.name for p in bundled_paths()}
    assert names == {"dipp-public-protection.yaml", "pdu-core.yaml", "region-unpaid-work.yaml",
                     "region-victim-contact.yaml"}  # fmt: skip


def test_the_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(loader.schema())


@pytest.mark.parametrize("path", bundled_paths(), ids=lambda p: p.stem)
def test_bundled_sets_load_and_validate(path: Path) -> None:
    qs = loader.load(path)
    assert qs.id == path.stem
    assert qs.sections and qs.questions and qs.variants
    assert len(qs.content_hash) == 64
    # The file also passes the published schema on its own (what editors check against).
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(loader.schema()).validate(data)


def test_bundled_sets_have_the_expected_shape() -> None:
    dipp = loader.load(bundled.question_sets_dir() / "dipp-public-protection.yaml")
    assert [v.id for v in dipp.variants] == ["core", "adjusted"]
    assert dipp.ratings is None
    pdu = loader.load(bundled.question_sets_dir() / "pdu-core.yaml")
    assert pdu.ratings is not None
    assert [lv.id for lv in pdu.ratings.scale] == [
        "outstanding",
        "good",
        "requires_improvement",
        "inadequate",
    ]
    # Twelve for the four case-based standards, and court work and pre-release work.
    assert len(pdu.key_questions) == 14
    assert [d.id for d in pdu.domain_one] == ["1.1", "1.2", "1.3"]
    assert [d.title for d in pdu.domain_one] == ["Leadership", "Workforce", "Services"]
    assert all(2 <= len(d.prompts) <= 4 for d in pdu.domain_one)
    assert pdu.rating_labels == ("Outstanding", "Good", "Requires improvement", "Inadequate")
    assert dipp.domain_one == () and dipp.rating_labels == ()


def test_court_work_and_pre_release_are_asked_only_in_relevant_cases() -> None:
    pdu = loader.load(bundled.question_sets_dir() / "pdu-core.yaml")
    court = {q.id for q in pdu.section_of("CW1").questions}
    release = {q.id for q in pdu.section_of("PR1").questions}
    base = {
        "sentence_type": "community_order", "rosh_level": "medium", "domestic_abuse": "no",
        "child_safeguarding": "no", "mappa_eligible": "no", "tier": "B2",
        "practitioner_grade": "po",
    }  # fmt: skip
    variant = pdu.variant_for(base)
    assert variant is not None
    # The facts are optional: a case without them is asked neither section.
    assert not pdu.applicable(variant.id, base, {}) & (court | release)
    with_psr = {**base, "psr_prepared": "yes"}
    assert pdu.applicable(variant.id, with_psr, {}) & (court | release) == court
    released = {**base, "sentence_type": "licence", "released_in_period": "yes"}
    assert pdu.applicable(variant.id, released, {}) & (court | release) == release
    not_released = {**released, "released_in_period": "no"}
    assert not pdu.applicable(variant.id, not_released, {}) & release
    community = {**released, "sentence_type": "community_order"}  # no custody: no release work
    assert not pdu.applicable(variant.id, community, {}) & release
    # Both count toward the figures; neither is in a rated standard.
    assert all(pdu.question(q).counts for q in court | release)
    rated = {k for st in (pdu.ratings.standards if pdu.ratings else ()) for k in st.key_questions}
    assert not rated & {"CW1", "PR1"}


# -- content hash ------------------------------------------------------------------------------


def _reversed_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _reversed_keys(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [_reversed_keys(v) for v in value]
    return value


@pytest.mark.parametrize("path", bundled_paths(), ids=lambda p: p.stem)
def test_hash_ignores_key_order_whitespace_and_comments(path: Path) -> None:
    original = loader.load(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    sorted_wide = "# re-dumped, sorted keys\n\n" + yaml.safe_dump(
        data, sort_keys=True, indent=6, width=50, allow_unicode=True
    )
    reversed_flow = yaml.safe_dump(
        _reversed_keys(data), sort_keys=False, default_flow_style=True, width=10_000
    )
    as_json = json.dumps(data, indent=1)  # JSON is YAML too
    for i, text in enumerate((sorted_wide, reversed_flow, as_json)):
        assert text != path.read_text(encoding="utf-8")
        again = loader.parse_text(text, f"redump-{i}.yaml")
        assert again.content_hash == original.content_hash
        assert again == dataclasses.replace(original, source=again.source)


def test_hash_changes_when_a_text_changes() -> None:
    a = loader.parse_text(BASE)
    b = loader.parse_text(mutate(BASE, ("text: Key one?", "text: Key one, reworded?")))
    c = loader.parse_text(mutate(BASE, ("label: Alpha", "label: Alpha case")))
    assert len({a.content_hash, b.content_hash, c.content_hash}) == 3


def test_hash_ignores_comments_and_blank_lines() -> None:
    a = loader.parse_text(BASE)
    b = loader.parse_text(
        mutate(BASE, ("title: Mini set\n", "title: Mini set   # a comment\n\n\n"))
    )
    assert a.content_hash == b.content_hash


# -- immutability ------------------------------------------------------------------------------


def test_the_loaded_set_is_immutable() -> None:
    qs = loader.parse_text(BASE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        qs.title = "changed"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        qs.sections[0].title = "changed"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        qs.question("K1").text = "changed"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        qs.fact("kind").options[0].label = "changed"  # type: ignore[misc]
    assert isinstance(qs.sections, tuple)
    assert isinstance(qs.sections[0].prompts, tuple)
    assert isinstance(qs.facts, tuple)
    assert isinstance(qs.question("P1").evidence, tuple)
    assert qs.ratings is not None
    assert isinstance(qs.ratings.scale, tuple)
    assert isinstance(qs, QuestionSet)
    hash(qs.question("P1").applies_when)  # conditions are frozen values too


# -- bad YAML ----------------------------------------------------------------------------------


def test_invalid_yaml_gives_the_line_and_column(qs_file: Path) -> None:
    text = mutate(BASE, ("title: Mini set", "title: Mini: set"))
    problem = only_problem(qs_file, text)
    assert problem.startswith(f"{qs_file}:{where(text, 'title: Mini: set', ': set')}: ")
    assert "invalid YAML" in problem
    assert "put the text in quotes" in problem


def test_a_tab_indent_is_reported_on_its_line(qs_file: Path) -> None:
    text = mutate(BASE, ("    label: Main\n", "\tlabel: Main\n"))
    problem = only_problem(qs_file, text)
    line = where(text, "\tlabel: Main", "\t").split(":")[0]
    assert problem.startswith(f"{qs_file}:{line}:")
    assert "invalid YAML" in problem


def test_duplicate_mapping_keys_are_refused(qs_file: Path) -> None:
    text = mutate(BASE, ("title: Mini set\n", "title: Mini set\ntitle: Again\n"))
    problem = only_problem(qs_file, text)
    assert problem == f"{qs_file}:{where(text, 'title: Again', 'title')}: duplicate key 'title'"


def test_merge_keys_are_refused(qs_file: Path) -> None:
    text = mutate(
        BASE,
        ("  - id: tier\n    label: Tier\n", "  - <<: {id: tier}\n    label: Tier\n"),
    )
    problem = only_problem(qs_file, text)
    assert problem == (
        f"{qs_file}:{where(text, '<<: {id: tier}', '<<')}: YAML merge keys (<<) are not allowed"
    )


def test_anchors_and_aliases_are_refused(qs_file: Path) -> None:
    text = mutate(
        BASE,
        ("    label: Domestic abuse\n", "    label: &dl Domestic abuse\n"),
        ("    label: Tier\n", "    label: *dl\n"),
    )
    problem = only_problem(qs_file, text)
    assert problem.startswith(f"{qs_file}:{where(text, '&dl', '&dl')}: ")
    assert "anchors and aliases" in problem


def test_a_billion_laughs_is_refused_fast_and_small(
    qs_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = ['lol0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"lol{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 12)]
    text = "\n".join(lines) + "\n"  # 9**12 strings if expanded
    qs_file.write_text(text, encoding="utf-8")
    # "Fast" counted, not timed (a slow machine must not fail it): the values built before
    # the refusal. Expanding would build 9**12 strings; stopping at the first alias, 9.
    built: list[object] = []
    construct = yaml.SafeLoader.construct_object

    def counted(self: yaml.SafeLoader, node: yaml.Node, deep: bool = False) -> Any:
        built.append(node)
        return construct(self, node, deep)

    monkeypatch.setattr(yaml.SafeLoader, "construct_object", counted)
    tracemalloc.start()
    try:
        with pytest.raises(QuestionSetError) as info:
            loader.load(qs_file)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert 0 < len(built) <= 9
    assert peak < 50 * 1024 * 1024
    assert len(info.value.problems) == 1
    assert "anchors and aliases" in info.value.problems[0]
    assert info.value.problems[0].startswith(f"{qs_file}:1:7: ")  # the anchor aliased


def test_non_utf8_text_names_the_line(qs_file: Path) -> None:
    raw = mutate(BASE, ("title: Mini set", "title: Caf\udce9 set"))
    data = raw.encode("utf-8", "surrogateescape")  # a lone Latin-1 é (0xe9)
    problem = only_problem(qs_file, data)
    col = "title: Caf".__len__() + 1
    line = where(raw, "title: Caf").split(":")[0]
    assert line == "5"
    assert problem == (f"{qs_file}:{line}:{col}: not UTF-8 text (byte 0xe9); save as UTF-8")


def test_latin1_byte_on_line_3(qs_file: Path) -> None:
    data = b"format: 1\nid: mini\ntitle: Caf\xe9\n"
    problem = only_problem(qs_file, data)
    assert problem.startswith(f"{qs_file}:3:11: ")
    assert "not UTF-8" in problem


def test_an_unknown_yaml_tag_is_reported_at_its_value(qs_file: Path) -> None:
    text = mutate(BASE, ("title: Mini set", "title: !!python/object:os.system x"))
    problem = only_problem(qs_file, text)
    assert problem.startswith(f"{qs_file}:{where(text, 'title: !!', '!!')}: invalid YAML value")
    assert "\n" not in problem


def test_several_documents_are_refused(qs_file: Path) -> None:
    text = BASE + "---\nid: other\n"
    problem = only_problem(qs_file, text)
    assert problem.startswith(f"{qs_file}:{where(text, '---')}: invalid YAML")


def test_a_list_at_the_top_is_refused(qs_file: Path) -> None:
    problem = only_problem(qs_file, "- format: 1\n- id: mini\n")
    assert (
        problem
        == f"{qs_file}:1:1: the top level must be a mapping of fields (id, version, title, ...)"
    )


def test_deep_nesting_is_refused(qs_file: Path) -> None:
    problem = only_problem(qs_file, "title: " + "[" * 5000 + "]" * 5000 + "\n")
    assert problem.startswith(f"{qs_file}:1:")
    assert "nest" in problem


# -- files that are not question sets ----------------------------------------------------------


@pytest.mark.parametrize("content", ["", "   \n\n\t\n", "\n"], ids=["empty", "spaces", "newline"])
def test_an_empty_file_is_refused(qs_file: Path, content: str) -> None:
    assert only_problem(qs_file, content) == f"{qs_file}: file is empty"


def test_a_comment_only_file_is_refused(qs_file: Path) -> None:
    assert only_problem(qs_file, "# nothing here\n") == f"{qs_file}: file holds no YAML document"


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(QuestionSetError) as info:
        loader.load(tmp_path)
    assert info.value.problems == [f"{tmp_path}: is a directory, not a question-set file"]


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(QuestionSetError) as info:
        loader.load(path)
    assert info.value.problems == [f"{path}: no such file"]


def test_a_binary_file_is_refused(qs_file: Path) -> None:
    data = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
    assert only_problem(qs_file, data) == f"{qs_file}: looks like a binary file, not YAML text"


def test_an_oversized_file_is_refused_without_reading_it(
    qs_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    size = loader.MAX_BYTES + 1
    with qs_file.open("wb") as fh:
        fh.truncate(size)  # sparse: takes no disk space
    opened: list[Path] = []
    real_open = Path.open

    def spy_open(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self == qs_file:
            opened.append(self)
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", spy_open)
    with pytest.raises(QuestionSetError) as info:
        loader.load(qs_file)
    assert opened == []
    assert info.value.problems == [
        f"{qs_file}: file is {size:,} bytes; a question set may be at most {loader.MAX_BYTES:,}"
    ]


def test_an_unreadable_file_is_an_input_problem(
    qs_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    qs_file.write_text(BASE, encoding="utf-8")

    def denied(self: Path, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "open", denied)
    with pytest.raises(QuestionSetError) as info:
        loader.load(qs_file)
    assert info.value.problems == [f"{qs_file}: cannot be read: Permission denied"]


# -- schema ------------------------------------------------------------------------------------


def test_an_unknown_field_is_reported_on_its_own_line(qs_file: Path) -> None:
    text = mutate(BASE, ("text: Key one?\n", "text: Key one?\n      colour: red\n"))
    problem = only_problem(qs_file, text)
    assert problem == (
        f"{qs_file}:{where(text, 'colour: red', 'colour')}: "
        "sections[0].key_question: unknown field 'colour'"
    )


def test_a_missing_required_field_points_at_its_mapping(qs_file: Path) -> None:
    text = mutate(BASE, ("    title: Section two\n", ""))
    problem = only_problem(qs_file, text)
    assert problem == (
        f"{qs_file}:{where(text, '- id: s2', 'id')}: sections[1]: the field 'title' is missing"
    )


def test_a_wrong_answer_type_points_at_the_value(qs_file: Path) -> None:
    text = mutate(BASE, ("answer: yes_no_na", "answer: maybe"))
    problem = only_problem(qs_file, text)
    assert problem.startswith(
        f"{qs_file}:{where(text, 'answer: maybe', 'maybe')}: sections[0].prompts[1].answer: "
        "'maybe' is not one of"
    )


def test_a_bad_condition_gets_a_condition_message(qs_file: Path) -> None:
    text = mutate(BASE, ("          equals: yes\n", "          equals: yes\n          in: [no]\n"))
    problem = only_problem(qs_file, text)
    assert problem.startswith(
        f"{qs_file}:{where(text, 'answer: P1', 'answer')}: "
        "sections[0].prompts[1].applies_when: not a valid condition"
    )
    assert "exactly one of equals, in, at_least, at_most, answered" in problem


def test_all_schema_problems_are_listed(qs_file: Path) -> None:
    text = mutate(
        BASE,
        ("answer: yes_no_na", "answer: maybe"),
        ("    title: Section two\n", ""),
        ('version: "1"', "version: 1"),
    )
    problems = problems_of(qs_file, text)
    assert len(problems) == 3, problems
    assert problems[0].startswith(f"{qs_file}:{where(text, 'version: 1', '1')}: version: ")
    assert "'maybe' is not one of" in problems[1]
    assert "the field 'title' is missing" in problems[2]


# -- meaning -----------------------------------------------------------------------------------


def test_duplicate_question_ids_across_sections(qs_file: Path) -> None:
    text = mutate(BASE, ("      - id: P4", "      - id: P1"))
    lines = [i + 1 for i, ln in enumerate(text.splitlines()) if ln == "      - id: P1"]
    problem = only_problem(qs_file, text)
    assert problem == (
        f"{qs_file}:{lines[1]}:13: duplicate question id 'P1' (first on line {lines[0]})"
    )


def test_a_duplicate_id_does_not_invent_a_cycle(qs_file: Path) -> None:
    # The second "P1" reads P1: with the ids mixed up it must not be reported as a cycle.
    text = mutate(BASE, ("      - id: P2", "      - id: P1"))
    problem = only_problem(qs_file, text)
    assert "duplicate question id 'P1'" in problem


def test_duplicate_fact_ids(qs_file: Path) -> None:
    text = mutate(BASE, ("  - id: tier", "  - id: kind"))
    problem = only_problem(qs_file, text)
    lines = [i + 1 for i, ln in enumerate(text.splitlines()) if ln == "  - id: kind"]
    assert problem == (
        f"{qs_file}:{lines[1]}:9: duplicate fact id 'kind' (first on line {lines[0]})"
    )


def test_with_a_duplicate_fact_the_first_definition_is_checked_against(qs_file: Path) -> None:
    # The second "da" is yes_no; P1 reads "da in [yes, unknown]" of the first (yes_no_unknown).
    text = mutate(
        BASE,
        ("    type: text\n", "    type: text\n  - id: da\n    label: Again\n    type: yes_no\n"),
    )
    problem = only_problem(qs_file, text)
    assert "duplicate fact id 'da'" in problem


def test_every_problem_is_listed(qs_file: Path) -> None:
    text = mutate(
        BASE,
        ("      - id: P3", "      - id: P1"),
        ("      - id: P4", "      - id: P2"),
        ("          fact: da\n", "          fact: danger\n"),
    )
    problems = problems_of(qs_file, text)
    assert len(problems) == 3, problems
    assert problems == sorted(problems, key=lambda p: int(p.split(":")[1]))
    assert f"{qs_file}:{where(text, 'fact: danger', 'fact')}: " in problems[0]
    assert "condition names unknown case fact 'danger'" in problems[0]
    assert "duplicate question id 'P1'" in problems[1]
    assert "duplicate question id 'P2'" in problems[2]


def test_a_condition_naming_an_unknown_fact(qs_file: Path) -> None:
    text = mutate(BASE, ("          fact: da\n", "          fact: danger\n"))
    assert only_problem(qs_file, text) == (
        f"{qs_file}:{where(text, 'fact: danger', 'fact')}: "
        "condition names unknown case fact 'danger'"
    )


def test_a_condition_naming_an_unknown_question(qs_file: Path) -> None:
    text = mutate(BASE, ("answer: P1", "answer: P9"))
    assert only_problem(qs_file, text) == (
        f"{qs_file}:{where(text, 'answer: P9', 'answer')}: condition names unknown question 'P9'"
    )


def test_a_variant_condition_may_not_read_answers(qs_file: Path) -> None:
    text = mutate(
        BASE, ("      fact: kind\n      equals: beta", "      answer: K1\n      equals: yes")
    )
    problem = only_problem(qs_file, text)
    assert problem.startswith(f"{qs_file}:{where(text, 'answer: K1', 'answer')}: ")
    assert "case facts only" in problem


def test_a_fact_value_that_does_not_exist(qs_file: Path) -> None:
    text = mutate(BASE, ("equals: beta", "equals: gamma"))
    assert only_problem(qs_file, text) == (
        f"{qs_file}:{where(text, 'fact: kind', 'fact')}: "
        "'gamma' is not a value of fact 'kind' (one of: alpha, beta)"
    )


def test_an_answer_value_that_does_not_exist(qs_file: Path) -> None:
    text = mutate(BASE, ("          equals: yes\n", "          equals: na\n"))
    assert only_problem(qs_file, text) == (
        f"{qs_file}:{where(text, 'answer: P1', 'answer')}: "
        "'na' is not a value of answer 'P1' (one of: no, yes)"
    )


def test_an_in_list_value_that_does_not_exist(qs_file: Path) -> None:
    text = mutate(BASE, ("in: [yes, unknown]", "in: [yes, maybe]"))
    problem = only_problem(qs_file, text)
    assert problem == (
        f"{qs_file}:{where(text, 'fact: da', 'fact')}: "
        "'maybe' is not a value of fact 'da' (one of: no, unknown, yes)"
    )


def test_a_cycle_of_conditions(qs_file: Path) -> None:
    text = mutate(
        BASE,
        (
            "          fact: da\n          in: [yes, unknown]",
            "          answer: P2\n          equals: yes",
        ),
    )
    problem = only_problem(qs_file, text)
    assert problem == (
        f"{qs_file}:{where(text, 'answer: P2', 'answer')}: conditions form a cycle: P1 -> P2 -> P1"
    )


def test_a_question_that_depends_on_itself(qs_file: Path) -> None:
    text = mutate(BASE, ("answer: P1", "answer: P2"))
    assert only_problem(qs_file, text) == (
        f"{qs_file}:{where(text, 'answer: P2', 'answer')}: conditions form a cycle: P2 -> P2"
    )


@pytest.mark.parametrize("kind", ["choice", "multi_choice"])
def test_a_choice_question_without_options(qs_file: Path, kind: str) -> None:
    text = mutate(BASE, ("answer: text", f"answer: {kind}"))
    assert only_problem(qs_file, text) == (
        f"{qs_file}:{where(text, f'answer: {kind}', kind)}: "
        f"question 'P3' is a {kind} with no options"
    )


def test_a_choice_fact_without_options(qs_file: Path) -> None:
    text = mutate(BASE, ("    type: text", "    type: choice  # but no options"))
    assert only_problem(qs_file, text) == (
        f"{qs_file}:{where(text, 'type: choice  #', 'choice')}: "
        "fact 'tier' is a choice with no options"
    )


def test_duplicate_option_values(qs_file: Path) -> None:
    text = mutate(
        BASE, ("      - value: beta", "      - value: alpha"), ("equals: beta", "equals: alpha")
    )
    problem = only_problem(qs_file, text)
    lines = [i + 1 for i, ln in enumerate(text.splitlines()) if ln == "      - value: alpha"]
    assert problem == f"{qs_file}:{lines[1]}:16: duplicate option value 'alpha'"


def test_counts_on_a_text_question(qs_file: Path) -> None:
    text = mutate(BASE, ("        answer: text\n", "        answer: text\n        counts: true\n"))
    problem = only_problem(qs_file, text)
    assert problem.startswith(f"{qs_file}:{where(text, 'counts: true', 'true')}: ")
    assert "question 'P3' counts toward findings but its answer is text" in problem


def test_rating_thresholds_out_of_order(qs_file: Path) -> None:
    text = mutate(BASE, ("min_percent: 50", "min_percent: 70"))
    problem = only_problem(qs_file, text)
    assert problem == (
        f"{qs_file}:{where(text, 'min_percent: 70', '70')}: rating thresholds out of order: "
        "each min_percent must be lower than the one before (70 follows 65)"
    )


def test_the_lowest_rating_must_start_at_zero(qs_file: Path) -> None:
    text = mutate(BASE, ("min_percent: 0", "min_percent: 10"))
    problem = only_problem(qs_file, text)
    assert problem.startswith(f"{qs_file}:{where(text, 'min_percent: 10', '10')}: ")
    assert "must start at 0" in problem


def test_bands_out_of_order(qs_file: Path) -> None:
    text = mutate(BASE, ("min_score: 2", "min_score: 5"))
    assert only_problem(qs_file, text) == (
        f"{qs_file}:{where(text, 'min_score: 5', '5')}: "
        "score bands out of order: each min_score must be lower than the one before"
    )


def test_a_standard_naming_an_unknown_key_question(qs_file: Path) -> None:
    text = mutate(BASE, ("key_questions: [K1, K2]", "key_questions: [K1, P1]"))
    assert only_problem(qs_file, text) == (
        f"{qs_file}:{where(text, 'key_questions: [K1, P1]', 'P1')}: "
        "standard '1' names 'P1', which is not a key question"
    )


def test_a_variant_without_a_condition_that_is_not_last(qs_file: Path) -> None:
    text = mutate(BASE, ("    when:\n      fact: kind\n      equals: beta\n", ""))
    assert only_problem(qs_file, text) == (
        f"{qs_file}:{where(text, '- id: special', 'id')}: "
        "variant 'special' has no condition but is not the last one"
    )


def test_a_section_naming_an_unknown_variant(qs_file: Path) -> None:
    text = mutate(BASE, ("variants: [main]", "variants: [mian]"))
    assert only_problem(qs_file, text) == (
        f"{qs_file}:{where(text, 'variants: [mian]', 'mian')}: unknown variant 'mian'"
    )


def test_a_non_case_question_naming_an_unknown_group(qs_file: Path) -> None:
    text = mutate(BASE, ("groups: [staff]", "groups: [staff, visitors]"))
    assert only_problem(qs_file, text) == (
        f"{qs_file}:{where(text, 'groups: [staff, visitors]', 'visitors')}: "
        "unknown participant group 'visitors'"
    )


# -- domain one ----------------------------------------------------------------------------------

DOMAIN_ONE = """\
domain_one:
  - id: D1
    title: Leadership
    text: Do leaders set a clear direction?
    guidance: Weigh documents against what staff said.
    non_case_questions: [N1]
    prompts:
      - id: D1.a
        text: Is the vision known?
      - id: D1.b
        text: Do leaders use performance information?
  - id: D2
    title: Workforce
    text: Are there enough staff?
aggregation:
"""


def with_domain_one(text: str = BASE, block: str = DOMAIN_ONE) -> str:
    return mutate(text, ("aggregation:\n", block))


def test_domain_one_loads_and_changes_the_hash_only_where_it_is_used(qs_file: Path) -> None:
    plain = loader.parse_text(BASE)
    qs = loader.parse_text(with_domain_one())
    assert plain.domain_one == ()
    assert qs.content_hash != plain.content_hash
    assert [(d.id, d.title, [p.id for p in d.prompts]) for d in qs.domain_one] == [
        ("D1", "Leadership", ["D1.a", "D1.b"]),
        ("D2", "Workforce", []),
    ]
    assert qs.domain_one[0].guidance == "Weigh documents against what staff said."
    assert qs.domain_one[0].non_case_questions == ("N1",)
    assert qs.org_question_ids == ("D1", "D1.a", "D1.b", "D2", "N1")
    assert qs.judged_question_ids == ("D1", "D2", "N1")
    assert qs.org_scope("D1") == ("D1", "D1.a", "D1.b", "N1")
    assert qs.org_scope("N1") == ("N1",) and qs.org_scope("D1.a") == ()
    assert qs.org_question_of("D1.b") == qs.domain_one[0]
    assert qs.org_question("K1") is None  # a case question is not judged here
    assert qs.rating_labels == ("Good", "Fair", "Poor")
    assert not qs.has_question("D1")  # never a case question
    # The domain-one key is part of the canonical content: key order does not matter.
    data = yaml.safe_load(with_domain_one())
    again = loader.parse_text(json.dumps(dict(reversed(list(data.items())))))
    assert again.content_hash == qs.content_hash


@pytest.mark.parametrize(
    ("old", "new", "clash", "first"),
    [
        ("      - id: D1.b", "      - id: K1", "K1", "      id: K1"),  # a case question
        ("  - id: D2", "  - id: N1", "N1", "  - id: N1"),  # a non-case question
        ("  - id: D2", "  - id: D1.a", "D1.a", "      - id: D1.a"),  # within domain one
    ],
)
def test_a_duplicate_domain_one_id_is_refused_with_its_place(
    qs_file: Path, old: str, new: str, clash: str, first: str
) -> None:
    text = mutate(with_domain_one(), (old, new))
    lines = text.splitlines()
    first_line = next(i + 1 for i, ln in enumerate(lines) if ln == first)
    dup_line = next(i + 1 for i, ln in enumerate(lines) if ln == new and i + 1 != first_line)
    col = lines[dup_line - 1].index(clash) + 1
    assert only_problem(qs_file, text) == (
        f"{qs_file}:{dup_line}:{col}: duplicate question id '{clash}' (first on line {first_line})"
    )


def test_domain_one_naming_an_unknown_non_case_question(qs_file: Path) -> None:
    text = mutate(with_domain_one(), ("non_case_questions: [N1]", "non_case_questions: [N1, N9]"))
    assert only_problem(qs_file, text) == (
        f"{qs_file}:{where(text, 'non_case_questions: [N1, N9]', 'N9')}: "
        "unknown non-case question 'N9'"
    )


def test_domain_one_fields_are_checked_by_the_schema(qs_file: Path) -> None:
    text = mutate(
        with_domain_one(), ("    title: Workforce\n", "    title: Workforce\n    rating: x\n")
    )
    problem = only_problem(qs_file, text)
    assert problem == (
        f"{qs_file}:{where(text, 'rating: x', 'rating')}: domain_one[1]: unknown field 'rating'"
    )


# -- conditions checked against what they read (#15, item 5) --------------------------------

NUMBERS = mutate(
    BASE,
    (
        "  - id: tier\n    label: Tier\n    type: text\n",
        "  - id: tier\n    label: Tier\n    type: text\n"
        "  - id: age\n    label: Age\n    type: number\n"
        "  - id: sentenced\n    label: Sentenced on\n    type: date\n",
    ),
)


def _with_condition(condition: str) -> str:
    return mutate(
        NUMBERS,
        (
            "      - id: P3\n        text: Notes\n        answer: text\n",
            "      - id: P3\n        text: Notes\n        answer: text\n"
            f"        applies_when:\n{condition}",
        ),
    )


def test_a_number_fact_compared_with_a_word_is_refused_where_it_is(qs_file: Path) -> None:
    text = _with_condition("          fact: age\n          equals: young\n")
    problem = only_problem(qs_file, text)
    assert problem.startswith(f"{qs_file}:{where(text, 'fact: age')}: ")
    assert "equals 'young': fact 'age' is a number, so the condition can never hold" in problem


def test_at_least_on_a_choice_fact_is_refused(qs_file: Path) -> None:
    text = _with_condition("          fact: kind\n          at_least: beta\n")
    problem = only_problem(qs_file, text)
    assert "'at_least' compares numbers and dates, but fact 'kind' is choice" in problem
    text = _with_condition("          answer: K1\n          at_most: 3\n")
    assert "answer 'K1' is Yes / No" in only_problem(qs_file, text)


def test_at_least_on_numbers_and_dates_loads_and_holds(qs_file: Path) -> None:
    text = _with_condition(
        "          all:\n"
        "            - fact: age\n              at_least: 18\n"
        "            - fact: sentenced\n              at_most: 2026-06-30\n"
    )
    qs_file.write_text(text, encoding="utf-8")
    qs = loader.load(qs_file)
    base = {"da": "no", "kind": "alpha", "tier": "B2"}
    assert "P3" in qs.applicable("main", {**base, "age": 18, "sentenced": "2026-06-30"}, {})
    assert "P3" not in qs.applicable("main", {**base, "age": 17, "sentenced": "2026-06-30"}, {})
    assert "P3" not in qs.applicable("main", {**base, "age": 30, "sentenced": "2026-07-01"}, {})
    bad = _with_condition("          fact: sentenced\n          at_least: soon\n")
    assert "fact 'sentenced' is a date" in only_problem(qs_file, bad)


# -- warnings: what no case can reach ---------------------------------------------------------


def _warnings(path: Path, text: str) -> list[str]:
    path.write_text(text, encoding="utf-8")
    return list(loader.check(path).warnings)


def test_the_base_and_the_bundled_sets_have_no_warnings(qs_file: Path) -> None:
    assert _warnings(qs_file, BASE) == []
    for p in bundled.bundled_question_sets():
        assert loader.check(p).warnings == (), p


def test_a_variant_an_earlier_one_always_wins_is_a_warning(qs_file: Path) -> None:
    text = mutate(
        BASE,
        (
            "  - id: main\n    label: Main\n",
            "  - id: shadow\n    label: Shadow\n    when:\n      fact: kind\n      in: [beta]\n"
            "  - id: main\n    label: Main\n",
        ),
    )
    (warning,) = _warnings(qs_file, text)
    assert warning.startswith(f"{qs_file}:{where(text, '- id: shadow', 'shadow')}: warning: ")
    assert "variant 'shadow': no combination of case facts selects it" in warning
    assert "special is chosen first" in warning
    assert loader.load(qs_file).id == "mini"  # a warning is not an error


def test_a_variant_whose_condition_never_holds_is_a_warning(qs_file: Path) -> None:
    text = mutate(
        BASE,
        (
            "    when:\n      fact: kind\n      equals: beta\n",
            "    when:\n      all:\n        - fact: kind\n          equals: beta\n"
            "        - fact: kind\n          equals: alpha\n",
        ),
    )
    (warning,) = _warnings(qs_file, text)
    assert "variant 'special': no combination of case facts makes its condition hold" in warning


def test_a_question_that_can_never_apply_is_a_warning(qs_file: Path) -> None:
    text = _with_condition(
        "          all:\n"
        "            - fact: age\n              at_least: 65\n"
        "            - fact: age\n              at_most: 18\n"
    )
    (warning,) = _warnings(qs_file, text)
    assert warning.startswith(f"{qs_file}:{where(text, '- id: P3', 'P3')}: warning: ")
    assert "question 'P3': no case facts and answers make it apply" in warning
    # Through a chain: P2 needs P1 = yes, and P1 now needs domestic abuse to be both yes and no.
    text = mutate(
        BASE,
        (
            "          fact: da\n          in: [yes, unknown]\n",
            "          all:\n            - fact: da\n              equals: 'yes'\n"
            "            - fact: da\n              equals: 'no'\n",
        ),
    )
    found = _warnings(qs_file, text)
    assert [w.split("warning: ")[1].split(":")[0] for w in found] == [
        "question 'P1'",
        "question 'P2'",
    ]


def test_a_section_only_in_a_variant_no_case_reaches_warns_for_its_questions(
    qs_file: Path,
) -> None:
    text = mutate(
        BASE,
        (
            "    when:\n      fact: kind\n      equals: beta\n",
            "    when:\n      not:\n        fact: kind\n        answered: false\n",
        ),
        (
            "  - id: main\n    label: Main\n",
            "  - id: main\n    label: Main\n    when:\n      fact: kind\n      answered: false\n",
        ),
    )
    # 'special' takes every case with a kind, 'main' every case without: both reachable.
    assert _warnings(qs_file, text) == []
    text = mutate(
        BASE,
        (
            "    when:\n      fact: kind\n      equals: beta\n",
            "    when:\n      fact: tier\n      answered: true\n",
        ),
        (
            "  - id: main\n    label: Main\n",
            "  - id: main\n    label: Main\n    when:\n      fact: tier\n      answered: true\n",
        ),
    )
    found = _warnings(qs_file, text)
    assert any("variant 'main'" in w for w in found)
    assert any(
        "question 'K2': its section is asked only in variants no case reaches" in w for w in found
    )


# -- messages in plain words -------------------------------------------------------------------


def test_an_unclosed_quote_is_reported_where_it_opens(qs_file: Path) -> None:
    text = mutate(BASE, ("title: Section one", 'title: "Section one'))
    problem = only_problem(qs_file, text)
    opened = where(text, 'title: "Section one', '"')
    assert problem.startswith(f"{qs_file}:{opened}: ")
    assert 'a text opened with " here is never closed' in problem


def test_a_text_over_several_lines_in_quotes_is_not_taken_for_an_unclosed_one(
    qs_file: Path,
) -> None:
    text = mutate(BASE, ("title: Section one", 'title: "Section\n      one"'))
    qs_file.write_text(text, encoding="utf-8")
    assert loader.load(qs_file).sections[0].title == "Section one"
    broken = mutate(text, ("  - id: s2\n", "  - id: s2\n   bad: indent\n"))
    assert "never closed" not in only_problem(qs_file, broken)


def test_a_misaligned_line_says_to_line_it_up(qs_file: Path) -> None:
    text = mutate(BASE, ("    label: Kind of case\n", "     label: Kind of case\n"))
    problem = only_problem(qs_file, text)
    assert "invalid YAML: " in problem
    assert "line" in problem.split("invalid YAML: ")[1]
    assert "mapping values" not in problem and "expected" not in problem


@pytest.mark.parametrize(
    ("pair", "words"),
    [
        (('version: "1"', "version: [1]"), "version: should be text, not [1]"),
        (("answer: yes_no_na", "answer: maybe"), "'maybe' is not one of: yes_no, yes_no_na"),
        (("  - id: staff\n", "  - id: the staff\n"), "'the staff' is not a valid id: an id"),
        (("    variants: [main]\n", "    variants: []\n"), "variants: needs at least 1 item"),
        (("format: 1", "format: 2"), "format: must be 1, not 2"),
        (("    label: Staff\n", "    label: ''\n"), "label: must not be empty"),
    ],
)
def test_schema_problems_in_plain_words(qs_file: Path, pair: tuple[str, str], words: str) -> None:
    problem = only_problem(qs_file, mutate(BASE, pair))
    assert words in problem
    for jargon in ("is not of type", "does not match", "should be non-empty", "was expected"):
        assert jargon not in problem
