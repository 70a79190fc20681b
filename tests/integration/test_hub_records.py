"""The hub hands out plain records: no SQLAlchemy type leaves probdesk.store and probdesk.hub,
and nothing above them reads a hub row by its column name (issue #14, item 2).

Checked on the code itself: the annotations of the Hub's public methods, the records they
return, what the layers above import, and how they use what the hub's readers give them; and
for the laptop's database, that nothing above the store reads a unit of work's session and
that its repositories' public methods take and give no SQLAlchemy type.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import re
import types
import typing
from pathlib import Path

import pytest

import probdesk
from probdesk.hub import rows
from probdesk.hub.store import Hub, Writing

PACKAGE = Path(probdesk.__file__).resolve().parent
ABOVE = ("services", "ui", "reports", "cli", "cli.py", "cli_evidence.py", "cli_fieldwork.py",
         "cli_retention.py", "__main__.py")  # fmt: skip
# The Hub's readers: what they return is a hub record, or a list, dict or pair of them.
READERS = {
    "inspection", "cases_of", "events_of", "events_of_case", "meetings_of", "org_events_of",
    "attachment", "moderation_of", "moderation_history", "package", "held", "assignments",
    "purge_record", "purge_records", "key_states",
}  # fmt: skip


def sources_above() -> list[Path]:
    """Every module of services, ui, reports and the command line (as a package or modules)."""
    found: list[Path] = []
    for name in ABOVE:
        path = PACKAGE / name
        if path.is_dir():
            found.extend(sorted(path.rglob("*.py")))
        elif path.is_file():
            found.append(path)
    return found


def leaves(hint: object) -> list[object]:
    """The classes a type hint is made of (list[dict[str, CaseRow]] -> list, dict, str, ...)."""
    out: list[object] = []
    stack = [hint]
    while stack:
        h = stack.pop()
        origin = typing.get_origin(h)
        if origin is not None:
            out.append(origin)
            stack.extend(typing.get_args(h))
        elif isinstance(h, types.UnionType):
            stack.extend(typing.get_args(h))
        else:
            out.append(h)
    return out


def from_sqlalchemy(hint: object) -> list[object]:
    return [c for c in leaves(hint) if getattr(c, "__module__", "").startswith("sqlalchemy")]


def public_methods() -> list[tuple[str, typing.Any]]:
    out = []
    for name, member in inspect.getmembers(Hub):
        if name.startswith("_"):
            continue
        if isinstance(member, property):
            member = member.fget
        if callable(member):
            out.append((name, member))
    return out


def test_no_public_hub_method_takes_or_gives_a_sqlalchemy_type() -> None:
    leaks = {
        f"Hub.{name} ({what})": found
        for name, method in public_methods()
        for what, hint in typing.get_type_hints(method).items()
        if (found := from_sqlalchemy(hint))
    }
    assert leaks == {}


def _any_returned(what: str, hint: object) -> list[object]:
    """A return hint with Any in it: a model row would leave the store unseen."""
    return [typing.Any] if what == "return" and typing.Any in leaves(hint) else []
    hub = Hub("sqlite://")
    try:
        shown = {k: type(v) for k, v in vars(hub).items() if not k.startswith("_")}
    finally:
        hub.close()
    assert {k: t for k, t in shown.items() if t.__module__.startswith("sqlalchemy")} == {}


def test_a_write_transaction_is_handed_out_as_a_handle_not_a_connection() -> None:
    hub = Hub("sqlite://")
    try:
        with hub.transaction() as tx:
            assert type(tx) is Writing
            assert [a for a in dir(tx) if not a.startswith("_")] == []
    finally:
        hub.close()


@pytest.mark.parametrize("name", sorted(READERS))
def test_each_reader_returns_frozen_records(name: str) -> None:
    hint = typing.get_type_hints(getattr(Hub, name))["return"]
    records = [c for c in leaves(hint) if isinstance(c, type) and c.__module__ == rows.__name__]
    assert records, f"Hub.{name} returns no hub record: {hint}"
    plain = {list, dict, tuple, set, str, type(None), types.UnionType, typing.Union}
    assert all(c in plain or c in records for c in leaves(hint)), hint


def test_every_hub_record_is_a_frozen_dataclass_without_subscripts() -> None:
    records = [c for c in vars(rows).values()
               if isinstance(c, type) and c.__module__ == rows.__name__]  # fmt: skip
    assert len(records) >= 10
    for cls in records:
        assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen, cls  # type: ignore[attr-defined]
        assert not hasattr(cls, "__getitem__"), cls  # row["column"] fails where it is written


@pytest.mark.parametrize("path", sources_above(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_nothing_above_the_stores_imports_sqlalchemy(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = [node.lineno for node in ast.walk(tree) if _imports_sqlalchemy(node)]
    assert found == [], f"{path.name} imports sqlalchemy on lines {found}"


def _imports_sqlalchemy(node: ast.AST) -> bool:
    if isinstance(node, ast.Import):
        return any(a.name.split(".")[0] == "sqlalchemy" for a in node.names)
    return isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy"


class _RowReads:
    """Subscripts by a string (`row["column"]`) on what a Hub reader returned, within one
    function: bound by assignment, loop, comprehension or walrus, and followed through
    .get/.items/.values, indexing, sorted/list/next/max/min and comprehensions."""

    WRAPPERS: typing.ClassVar = {"sorted", "list", "tuple", "set", "next", "max", "min", "iter"}

    def __init__(self) -> None:
        self.names: set[str] = set()
        self.found: list[int] = []

    def from_hub(self, e: ast.AST | None) -> bool:
        match e:
            case ast.Call(func=ast.Attribute(attr=attr, value=value)):
                return attr in READERS or (
                    attr in ("get", "items", "values", "copy") and self.from_hub(value)
                )
            case ast.Call(func=ast.Name(id=fn), args=args):
                return fn in self.WRAPPERS and any(self.from_hub(a) for a in args)
            case ast.Name(id=name):
                return name in self.names
            case ast.Subscript(value=value, slice=key):
                return not _is_text(key) and self.from_hub(value)
            case ast.ListComp() | ast.GeneratorExp() | ast.SetComp() | ast.DictComp():
                return any(self.from_hub(g.iter) for g in e.generators)
            case ast.NamedExpr(value=value):
                return self.from_hub(value)
            case ast.IfExp(body=body, orelse=orelse):
                return self.from_hub(body) or self.from_hub(orelse)
        return False

    def bind(self, target: ast.AST) -> None:
        for node in ast.walk(target):
            if isinstance(node, ast.Name):
                self.names.add(node.id)

    def scan(self, body: ast.AST) -> None:
        for _ in range(3):  # bindings feed each other: read again until none is new
            before = set(self.names)
            for node in ast.walk(body):
                for target, value in _bindings(node):
                    if self.from_hub(value):
                        self.bind(target)
            if self.names == before:
                break
        for node in ast.walk(body):
            if (
                isinstance(node, ast.Subscript)
                and _is_text(node.slice)
                and self.from_hub(node.value)
            ):
                self.found.append(node.lineno)


def _bindings(node: ast.AST) -> list[tuple[ast.AST, ast.AST | None]]:
    """(target, value) of what `node` binds: x = v, x: T = v, (x := v), for x in v."""
    if isinstance(node, ast.Assign):
        return [(t, node.value) for t in node.targets]
    if isinstance(node, ast.AnnAssign | ast.NamedExpr):
        return [(node.target, node.value)]
    if isinstance(node, ast.For | ast.comprehension):
        return [(node.target, node.iter)]
    return []


def _is_text(e: ast.AST) -> bool:
    return isinstance(e, ast.Constant) and isinstance(e.value, str)


def row_reads(source: str) -> list[int]:
    """Lines that read a hub row by column name, function by function."""
    tree = ast.parse(source)
    found: list[int] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            v = _RowReads()
            v.scan(node)
            found.extend(v.found)
    return sorted(set(found))


def test_the_row_read_check_finds_what_it_looks_for() -> None:
    source = """
