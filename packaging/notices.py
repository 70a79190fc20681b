"""Licence texts and THIRD-PARTY-NOTICES.txt for everything the PyInstaller bundle carries.

build.spec hands `components()` the files PyInstaller collected (its TOC entries: destination,
source, type code); every source file is traced to what it came from:

- a Python distribution, through the RECORD that installed it (importlib.metadata): its
  `License-File` entries, or the licence files it ships, or, for PySide6 and shiboken6 whose
  wheels carry none, the LGPL/GPL texts in packaging/licenses/ plus a Qt notice;
- probdesk itself (its LICENSE) and the DejaVu fonts in resources/fonts (their licence file);
- the Python installation (stdlib, libpython, lib-dynload; its LICENSE.txt);
- on Linux, a system library PyInstaller copied in (libglib, libX11, ...): its Debian package's
  copyright file, found with dpkg.

PyInstaller's bootloader is in every executable, so PyInstaller is always listed. A file that
cannot be traced, or a component without a licence text, raises MissingLicence naming it: the
build stops rather than ship a gap. `write()` puts the texts in `licenses/<component>/` and the
list in THIRD-PARTY-NOTICES.txt.

No PyInstaller import here: the tests call this module directly, without building.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXTRA_LICENSES = HERE / "licenses"

NOTICES_FILE = "THIRD-PARTY-NOTICES.txt"
LICENSES_DIR = "licenses"
MANIFEST_FILE = "components.json"  # machine-readable copy of the list, inside licenses/
CONTENTS_DIR = "_internal"  # PyInstaller's contents_directory, under the bundle root

LICENCE_NAME = re.compile(r"^(licen[cs]e|copying|notice|authors)([._-].*)?$", re.IGNORECASE)
QT_DISTRIBUTIONS = frozenset({"pyside6", "pyside6-essentials", "pyside6-addons", "shiboken6"})
LGPL_TEXTS = ("LGPL-3.0.txt", "GPL-3.0.txt")


class MissingLicence(Exception):
    """A bundled file or component whose licence text cannot be found."""


@dataclass(frozen=True)
class Text:
    """One licence file: where it goes under licenses/<component>/, and its content."""

    name: str
    content: str


@dataclass
class Component:
    key: str  # unique, also the folder under licenses/
    name: str
    version: str
    licence: str
    kind: str  # "project", "python", "distribution", "system", "fonts", "tool"
    texts: list[Text] = field(default_factory=list)
    sboms: list[Text] = field(default_factory=list)  # what is built into it (wheel SBOMs)
    files: list[str] = field(default_factory=list)  # paths in the bundle it supplies
    modules: list[str] = field(default_factory=list)  # Python modules (in the executables)
    note: str = ""

    def licence_paths(self) -> list[str]:
        return [f"{LICENSES_DIR}/{self.key}/{safe_name(t.name)}" for t in self.texts]

    def sbom_paths(self) -> list[str]:
        return [f"{LICENSES_DIR}/{self.key}/sboms/{safe_name(t.name)}" for t in self.sboms]


def safe_name(name: str) -> str:
    """A licence file's name as a relative path inside its folder (no '..', no root)."""
    parts = [p for p in re.split(r"[\\/]+", name) if p not in ("", ".", "..")]
    return "/".join(parts) or "LICENSE"


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _real(path: str | os.PathLike[str]) -> str:
    return os.path.normcase(os.path.realpath(path))


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


# -- Python distributions -----------------------------------------------------------------------


def distribution_index(
    dists: Iterable[metadata.Distribution] | None = None,
) -> dict[str, metadata.Distribution]:
    """Every installed file (real path) -> the distribution whose RECORD lists it."""
    index: dict[str, metadata.Distribution] = {}
    for dist in metadata.distributions() if dists is None else dists:
        name = dist.metadata["Name"]
        if not name or canonical(name) == "probdesk":
            continue  # the project is traced by path (an editable install lists no files)
        for f in dist.files or ():
            index.setdefault(_real(dist.locate_file(f)), dist)
    return index


