"""A clock the tests move forward, for the stores that take ``now``."""

from __future__ import annotations

from datetime import datetime, timedelta


class Clock:
    """A clock the tests move forward (UTC, naive)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 12, 9, 5, 0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
