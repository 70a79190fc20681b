"""Where the files shipped with probdesk live: inside the installed package, found through
importlib.resources (a wheel, the PyInstaller bundle), or at the top of a source checkout.

An installed probdesk carries `probdesk/question_sets/` (with `schema/`) and
`probdesk/resources/` (fonts, icons): setup.py copies them into the wheel and build.spec into
the bundle. A source checkout (and its editable install) reads the same folders from the top of
the repository. PROBDESK_RESOURCES names another folder holding both (tests of a damaged
install use it).
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from probdesk.errors import InstallationDamaged

QUESTION_SETS = "question_sets"
RESOURCES = "resources"
SCHEMA = f"{QUESTION_SETS}/schema/question-set.schema.json"

# Everything the program reads at run time: selfcheck and the damaged-install check name each.
REQUIRED_FILES = (
    SCHEMA,
    f"{QUESTION_SETS}/dipp-public-protection.yaml",
    f"{QUESTION_SETS}/pdu-core.yaml",
    f"{QUESTION_SETS}/region-unpaid-work.yaml",
    f"{QUESTION_SETS}/region-victim-contact.yaml",
    f"{RESOURCES}/fonts/DejaVuSans.ttf",
    f"{RESOURCES}/fonts/DejaVuSans-Bold.ttf",
    f"{RESOURCES}/fonts/DejaVuSans-Oblique.ttf",
    f"{RESOURCES}/fonts/DejaVuSans-BoldOblique.ttf",
    f"{RESOURCES}/fonts/DejaVuSansCondensed.ttf",
    f"{RESOURCES}/fonts/DejaVuSansCondensed-Bold.ttf",
    f"{RESOURCES}/fonts/LICENSE-DejaVu.txt",
    f"{RESOURCES}/icons/probdesk.png",
)


def _installed_root() -> Path:
    """The installed package folder (site-packages/probdesk, or the bundle's probdesk/)."""
    shipped = resources.files("probdesk")
    # A package on disk (never a zip here): the fonts must be real files for ReportLab.
    return Path(str(shipped))


def root() -> Path:
    """The folder holding `question_sets/` and `resources/`."""
    override = os.environ.get("PROBDESK_RESOURCES")
    if override:
        return Path(override)
    installed = _installed_root()
    if (installed / QUESTION_SETS).is_dir():
        return installed
    checkout = installed.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / QUESTION_SETS).is_dir():
        return checkout
    return installed  # nothing found: problems are reported against the installed package


def missing_files() -> list[str]:
    """The shipped files that are not where they should be (empty for a whole install)."""
    base = root()
    return [name for name in REQUIRED_FILES if not (base / name).is_file()]


def check_installation() -> None:
    """Raise InstallationDamaged naming every shipped file that is missing."""
    missing = missing_files()
    if missing:
        raise InstallationDamaged(missing, root())


def require(relative: str) -> Path:
    """The path of one shipped file or folder; InstallationDamaged when it is not there."""
    path = root() / relative
    if not path.exists():
        raise InstallationDamaged([relative], root())
    return path


def question_sets_dir() -> Path:
    return require(QUESTION_SETS)


def schema_path() -> Path:
    return require(SCHEMA)


def resources_dir() -> Path:
    return require(RESOURCES)


def icon_path() -> Path:
    return require(f"{RESOURCES}/icons/probdesk.png")


def bundled_question_sets() -> list[Path]:
    found = sorted(question_sets_dir().glob("*.yaml"))
    if not found:
        raise InstallationDamaged([f"{QUESTION_SETS}/*.yaml"], root())
    return found