def licence_expression(dist: metadata.Distribution) -> str:
    meta = dist.metadata
    expression = meta.get("License-Expression")
    if expression:
        return expression.strip()
    classifiers = [
        c.split("::", 1)[1].strip().removeprefix("OSI Approved :: ")
        for c in meta.get_all("Classifier") or ()
        if c.startswith("License ::")
    ]
    short = (meta.get("License") or "").strip()
    if short and "\n" not in short and len(short) <= 200 and short.upper() != "UNKNOWN":
        return short if not classifiers else f"{short} ({'; '.join(classifiers)})"
    if classifiers:
        return "; ".join(classifiers)
    return "see the licence text"


def _dist_info_dir(dist: metadata.Distribution) -> str | None:
    for f in dist.files or ():
        if f.parts and f.parts[0].endswith((".dist-info", ".egg-info")):
            return f.parts[0]
    return None


def distribution_texts(dist: metadata.Distribution) -> list[Text]:
    """The licence files a distribution ships: its License-File entries, else files so named."""
    texts: list[Text] = []
    names: set[str] = set()

    def add(name: str, content: str | None) -> None:
        if content and content.strip() and name not in names:
            names.add(name)
            texts.append(Text(name, content))

    for entry in dist.metadata.get_all("License-File") or ():
        # Metadata 2.4 (PEP 639) puts them in .dist-info/licenses/, older tools at its top.
        for candidate in (f"licenses/{entry}", entry):
            content = dist.read_text(candidate)
            if content:
                add(entry, content)
                break
    if not texts:
        info_dir = _dist_info_dir(dist)
        for f in dist.files or ():
            in_info = info_dir is not None and f.parts[:1] == (info_dir,)
            top_level = len(f.parts) <= 2  # e.g. pkg/LICENSE
            if LICENCE_NAME.match(f.name) and (in_info or top_level):
                try:
                    add(f.name, Path(dist.locate_file(f)).read_text(encoding="utf-8"))
                except (OSError, UnicodeDecodeError):
                    continue
    return texts


NATIVE = re.compile(r"\.(so(\.[\d.]+)?|pyd|dll|dylib)$", re.IGNORECASE)


def distribution_sboms(dist: metadata.Distribution) -> list[Text]:
    """The software bills of materials a wheel with compiled code carries (.dist-info/sboms/,
    PEP 770): what it has built in, such as the OpenSSL in cryptography or the Rust crates of
    rpds-py. A pure-Python wheel's SBOM lists only its build tools, and is left out."""
    if not any(NATIVE.search(f.name) for f in dist.files or ()):
        return []
    info_dir = _dist_info_dir(dist)
    found = []
    for f in dist.files or ():
        if info_dir is not None and f.parts[:2] == (info_dir, "sboms") and len(f.parts) == 3:
            content = dist.read_text(f"sboms/{f.name}")
            if content:
                found.append(Text(f.name, content))
    return found


def qt_notice(dist_versions: Mapping[str, str]) -> str:
    """The notice that goes with PySide6/shiboken6 and the Qt libraries in their wheels."""
    pyside = dist_versions.get("pyside6-essentials") or dist_versions.get("pyside6") or "6"
    listed = ", ".join(f"{k} {v}" for k, v in sorted(dist_versions.items()))
    return f"""Qt and Qt for Python (PySide6, shiboken6) in this program
==========================================================

This program uses the Qt {pyside} libraries and their Python bindings
({listed}), copyright (C) The Qt Company Ltd. and other contributors.
They are licensed under the GNU Lesser General Public License version 3 (LGPL-3.0-only) or
the GNU General Public License version 2 or 3; this program uses them under the LGPL
version 3. The LGPL text is in LGPL-3.0.txt next to this file, and the GNU GPL version 3 it
supplements is in GPL-3.0.txt.

- The Qt and PySide6 libraries are those of the PySide6 wheels published on PyPI, kept as
  separate shared libraries in the program folder (_internal/PySide6/ and
  _internal/shiboken6/): you may replace them with other builds of the same version, including
  builds you modified yourself, and the program will use those.
- Their source code is published by The Qt Company: Qt at
  https://download.qt.io/official_releases/qt/ and PySide6/shiboken6 at
  https://code.qt.io/cgit/pyside/pyside-setup.git/ (tag v{pyside}).
- Qt contains third-party components under their own (permissive) licences; they are listed,
  with their licence texts, in "Licenses Used in Qt" for this version:
  https://doc.qt.io/qt-6/licenses-used-in-qt.html
"""