def f(hub, i):
    insp = hub.inspection(i)
    a = insp["qs_hash"]
    b = [c["reference"] for c in hub.cases_of(i)]
    for cid, d in hub.moderation_of(i).items():
        d["action"]
    ms, notes = hub.meetings_of(i)
    by_id = {m["id"]: m for m in ms}
    e = hub.events_of(i)
    kept = [x for x in e if x.id]
    kept[0]["hlc"]
    if (r := hub.inspection(i)) is not None:
        r["kind"]
    p = {"cases": []}
    return p["cases"], insp.region
"""
    assert row_reads(source) == [4, 5, 7, 9, 12, 14]


@pytest.mark.parametrize("path", sources_above(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_hub_row_is_read_by_column_name(path: Path) -> None:
    assert row_reads(path.read_text(encoding="utf-8")) == [], path.name


# -- who opens the hub (issue #14, item 1) -----------------------------------------------------

OPENERS = {"open_hub", "open_hub_asking", "Hub", "HubAccess"}
# The window's composition root, with its part that opens the hub the setting names (File >
# Hub...); the commands' one.
ROOTS = {"ui/app.py", "ui/window/hub_choice.py", "cli/bootstrap.py"}
OWNERS = {"self", "session"}  # `session.open_hub(url)`: the command's bootstrap opens it


def hub_openings(source: str) -> list[int]:
    """Lines that call open_hub, Hub or HubAccess, by name or from a module (`hubs.open_hub`),
    not through the bootstrap's session."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and _opens(node.func)
    ]


