"""What the desk's two channels share: the desk, built on first use, and its calls."""

from __future__ import annotations

import asyncio
import json
from functools import partial
from typing import Any, Callable

from rasa.core.channels.channel import InputChannel
from sanic.request import Request

from bot.handover.desk import DeskError, HandoverDesk, get_desk


class DeskChannel(InputChannel):
    """A channel mapping HTTP to the desk; ``_desk`` None means the configured one."""

    _desk: HandoverDesk | None

    @property
    def desk(self) -> HandoverDesk:
        """The desk (built on first use)."""
        if self._desk is None:
            self._desk = get_desk()
        return self._desk

    async def run(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """A blocking desk operation, in a worker thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, partial(function, *args, **kwargs))


def json_object(request: Request) -> dict[str, Any]:
    """The request's JSON object, else ``DeskError(400)``."""
    try:
        body = json.loads(request.body or b"{}")
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise DeskError(400, "La requête doit être un objet JSON.") from None
    if not isinstance(body, dict):
        raise DeskError(400, "La requête doit être un objet JSON.")
    return body
