"""Soak: the randomized team model (tests/integration/test_team_model.py) for many more steps.

A lead and two assessors with one or two laptops each, real workspaces, packages, shared folder
and SQLite hub; after every merge the hub must equal a plain reference model (see the test's
docstring). The bounded version runs in `make test`; this one runs as many steps as asked,
randomised (new steps each time unless --derandomize), and prints the steps per second.

    .venv/bin/python benchmarks/team_model_soak.py              # 200 steps
    .venv/bin/python benchmarks/team_model_soak.py 5000 --steps-per-run 50 --derandomize

value = steps per second over the whole soak (set-up of each team included); target: at least
1 step per second on a shared 2-core machine. A failure prints hypothesis' shrunk steps and
exits 1.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import traceback

from _common import ROOT, result

sys.path.insert(0, str(ROOT / "tests" / "integration"))
sys.path.insert(0, str(ROOT / "tests" / "support"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test
from test_team_model import TeamModel

TARGET = 1.0  # steps per second


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("steps", nargs="?", type=int, default=200, help="steps in all (200)")
    ap.add_argument("--steps-per-run", type=int, default=40,
                    help="steps of one team, from set-up to the last merge (40)")  # fmt: skip
    ap.add_argument("--derandomize", action="store_true", help="the same steps every time")
    ap.add_argument("--shrink", action="store_true", help="shrink a failure (slow: minutes)")
    args = ap.parse_args(argv)
    runs = max(1, math.ceil(args.steps / args.steps_per_run))
    phases = [Phase.generate, *([Phase.shrink] if args.shrink else [])]
    conf = settings(
        max_examples=runs, stateful_step_count=args.steps_per_run, deadline=None,
        phases=phases, database=None, derandomize=args.derandomize, print_blob=True,
        suppress_health_check=list(HealthCheck),
    )  # fmt: skip
    TeamModel.steps = TeamModel.runs = 0
    start = time.perf_counter()
    failed = None
    try:
        run_state_machine_as_test(TeamModel, settings=conf)
    except Exception as exc:  # reported, then exit 1
        failed = exc
    elapsed = time.perf_counter() - start
    TeamModel.steps -= TeamModel.runs  # the check before each team's first step
    rate = TeamModel.steps / elapsed if elapsed else 0.0
    print(f"team model soak: {TeamModel.steps} steps in {runs} teams, {elapsed:.1f} s: "
          f"{rate:.2f} steps/s")  # fmt: skip
    for what, n in sorted(TeamModel.seen.items()):
        print(f"  {what}: {n}")
    if failed is not None:  # the traceback, with hypothesis' steps (its notes)
        print("".join(traceback.format_exception(failed)), file=sys.stderr)
        print(f"FAILED: {type(failed).__name__}: {failed}", file=sys.stderr)
    passed = failed is None and rate >= TARGET
    result("team_model_soak", rate, "steps/s", TARGET, TARGET, passed=passed,
           steps=TeamModel.steps, teams=runs, seconds=round(elapsed, 1))  # fmt: skip
    return 0 if failed is None else 1


if __name__ == "__main__":
    sys.exit(main())
