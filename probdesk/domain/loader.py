"""Load a question-set YAML file: read safely, validate (schema + meaning), build the typed set.

Every problem is collected and reported as `FILE:LINE:COLUMN: message`; a file with any problem
gives no question set at all.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from probdesk import bundled
from probdesk.domain import conditions as cond
from probdesk.domain.answer_types import answer_kind, countable_answer_types, fact_kind
from probdesk.domain.questionset import (
    PUBLISHED_AT_PDU,
    AnswerType,
    Fact,
    FactType,
    FigureRules,
    NonCaseQuestion,
    Option,
    OrgPrompt,
    OrgQuestion,
    ParticipantGroup,
    Question,
    QuestionSet,
    RatingLevel,
    Ratings,
    ScoreBand,
    Section,
    Standard,
    Variant,
)
from probdesk.errors import QuestionSetError

MAX_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 64

JsonPath = tuple[str | int, ...]


@dataclass
class _Problems:
    file: str
    positions: dict[JsonPath, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[JsonPath, tuple[int, int]] = field(default_factory=dict)
    items: list[tuple[int, int, str]] = field(default_factory=list)

    def at(self, path: JsonPath, message: str) -> None:
        p = path
        while p not in self.positions and p:
            p = p[:-1]
        line, col = self.positions.get(p, (0, 0))
        self.items.append((line, col, message))

    def at_key(self, path: JsonPath, message: str) -> None:
        """At the mapping key that ends `path` (an unknown field), else at its value."""
        if path in self.key_positions:
            self.raw(*self.key_positions[path], message)
        else:
            self.at(path, message)

    def raw(self, line: int, col: int, message: str) -> None:
        self.items.append((line, col, message))

    def formatted(self) -> list[str]:
        out = []
        for line, col, msg in sorted(self.items, key=lambda t: (t[0], t[1])):
            out.append(f"{self.file}:{line}:{col}: {msg}" if line else f"{self.file}: {msg}")
        return out


# -- reading -----------------------------------------------------------------------------------


def _read_text(path: Path, problems: _Problems) -> str | None:
    if not path.exists():
        problems.raw(0, 0, "no such file")
        return None
    if path.is_dir():
        problems.raw(0, 0, "is a directory, not a question-set file")
        return None
    size = path.stat().st_size
    if size > MAX_BYTES:
        problems.raw(0, 0, f"file is {size:,} bytes; a question set may be at most {MAX_BYTES:,}")
        return None
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        problems.raw(0, 0, f"cannot be read: {exc.strerror or exc}")
        return None
    return _decode(data, problems)


def _decode(data: bytes, problems: _Problems) -> str | None:
    if len(data) > MAX_BYTES:
        problems.raw(0, 0, f"file is larger than {MAX_BYTES:,} bytes")
        return None
    if not data.strip():
        problems.raw(0, 0, "file is empty")
        return None
    if b"\x00" in data[:8192]:
        problems.raw(0, 0, "looks like a binary file, not YAML text")
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        problems.raw(line, col, f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save as UTF-8")
        return None
    return text.removeprefix("\ufeff")


_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _compose(text: str, problems: _Problems) -> Any:
    """YAML text to plain data, recording each node's position; aliases are refused."""
    try:
        loader = _Loader(text)
        try:
            root = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        _marked(exc, "invalid YAML", problems, text)
        return None
    except yaml.YAMLError as exc:
        problems.raw(0, 0, f"invalid YAML: {exc}")
        return None
    if root is None:
        problems.raw(0, 0, "file holds no YAML document")
        return None
    constructor = yaml.SafeLoader("")  # only its scalar constructors are used
    seen: set[int] = set()

    def build(node: yaml.Node, path: JsonPath, depth: int) -> Any:
        mark = node.start_mark
        problems.positions[path] = (mark.line + 1, mark.column + 1)
        if id(node) in seen:
            raise _Refused(mark, "YAML anchors and aliases (&name, *name) are not allowed")
        seen.add(id(node))
        if depth > MAX_DEPTH:
            raise _Refused(mark, f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for knode, vnode in node.value:
                if not isinstance(knode, yaml.ScalarNode):
                    raise _Refused(knode.start_mark, "mapping keys must be plain text")
                key = str(constructor.construct_scalar(knode))
                if key == "<<":
                    raise _Refused(knode.start_mark, "YAML merge keys (<<) are not allowed")
                if key in out:
                    raise _Refused(knode.start_mark, f"duplicate key '{key}'")
                kmark = knode.start_mark
                problems.key_positions[(*path, key)] = (kmark.line + 1, kmark.column + 1)
                out[key] = build(vnode, (*path, key), depth + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [build(v, (*path, i), depth + 1) for i, v in enumerate(node.value)]
        value = constructor.construct_object(node)
        if isinstance(value, date):  # an unquoted 2026-06-30: the set means the ISO text
            return value.isoformat()
        return value

    try:
        return build(root, (), 0)
    except _Refused as exc:
        problems.raw(exc.mark.line + 1, exc.mark.column + 1, exc.message)
        return None
    except yaml.MarkedYAMLError as exc:
        _marked(exc, "invalid YAML value", problems)
        return None
    except yaml.YAMLError as exc:
        problems.raw(0, 0, f"invalid YAML value: {exc}")
        return None


def _marked(exc: yaml.MarkedYAMLError, prefix: str, problems: _Problems, text: str = "") -> None:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
    opened = _unclosed_quote(text, line) if text else None
    if opened is not None:
        qline, qcol, quote = opened
        problems.raw(
            qline,
            qcol,
            f"{prefix}: a text opened with {quote} here is never closed: add the closing "
            f"{quote} at the end of the text (YAML read on to line {line} looking for it)",
        )
        return
    problems.raw(line, col, _yaml_words(str(exc.problem or exc.context or ""), prefix))


# Plain words for PyYAML's scanner and parser messages: (words in its message, what we say).
_YAML_WORDS = (
    ("tab", "a tab character: YAML indents with spaces only; replace the tab with spaces"),
    (
        "mapping values are not allowed",
        "a ': ' where YAML does not expect a new field: put the text in quotes, or line this "
        "line up with the fields above it",
    ),
    (
        "expected '-' indicator",
        "this line does not line up with the list above it: each item starts with '- ' at the "
        "same indentation",
    ),
    (
        "expected key",
        "this line does not line up with the lines above it: a field starts at the same "
        "indentation as the other fields at its level (spaces only)",
    ),
    (
        "expected <block end>",
        "this line does not line up with the lines above it: a field starts at the same "
        "indentation as the other fields at its level (spaces only)",
    ),
    (
        "could not find expected ':'",
        "a line with no 'field: value' colon: add the colon, or indent the line as part of the "
        "text above",
    ),
    (
        "unexpected end of stream",
        "the file ends inside a quoted text or a bracket: close it",
    ),
    ("cannot start any token", "this character cannot start a value: put the value in quotes"),
    (
        "expected ',' or ']'",
        "a list in brackets is not closed where expected: check its commas and its closing ]",
    ),
    (
        "expected ',' or '}'",
        "a mapping in braces is not closed where expected: check its commas and its closing }",
    ),
)


def _yaml_words(problem: str, prefix: str) -> str:
    for words, plain in _YAML_WORDS:
        if words in problem:
            return f"{prefix}: {plain}"
    return f"{prefix}: {problem}"


def _unclosed_quote(text: str, upto: int) -> tuple[int, int, str] | None:
    """A quote opened on a line and closed on no line before `upto` (YAML's error line): the
    usual cause of YAML's later, puzzling complaints. (Line, column, the quote character.)"""
    found: tuple[int, int, str] | None = None
    for number, line in enumerate(text.splitlines()[: max(upto, 0)], start=1):
        if found is not None and number < upto and found[2] in line:
            found = None  # closed on a later line: a text over several lines, which is allowed
        if found is not None:
            continue
        _, sep, value = line.partition(": ")
        if not sep:
            value = line.lstrip(" -")
        column = len(line) - len(value.lstrip())
        value = value.strip()
        if value[:1] == '"':
            closed = '"' in value[1:].replace("\\\\", "").replace('\\"', "")
        elif value[:1] == "'":
            closed = "'" in value[1:].replace("''", "")
        else:
            continue
        if not closed:
            found = (number, column + 1, value[0])
    return found


class _Refused(Exception):
    def __init__(self, mark: Any, message: str) -> None:
        super().__init__(message)
        self.mark = mark
        self.message = message


# -- schema ------------------------------------------------------------------------------------


@cache
def schema() -> dict[str, Any]:
    """The published JSON Schema, read once from question_sets/schema/."""
    loaded: dict[str, Any] = json.loads(bundled.schema_path().read_text(encoding="utf-8"))
    return loaded


def _where(path: Iterable[str | int]) -> str:
    parts: list[str] = []
    for p in path:
        parts.append(f"[{p}]" if isinstance(p, int) else (f".{p}" if parts else str(p)))
    return "".join(parts) or "(top level)"


@cache
def _fast_validator() -> Callable[[Any], Any]:
    import fastjsonschema

    return fastjsonschema.compile(schema())


def _schema_problems(data: Any, problems: _Problems) -> None:
    import fastjsonschema

    try:
        _fast_validator()(data)
        return  # valid: the slower validator is only needed to explain problems
    except fastjsonschema.JsonSchemaException:
        pass
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema())
    condition_schema = schema()["$defs"]["condition"]
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path))):
        if error.validator == "oneOf" and error.schema == condition_schema:
            path = tuple(error.absolute_path)
            problems.at(
                path,
                f"{_where(path)}: not a valid condition: use all/any/not, or "
                "{fact|answer: ID, <op>: value} with exactly one of equals, in, at_least, "
                "at_most, answered",
            )
            continue
        best = jsonschema.exceptions.best_match([error, *error.context]) if error.context else error
        path = tuple(best.absolute_path)
        if best.validator == "additionalProperties" and isinstance(best.instance, dict):
            known = best.schema.get("properties", {})
            for key in (k for k in best.instance if k not in known):
                problems.at_key((*path, key), f"{_where(path)}: unknown field '{key}'")
            continue
        problems.at(path, f"{_where(path)}: {_schema_words(best)}")


_TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "array": "a list (lines starting with '- ')",
    "object": "a set of fields (lines of 'name: value')",
    "boolean": "true or false",
}
ID_RULE = (
    "an id starts with a letter or digit, then letters, digits, '_', '.' or '-', at most 64 "
    "characters, no spaces"
)


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return f"'{value}'" if len(value) <= 40 else f"'{value[:37]}...'"
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


def _schema_words(error: Any) -> str:
    """A JSON Schema error in plain words; the validator's own message where none fits."""
    kind, expected, value = error.validator, error.validator_value, error.instance
    if kind == "required":
        missing = [k for k in expected if isinstance(value, dict) and k not in value]
        return f"the field '{missing[0] if missing else expected[0]}' is missing"
    if kind == "type":
        wanted = expected if isinstance(expected, list) else [expected]
        words = " or ".join(_TYPE_WORDS.get(str(w), str(w)) for w in wanted)
        return f"should be {words}, not {_shown(value)}"
    if kind == "enum":
        return f"{_shown(value)} is not one of: {', '.join(str(v) for v in expected)}"
    if kind == "const":
        return f"must be {_shown(expected)}, not {_shown(value)}"
    if kind == "pattern":
        return f"{_shown(value)} is not a valid id: {ID_RULE}"
    if kind == "minLength":
        return "must not be empty"
    if kind == "maxLength":
        return f"is longer than {expected} characters"
    if kind == "minItems":
        return f"needs at least {expected} item{'s' if expected != 1 else ''}"
    if kind == "minimum":
        return f"must be {expected} or more, not {_shown(value)}"
    if kind == "maximum":
        return f"must be {expected} or less, not {_shown(value)}"
    return str(error.message)


