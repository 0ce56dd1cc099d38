"""One guard in front of every route: a walk over every route the server registers.

The server is built as ``rasa run`` builds it from credentials.yml (every channel).
Each registered route must belong to a family of ``channels.guard``, and each is sent
the probe's hostile requests (issue 21 C, D, J): JSON nested 10,000 deep, a lone
surrogate, control and bidi characters, a body of 200 kB and one announced at 30 MB,
``Origin: null`` and a foreign origin, path ids with a trailing newline or non-ASCII
digits, and an invalid query string. None may get a 5xx, and each gets the refusal
the guard promises, before any sign-in or per-route check.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from channels import guard

HOSTILE_ID = "abc\n"
DEEP = b"[" * 10_000 + b"]" * 10_000


def concrete(path: str, value: str = "abc") -> str:
    """A route path with its parameters filled in."""
    return "/" + re.sub(r"<[^>]+>", value, path.lstrip("/"))


def routes(app: Any) -> list[tuple[str, frozenset[str]]]:
    """Every registered route: its path and methods."""
    return sorted(
        {(route.path, frozenset(route.methods)) for route in app.router.routes},
        key=lambda item: item[0],
    )


def state_changes(app: Any) -> list[tuple[str, str]]:
    """Every (method, concrete path) that changes something."""
    return [
        (method, concrete(path))
        for path, methods in routes(app)
        for method in sorted(methods - {"GET", "HEAD", "OPTIONS"})
    ]


HOSTILE_BODIES = {
    "deep": (DEEP, 400),
    "surrogate": (b'{"text": "\\ud800", "note": "\\udfff"}', 400),
    "controls": (b'{"message": "\\u202e\\u0000\\u001b"}', 400),
    "big": (b'{"text": "' + b"a" * 200_000 + b'"}', 413),
    "not utf-8": (b'{"text": "\xff\xfe"}', 400),
}


async def send(
    base: str,
    method: str,
    path: str,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session:
        async with session.request(
            method,
            base + path,
            data=data,
            headers={"Content-Type": "application/json", **(headers or {})},
            allow_redirects=False,
        ) as answer:
            return answer.status, await answer.text()


def test_the_walk_builds_every_channel_of_credentials_yml() -> None:
    """The walk's server has the channels rasa run starts (a new one joins the walk)."""
    declared = set(yaml.safe_load(Path("credentials.yml").read_text(encoding="utf-8")))
    walked = {
        f"{type(c).__module__}.{type(c).__name__}"
        for c in __import__("tests.security.conftest", fromlist=["x"]).every_channel(
            Path("/nonexistent"), Path("/nonexistent")
        )[0]
    }
    assert declared == walked


async def test_every_route_belongs_to_a_guarded_family(full_server: Any) -> None:
    """The guard is in front of the whole app, and knows every route."""
    _, app, _ = full_server
    assert guard.guard_request in app.request_middleware
    assert guard.guard_response in app.response_middleware
    assert app.config.REQUEST_MAX_SIZE == guard.body_limit()
    found = routes(app)
    assert len(found) > 30
    unknown = [path for path, _ in found if guard.family_of(path) is None]
    assert unknown == []


async def test_every_route_refuses_hostile_bodies_without_a_5xx(
    full_server: Any,
) -> None:
    """Deep JSON, a lone surrogate, controls, a big body: refused on every route."""
    base, app, _ = full_server
    failures = []
    for method, url in state_changes(app):
        for case, (body, expected) in HOSTILE_BODIES.items():
            status, text = await send(base, method, url, body)
            if status != expected:
                failures.append((method, url, case, status, text[:80]))
    assert failures == [], '\n'.join(map(str, failures))


async def test_every_route_refuses_foreign_origins_and_bad_ids(
    full_server: Any,
) -> None:
    """State changes from another origin or ``null``; ids with a newline; bad queries."""
    base, app, _ = full_server
    failures = []
    for method, url in state_changes(app):
        for origin in ("null", "https://evil.example"):
            status, _ = await send(base, method, url, b"{}", {"Origin": origin})
            if status != 403:
                failures.append((method, url, origin, status))
    for path, methods in routes(app):
        url = concrete(path)
        if "<" in path:
            for value in ("abc%0A", "%D9%A2%D9%A4", "a%00b", "%2E%2E%2Fkey"):
                method = sorted(methods)[0]
                status, _ = await send(base, method, concrete(path, value), b"{}")
                if status != 404:
                    failures.append((method, path, value, status))
        if "GET" in methods:
            for query in ("?x=%ED%A0%80", "?year=2026%00", "?q=" + "a" * 3000):
                status, _ = await send(base, "GET", url + query)
                if status != 400:
                    failures.append(("GET", url, query[:20], status))
    assert failures == [], '\n'.join(map(str, failures))


async def test_a_30_mb_body_is_refused_before_it_is_read(full_server: Any) -> None:
    """The announced length is enough: 413 at once, the 30 MB are never awaited."""
    base, app, _ = full_server
    host, port = base.removeprefix("http://").split(":")
    for path in (
        "/webhooks/handover/callback",
        "/webhooks/console/api/login",
        "/webhooks/dashboard/login",
        "/webhooks/rest/webhook",
    ):
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(
            f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {30 * 1024 * 1024}\r\n\r\n".encode()
            + b'{"text": "'
        )
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), timeout=3)
        writer.close()
        assert status_line.split()[1] == b"413", (path, status_line)


async def test_bidi_characters_are_dropped_and_ids_must_match_fully(
    full_server: Any,
) -> None:
    """A hand-over message keeps the person's words without the bidi override."""
    from channels import conversation_ids

    base, _, desk = full_server
    sender = conversation_ids.issue()
    assert not conversation_ids.is_valid(sender + "\n")
    desk.set_availability("cmartin", "Claire", True)
    status, body = await send(
        base,
        "POST",
        "/webhooks/handover/request",
        b'{"sender": "' + sender.encode() + b'"}',
    )
    assert status == 201, body
    token = __import__("json").loads(body)["token"]
    status, body = await send(
        base,
        "POST",
        "/webhooks/handover/message",
        ('{"token": "%s", "text": "\\u202ebonjour\\u2066 ａ"}' % token).encode(),
    )
    assert status in (200, 201), body
    request = desk.active_for_sender(sender)
    assert [m.text for m in desk.messages_after(request.id)][-1] == "bonjour a"


@pytest.mark.parametrize(
    "header",
    [("Content-Disposition", 'attachment; filename="a"\r\nSet-Cookie: x=1'), ("X", "a\nb")],
)
async def test_no_header_with_a_line_break_leaves_the_server(header: Any) -> None:
    """The last line of defence: a header built from input is never sent."""
    from sanic import response

    answer = response.text("rapport")
    answer.headers[header[0]] = header[1]
    request: Any = type("Request", (), {"path": "/webhooks/dashboard/report"})()
    refused = await guard.guard_response(request, answer)
    assert refused is not None and refused.status == 500
    assert await guard.guard_response(request, response.text("ok")) is None
