"""Hybrid logical clock: orders events across laptops whose wall clocks disagree.

A timestamp is (wall milliseconds, counter, device id); its string form sorts the same way, so
the stores can order by it as text.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class HLC:
    wall_ms: int
    counter: int
    device: str

    def __str__(self) -> str:
        return f"{self.wall_ms:013d}.{self.counter:06d}.{self.device}"

    @classmethod
    def parse(cls, text: str) -> HLC:
        wall, counter, device = text.split(".", 2)
        return cls(int(wall), int(counter), device)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class Clock:
    """One device's clock: every tick is later than the last, whatever the wall clock does."""

    def __init__(self, device: str, last: HLC | None = None, wall: Callable[[], int] = now_ms):
        self.device = device
        self.last = last or HLC(0, 0, device)
        self._wall = wall

    def tick(self) -> HLC:
        wall = self._wall()
        if wall > self.last.wall_ms:
            nxt = HLC(wall, 0, self.device)
        else:
            nxt = HLC(self.last.wall_ms, self.last.counter + 1, self.device)
        self.last = nxt
        return nxt

    def observe(self, remote: HLC) -> HLC:
        """Merge a timestamp seen from another device, then tick past both."""
        wall = self._wall()
        top = max(wall, self.last.wall_ms, remote.wall_ms)
        if top == self.last.wall_ms == remote.wall_ms:
            counter = max(self.last.counter, remote.counter) + 1
        elif top == self.last.wall_ms:
            counter = self.last.counter + 1
        elif top == remote.wall_ms:
            counter = remote.counter + 1
        else:
            counter = 0
        self.last = HLC(top, counter, self.device)
        return self.last
