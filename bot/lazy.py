"""A value built once per process on first use, thread-safe, replaceable by tests."""

from __future__ import annotations

import threading
from typing import Callable, Generic, TypeVar

T = TypeVar("T")


class Lazy(Generic[T]):
    """``get()`` builds the value on first call (once, even from several threads)."""

    def __init__(self, build: Callable[[], T]) -> None:
        """``build`` makes the value; it runs at most once until ``set(None)``."""
        self._build = build
        self._value: T | None = None
        self._lock = threading.Lock()

    def get(self) -> T:
        """The value, built now if needed."""
        value = self._value
        if value is None:
            with self._lock:
                value = self._value
                if value is None:
                    value = self._value = self._build()
        return value

    def set(self, value: T | None) -> None:
        """Use ``value`` from now on; None forgets it (built again on next ``get``)."""
        with self._lock:
            self._value = value