# -- meaning -----------------------------------------------------------------------------------


def _semantic_problems(d: Mapping[str, Any], problems: _Problems) -> None:
    def dupes(items: Iterable[tuple[JsonPath, str]], what: str) -> None:
        seen: dict[str, JsonPath] = {}
        for path, ident in items:
            if ident in seen:
                first = problems.positions.get((*seen[ident], "id"), (0, 0))[0]
                problems.at((*path, "id"), f"duplicate {what} id '{ident}' (first on line {first})")
            else:
                seen[ident] = path

    facts: dict[str, Mapping[str, Any]] = {}
    for f in d.get("facts", []):
        facts.setdefault(f["id"], f)
    dupes(((("facts", i), f["id"]) for i, f in enumerate(d.get("facts", []))), "fact")
    dupes(((("variants", i), v["id"]) for i, v in enumerate(d.get("variants", []))), "variant")
    dupes(((("sections", i), s["id"]) for i, s in enumerate(d.get("sections", []))), "section")
    groups = d.get("participant_groups", [])
    dupes(((("participant_groups", i), g["id"]) for i, g in enumerate(groups)), "group")
    ncq = d.get("non_case_questions", [])
    dupes(((("non_case_questions", i), q["id"]) for i, q in enumerate(ncq)), "non-case question")

    questions: dict[str, tuple[JsonPath, Mapping[str, Any]]] = {}
    all_q: list[tuple[JsonPath, Mapping[str, Any]]] = []
    for si, s in enumerate(d.get("sections", [])):
        all_q.append((("sections", si, "key_question"), s["key_question"]))
        for pi, p in enumerate(s.get("prompts", [])):
            all_q.append((("sections", si, "prompts", pi), p))
    dupes(((p, q["id"]) for p, q in all_q), "question")
    for p, q in all_q:
        questions.setdefault(q["id"], (p, q))

    for i, f in enumerate(d.get("facts", [])):
        if fact_kind(f["type"]).from_options and not f.get("options"):
            problems.at(("facts", i, "type"), f"fact '{f['id']}' is a {f['type']} with no options")
        if f.get("options"):
            _option_dupes(f["options"], ("facts", i, "options"), problems)

    variant_ids = {v["id"] for v in d.get("variants", [])}
    for i, v in enumerate(d.get("variants", [])):
        if "when" not in v and i != len(d["variants"]) - 1:
            problems.at(
                ("variants", i), f"variant '{v['id']}' has no condition but is not the last one"
            )
        if "when" in v:
            _check_condition(v["when"], ("variants", i, "when"), facts, None, problems)
    for si, s in enumerate(d.get("sections", [])):
        for vi, vid in enumerate(s.get("variants", [])):
            if vid not in variant_ids:
                problems.at(("sections", si, "variants", vi), f"unknown variant '{vid}'")

    for path, q in all_q:
        atype = q["answer"]
        kind = answer_kind(atype)
        if kind.from_options and not q.get("options"):
            problems.at((*path, "answer"), f"question '{q['id']}' is a {atype} with no options")
        if q.get("options"):
            _option_dupes(q["options"], (*path, "options"), problems)
        if q.get("counts") and not kind.countable:
            problems.at(
                (*path, "counts"),
                f"question '{q['id']}' counts toward findings but its answer is {atype}; "
                f"only {' and '.join(countable_answer_types())} answers can be counted",
            )
        if "applies_when" in q:
            _check_condition(q["applies_when"], (*path, "applies_when"), facts, questions, problems)
    _check_cycles(all_q, questions, problems)

    _check_domain_one(d, all_q, problems)

    group_ids = {g["id"] for g in groups}
    for i, q in enumerate(ncq):
        for gi, g in enumerate(q["groups"]):
            if g not in group_ids:
                problems.at(
                    ("non_case_questions", i, "groups", gi), f"unknown participant group '{g}'"
                )

    ratings = d.get("aggregation", {}).get("ratings")
    if ratings:
        _check_ratings(ratings, d, problems)


