"""A Sanic app served on a free localhost port, for the channels' HTTP tests."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import AsyncIterator

from sanic import Sanic

from bot.runtime.launcher import free_port


@asynccontextmanager
async def served(app: Sanic) -> AsyncIterator[str]:
    """Run ``app`` on a free localhost port; yield its base URL, stop it on exit."""
    port = free_port()
    running = await app.create_server(
        host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False
    )
    await running.startup()
    await running.before_start()
    await running.after_start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await running.before_stop()
        running.close()
        await running.wait_closed()
        await running.after_stop()
