"""Layering rules, checked on the source: which package may import what."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import probdesk

PACKAGE = Path(probdesk.__file__).resolve().parent
ROOT = PACKAGE.parent

DOMAIN_THIRD_PARTY = {"yaml", "jsonschema", "fastjsonschema"}
DOMAIN_PROBDESK = ("probdesk.domain", "probdesk.errors", "probdesk.bundled")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(source: str, module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, absolute module name) for every import, including ones inside functions.

    `from a import b` yields `a.b`: b may be a module, and a rule on `a` covers `a.b`.
    `importlib.import_module` and `__import__` with a literal name count too.
    """
    tree = ast.parse(source)
    package = module if is_package else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, a.name) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join([*base_parts, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            found.extend(
                (node.lineno, base if a.name == "*" else f"{base}.{a.name}") for a in node.names
            )
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if (
                name in ("import_module", "__import__")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.append((node.lineno, node.args[0].value))
    return found


def _top(name: str) -> str:
    return name.split(".")[0]


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def violations(module: str, imports: list[tuple[int, str]]) -> list[str]:
    out = []
    in_ui = _within(module, ("probdesk.ui",))
    in_store = _within(module, ("probdesk.store", "probdesk.hub"))
    in_domain = _within(module, ("probdesk.domain",))
    for line, name in imports:
        top = _top(name)
        if top in ("PySide6", "shiboken6") and not in_ui:
            out.append(f"{module}:{line}: imports {name}; only probdesk.ui may use Qt")
        if top in ("sqlalchemy", "alembic") and not in_store:
            out.append(f"{module}:{line}: imports {name}; only probdesk.store and probdesk.hub may")
        if in_domain:
            if top == "probdesk":
                if not _within(name, DOMAIN_PROBDESK):
                    out.append(f"{module}:{line}: the domain imports {name}")
            elif top not in sys.stdlib_module_names and top not in DOMAIN_THIRD_PARTY:
                out.append(f"{module}:{line}: the domain imports {name} (not stdlib)")
    return out


def all_modules() -> list[tuple[str, Path]]:
    return [(module_name(p), p) for p in sorted(PACKAGE.rglob("*.py"))]


def test_the_walk_sees_the_whole_package() -> None:
    names = {m for m, _ in all_modules()}
    assert {"probdesk.cli", "probdesk.domain.loader", "probdesk.ui.app"} <= names
    # ... and finds real imports, so that an empty result below means something.
    ui_app = PACKAGE / "ui" / "app.py"
    found = {n for _, n in imported_modules(ui_app.read_text("utf-8"), "probdesk.ui.app", False)}
    assert any(n.startswith("PySide6.QtWidgets") for n in found)


def test_no_package_breaks_the_layering() -> None:
    problems = []
    for module, path in all_modules():
        source = path.read_text(encoding="utf-8")
        imports = imported_modules(source, module, path.name == "__init__.py")
        problems.extend(violations(module, imports))
    assert problems == []


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        ("probdesk.services.x", "from PySide6.QtCore import QObject\n", "only probdesk.ui"),
        ("probdesk.cli", "def f():\n    import PySide6\n", "only probdesk.ui"),
        ("probdesk.reports.pdf", "import sqlalchemy.orm\n", "only probdesk.store"),
        ("probdesk.services.y", "import alembic\n", "only probdesk.store"),
        ("probdesk.domain.x", "import requests\n", "not stdlib"),
        ("probdesk.domain.x", "from probdesk.services import questionsets\n", "domain imports"),
        ("probdesk.domain.x", "from ..paths import Paths\n", "domain imports probdesk.paths"),
        ("probdesk.domain.x", "import importlib\nimportlib.import_module('PySide6')\n", "Qt"),
    ],
)
def test_the_checker_catches_violations(module: str, source: str, expected: str) -> None:
    found = violations(module, imported_modules(source, module, False))
    assert found
    assert expected in found[0]


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("probdesk.ui.x", "from PySide6.QtWidgets import QWidget\n"),
        ("probdesk.store.db", "import sqlalchemy\nimport alembic.command\n"),
        ("probdesk.hub.server", "from sqlalchemy import select\n"),
        ("probdesk.domain.x", "import json, decimal\nimport yaml\nimport jsonschema\n"),
        ("probdesk.domain.x", "from probdesk.errors import QuestionSetError\n"),
        ("probdesk.domain.x", "from . import conditions\nfrom probdesk import bundled\n"),
    ],
)
def test_the_checker_allows_what_is_allowed(module: str, source: str) -> None:
    assert violations(module, imported_modules(source, module, False)) == []


def test_headless_entry_points_do_not_load_qt() -> None:
    code = (
        "import json, sys\n"
        "import probdesk.domain.loader, probdesk.services.questionsets, probdesk.cli\n"
        "print(json.dumps(sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('PySide6', 'shiboken6'))))\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
