"""Floods of the public routes that create something (issue 21 F).

The probe opened 300 conversations in 0.4 s, sent 100 call-backs from one conversation
in 0.7 s (advisers saw 101) and put 30 fake entries in the queue ahead of real people.
Every such route now counts per client address and per conversation, and answers
429 in French with ``Retry-After``; with Redis the instances share the counts.
"""

from __future__ import annotations

import asyncio
import json
import random
import socket
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from rasa.core.run import configure_app
from sanic import Sanic

from channels import conversation_ids, rate_limits
from tests.sanic_server import served
from tests.security.conftest import every_channel


def an_address() -> str:
    """A client address of this test alone (the counts of a process are shared)."""
    return ".".join(str(random.randint(1, 254)) for _ in range(4))


async def post(
    base: str, path: str, body: Any = None, address: str = ""
) -> tuple[int, Any, Any]:
    address = address or an_address()
    async with aiohttp.ClientSession() as session:
        async with session.post(
            base + path, json=body, headers={"X-Forwarded-For": address}
        ) as answer:
            text = await answer.text()
            try:
                content = json.loads(text)
            except json.JSONDecodeError:
                content = text
            return answer.status, content, answer.headers


async def test_300_conversations_from_one_address(full_server: Any) -> None:
    base, _, _ = full_server
    address = an_address()
    answers = await asyncio.gather(
        *(post(base, "/webhooks/rest/conversations", address=address) for _ in range(300))
    )
    statuses = [status for status, _, _ in answers]
    allowed = rate_limits.LIMITS["conversations"].per_address
    assert statuses.count(201) == allowed
    assert statuses.count(429) == 300 - allowed
    refused = next(a for a in answers if a[0] == 429)
    assert "Patientez une minute" in refused[1]["error"]
    assert 1 <= int(refused[2]["Retry-After"]) <= 61
    status, _, _ = await post(base, "/webhooks/rest/conversations")
    assert status == 201  # another address is not held back


async def test_100_call_backs_from_one_conversation(full_server: Any) -> None:
    base, _, desk = full_server
    sender = conversation_ids.issue()
    body = {
        "sender": sender,
        "consent": True,
        "contact_kind": "phone",
        "contact": "06 12 34 56 78",
        "slot": "morning",
    }
    answers = await asyncio.gather(
        *(
            post(base, "/webhooks/handover/callback", body) for _ in range(100)
        )
    )
    statuses = [status for status, _, _ in answers]
    allowed = rate_limits.LIMITS["callbacks"].per_conversation
    assert statuses.count(201) == allowed, statuses
    assert len(desk.callbacks()) == allowed


async def test_fake_queue_entries_from_one_address(full_server: Any) -> None:
    base, _, desk = full_server
    desk.set_availability("cmartin", "Claire", True)
    address = an_address()
    answers = [
        await post(
            base,
            "/webhooks/handover/request",
            {"sender": conversation_ids.issue()},
            address,
        )
        for _ in range(30)
    ]
    statuses = [status for status, _, _ in answers]
    allowed = rate_limits.LIMITS["queue"].per_address
    assert statuses.count(201) == allowed
    assert len(desk.queue("cmartin")) == allowed
    real = await post(
        base,
        "/webhooks/handover/request",
        {"sender": conversation_ids.issue()},
    )
    assert real[0] == 201


def redis_reachable() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


async def test_instances_share_the_counts_through_redis(
    tmp_path: Path,
    accounts_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    namespace: str,
) -> None:
    """Two servers with the same Redis: the limit holds for both together."""
    if not redis_reachable():
        pytest.skip("Redis on 127.0.0.1:6379 is needed")
    monkeypatch.setenv("SPRO_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("SPRO_REDIS_HOST", "127.0.0.1")
    monkeypatch.setenv("SPRO_REDIS_PORT", "6379")
    monkeypatch.setenv("SPRO_RATE_LIMITS", "conversations=10/0/600")
    address = an_address()
    Sanic.test_mode = True
    apps = []
    for number in range(2):
        folder = tmp_path / f"instance{number}"
        folder.mkdir()
        channels, _ = every_channel(folder, accounts_file)
        app = configure_app(channels, enable_api=False)
        app.config.PROXIES_COUNT = 1
        apps.append(app)
    async with served(apps[0]) as first, served(apps[1]) as second:
        statuses = [
            (await post(url, "/webhooks/rest/conversations", address=address))[0]
            for url in [first, second] * 10
        ]
    assert statuses.count(201) == 10
    assert statuses.count(429) == 10
    import redis

    client = redis.Redis(host="127.0.0.1", port=6379)
    keys = client.keys(f"{namespace}:rate:*")
    assert keys, "the counts are in Redis"
    client.delete(*keys)


def test_the_counts_of_past_windows_are_forgotten() -> None:
    """Issue 25: a key per conversation and minute piled up until 100,000 of them."""
    now = [1000.0]
    counter = rate_limits.MemoryCounter(clock=lambda: now[0])
    assert asyncio.run(counter.hit("messages:conversation:a:1", 60)) == 1
    assert asyncio.run(counter.hit("messages:conversation:a:1", 60)) == 2
    now[0] += 30
    assert asyncio.run(counter.hit("messages:conversation:b:1", 60)) == 1
    assert set(counter.counts) == {"messages:conversation:a:1", "messages:conversation:b:1"}
    now[0] += 35  # a's window is over, b's is not
    assert asyncio.run(counter.hit("messages:conversation:b:1", 60)) == 2
    assert set(counter.counts) == set(counter.expiries) == {"messages:conversation:b:1"}
    now[0] += 60
    assert asyncio.run(counter.hit("messages:conversation:a:2", 60)) == 1
    assert set(counter.counts) == {"messages:conversation:a:2"}
