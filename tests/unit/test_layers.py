"""Layering rules, checked on the source: which module may import which, and which library.

The rule, from the top (docs/development.md says the same):

    rank 4   ui, cli                      (peers: the command line may start the window only
                                           through probdesk.ui.app)
    rank 3   services
    rank 2   store, hub, packages, reports  (peers: none imports another)
    rank 1   domain                       (pure: of the base only errors, progress, bundled)
    rank 0   the base: _version, probdesk, errors, progress, fs, bundled, passphrases, paths,
             logsetup (in this order: each may use only the ones before it)

A module may import its own package and anything of a lower rank; never a higher rank, never a
peer. Inside ui, a tab (a package `ui/<name>/`) imports only itself and the shared ui modules
(the kit, `ui/kit/`); the kit imports no tab; the wiring (app.py, main_window.py and the
window's parts and dialogs in `ui/window/`) puts the tabs together. The command line is `cli/` and
`__main__.py`.

Every import counts: at module level, inside a function, under `if TYPE_CHECKING:`, relative,
and `importlib.import_module` / `__import__` with a literal name.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import probdesk

PACKAGE = Path(probdesk.__file__).resolve().parent
ROOT = PACKAGE.parent

TOP, SERVICES, MIDDLE, DOMAIN, BASE = 4, 3, 2, 1, 0
RANK_NAMES = {TOP: "ui, cli", SERVICES: "services", MIDDLE: "store, hub, packages, reports",
              DOMAIN: "domain", BASE: "the base modules"}  # fmt: skip
LAYERS = {
    "ui": TOP,
    "cli": TOP,
    "services": SERVICES,
    "store": MIDDLE,
    "hub": MIDDLE,
    "packages": MIDDLE,
    "reports": MIDDLE,
    "domain": DOMAIN,
}
# The shared base at the top of the package, lowest first: each may import only those before it.
BASE_ORDER = (
    "probdesk._version",
    "probdesk",  # the package's __init__: re-exports __version__
    "probdesk.errors",
    "probdesk.progress",
    "probdesk.fs",
    "probdesk.bundled",
    "probdesk.passphrases",
    "probdesk.paths",
    "probdesk.logsetup",
)
ROOT_NAMES = {"__version__"}  # `from probdesk import __version__` reaches the package itself
# The pure base the domain may use; fs, paths, logsetup and passphrases touch the machine.
DOMAIN_BASE = ("probdesk._version", "probdesk", "probdesk.errors", "probdesk.progress",
               "probdesk.bundled")  # fmt: skip

# ui: the wiring puts the tabs together; a tab is a package `ui/<name>/` (TAB_PACKAGES, as in
# /work/shared/design/TARGET-LAYOUT.md, or any folder there but the kit's and the wiring's);
# every other ui module (crash.py) is kit every tab may use.
UI_WIRING = {"app", "main_window", "window"}
TAB_PACKAGES = {"cases", "meetings", "question_sets", "evidence", "sync", "team_lead", "hub",
                "reports"}  # fmt: skip
KIT_PACKAGES = {"kit"}
CLI_MAY_IMPORT_FROM_UI = ("probdesk.ui.app",)  # run_gui, selfcheck_window: the window's doors

# Outside libraries: where each may be imported ("*": anywhere). Any other library is refused
# until it has a row here; the standard library is free, except sqlite3.
LIBRARIES: dict[str, tuple[str, ...]] = {
    "PySide6": ("probdesk.ui",),
    "shiboken6": ("probdesk.ui",),
    "sqlalchemy": ("probdesk.store", "probdesk.hub"),
    "alembic": ("probdesk.store", "probdesk.hub"),
    "sqlcipher3": ("probdesk.store", "probdesk.hub"),
    "sqlite3": (),  # SQLCipher's dbapi (probdesk.store.cipher) is the only SQLite
    "keyring": ("probdesk.store",),
    "cryptography": ("probdesk.packages", "probdesk.store", "probdesk.hub", "probdesk.services"),
    "reportlab": ("probdesk.reports",),
    "openpyxl": ("probdesk.services",),
    "xlsxwriter": ("probdesk.services",),
    "platformdirs": ("probdesk.paths",),
    "zxcvbn": ("probdesk.passphrases",),
    "yaml": ("*",),
    "jsonschema": ("*",),
    "fastjsonschema": ("*",),
}

# Real imports the rule refuses that stay for now, each with its reason. An entry no import
# needs any more fails test_every_exemption_is_still_needed, so the list only shrinks.
# (importer, or a package of importers; imported module) -> reason.
EXEMPT: dict[tuple[str, str], str] = {
    ("probdesk.hub", "probdesk.store.cipher"): (
        "the hub's SQLite file is a SQLCipher file opened and encrypted the way the laptop's "
        "is; cipher belongs to a storage module both databases share (storage/ in "
        "TARGET-LAYOUT.md), moved when hub/store.py is reworked"
    ),
}


@dataclass(frozen=True)
class Place:
    layer: str  # a LAYERS key or "base"
    rank: int
    unit: str = ""  # ui: "tab:<name>", "kit" or "wiring"; base: its BASE_ORDER entry


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _ui_unit(parts: list[str]) -> str:
    if len(parts) < 3:
        return "kit"  # probdesk.ui itself
    name = parts[2]
    if name in UI_WIRING:
        return "wiring"
    if name in KIT_PACKAGES:
        return "kit"
    if name in TAB_PACKAGES or (PACKAGE / "ui" / name).is_dir():
        return "tab:" + name
    return "kit"


def place(name: str) -> Place | None:
    """Where a probdesk module (or a name imported from one) belongs; None: nowhere yet."""
    parts = name.split(".")
    if parts[0] != "probdesk":
        return None
    if len(parts) == 1 or parts[1] in ROOT_NAMES:
        return Place("base", BASE, "probdesk")
    top = parts[1]
    if top in ("cli", "__main__"):
        return Place("cli", TOP)
    if top == "ui":
        return Place("ui", TOP, _ui_unit(parts))
    if top in LAYERS:
        return Place(top, LAYERS[top])
    for entry in BASE_ORDER:
        if entry != "probdesk" and _within(name, entry):
            return Place("base", BASE, entry)
    return None


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(source: str, module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, absolute module name) for every import, including ones inside functions and
    under TYPE_CHECKING.

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


def _library_problem(module: str, name: str) -> str | None:
    top = name.split(".")[0]
    if top in LIBRARIES:
        allowed = LIBRARIES[top]
        if "*" in allowed or any(_within(module, p) for p in allowed):
            return None
        if not allowed:
            return f"library rule: {top} may be imported nowhere in probdesk"
        return f"library rule: {top} may be imported only in {', '.join(allowed)}"
    if top in sys.stdlib_module_names or top == "__future__":
        return None
    return f"library rule: {top} is in no row of the library table (tests/unit/test_layers.py)"


def _ui_problem(importer: Place, imported: Place) -> str | None:
    if importer.unit == "wiring" or imported.unit == importer.unit:
        return None
    if imported.unit == "wiring":
        return f"ui rule: only app and main_window wire the window; {importer.unit} may not"
    if imported.unit.startswith("tab:"):
        if importer.unit == "kit":
            return f"ui rule: the shared ui modules (the kit) import no tab ({imported.unit})"
        return f"ui rule: no tab imports another tab's module ({importer.unit} -> {imported.unit})"
    return None  # a tab or the kit using the kit


def _rank_problem(module: str, importer: Place, name: str, imported: Place) -> str | None:
    if importer.layer == imported.layer:
        if importer.layer == "ui":
            return _ui_problem(importer, imported)
        if importer.layer == "base":
            if BASE_ORDER.index(imported.unit) < BASE_ORDER.index(importer.unit):
                return None
            return (
                f"base rule: {importer.unit} may import only the base modules before it "
                f"({', '.join(BASE_ORDER[: BASE_ORDER.index(importer.unit)]) or 'none'})"
            )
        return None
    if importer.layer == "cli" and imported.layer == "ui":
        if any(_within(name, p) for p in CLI_MAY_IMPORT_FROM_UI):
            return None
        return (
            "cli rule: the command line starts the window only through "
            f"{', '.join(CLI_MAY_IMPORT_FROM_UI)}, never the ui's internals"
        )
    if importer.layer == "domain" and imported.layer == "base":
        if imported.unit in DOMAIN_BASE:
            return None
        return f"domain rule: the domain is pure; of the base it uses only {', '.join(DOMAIN_BASE)}"
    if imported.rank < importer.rank:
        return None
    if imported.rank == importer.rank:
        return (
            f"rank rule (sideways): {importer.layer} and {imported.layer} are peers "
            f"(rank {importer.rank}: {RANK_NAMES[importer.rank]}); neither imports the other"
        )
    return (
        f"rank rule (upward): {importer.layer} (rank {importer.rank}) may import only lower "
        f"ranks, not {imported.layer} (rank {imported.rank})"
    )


def _exempt(module: str, name: str) -> bool:
    return any(_within(module, a) and _within(name, b) for a, b in EXEMPT)


def violations(module: str, imports: list[tuple[int, str]], *, exempt: bool = True) -> list[str]:
    """One line per import the rule refuses: `importer:line: imports NAME: the rule`."""
    out = []
    importer = place(module)
    if importer is None:
        return [f"{module}: is in no layer: add it to the rank table in tests/unit/test_layers.py"]
    for line, name in imports:
        if name.split(".")[0] != "probdesk":
            problem = _library_problem(module, name)
        else:
            imported = place(name)
            if imported is None:
                problem = "is in no layer: add it to the rank table in tests/unit/test_layers.py"
            else:
                problem = _rank_problem(module, importer, name, imported)
            if problem and exempt and _exempt(module, name):
                problem = None
        if problem:
            out.append(f"{module}:{line}: imports {name}: {problem}")
    return out


def all_modules() -> list[tuple[str, Path]]:
    return [(module_name(p), p) for p in sorted(PACKAGE.rglob("*.py"))]


def real_imports() -> list[tuple[str, list[tuple[int, str]]]]:
    out = []
    for module, path in all_modules():
        source = path.read_text(encoding="utf-8")
        out.append((module, imported_modules(source, module, path.name == "__init__.py")))
    return out


def test_the_walk_sees_the_whole_package() -> None:
    names = {m for m, _ in all_modules()}
    assert {"probdesk.cli", "probdesk.domain.loader", "probdesk.ui.app"} <= names
    # ... and finds real imports, so that an empty result below means something.
    ui_app = PACKAGE / "ui" / "app.py"
    found = {n for _, n in imported_modules(ui_app.read_text("utf-8"), "probdesk.ui.app", False)}
    assert any(n.startswith("PySide6.QtWidgets") for n in found)


def test_every_module_has_a_place() -> None:
    assert [m for m, _ in all_modules() if place(m) is None] == []


def test_no_module_breaks_the_layering() -> None:
    problems = []
    for module, imports in real_imports():
        problems.extend(violations(module, imports))
    assert problems == []


def test_every_exemption_is_still_needed() -> None:
    used = set()
    for module, imports in real_imports():
        for line, name in imports:
            if violations(module, [(line, name)], exempt=False):
                used.update((a, b) for a, b in EXEMPT if _within(module, a) and _within(name, b))
    assert sorted(set(EXEMPT) - used) == []


REFUSED = [
    # The ten probes of #14: upward, sideways, libraries, tabs, the command line.
    ("probdesk.store.snapshots", "from probdesk.ui.main_window import MainWindow\n",
     "probdesk.ui.main_window.MainWindow", "rank rule (upward)"),
    ("probdesk.domain.records", "import probdesk.store\n", "probdesk.store", "rank rule (upward)"),
    ("probdesk.domain.records", "from sqlalchemy import select\n", "sqlalchemy.select",
     "sqlalchemy may be imported only in probdesk.store, probdesk.hub"),
    ("probdesk.services.workspace", "from PySide6.QtCore import QObject\n",
     "PySide6.QtCore.QObject", "PySide6 may be imported only in probdesk.ui"),
    ("probdesk.reports.summary", "from probdesk.services.hub import SummaryRow\n",
     "probdesk.services.hub.SummaryRow", "rank rule (upward)"),
    ("probdesk.packages.reader", "from probdesk.hub.store import Hub\n", "probdesk.hub.store.Hub",
     "rank rule (sideways)"),
    ("probdesk.hub.store", "def f():\n    from probdesk.services import fieldwork\n",
     "probdesk.services.fieldwork", "rank rule (upward)"),
    ("probdesk.ui.hub.panel", "from probdesk.ui.sync.panel import hint_label\n",
     "probdesk.ui.sync.panel.hint_label", "no tab imports another tab's module"),
    ("probdesk.cli", "def f():\n    from probdesk.ui.main_window import MainWindow\n",
     "probdesk.ui.main_window.MainWindow", "only through probdesk.ui.app"),
    ("probdesk.store.database", "from probdesk.hub import store\n", "probdesk.hub.store",
     "rank rule (sideways)"),
    # The same rules in the package layout the tabs and the command line are moving to.
    ("probdesk.ui.hub.panel", "from ..sync.models import RecordTableModel\n",
     "probdesk.ui.sync.models.RecordTableModel", "(tab:hub -> tab:sync)"),
    ("probdesk.ui.evidence.panel", "import probdesk.ui.hub.panel\n", "probdesk.ui.hub.panel",
     "(tab:evidence -> tab:hub)"),
    ("probdesk.ui.team_lead.panel", "from probdesk.ui.cases.case_form import show_problem\n",
     "probdesk.ui.cases.case_form.show_problem", "(tab:team_lead -> tab:cases)"),
    ("probdesk.cli.report", "from probdesk.ui.reports import panel\n", "probdesk.ui.reports.panel",
     "only through probdesk.ui.app"),
    ("probdesk.cli.fieldwork", "from probdesk.ui.sync import panel\n", "probdesk.ui.sync.panel",
     "only through probdesk.ui.app"),
    # Every kind of import counts.
    ("probdesk.store.models",
     "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from probdesk.services import x\n",
     "probdesk.services.x", "rank rule (upward)"),
    ("probdesk.packages.writer", "from ..reports import base\n", "probdesk.reports.base",
     "rank rule (sideways)"),
    ("probdesk.domain.loader", "import importlib\nimportlib.import_module('PySide6')\n",
     "PySide6", "only in probdesk.ui"),
    # The rest of the rule.
    ("probdesk.ui.kit.runner", "from probdesk.ui.cases.case_form import show_problem\n",
     "probdesk.ui.cases.case_form.show_problem", "the kit) import no tab"),
    ("probdesk.ui.crash", "from probdesk.ui.hub.models import value_text\n",
     "probdesk.ui.hub.models.value_text", "the kit) import no tab"),
    ("probdesk.ui.sync.panel", "from probdesk.ui.main_window import MainWindow\n",
     "probdesk.ui.main_window.MainWindow", "wire the window"),
    ("probdesk.ui.app", "from probdesk.cli import main\n", "probdesk.cli.main",
     "rank rule (sideways)"),
    ("probdesk.services.reports", "from probdesk.cli.fieldwork import x\n",
     "probdesk.cli.fieldwork.x", "rank rule (upward)"),
    ("probdesk.domain.loader", "from ..paths import Paths\n", "probdesk.paths.Paths",
     "domain rule"),
    ("probdesk.domain.loader", "import requests\n", "requests", "in no row of the library table"),
    ("probdesk.fs", "from probdesk.services.workspace import Workspace\n",
     "probdesk.services.workspace.Workspace", "rank rule (upward)"),
    ("probdesk.errors", "from probdesk.logsetup import crash_report\n",
     "probdesk.logsetup.crash_report", "base rule"),
    ("probdesk.services.demo", "import alembic\n", "alembic", "only in probdesk.store"),
    ("probdesk.store.cipher", "import sqlite3\n", "sqlite3", "imported nowhere in probdesk"),
    ("probdesk.services.reports", "import reportlab.platypus\n", "reportlab.platypus",
     "only in probdesk.reports"),
    ("probdesk.hub.store", "from probdesk.store.repositories import CaseRepository\n",
     "probdesk.store.repositories.CaseRepository", "rank rule (sideways)"),
    ("probdesk.store.database", "from probdesk.nowhere import x\n", "probdesk.nowhere.x",
     "is in no layer"),
]  # fmt: skip


@pytest.mark.parametrize(("module", "source", "imported", "rule"), REFUSED)
def test_the_checker_refuses(module: str, source: str, imported: str, rule: str) -> None:
    found = violations(module, imported_modules(source, module, False), exempt=False)
    assert len(found) == 1, found
    assert found[0].startswith(f"{module}:")
    assert f" imports {imported}: " in found[0]
    assert rule in found[0]


ALLOWED = [
    ("probdesk.ui.hub.panel", "from probdesk.services.hub import HubService\n"
     "from probdesk.domain.records import Inspection\nfrom probdesk.errors import InputError\n"),
    ("probdesk.ui.app", "def f():\n    from probdesk.store import datakey\n"),  # downward
    ("probdesk.ui.hub.panel", "from probdesk.ui.kit.runner import Runner\n"
     "from probdesk.ui.kit.tables import RecordTableModel\n"
     "from PySide6.QtWidgets import QWidget\n"),
    ("probdesk.ui.hub.panel", "from .models import HubModel\nfrom ..kit import runner\n"),
    ("probdesk.ui.cases.case_list", "from probdesk.ui.cases.case_form import CaseForm\n"),
    ("probdesk.ui.window.new_inspection_dialog", "from probdesk.ui.kit.dialog import FormDialog\n"),
    ("probdesk.ui.main_window", "from probdesk.ui.hub.panel import HubPanel\n"
     "from probdesk.ui.window.purge_dialog import PurgeDialog\n"
     "from probdesk.ui.sync.panel import SyncPanel\n"),
    ("probdesk.cli", "def f():\n    from probdesk.ui.app import run_gui\n"),
    ("probdesk.cli.report", "from probdesk.services.reports import build\n"
     "from probdesk.store import snapshots\nfrom probdesk.cli.output import table\n"),
    ("probdesk.__main__", "from probdesk.cli import main\n"),
    ("probdesk.cli.fieldwork",
     "from probdesk import __version__\nfrom probdesk.paths import Paths\n"),
    ("probdesk.services.fieldwork", "from probdesk.hub.store import Hub\n"
     "from probdesk.packages import writer\nfrom probdesk.reports import build_case_pdf\n"
     "from probdesk.store.database import open_store\nimport openpyxl\nimport cryptography\n"),
    ("probdesk.store.database", "import sqlalchemy\nimport alembic.command\n"
     "from probdesk.domain import records\nfrom probdesk.fs import private_file\n"),
    ("probdesk.hub.store", "from sqlalchemy import select\nimport sqlcipher3\n"),
    ("probdesk.reports.base",
     "from reportlab.platypus import Paragraph\nfrom probdesk import progress\n"),
    ("probdesk.domain.x", "import json, decimal\nimport yaml\nimport jsonschema\n"),
    ("probdesk.domain.x", "from probdesk.errors import QuestionSetError\n"),
    ("probdesk.domain.x", "from . import conditions\nfrom probdesk import bundled\n"),
    ("probdesk.logsetup",
     "from probdesk.errors import ProbdeskError\nfrom probdesk.paths import Paths\n"),
    ("probdesk.paths", "import platformdirs\nfrom probdesk.fs import private_folder\n"),
]  # fmt: skip


@pytest.mark.parametrize(("module", "source"), ALLOWED)
def test_the_checker_allows(module: str, source: str) -> None:
    assert violations(module, imported_modules(source, module, False), exempt=False) == []


def test_an_exemption_covers_only_its_own_import() -> None:
    assert violations("probdesk.hub.upgrades", [(1, "probdesk.store.cipher")]) == []
    assert violations("probdesk.hub.upgrades", [(1, "probdesk.store.cipher")], exempt=False)
    assert violations("probdesk.hub.upgrades", [(1, "probdesk.store.datakey")])
    assert violations("probdesk.store.snapshots", [(1, "probdesk.hub.upgrades")])


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


def test_no_test_file_imports_another() -> None:
    """What test files share lives in tests/support/ (imported by name): a test module that
    imports another drags the other's fixtures and module-level set-up along, and breaks when
    that one is renamed or run alone."""
    tests = ROOT / "tests"
    test_modules = {p.stem for p in tests.rglob("test_*.py")}
    found = []
    for path in sorted(tests.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and node.level == 0
                else []
            )
            found += [
                f"{path.relative_to(ROOT)}:{node.lineno} imports {n}"
                for n in names
                if n.split(".")[0] in test_modules
            ]
    assert len(test_modules) > 50
    assert found == []