def _check_domain_one(
    d: Mapping[str, Any],
    all_q: list[tuple[JsonPath, Mapping[str, Any]]],
    problems: _Problems,
) -> None:
    """Domain-one ids are unique across the whole set: judgements, documents and gaps are
    filed by question id, so one id must never name two questions."""
    seen: dict[str, JsonPath] = {}
    for path, q in all_q:
        seen.setdefault(q["id"], path)
    ncq = d.get("non_case_questions", [])
    for i, q in enumerate(ncq):
        seen.setdefault(q["id"], ("non_case_questions", i))
    ncq_ids = {q["id"] for q in ncq}
    for i, k in enumerate(d.get("domain_one", [])):
        items: list[tuple[JsonPath, str]] = [(("domain_one", i), k["id"])]
        items += [
            (("domain_one", i, "prompts", pi), p["id"]) for pi, p in enumerate(k.get("prompts", []))
        ]
        for path, ident in items:
            if ident in seen:
                first = problems.positions.get((*seen[ident], "id"), (0, 0))[0]
                problems.at(
                    (*path, "id"), f"duplicate question id '{ident}' (first on line {first})"
                )
            else:
                seen[ident] = path
        for ni, n in enumerate(k.get("non_case_questions", [])):
            if n not in ncq_ids:
                problems.at(
                    ("domain_one", i, "non_case_questions", ni), f"unknown non-case question '{n}'"
                )