def _opens(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in OPENERS
    return (
        isinstance(func, ast.Attribute)
        and func.attr in OPENERS
        and not (isinstance(func.value, ast.Name) and func.value.id in OWNERS)
    )


@pytest.mark.parametrize(
    "path",
    [p for p in sources_above() if p.relative_to(PACKAGE).parts[0] in ("ui", "cli")],
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_only_the_composition_roots_open_a_hub(path: Path) -> None:
    """No tab opens a hub or lends its own to another: the window's data-opening code makes
    the one the tabs share, and the command line opens its hub in one place."""
    name = path.relative_to(PACKAGE).as_posix()
    source = path.read_text(encoding="utf-8")
    found = hub_openings(source)
    if name in ROOTS:
        assert found, f"{name} is where the hub is opened"
    else:
        assert found == [], f"{name} opens a hub on lines {found}"
    assert not re.search(r"\w+_panel\.(hub|open_hub|hub_exists)\b", source), name


# -- the laptop's unit of work (issue #14, item 2) ---------------------------------------------

# A unit of work's SQLAlchemy session: `uow.session`, and each repository's `s`.
SESSIONS = {"session", "s"}


def uow_session_reads(source: str) -> list[int]:
    """Lines that reach the SQLAlchemy session of a laptop unit of work, function by function:
    `uow.session` or `uow.<repository>.s`, where uow is bound by `with ....unit_of_work() as
    uow`, is a parameter annotated UnitOfWork (or named uow), or is the call itself."""
    found: list[int] = []
    for func in ast.walk(ast.parse(source)):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        names = {
            a.arg
            for a in func.args.posonlyargs + func.args.args + func.args.kwonlyargs
            if a.arg == "uow" or "UnitOfWork" in ast.unparse(a.annotation or ast.Constant(""))
        }
        for node in ast.walk(func):
            if isinstance(node, ast.With | ast.AsyncWith):
                for item in node.items:
                    if _opens_uow(item.context_expr) and isinstance(item.optional_vars, ast.Name):
                        names.add(item.optional_vars.id)
        for node in ast.walk(func):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in SESSIONS
                and _reaches_uow(node.value, names)
            ):
                found.append(node.lineno)
    return sorted(set(found))


def _opens_uow(e: ast.expr) -> bool:
    func = e.func if isinstance(e, ast.Call) else None
    return (isinstance(func, ast.Attribute) and func.attr == "unit_of_work") or (
        isinstance(func, ast.Name) and func.id == "unit_of_work"
    )


def _reaches_uow(e: ast.expr, names: set[str]) -> bool:
    """Whether `e` is a unit of work or one of its repositories (uow, uow.cases)."""
    if isinstance(e, ast.Attribute):
        e = e.value
    return (isinstance(e, ast.Name) and e.id in names) or _opens_uow(e)


def test_the_session_read_check_finds_what_it_looks_for() -> None:
    source = """
def f(self, i):
    with self.store.unit_of_work(read_only=True) as uow:
        a = chains.signed_head(uow.session, i)
        b = uow.cases.s.scalar(q)
        c = uow.chains.signed_head(i)
    with self.ws.store.unit_of_work() as work, open(p) as fh:
        work.session.flush()
        fh.session
    return self.store.unit_of_work().session, self.session, session.open_hub(u)

def g(uow, x):
    return uow.session

def h(self, work: UnitOfWork | None = None):
    return work.answers.s, self.s
"""
    assert uow_session_reads(source) == [4, 5, 8, 10, 13, 16]


@pytest.mark.parametrize("path", sources_above(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_nothing_above_the_stores_reads_a_unit_of_works_session(path: Path) -> None:
    """What the services need of the laptop's database is a repository method, giving frozen
    records or plain values (probdesk.store); its session stays in the store."""
    found = uow_session_reads(path.read_text(encoding="utf-8"))
    assert found == [], f"{path.name} reads a unit of work's session on lines {found}"


def test_no_public_repository_method_takes_or_gives_a_sqlalchemy_type() -> None:
    from sqlalchemy.orm import Session

    from probdesk.store.repositories import UnitOfWork

    shown = {k: v for k, v in vars(UnitOfWork(Session())).items() if not k.startswith("_")}
    # The session itself is the store's (its own code and the tests use it); the check above
    # keeps it out of the layers above.
    assert type(shown.pop("session")) is Session
    assert len(shown) >= 10
    leaks = {
        f"uow.{attr}.{name} ({what})": found
        for attr, repository in shown.items()
        for name, method in inspect.getmembers(type(repository), callable)
        if not name.startswith("_")
        for what, hint in typing.get_type_hints(method).items()
        if (found := from_sqlalchemy(hint) or _any_returned(what, hint))
    }
    assert leaks == {}


def _any_returned(what: str, hint: object) -> list[object]:
    """A return hint with Any in it: a model row would leave the store unseen."""
    return [typing.Any] if what == "return" and typing.Any in leaves(hint) else []