def _read_extra(name: str) -> Text:
    path = EXTRA_LICENSES / name
    if not path.is_file():
        raise MissingLicence(f"packaging/licenses/{name} is missing (needed for Qt's LGPL)")
    return Text(name, path.read_text(encoding="utf-8"))


# -- the Python installation ------------------------------------------------------------------


def python_prefixes() -> list[str]:
    found = {
        _real(p)
        for p in (
            sys.base_prefix,
            sys.base_exec_prefix,
            sysconfig.get_paths()["stdlib"],
            sysconfig.get_paths()["platstdlib"],
            sysconfig.get_config_var("LIBDIR") or sys.base_prefix,
        )
    }
    return sorted(found)


def python_licence_file() -> Path:
    """CPython's LICENSE.txt: in the stdlib folder (POSIX, macOS) or the prefix (Windows)."""
    candidates = [
        Path(sysconfig.get_paths()["stdlib"]) / "LICENSE.txt",
        Path(sys.base_prefix) / "LICENSE.txt",
        Path(sys.base_prefix)
        / "lib"
        / f"python{sys.version_info[0]}.{sys.version_info[1]}"
        / "LICENSE.txt",
    ]
    for path in candidates:
        if path.is_file():
            return path
    raise MissingLicence(
        "Python: no LICENSE.txt in the Python installation (looked for "
        + ", ".join(str(p) for p in candidates)
        + "); build with a Python that has its licence file"
    )


# -- system libraries (Linux) -----------------------------------------------------------------


@dataclass(frozen=True)
class SystemPackage:
    name: str
    version: str
    copyright: Path


def _dpkg_candidates(path: str) -> list[str]:
    """The names dpkg may know a library by: as collected, resolved, with or without /usr."""
    out: list[str] = []
    for p in (path, os.path.realpath(path)):
        for q in (p, "/usr" + p if not p.startswith("/usr/") else p.removeprefix("/usr")):
            if q not in out:
                out.append(q)
    return out


def dpkg_owner(path: str) -> SystemPackage | None:
    """The Debian package that installed `path`, with its copyright file; None if none."""
    if not os.path.isabs(path) or shutil.which("dpkg-query") is None:
        return None
    for candidate in _dpkg_candidates(path):
        pattern = re.sub(r"([*?\[\\])", r"\\\1", candidate)  # a path, not a glob
        found = subprocess.run(
            ["dpkg-query", "-S", pattern], capture_output=True, text=True, check=False
        )
        for line in found.stdout.splitlines() if found.returncode == 0 else ():
            owners, _, listed = line.partition(": ")
            if listed.strip() != candidate or owners.startswith("diversion"):
                continue
            package = owners.split(",")[0].strip().split(":")[0]
            shown = subprocess.run(
                ["dpkg-query", "-W", "-f=${Version}", package],
                capture_output=True,
                text=True,
                check=False,
            )
            version = shown.stdout.strip() if shown.returncode == 0 else "?"
            return SystemPackage(package, version, Path("/usr/share/doc") / package / "copyright")
    return None


def debian_licences(copyright_text: str) -> str:
    """The licence short names of a machine-readable (DEP-5) copyright file."""
    names: list[str] = []
    for line in copyright_text.splitlines():
        if line.startswith("License:"):
            name = line.removeprefix("License:").strip()
            if name and name not in names:
                names.append(name)
    return ", ".join(names) if names else "see the Debian copyright file"


# -- tracing the bundle -------------------------------------------------------------------------


Entry = tuple[str, str | None, str]  # PyInstaller TOC entry: destination, source, type code