def _option_dupes(options: list[Mapping[str, Any]], path: JsonPath, problems: _Problems) -> None:
    seen: set[str] = set()
    for i, o in enumerate(options):
        if o["value"] in seen:
            problems.at((*path, i, "value"), f"duplicate option value '{o['value']}'")
        seen.add(o["value"])


def _allowed(kind: str, item: Mapping[str, Any]) -> set[str] | None:
    """The values a condition may compare a fact or an answer with; None for open types."""
    entry = fact_kind(item["type"]) if kind == "fact" else answer_kind(item["answer"])
    allowed = entry.allowed(_options(item.get("options", [])))
    return None if allowed is None else set(allowed)


def _check_condition(
    data: Any,
    path: JsonPath,
    facts: Mapping[str, Mapping[str, Any]],
    questions: Mapping[str, tuple[JsonPath, Mapping[str, Any]]] | None,
    problems: _Problems,
) -> None:
    try:
        parsed = cond.parse(data)
    except (cond.ConditionSyntaxError, TypeError, KeyError):
        return  # the schema check has reported it
    for c in cond.walk(parsed):
        if not isinstance(c, cond.Compare):
            continue
        item: Mapping[str, Any] | None
        if c.kind == "fact":
            item = facts.get(c.subject)
            if item is None:
                problems.at(path, f"condition names unknown case fact '{c.subject}'")
                continue
        else:
            if questions is None:
                problems.at(path, "a variant's condition can read case facts only, not answers")
                continue
            found = questions.get(c.subject)
            if found is None:
                problems.at(path, f"condition names unknown question '{c.subject}'")
                continue
            item = found[1]
        entry = fact_kind(item["type"]) if c.kind == "fact" else answer_kind(item["answer"])
        what = f"{c.kind} '{c.subject}'"
        if c.op in ("at_least", "at_most"):
            if not entry.ordered:
                problems.at(
                    path,
                    f"'{c.op}' compares numbers and dates, but {what} is {entry.words}: "
                    "use equals or in",
                )
                continue
            values: tuple[object, ...] = (c.operand,)
        elif c.op in ("equals", "in"):
            values = c.operand if isinstance(c.operand, tuple) else (c.operand,)
        else:
            continue
        allowed = _allowed(c.kind, item)
        for v in values:
            nv = cond.normalise(v)
            if allowed is not None and str(nv) not in allowed:
                problems.at(
                    path,
                    f"'{nv}' is not a value of {what} (one of: {', '.join(sorted(allowed))})",
                )
            elif allowed is None and entry.ordered:
                try:
                    entry.parse(what, nv)
                except ValueError:
                    problems.at(
                        path,
                        f"{c.op} '{nv}': {what} is a {entry.name}, so the condition can never "
                        f"hold ({entry.hint})",
                    )


def _check_cycles(
    all_q: list[tuple[JsonPath, Mapping[str, Any]]],
    questions: Mapping[str, tuple[JsonPath, Mapping[str, Any]]],
    problems: _Problems,
) -> None:
    deps: dict[str, list[str]] = {}
    for _, q in all_q:
        if q["id"] in deps:  # a duplicate id, reported already: do not invent a cycle
            continue
        refs: set[str] = set()
        if "applies_when" in q:
            with contextlib.suppress(cond.ConditionSyntaxError, TypeError, KeyError):
                refs = set(cond.referenced_answers(cond.parse(q["applies_when"])))
        deps[q["id"]] = sorted(r for r in refs if r in questions)
    state: dict[str, int] = {}  # 1 on the path, 2 done
    reported: set[frozenset[str]] = set()
    for root in deps:
        if state.get(root):
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        path: list[str] = []
        while stack:
            qid, idx = stack.pop()
            if idx == 0:
                state[qid] = 1
                path.append(qid)
            if idx < len(deps[qid]):
                stack.append((qid, idx + 1))
                nxt = deps[qid][idx]
                if state.get(nxt) == 1:
                    cycle = [*path[path.index(nxt) :], nxt]
                    key = frozenset(cycle)
                    if key not in reported:
                        reported.add(key)
                        where = (*questions[nxt][0], "applies_when")
                        problems.at(where, "conditions form a cycle: " + " -> ".join(cycle))
                elif not state.get(nxt):
                    stack.append((nxt, 0))
            else:
                state[qid] = 2
                path.pop()


