"""PyInstaller's Windows version-resource classes, importable on every OS.

PyInstaller.utils.win32.versioninfo imports `pefile` and `PyInstaller.compat.win32api` at its
top, and both exist only on Windows; it needs them only to read or write an .exe. Building a
VSVersionInfo and its text form (what build.spec does, and what the tests check on Linux) needs
neither, so off Windows they are stood in for while the module is imported, then removed.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import Any


def versioninfo() -> Any:
    """The PyInstaller.utils.win32.versioninfo module."""
    name = "PyInstaller.utils.win32.versioninfo"
    if name in sys.modules:
        return sys.modules[name]
    if sys.platform == "win32":
        return importlib.import_module(name)
    import PyInstaller.compat as compat

    stub_pefile = "pefile" not in sys.modules and importlib.util.find_spec("pefile") is None
    stub_win32api = not hasattr(compat, "win32api")
    if stub_pefile:
        sys.modules["pefile"] = types.ModuleType("pefile")
    if stub_win32api:
        compat.win32api = None  # type: ignore[attr-defined]
    try:
        return importlib.import_module(name)
    finally:
        if stub_pefile:
            del sys.modules["pefile"]
        if stub_win32api:
            del compat.win32api  # type: ignore[attr-defined]