def components(
    entries: Iterable[Entry],
    *,
    project_root: Path,
    project_name: str,
    project_version: str,
    project_licence: str = "MIT",
    workpath: Path | None = None,
    index: Mapping[str, metadata.Distribution] | None = None,
    system_owner: Callable[[str], SystemPackage | None] = dpkg_owner,
) -> list[Component]:
    """Every component the entries come from, each with its licence texts (or MissingLicence)."""
    index = distribution_index() if index is None else index
    fonts = _real(project_root / "resources" / "fonts")
    project_dirs = [_real(project_root / d) for d in ("probdesk", "question_sets", "resources")]
    prefixes = python_prefixes()
    work = _real(workpath) if workpath is not None else None
    found: dict[str, Component] = {}
    untraced: list[str] = []
    dists: dict[str, metadata.Distribution] = {}

    def project() -> Component:
        licence = project_root / "LICENSE"
        if not licence.is_file():
            raise MissingLicence(f"{project_name}: LICENSE is missing at {licence}")
        return Component(
            project_name,
            project_name,
            project_version,
            project_licence,
            "project",
            [Text("LICENSE", licence.read_text(encoding="utf-8"))],
        )

    def python() -> Component:
        licence = python_licence_file()
        return Component(
            "Python",
            "Python",
            sys.version.split()[0],
            "PSF-2.0",
            "python",
            [Text("LICENSE.txt", licence.read_text(encoding="utf-8"))],
            note="the Python interpreter, its standard library and the libraries it was built "
            "with (see LICENSE.txt for those that ship with Python)",
        )

    def fonts_component() -> Component:
        licence = project_root / "resources" / "fonts" / "LICENSE-DejaVu.txt"
        if not licence.is_file():
            raise MissingLicence(f"DejaVu fonts: {licence} is missing")
        text = licence.read_text(encoding="utf-8")
        version = re.search(r"DejaVu fonts (\d[\w.]*)", text)
        return Component(
            "DejaVu-fonts",
            "DejaVu fonts",
            version.group(1) if version else "?",
            "Bitstream-Vera AND LicenseRef-Arev-Fonts (DejaVu changes: public domain)",
            "fonts",
            [Text("LICENSE-DejaVu.txt", text)],
        )

    def trace(src: str) -> tuple[str, Callable[[], Component]] | None:
        """The component a source file belongs to: its key and how to make it."""
        real = _real(src)
        dist = index.get(real)
        if dist is not None:
            key = canonical(dist.metadata["Name"])
            dists[key] = dist
            return key, lambda: _distribution_component(dist)
        if _under(real, fonts):
            return "DejaVu-fonts", fonts_component
        if any(_under(real, d) for d in project_dirs):
            return project_name, project
        if work is not None and _under(real, work) and os.path.basename(real) == "base_library.zip":
            return "Python", python  # PyInstaller's zip of the stdlib modules needed at start
        if any(_under(real, p) for p in prefixes):
            return "Python", python
        package = system_owner(src) if sys.platform.startswith("linux") else None
        if package is None:
            return None
        return f"debian-{package.name}", lambda: _system_component(package)

    for dest, src, typecode in entries:
        if typecode == "SYMLINK" or not src or not os.path.isfile(src):
            continue  # a link to another entry, or a namespace package ("-"): no file of its own
        traced = trace(src)
        if traced is None:
            untraced.append(src)
            continue
        key, make = traced
        if key not in found:
            found[key] = make()
        if typecode in ("PYMODULE", "PYSOURCE"):
            found[key].modules.append(dest)
        else:
            found[key].files.append(f"{CONTENTS_DIR}/{dest}")
    if untraced:
        raise MissingLicence(
            "cannot tell where these bundled files come from, so their licence is unknown: "
            + ", ".join(sorted(set(untraced)))
        )

    # The bootloader in every executable, and the runtime PyInstaller adds to it.
    try:
        tool = metadata.distribution("pyinstaller")
    except metadata.PackageNotFoundError as exc:
        raise MissingLicence("PyInstaller: its distribution metadata is not found") from exc
    pyinstaller = found.setdefault("pyinstaller", _distribution_component(tool))
    pyinstaller.note = (
        "its bootloader is the start of each executable; the GPL's bootloader exception "
        "allows distributing it with any program"
    )

    qt = {k: dists[k].version for k in dists if k in QT_DISTRIBUTIONS}
    if qt:
        extra = [_read_extra(n) for n in LGPL_TEXTS] + [Text("Qt-NOTICE.txt", qt_notice(qt))]
        for key in qt:
            comp = found[key]
            comp.texts = [t for t in comp.texts if t.name not in {e.name for e in extra}] + extra
            comp.note = "used under LGPL-3.0-only; see Qt-NOTICE.txt"

    missing = [c.name for c in found.values() if not c.texts]
    if missing:
        raise MissingLicence(
            "no licence text found for: " + ", ".join(sorted(missing)) + ". Add it under "
            "packaging/licenses/ and name it in packaging/notices.py, or drop the component."
        )
    order = {"project": 0, "python": 1, "distribution": 2, "fonts": 3, "system": 4, "tool": 5}
    return sorted(found.values(), key=lambda c: (order[c.kind], c.name.lower()))


