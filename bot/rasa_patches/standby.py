"""A warm standby Rasa server: the model loaded, the port bound only when told to serve.

Rasa 3.6 loads the model in a Sanic ``before_server_start`` listener
(``rasa.core.run.load_agent_on_start``); Sanic binds the port once it returns. A
Rasa server started with ``SPRO_RASA_STANDBY_READY_FILE`` set (the launcher sets it
for its standby process only) runs Rasa's own listener, writes its process id in that
file, then waits for a line on its standard input before returning: the launcher
writes it when the serving Rasa server stops, and the standby binds the port and
answers at once. The end of its input without that line (the launcher is gone) stops
the process. The agent, the routes and everything after the line are Rasa's own: a
promoted standby answers as a server started afresh.

Without the variable, Rasa's own listener is left in place. ``install()`` applies the
wrapper when the installed Rasa is a checked version, unless ``SPRO_RASA_PATCHES_OFF``
names ``standby`` (or ``all``); ``available()`` tells the launcher, without importing
Rasa, whether a standby would wait (otherwise it restarts Rasa the usual way).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from bot.rasa_patches import CHECKED_RASA_VERSIONS, patch_enabled, rasa_version_checked

log = logging.getLogger(__name__)

NAME = "standby"
READY_FILE_VARIABLE = "SPRO_RASA_STANDBY_READY_FILE"
_RASA_LOAD_AGENT_ON_START = "_spro_rasa_load_agent_on_start"


def available() -> bool:
    """True when a Rasa server started as a standby would wait to be told to serve."""
    try:
        installed = version("rasa")
    except PackageNotFoundError:
        return False
    return patch_enabled(NAME) and installed in CHECKED_RASA_VERSIONS


def announce_ready(ready_file: Path) -> None:
    """Write this process's id in ``ready_file``, atomically (all or nothing)."""
    draft = ready_file.with_name(f"{ready_file.name}.{os.getpid()}.tmp")
    draft.write_text(str(os.getpid()))
    draft.replace(ready_file)


async def wait_until_told_to_serve() -> None:
    """Return when a line arrives on standard input; stop the process at its end."""
    line = await asyncio.get_running_loop().run_in_executor(
        None, sys.stdin.buffer.readline
    )
    if not line:
        log.info("Standby Rasa server: the launcher is gone; stopping.")
        raise SystemExit(0)
    log.info("Standby Rasa server: serving now.")


async def load_agent_then_wait(*args: Any, **kwargs: Any) -> Any:
    """Rasa's ``load_agent_on_start``, then, for a standby, wait to be told to serve."""
    import rasa.core.run

    agent = await getattr(rasa.core.run, _RASA_LOAD_AGENT_ON_START)(*args, **kwargs)
    ready_file = os.environ.get(READY_FILE_VARIABLE)
    if ready_file:
        announce_ready(Path(ready_file))
        log.info("Standby Rasa server: model loaded; waiting to be told to serve.")
        await wait_until_told_to_serve()
    return agent


def install() -> None:
    """Wrap Rasa's agent-loading listener in a standby process (idempotent)."""
    if not os.environ.get(READY_FILE_VARIABLE) or not patch_enabled(NAME):
        return
    if not rasa_version_checked(NAME):
        return
    import rasa.core.run

    if _RASA_LOAD_AGENT_ON_START not in vars(rasa.core.run):
        setattr(
            rasa.core.run,
            _RASA_LOAD_AGENT_ON_START,
            rasa.core.run.load_agent_on_start,
        )
        rasa.core.run.load_agent_on_start = load_agent_then_wait


def uninstall() -> None:
    """Put Rasa's own listener back (for the tests)."""
    import rasa.core.run

    original = vars(rasa.core.run).pop(_RASA_LOAD_AGENT_ON_START, None)
    if original is not None:
        rasa.core.run.load_agent_on_start = original
