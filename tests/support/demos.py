"""The demo (a team lead, three assessors, their packages in the shared folder, the merged
hub), built once per test session for each seed and copied for each module or test that uses
it: building one takes seconds, copying it a fraction of that. Nothing opens the built folder
itself, so no test sees another's changes.

conftest.py makes the `demos` fixture available everywhere:
`demos.copy(4, tmp_path / "demo")` gives a fresh copy of the seed-4 demo at that folder.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from probdesk.services.demo import DemoResult, build_demo


def _moved(path: Path, old: Path, new: Path) -> Path:
    return new / path.relative_to(old)


class Demos:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.built: dict[int, DemoResult] = {}

    def build(self, seed: int) -> DemoResult:
        """The seed's demo as built: to copy, never to open."""
        if seed not in self.built:
            self.built[seed] = build_demo(
                self.base / f"seed-{seed}", seed=seed, report=lambda _: None
            )
        return self.built[seed]

    def copy(self, seed: int, out: Path) -> DemoResult:
        """A copy of the seed's demo at `out` (a folder not there yet), with its result's
        paths pointing into the copy."""
        built = self.build(seed)
        shutil.copytree(built.out, out, symlinks=True)
        out = out.resolve()

        def move(p: Path) -> Path:
            return _moved(p, built.out, out)

        return dataclasses.replace(
            built,
            out=out,
            lead=move(built.lead),
            shared=move(built.shared),
            assessors={k: move(v) for k, v in built.assessors.items()},
            packages=[move(p) for p in built.packages],
            hub=None if built.hub is None else move(built.hub),
            reports=[move(p) for p in built.reports],
        )


@pytest.fixture(scope="session")
def demos(tmp_path_factory: pytest.TempPathFactory) -> Demos:
    return Demos(tmp_path_factory.mktemp("demos"))