def _check_ratings(r: Mapping[str, Any], d: Mapping[str, Any], problems: _Problems) -> None:
    base: JsonPath = ("aggregation", "ratings")
    scale = r["scale"]
    for i in range(1, len(scale)):
        if Decimal(str(scale[i]["min_percent"])) >= Decimal(str(scale[i - 1]["min_percent"])):
            problems.at(
                (*base, "scale", i, "min_percent"),
                "rating thresholds out of order: each min_percent must be lower than the one "
                f"before ({scale[i]['min_percent']} follows {scale[i - 1]['min_percent']})",
            )
        if scale[i]["points"] > scale[i - 1]["points"]:
            problems.at((*base, "scale", i, "points"), "points must not rise as ratings fall")
    if scale and Decimal(str(scale[-1]["min_percent"])) != 0:
        problems.at(
            (*base, "scale", len(scale) - 1, "min_percent"),
            "the lowest rating must start at 0 so that every percentage has a rating",
        )
    bands = r.get("bands", [])
    for i in range(1, len(bands)):
        if bands[i]["min_score"] >= bands[i - 1]["min_score"]:
            problems.at(
                (*base, "bands", i, "min_score"),
                "score bands out of order: each min_score must be lower than the one before",
            )
    if bands and bands[-1]["min_score"] != 0:
        problems.at(
            (*base, "bands", len(bands) - 1, "min_score"), "the lowest band must start at 0"
        )
    keys = {s["key_question"]["id"] for s in d.get("sections", [])}
    for si, st in enumerate(r["standards"]):
        for ki, k in enumerate(st["key_questions"]):
            if k not in keys:
                problems.at(
                    (*base, "standards", si, "key_questions", ki),
                    f"standard '{st['id']}' names '{k}', which is not a key question",
                )


# -- building ----------------------------------------------------------------------------------


def content_hash(data: Any) -> str:
    """SHA-256 of a canonical JSON form: key order, whitespace and comments do not matter."""
    canonical = json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _options(items: Iterable[Mapping[str, Any]]) -> tuple[Option, ...]:
    return tuple(Option(str(o["value"]), str(o["label"])) for o in items)


def _question(q: Mapping[str, Any], section_id: str, is_key: bool) -> Question:
    atype = AnswerType(q["answer"])
    kind = answer_kind(atype)
    return Question(
        id=q["id"],
        text=q["text"].strip(),
        answer=atype,
        section_id=section_id,
        is_key=is_key,
        options=_options(q.get("options", [])),
        guidance=q.get("guidance", "").strip(),
        evidence=tuple(q.get("evidence", [])),
        counts=bool(q.get("counts", kind.countable)),
        applies_when=cond.parse(q["applies_when"]) if "applies_when" in q else None,
    )


