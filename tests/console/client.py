"""An adviser's browser on the console's API, for the HTTP tests of the console and desk."""

from __future__ import annotations

from typing import Any

import aiohttp

from tests.console.conftest import PASSWORDS

API = "/webhooks/console/api"


class Client:
    """An adviser's browser: one cookie jar, JSON in and out."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))

    async def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> tuple[int, Any]:
        async with self.session.request(method, self.base + path, json=body, **kwargs) as answer:
            if answer.content_type == "application/json":
                return answer.status, await answer.json()
            return answer.status, await answer.text()

    async def sign_in(self, username: str) -> None:
        status, body = await self.call("POST", f"{API}/login",
                                       {"username": username, "password": PASSWORDS[username]})
        assert status == 200, body

    async def close(self) -> None:
        await self.session.close()
