"""Copies question_sets/ and resources/ into the built package (the rest is in pyproject.toml).

The two folders stay at the top of the repository, where methodologists and designers find them;
an installed probdesk reads them from inside its package (probdesk/question_sets,
probdesk/resources) through importlib.resources, so a wheel carries them there. setuptools
cannot map a folder outside the package into it declaratively, hence this one hook.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED = ("question_sets", "resources")


class BuildPyWithShippedFiles(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads them from the source tree
            return
        for name in SHIPPED:
            source = ROOT / name
            if not source.is_dir():
                raise SystemExit(f"setup.py: {name}/ is missing; probdesk cannot work without it")
            target = Path(self.build_lib) / "probdesk" / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildPyWithShippedFiles})
