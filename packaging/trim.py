"""What the PyInstaller bundle leaves out: modules, Qt plugins, translations, and the libraries
that only those needed.

probdesk uses QtCore, QtGui and QtWidgets (no QtSvg, QtNetwork, QML, OpenGL, printing) and
draws PNG icons, which QtGui reads without a plugin. PyInstaller's Qt hooks collect every plugin
of each type QtGui might load, plus all of Qt's translations (probdesk's interface is English
only). build.spec passes EXCLUDES to Analysis and runs `trim()` over the TOCs it produced.

`trim()` drops the unwanted entries by destination path, then also drops the shared libraries
that only the dropped entries linked to (QtNetwork through the TUIO touch and VNC plugins,
QtOpenGL and EGL through eglfs, cairo/pango/gdk-pixbuf through the GTK 3 theme, ...). A library
that anything kept still links to stays.

No PyInstaller import at module level: the tests call this module directly, without building.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import PurePath

# Modules Analysis must not collect. psycopg is the optional PostgreSQL driver of a regional or
# national hub (`pip install 'probdesk[postgres]'`); SQLAlchemy's hook picks it up whenever it is
# installed, which would make the bundle depend on the build machine's extras (and adds 11 MB
# with libpq, Kerberos and LDAP). setuptools (with distutils) is a build tool PyInstaller's
# setuptools hook drags in with its runtime hook; nothing in probdesk imports it. pygments comes
# only through optional plugins of Mako and ReportLab. Pillow's AVIF and WebP codecs and its
# colour management are optional (Pillow checks for them) and ReportLab uses none of them.
# probdesk never opens a network connection, so Python's ssl module and its OpenSSL (5 MB) stay
# out; hashlib and hmac then use Python's own SHA-2 (cryptography has its own OpenSSL). readline
# serves only the interactive prompt.
EXCLUDES = [
    "tkinter",
    "_tkinter",
    "turtle",
    "turtledemo",
    "idlelib",
    "lib2to3",
    "pydoc_data",
    "test",
    "psycopg",
    "psycopg_binary",
    "psycopg_c",
    "psycopg_pool",
    "psycopg2",
    "setuptools",
    "distutils",
    "_distutils_hack",
    "pkg_resources",
    "pygments",
    "PIL._avif",
    "PIL._webp",
    "PIL._imagingcms",
    "PIL.ImageCms",
    # Python's own SQLite: probdesk opens every database through SQLCipher's (sqlcipher3).
    "sqlite3",
    "_sqlite3",
    # The CJK text codecs (1 MB): probdesk reads and writes UTF-8 (and Excel's own XML).
    "_codecs_jp",
    "_codecs_kr",
    "_codecs_cn",
    "_codecs_tw",
    "_codecs_hk",
    "_codecs_iso2022",
    "_multibytecodec",
    # A guesser of text encodings that nothing probdesk runs asks for.
    "charset_normalizer",
    "ssl",
    "_ssl",
    "_hashlib",
    "readline",
    # PySide6 modules probdesk does not import: excluding them keeps a stray import from
    # pulling in their Qt libraries and plugins.
    "PySide6.QtNetwork",
    "PySide6.QtQml",
    "PySide6.QtQuick",
    "PySide6.QtQuickControls2",
    "PySide6.QtQuickWidgets",
    "PySide6.QtQuickTest",
    "PySide6.QtSql",
    "PySide6.QtTest",
    "PySide6.QtDesigner",
    "PySide6.QtHelp",
    "PySide6.QtUiTools",
    "PySide6.QtOpenGL",
    "PySide6.QtOpenGLWidgets",
    "PySide6.QtPrintSupport",
    "PySide6.QtSvg",
    "PySide6.QtSvgWidgets",
    "PySide6.QtDBus",
    "PySide6.QtXml",
    "PySide6.QtConcurrent",
    "PySide6.QtPdf",
    "PySide6.QtPdfWidgets",
]

# Qt plugin types dropped whole: embedded-device input (evdev, TUIO), EGL full-screen devices,
# OpenGL buffer sharing on Wayland (QtWidgets paints into shared memory), and plugins of Qt
# modules probdesk does not use.
DROP_PLUGIN_TYPES = frozenset(
    {
        "egldeviceintegrations",
        "generic",
        "wayland-graphics-integration-client",
        "tls",
        "networkinformation",
        "sqldrivers",
        "qmltooling",
        "position",
        "printsupport",
    }
)

# Plugin types of which only these are kept (file name without "lib" and extension); any other
# type is kept whole (styles, iconengines, platforminputcontexts, xcbglintegrations,
# wayland-decoration-client, ...).
KEEP_PLUGINS: dict[str, frozenset[str]] = {
    # X11, Wayland, Windows, macOS, and the two headless ones (selfcheck uses offscreen).
    "platforms": frozenset(
        {"qxcb", "qwayland", "qwayland-generic", "qwindows", "qcocoa", "qoffscreen", "qminimal"}
    ),
    # The portal theme gives native file dialogs on GNOME and KDE. The GTK 3 theme is dropped:
    # it needs the desktop's own GTK 3 yet would make PyInstaller copy the build machine's
    # cairo, pango, gdk-pixbuf and ATK into the bundle, mixing two versions at run time.
    "platformthemes": frozenset({"qxdgdesktopportal"}),
    # PNG is built into QtGui; SVG for the desktop's icon theme (file dialogs, message boxes).
    "imageformats": frozenset({"qsvg"}),
    "wayland-shell-integration": frozenset({"xdg-shell"}),
}

# Single files dropped by name: the software OpenGL renderer on Windows (20 MB; QtWidgets
# paints without OpenGL).
DROP_FILES = frozenset({"opengl32sw.dll"})

# Never dropped as "unreferenced", whatever links to them.
PROTECTED_PREFIXES = ("libpython", "python3", "python")

Entry = tuple[str, str, str]  # PyInstaller TOC entry: destination, source, type code


def _parts(dest: str) -> list[str]:
    return PurePath(dest.replace("\\", "/")).as_posix().lower().split("/")


def _stem(filename: str) -> str:
    base = filename.split(".", 1)[0] if not filename.endswith(".dll") else filename[:-4]
    return base.removeprefix("lib")


def plugin(dest: str) -> tuple[str, str] | None:
    """(type, name) of a Qt plugin's destination path, else None."""
    parts = _parts(dest)
    if not parts or not parts[0].startswith("pyside6"):
        return None
    if "plugins" not in parts[:-2]:
        return None
    i = parts.index("plugins")
    return parts[i + 1], _stem(parts[-1])


