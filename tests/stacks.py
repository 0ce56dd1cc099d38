"""Rasa and the action server for the end-to-end tests, in their own work directory."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator

from bot.runtime.launcher import Stack, stack_in_folder


@contextlib.contextmanager
def running_stack(model: Path, work: Path, **extra_env: str) -> Iterator[Stack]:
    """Both servers on free localhost ports, ``work`` their var dir; stopped on exit."""
    servers = Stack(**stack_in_folder(model, work, extra_env))
    servers.start()
    try:
        servers.wait_ready()
        yield servers
    finally:
        servers.stop()