def _build(d: Mapping[str, Any], source: str) -> QuestionSet:
    variant_ids = tuple(v["id"] for v in d["variants"])
    sections = tuple(
        Section(
            id=s["id"],
            title=s["title"],
            stage=s.get("stage", s["title"]),
            variants=tuple(s.get("variants", variant_ids)),
            key_question=_question(s["key_question"], s["id"], True),
            prompts=tuple(_question(p, s["id"], False) for p in s.get("prompts", [])),
        )
        for s in d["sections"]
    )
    ratings = None
    r = d.get("aggregation", {}).get("ratings")
    if r:
        ratings = Ratings(
            scale=tuple(
                RatingLevel(x["id"], x["label"], Decimal(str(x["min_percent"])), int(x["points"]))
                for x in r["scale"]
            ),
            standards=tuple(
                Standard(str(s["id"]), s["title"], tuple(s["key_questions"]))
                for s in r["standards"]
            ),
            bands=tuple(ScoreBand(int(b["min_score"]), b["label"]) for b in r.get("bands", [])),
        )
    return QuestionSet(
        id=d["id"],
        version=str(d["version"]),
        title=d["title"],
        framework_notes=d.get("framework_notes", "").strip(),
        facts=tuple(
            Fact(
                id=f["id"],
                label=f["label"],
                type=FactType(f["type"]),
                options=_options(f.get("options", [])),
                required=bool(f.get("required", True)),
                help=f.get("help", "").strip(),
            )
            for f in d["facts"]
        ),
        variants=tuple(
            Variant(
                v["id"],
                v["label"],
                v.get("description", "").strip(),
                cond.parse(v["when"]) if "when" in v else None,
            )
            for v in d["variants"]
        ),
        sections=sections,
        participant_groups=tuple(
            ParticipantGroup(g["id"], g["label"]) for g in d.get("participant_groups", [])
        ),
        non_case_questions=tuple(
            NonCaseQuestion(
                q["id"], q["theme"], q["text"].strip(), tuple(q["groups"]), q.get("guidance", "")
            )
            for q in d.get("non_case_questions", [])
        ),
        ratings=ratings,
        figure_rules=FigureRules(
            int(d.get("aggregation", {}).get("minimum_base", 0)),
            d.get("aggregation", {}).get("published_at", PUBLISHED_AT_PDU),
        ),
        content_hash=content_hash(d),
        source=source,
        domain_one=tuple(
            OrgQuestion(
                id=k["id"],
                title=k["title"],
                text=k["text"].strip(),
                prompts=tuple(OrgPrompt(p["id"], p["text"].strip()) for p in k.get("prompts", [])),
                guidance=k.get("guidance", "").strip(),
                non_case_questions=tuple(k.get("non_case_questions", [])),
            )
            for k in d.get("domain_one", [])
        ),
    )


# -- entry points ------------------------------------------------------------------------------


def parse_text(text: str | bytes, name: str = "<text>") -> QuestionSet:
    problems = _Problems(name)
    decoded = _decode(text, problems) if isinstance(text, bytes) else text
    return _finish(decoded, problems, name)


def load(path: str | os.PathLike[str]) -> QuestionSet:
    """Load and validate one file; raises QuestionSetError listing every problem."""
    p = Path(path)
    problems = _Problems(str(path))
    text = _read_text(p, problems)
    return _finish(text, problems, str(p))


@dataclass(frozen=True)
class Checked:
    """A valid question set and its warnings (FILE:LINE:COLUMN: warning: ...): variants no
    case can reach and questions that can never apply."""

    question_set: QuestionSet
    warnings: tuple[str, ...]


def check(path: str | os.PathLike[str]) -> Checked:
    """Load as `load` does (raising QuestionSetError for any problem), then look for what no
    case can reach (probdesk.domain.reach): slower, so `questionset validate` asks for it and
    opening a set does not."""
    from probdesk.domain.reach import unreachable

    p = Path(path)
    problems = _Problems(str(path))
    qs = _finish(_read_text(p, problems), problems, str(p))
    places: dict[tuple[str, str], JsonPath] = {
        ("variant", v.id): ("variants", i, "id") for i, v in enumerate(qs.variants)
    }
    for si, s in enumerate(qs.sections):
        places[("question", s.key_question.id)] = ("sections", si, "key_question", "id")
        for pi, q in enumerate(s.prompts):
            places[("question", q.id)] = ("sections", si, "prompts", pi, "id")
    found = _Problems(str(path), problems.positions, problems.key_positions)
    for u in unreachable(qs):
        found.at(places[(u.kind, u.id)], f"warning: {u.kind} '{u.id}': {u.why}")
    return Checked(qs, tuple(found.formatted()))


def _finish(text: str | None, problems: _Problems, name: str) -> QuestionSet:
    # Tens of thousands of small objects and no cycles: the collector only costs time here.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _validate_and_build(text, problems, name)
    finally:
        if enabled:
            gc.enable()


def _validate_and_build(text: str | None, problems: _Problems, name: str) -> QuestionSet:
    data = _compose(text, problems) if text is not None and not problems.items else None
    if data is not None and not isinstance(data, dict):
        problems.raw(1, 1, "the top level must be a mapping of fields (id, version, title, ...)")
    if problems.items or data is None:
        if not problems.items:
            problems.raw(0, 0, "file holds no question set")
        raise QuestionSetError(name, problems.formatted())
    _schema_problems(data, problems)
    if not problems.items:
        _semantic_problems(data, problems)
    if problems.items:
        raise QuestionSetError(name, problems.formatted())
    return _build(data, name)