def _distribution_component(dist: metadata.Distribution) -> Component:
    name = dist.metadata["Name"]
    kind = "tool" if canonical(name) == "pyinstaller" else "distribution"
    return Component(
        canonical(name),
        name,
        dist.version,
        licence_expression(dist),
        kind,
        distribution_texts(dist),
        distribution_sboms(dist),
    )


def _system_component(package: SystemPackage) -> Component:
    if not package.copyright.is_file():
        raise MissingLicence(
            f"Debian package {package.name}: no copyright file at {package.copyright}"
        )
    text = package.copyright.read_text(encoding="utf-8", errors="replace")
    return Component(
        f"debian-{package.name}",
        package.name,
        package.version,
        debian_licences(text),
        "system",
        [Text("copyright", text)],
        note="a system library copied from the build machine (Debian package)",
    )


# -- writing ----------------------------------------------------------------------------------


def render(comps: list[Component], *, project_name: str, project_version: str) -> str:
    kinds = {
        "project": "this program",
        "python": "Python runtime",
        "distribution": "Python package (PyPI)",
        "fonts": "fonts",
        "system": "system library (Debian package)",
        "tool": "build tool runtime",
    }
    lines = [
        f"{project_name} {project_version}: third-party notices",
        "",
        f"This folder holds {project_name} and the third-party components below, each under its "
        "own licence.",
        f"The full licence texts are in {LICENSES_DIR}/, one folder per component, as named "
        "under each entry.",
        "",
    ]
    for c in comps:
        heading = f"{c.name} {c.version}"
        lines += [heading, "-" * len(heading)]
        lines.append(f"What it is: {kinds[c.kind]}")
        lines.append(f"Licence: {c.licence}")
        if c.note:
            lines.append(f"Note: {c.note}")
        lines.append("Licence texts: " + ", ".join(c.licence_paths()))
        if c.sboms:
            lines.append("Built-in components (SBOM): " + ", ".join(c.sbom_paths()))
        held = []
        if c.files:
            example = sorted(c.files, key=lambda f: (f.count("/"), f))[0]
            held.append(f"{len(c.files)} file(s), e.g. {example}")
        if c.modules:
            example = sorted(c.modules, key=lambda m: (m.count("."), m))[0]
            held.append(f"{len(c.modules)} Python module(s) in the executables, e.g. {example}")
        if held:
            lines.append("In this folder: " + "; ".join(held))
        lines.append("")
    return "\n".join(lines)


def write(
    comps: list[Component], bundle_root: Path, *, project_name: str, project_version: str
) -> None:
    """licenses/<component>/<texts>, licenses/components.json and THIRD-PARTY-NOTICES.txt."""
    licenses = bundle_root / LICENSES_DIR
    if licenses.exists():
        shutil.rmtree(licenses)
    manifest = []
    for c in comps:
        (licenses / c.key).mkdir(parents=True, exist_ok=True)
        texts = zip(c.texts + c.sboms, c.licence_paths() + c.sbom_paths(), strict=True)
        for t, relative in texts:
            target = bundle_root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(t.content, encoding="utf-8")
        manifest.append(
            {
                "key": c.key,
                "name": c.name,
                "version": c.version,
                "licence": c.licence,
                "kind": c.kind,
                "texts": c.licence_paths(),
                "sboms": c.sbom_paths(),
                "files": len(c.files),
                "modules": len(c.modules),
            }
        )
    (licenses / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    (bundle_root / NOTICES_FILE).write_text(
        render(comps, project_name=project_name, project_version=project_version),
        encoding="utf-8",
    )
