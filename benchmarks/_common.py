"""Shared helpers for benchmarks/*.py: statistics, timing and the result line.

Every benchmark prints readable lines and, as its last line, one JSON object:
    {"name", "value", "unit", "baseline", "ratio", "target", "pass", ...}
`make bench` runs each benchmarks/NAME.py whose name does not start with "_".
"""

from __future__ import annotations

import json
import math
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _key_store() -> str:
    """Which key store holds the benchmark data folders' wrapping keys. Where the machine has
    none (a CI machine, a server), a file-backed stand-in in a throwaway folder, set in the
    environment so that the processes a benchmark starts use it too: a database opens as on
    an inspector's laptop, through the key store, never a passphrase typed in."""
    import os
    import tempfile

    from probdesk.store import datakey

    if datakey.has_key_store():
        import keyring

        return type(keyring.get_keyring()).__name__
    tests = str(ROOT / "tests" / "support")  # the tests' stand-in: tests/support/keystore.py
    sys.path.insert(0, tests)
    os.environ["PYTHONPATH"] = os.pathsep.join([tests, os.environ.get("PYTHONPATH", "")])
    os.environ["PYTHON_KEYRING_BACKEND"] = "keystore.FileKeyring"
    folder = tempfile.mkdtemp(prefix="probdesk-bench-keys-")
    os.environ["PROBDESK_TEST_KEYSTORE"] = os.path.join(folder, "keystore.json")
    import keyring.core

    keyring.core.init_backend()
    return "a file-backed stand-in (no key store on this machine)"


KEY_STORE = _key_store()


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def percentile(values: Sequence[float], pct: float) -> float:
    """The pct-th percentile (0..100), linear between closest ranks."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    lo, hi = math.floor(rank), math.ceil(rank)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (rank - lo)


def time_ms(fn: Callable[[], object]) -> float:
    """Wall time of one call of fn, in milliseconds."""
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def summary(label: str, samples_ms: Sequence[float]) -> str:
    """One readable line: median, spread and the number of runs."""
    return (
        f"{label}: median {median(samples_ms):.1f} ms "
        f"(min {min(samples_ms):.1f}, p90 {percentile(samples_ms, 90):.1f}, "
        f"max {max(samples_ms):.1f}; {len(samples_ms)} runs)"
    )


def result(
    name: str,
    value: float,
    unit: str,
    baseline: float,
    target: float,
    *,
    passed: bool,
    **extra: Any,
) -> dict[str, Any]:
    """Print the result as the benchmark's last line (one JSON object) and return it."""
    ratio = value / baseline if baseline else float("inf")
    record: dict[str, Any] = {
        "name": name,
        "value": round(value, 2),
        "unit": unit,
        "baseline": round(baseline, 2),
        "ratio": round(ratio, 3),
        "target": target,
        "pass": passed,
        **extra,
    }
    sys.stdout.flush()
    print(json.dumps(record), flush=True)
    return record
