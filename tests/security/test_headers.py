"""Header values built only from allow-listed values (issue 21 B).

The report download put the ``format`` query value into ``Content-Disposition``: a CRLF
added any header (``Set-Cookie``) to the answer, a quote a second file name.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from yarl import URL

from tests.security.conftest import PASSWORDS

HOSTILE_FORMATS = [
    "x%0d%0aSet-Cookie:%20spro_evil=1",
    "csv%0d%0aX-Injected:%20yes",
    "csv%0aX-Injected:%20yes",
    'exe%22;%20filename=%22evil.exe',
    "pdf%22",
    "csv%00",
    "CSV",
    "html%20",
]


async def pilotage_session(base: str) -> aiohttp.ClientSession:
    session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with session.post(
        f"{base}/webhooks/dashboard/login",
        data={"username": "rlefevre", "password": PASSWORDS["rlefevre"]},
        allow_redirects=False,
    ) as answer:
        assert answer.status == 303
    return session


@pytest.mark.parametrize("value", HOSTILE_FORMATS)
async def test_a_hostile_report_format_adds_no_header(
    full_server: Any, value: str
) -> None:
    base, _, _ = full_server
    session = await pilotage_session(base)
    try:
        url = URL(f"{base}/webhooks/dashboard/report?year=2026&region=24&format={value}",
                  encoded=True)
        async with session.get(url) as answer:
            assert answer.status == 400
            names = {name.lower() for name in answer.headers}
            assert "x-injected" not in names
            assert "spro_evil" not in answer.headers.get("Set-Cookie", "")
            assert "evil" not in answer.headers.get("Content-Disposition", "")
    finally:
        await session.close()


@pytest.mark.parametrize("kind", ["csv", "html"])
async def test_the_report_file_name_is_the_allow_listed_one(
    full_server: Any, kind: str
) -> None:
    base, _, _ = full_server
    session = await pilotage_session(base)
    try:
        url = f"{base}/webhooks/dashboard/report?year=2026&region=24&format={kind}"
        async with session.get(url) as answer:
            assert answer.status == 200
            assert answer.headers["Content-Disposition"] == (
                f'attachment; filename="rapport-spro-24-2026.{kind}"'
            )
    finally:
        await session.close()
