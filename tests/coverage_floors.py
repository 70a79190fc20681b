"""Coverage by package after `make test`, and the floors it must not fall below.

Run by the Makefile after the suite (`pytest -n auto --cov`: pytest-cov measures each xdist
worker and combines their data into .coverage, which this reads): prints each package's line
coverage and exits 1, naming the package, when one of the floored packages is below its floor.
The floors are where the code is pure or close to it and a miss is a test not written; the
GUI's and the CLI's figures are printed for the note, without a floor.
"""

from __future__ import annotations

import io
import sys

import coverage

FLOORS = {"domain": 90.0, "packages": 90.0, "store": 90.0, "hub": 90.0}
PACKAGES = ("domain", "packages", "store", "hub", "services", "reports", "ui", "cli")


def main() -> int:
    cov = coverage.Coverage()
    cov.load()
    failed = []
    print("line coverage by package:")
    for name in PACKAGES:
        pattern = [f"*/probdesk/{name}/*", f"*/probdesk/{name}.py", f"*/probdesk/{name}_*.py"]
        try:
            percent = cov.report(include=pattern, file=io.StringIO())
        except coverage.exceptions.NoDataError:
            continue
        floor = FLOORS.get(name)
        mark = "" if floor is None else f" (floor {floor:.0f}%)"
        if floor is not None and percent < floor:
            failed.append(name)
            mark += " BELOW THE FLOOR"
        print(f"  {name:<9} {percent:5.1f}%{mark}")
    total = cov.report(file=io.StringIO())
    print(f"  {'all':<9} {total:5.1f}%")
    if failed:
        print(f"coverage below its floor in: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
