"""Rasa and the action server for the end-to-end tests, in their own work directory."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator

from bot.runtime.launcher import Stack, free_port, write_endpoints


@contextlib.contextmanager
def running_stack(model: Path, work: Path, **extra_env: str) -> Iterator[Stack]:
    """Both servers on free localhost ports, ``work`` their var dir; stopped on exit."""
    actions_port, rasa_port = free_port(), free_port()
    endpoints = write_endpoints(
        work / "endpoints.yml", actions_port, work / "tracker.sqlite3"
    )
    servers = Stack(
        model=model,
        rasa_port=rasa_port,
        actions_port=actions_port,
        endpoints=endpoints,
        log_dir=work,
        extra_env={"SPRO_VAR_DIR": str(work), **extra_env},
    )
    servers.start()
    try:
        servers.wait_ready()
        yield servers
    finally:
        servers.stop()