def is_translation(dest: str) -> bool:
    parts = _parts(dest)
    return bool(parts) and parts[0].startswith("pyside6") and "translations" in parts[:-1]


def unwanted(dest: str) -> str | None:
    """Why an entry is left out of the bundle, or None to keep it."""
    if is_translation(dest):
        return "Qt translation (probdesk is in English)"
    parts = _parts(dest)
    if parts and parts[-1] in DROP_FILES:
        return "not used by QtWidgets"
    found = plugin(dest)
    if found is None:
        return None
    kind, name = found
    if kind in DROP_PLUGIN_TYPES:
        return f"Qt {kind} plugin"
    keep = KEEP_PLUGINS.get(kind)
    if keep is not None and name not in keep:
        return f"Qt {kind} plugin {name}"
    return None


def _libname(path: str) -> str:
    return posixpath.basename(path.replace("\\", "/")).lower()


def default_imports(source: str) -> set[str]:
    """The names of the shared libraries a binary links to (PyInstaller's own reader)."""
    from PyInstaller.depend import bindepend

    return {_libname(name) for name, _ in bindepend.get_imports(source)}


@dataclass
class Trimmed:
    binaries: list[Entry]
    datas: list[Entry]
    dropped: list[tuple[str, str]] = field(default_factory=list)  # destination, reason


def trim(
    binaries: Iterable[Entry],
    datas: Iterable[Entry],
    *,
    imports: Callable[[str], set[str]] = default_imports,
) -> Trimmed:
    binaries, datas = list(binaries), list(datas)
    dropped: dict[str, str] = {}
    for dest, _src, _code in binaries + datas:
        reason = unwanted(dest)
        if reason:
            dropped[dest] = reason

    # Shared libraries (not Python extensions) by the name binaries link them by.
    libs = {
        _libname(dest): dest
        for dest, _src, code in binaries
        if code == "BINARY" and dest not in dropped
    }
    source = {dest: src for dest, src, code in binaries if code != "SYMLINK"}
    memo: dict[str, set[str]] = {}

    def links(dest: str) -> set[str]:
        if dest not in memo:
            memo[dest] = {libs[n] for n in imports(source[dest]) if n in libs} - {dest}
        return memo[dest]

    def closure(start: Iterable[str]) -> set[str]:
        seen: set[str] = set()
        todo = [d for d in start if d in source]
        while todo:
            for lib in links(todo.pop()):
                if lib not in seen:
                    seen.add(lib)
                    todo.append(lib)
        return seen

    removed = [dest for dest in dropped if dest in source]
    candidates = closure(removed)
    kept_roots = [d for d in source if d not in dropped and d not in candidates]
    still_needed = closure(kept_roots)
    for lib in sorted(candidates - still_needed):
        if not _libname(lib).startswith(PROTECTED_PREFIXES):
            dropped[lib] = "only linked by dropped files"

    # A macOS framework goes whole; links (SYMLINK entries) go with what they point to.
    frameworks = {
        "/".join(_parts(d)[: _parts(d).index(p) + 1])
        for d in dropped
        for p in _parts(d)
        if p.endswith(".framework")
    }
    gone_names = {_libname(d) for d in dropped}

    def goes(entry: Entry) -> bool:
        dest, src, code = entry
        if dest in dropped:
            return True
        low = "/".join(_parts(dest))
        if any(low.startswith(f + "/") for f in frameworks):
            dropped[dest] = "part of a dropped framework"
            return True
        if code == "SYMLINK" and (src in dropped or _libname(dest) in gone_names):
            dropped[dest] = "link to a dropped file"
            return True
        return False

    kept_binaries = [e for e in binaries if not goes(e)]
    kept_datas = [e for e in datas if not goes(e)]
    return Trimmed(kept_binaries, kept_datas, sorted(dropped.items()))
