"""Conditions as a line of readable text, for spreadsheets: the same plain data the YAML holds.

    domestic_abuse in (yes, unknown) and answer C1.4 = yes
    not (mappa_level = level1)
    age >= 18
    answer C2.1 answered
    fact tier not answered

A comparison names a case fact (a bare id, or `fact ID`) or an answer (`answer ID`), then one
of `= VALUE`, `in (VALUE, VALUE, ...)`, `>= VALUE` (at_least), `<= VALUE` (at_most),
`answered` or `not answered`. `not` binds tightest, then `and`, then `or`; parentheses group.
A group in parentheses stays a group: `(a and b) and c` is an `all` inside an `all`, so that
every condition the YAML can hold has exactly one text. `all(X)` and `any(X)` write a list of
one condition (or several, separated by commas).

Values: a number (`18`, `2.5`) is a number; `true` and `false` are true/false; any other bare
word of letters, digits, `_`, `.` and `-` is text (so `yes` is the text "yes", and a date
2026-06-30 is its text). Text with spaces or other characters, or text that would read as a
number, true/false or a keyword, is written in double quotes ("a value", with \\" and \\\\
inside). Nothing here evaluates anything: `parse_condition` gives data, which the loader
checks as it checks the YAML.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_DEPTH = 64
KEYWORDS = frozenset(
    {"and", "or", "not", "in", "answered", "fact", "answer", "all", "any", "true", "false"}
)
_WORD = re.compile(r"-?[A-Za-z0-9_][A-Za-z0-9_.\-]*")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_SPACE = re.compile(r"\s+")
_OPS = {"=": "equals", ">=": "at_least", "<=": "at_most"}


class ConditionTextError(ValueError):
    """A condition text that cannot be read: `column` (1-based) and what is wrong there."""

    def __init__(self, column: int, message: str) -> None:
        super().__init__(f"column {column}: {message}")
        self.column = column
        self.message = message


# -- writing -----------------------------------------------------------------------------------


def format_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if not isinstance(value, str):
        raise ValueError(f"a condition value must be text, a number or true/false, not {value!r}")
    if _bare(value):
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _bare(text: str) -> bool:
    return (
        _WORD.fullmatch(text) is not None
        and _NUMBER.fullmatch(text) is None
        and text.lower() not in KEYWORDS
    )


def format_condition(data: Any) -> str:
    """The condition (plain data, as in the YAML) as one line of text."""
    return _fmt(data, top=True)


def _fmt(data: Any, top: bool) -> str:
    if not isinstance(data, Mapping):
        raise ValueError(f"a condition must be a mapping, not {data!r}")
    for key, word in (("all", "and"), ("any", "or")):
        if key in data:
            items = list(data[key])
            if len(items) == 1:
                return f"{key}({_fmt(items[0], top=True)})"
            text = f" {word} ".join(_operand(x) for x in items)
            return text if top else f"({text})"
    if "not" in data:  # always in parentheses: not (a = b) cannot be misread
        inner = _fmt(data["not"], top=True)
        return f"not {inner}" if inner.startswith(("all(", "any(")) else f"not ({inner})"
    if "fact" in data:
        subject = _subject(str(data["fact"]))
    elif "answer" in data:
        subject = f"answer {_subject(str(data['answer']))}"
    else:
        raise ValueError(f"not a condition: {dict(data)!r}")
    if "equals" in data:
        return f"{subject} = {format_value(data['equals'])}"
    if "in" in data:
        return f"{subject} in ({', '.join(format_value(v) for v in data['in'])})"
    if "at_least" in data:
        return f"{subject} >= {format_value(data['at_least'])}"
    if "at_most" in data:
        return f"{subject} <= {format_value(data['at_most'])}"
    if "answered" in data and isinstance(data["answered"], bool):
        return f"{subject} {'answered' if data['answered'] else 'not answered'}"
    raise ValueError(f"not a condition: {dict(data)!r}")


def _operand(data: Any) -> str:
    """A condition inside and/or/not: a list in parentheses, so that it stays one item."""
    return _fmt(data, top=False)


def _subject(ident: str) -> str:
    return ident if _bare(ident) else format_value(ident) if ident else '""'


# -- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str  # "word", "text" (quoted), "op" (= >= <=), "(", ")", ",", "end"
    value: str
    column: int

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.value.lower() in words


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        space = _SPACE.match(text, i)
        if space:
            i = space.end()
            continue
        col, ch = i + 1, text[i]
        if ch in "(),":
            out.append(_Token(ch, ch, col))
            i += 1
        elif text.startswith((">=", "<="), i):
            out.append(_Token("op", text[i : i + 2], col))
            i += 2
        elif text.startswith("==", i):
            out.append(_Token("op", "=", col))
            i += 2
        elif ch == "=":
            out.append(_Token("op", "=", col))
            i += 1
        elif ch in "\"'":
            value, i = _quoted(text, i)
            out.append(_Token("text", value, col))
        else:
            word = _WORD.match(text, i)
            if word is None:
                if ch in "<>!":
                    raise ConditionTextError(
                        col, f"'{ch}' is not an operator here: use =, >=, <=, in or answered"
                    )
                raise ConditionTextError(
                    col, f"unexpected '{ch}': put a value with spaces or punctuation in quotes"
                )
            out.append(_Token("word", word.group(), col))
            i = word.end()
    out.append(_Token("end", "", n + 1))
    return out


def _quoted(text: str, start: int) -> tuple[str, int]:
    quote, i, chars = text[start], start + 1, []
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            chars.append(text[i + 1])
            i += 2
            continue
        if ch == quote:
            return "".join(chars), i + 1
        chars.append(ch)
        i += 1
    raise ConditionTextError(start + 1, f"the text opened with {quote} here is never closed")


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.pos = 0

    @property
    def tok(self) -> _Token:
        return self.tokens[self.pos]

    def peek(self, ahead: int = 1) -> _Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def take(self) -> _Token:
        t = self.tok
        self.pos += 1
        return t

    def expect(self, kind: str, what: str) -> _Token:
        if self.tok.kind != kind:
            raise ConditionTextError(self.tok.column, f"expected {what}, found {_shown(self.tok)}")
        return self.take()

    def parse(self) -> dict[str, Any]:
        if self.tok.kind == "end":
            raise ConditionTextError(1, "the condition is empty")
        result = self.or_expr(0)
        if self.tok.kind != "end":
            t = self.tok
            hint = " (join conditions with and / or)" if t.kind in ("word", "text") else ""
            raise ConditionTextError(t.column, f"unexpected {_shown(t)}{hint}")
        return result

    def or_expr(self, depth: int) -> dict[str, Any]:
        return self.chain(depth, "or", "any", self.and_expr)

    def and_expr(self, depth: int) -> dict[str, Any]:
        return self.chain(depth, "and", "all", self.not_expr)

    def chain(self, depth: int, word: str, key: str, inner: Any) -> dict[str, Any]:
        items = [inner(depth)]
        while self.tok.is_word(word):
            self.take()
            if self.tok.kind in ("end", ")", ","):
                raise ConditionTextError(self.tok.column, f"a condition is missing after '{word}'")
            items.append(inner(depth))
        return items[0] if len(items) == 1 else {key: items}

    def not_expr(self, depth: int) -> dict[str, Any]:
        if depth > MAX_DEPTH:
            raise ConditionTextError(self.tok.column, f"nested more than {MAX_DEPTH} levels deep")
        if self.tok.is_word("not") and not self._is_subject_named_not():
            self.take()
            if self.tok.kind in ("end", ")", ","):
                raise ConditionTextError(self.tok.column, "a condition is missing after 'not'")
            return {"not": self.not_expr(depth + 1)}
        return self.primary(depth)

    def _is_subject_named_not(self) -> bool:
        """`not = x`, `not in (...)`, `not answered`: a fact whose id is "not"."""
        return self._operator_follows(1)

    def _operator_follows(self, ahead: int) -> bool:
        """Whether the tokens from `ahead` on are a comparison operator, not a subject."""
        nxt, after = self.peek(ahead), self.peek(ahead + 1)
        if nxt.kind == "op":
            return True
        if nxt.is_word("in"):
            return after.kind == "("
        if nxt.is_word("answered"):
            return after.kind in ("end", ")", ",") or after.is_word("and", "or")
        if nxt.is_word("not"):
            return self.peek(ahead + 1).is_word("answered") and self._operator_follows(ahead + 1)
        return False

    def primary(self, depth: int) -> dict[str, Any]:
        t = self.tok
        if t.kind == "(":
            self.take()
            inside = self.or_expr(depth + 1)
            self.expect(")", "')' to close the '(' at column " + str(t.column))
            return inside
        if t.is_word("all", "any") and self.peek().kind == "(":
            self.take()
            opened = self.take()
            items = [self.or_expr(depth + 1)]
            while self.tok.kind == ",":
                self.take()
                items.append(self.or_expr(depth + 1))
            self.expect(")", f"')' to close the '(' at column {opened.column}")
            return {t.value.lower(): items}
        return self.leaf()

    def leaf(self) -> dict[str, Any]:
        t = self.tok
        kind = "fact"
        if (
            t.is_word("fact", "answer")
            and self.peek().kind in ("word", "text")
            and not self._operator_follows(1)
        ):
            kind = t.value.lower()
            self.take()
        subject = self.take()
        bad = subject.kind not in ("word", "text") or subject.is_word("and", "or")
        if bad or not subject.value:
            if subject.kind == "end":
                raise ConditionTextError(subject.column, "a condition is missing here")
            raise ConditionTextError(
                subject.column, f"expected a fact or 'answer QUESTION', found {_shown(subject)}"
            )
        op = self.tok
        out: dict[str, Any] = {kind: subject.value}
        if op.kind == "op":
            self.take()
            out[_OPS[op.value]] = self.value(f"a value after '{op.value}'")
        elif op.is_word("in"):
            self.take()
            opened = self.expect("(", "'(' and the values after 'in', as in (yes, unknown)")
            values = [self.value("a value")]
            while self.tok.kind == ",":
                self.take()
                values.append(self.value("a value after ','"))
            self.expect(")", f"')' to close the list opened at column {opened.column}")
            out["in"] = values
        elif op.is_word("answered"):
            self.take()
            out["answered"] = True
        elif op.is_word("not") and self.peek().is_word("answered"):
            self.take()
            self.take()
            out["answered"] = False
        else:
            raise ConditionTextError(
                op.column,
                f"expected =, >=, <=, in (...), answered or not answered after "
                f"'{subject.value}', found {_shown(op)}",
            )
        return out

    def value(self, what: str) -> Any:
        t = self.tok
        if t.kind == "text":
            self.take()
            return t.value
        if t.kind != "word":
            raise ConditionTextError(t.column, f"expected {what}, found {_shown(t)}")
        self.take()
        if _NUMBER.fullmatch(t.value):
            return float(t.value) if "." in t.value else int(t.value)
        if t.value.lower() in ("true", "false"):
            return t.value.lower() == "true"
        if t.value.lower() in ("and", "or"):
            raise ConditionTextError(t.column, f"expected {what}, found '{t.value}'")
        return t.value


def _shown(t: _Token) -> str:
    if t.kind == "end":
        return "the end of the condition"
    return f'"{t.value}"' if t.kind == "text" else f"'{t.value}'"


def parse_condition(text: str) -> dict[str, Any]:
    """The plain data (as the YAML holds it) of a condition text; ConditionTextError says
    which column is wrong and why."""
    return _Parser(text).parse()
