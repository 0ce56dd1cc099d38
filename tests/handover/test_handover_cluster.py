"""The chat desk behind the load balancer: HAProxy in front of two Rasa instances.

Everything goes through HAProxy (``bot.runtime.cluster``, round robin, no stickiness): the
person's web chat messages, their hand-over request, their event stream and their
messages; the adviser's sign-in, availability, queue, messages, hand back and close.
So one person's stream and the adviser's writes land on either instance, and only the
shared PostgreSQL database (queue, messages, sessions) joins them. Skipped when
PostgreSQL or Redis does not answer on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, Iterator

import aiohttp
import pytest

from benchmarks.bench_handover import PASSWORD, accounts_yaml, run_handovers
from bot.runtime.cluster import Cluster, haproxy_servers
from tests.e2e.test_scale_out import PG, REDIS, reachable

pytestmark = pytest.mark.e2e

ADVISERS = 6


@pytest.fixture(scope="module")
def cluster(
    trained_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    """HAProxy and two Rasa instances sharing PostgreSQL, with adviser accounts."""
    if not (reachable(PG) and reachable(REDIS)):
        pytest.skip(
            "PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 are needed"
        )
    work = tmp_path_factory.mktemp("desk-cluster")
    accounts = work / "accounts.yml"
    accounts.write_text(accounts_yaml(ADVISERS), encoding="utf-8")
    with Cluster.temporary(
        trained_model,
        instances=2,
        work=work / "cluster",
        extra_env={"SPRO_CONSOLE_ACCOUNTS": str(accounts)},
    ) as running:
        yield running


async def read_stream(
    session: aiohttp.ClientSession, url: str, events: list[tuple[str, Any]]
) -> None:
    """Append the (event, data) pairs of a server-sent event stream until it ends."""
    async with session.get(url, timeout=aiohttp.ClientTimeout(total=300)) as stream:
        assert stream.status == 200
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        event = ""
        async for raw in stream.content:
            line = raw.decode().rstrip("\n")
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                events.append((event, json.loads(line[6:])))


async def wait_for(check: Any, what: str, seconds: float = 20.0) -> Any:
    """Poll ``check()`` (a coroutine function) until it gives something true."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        found = await check()
        if found:
            return found
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not seen in {seconds} s: {what}")
        await asyncio.sleep(0.1)


async def one_hand_over(base: str) -> None:
    """A person asks, an adviser takes, both write, the adviser hands back."""
    api = f"{base}/webhooks/console/desk/api"
    jar = aiohttp.CookieJar(unsafe=True)
    async with (
        aiohttp.ClientSession() as person,
        aiohttp.ClientSession(cookie_jar=jar) as adviser,
    ):

        async def chat(sender: str, text: str) -> list[dict[str, Any]]:
            async with person.post(
                f"{base}/webhooks/webchat/webhook",
                json={"sender": sender, "message": text},
            ) as r:
                assert r.status == 200, await r.text()
                return list(await r.json())

        async with adviser.post(
            f"{base}/webhooks/console/api/login",
            json={"username": "bench00", "password": PASSWORD},
        ) as r:
            assert r.status == 200, await r.text()
        async with adviser.post(
            f"{api}/availability", json={"available": True, "capacity": 1}
        ) as r:
            assert r.status == 200, await r.text()

        async with person.post(f"{base}/webhooks/webchat/conversations") as r:
            sender = (await r.json())["sender"]
        asked = await chat(sender, "je veux parler à quelqu'un")
        assert "handover" in [(m.get("custom") or {}).get("type") for m in asked], asked
        async with person.post(
            f"{base}/webhooks/handover/request", json={"sender": sender}
        ) as r:
            assert r.status == 201, await r.text()
            token = (await r.json())["token"]
        events: list[tuple[str, Any]] = []
        reader = asyncio.create_task(
            read_stream(
                person, f"{base}/webhooks/handover/events?token={token}", events
            )
        )

        async def waiting() -> list[dict[str, Any]]:
            async with adviser.get(f"{api}/state") as r:
                assert r.status == 200, await r.text()
                return [
                    i for i in (await r.json())["queue"] if i["status"] == "waiting"
                ]

        request_id = (await wait_for(waiting, "the request in the queue"))[0]["id"]
        async with adviser.post(f"{api}/conversations/{request_id}/take", json={}) as r:
            assert r.status == 200, await r.text()
        said = []
        for k in range(4):  # four requests: both instances take some
            async with adviser.post(
                f"{api}/conversations/{request_id}/say",
                json={"text": f"Bonjour, je suis là ({k})."},
            ) as r:
                assert r.status == 201, await r.text()
                said.append((await r.json())["text"])

        async def adviser_messages() -> list[dict[str, Any]] | None:
            shown = [d for e, d in events if e == "message" and d["who"] == "adviser"]
            return shown if len(shown) == len(said) else None

        shown = await wait_for(adviser_messages, "the adviser's messages in the stream")
        assert [m["text"] for m in shown] == said
        assert {m["name"] for m in shown} == {"Conseil00"}  # the first name only

        # The person writes through the desk's route and through the web chat: the
        # assistant stays silent, the adviser reads both.
        async with person.post(
            f"{base}/webhooks/handover/message",
            json={"token": token, "text": "Merci, j'ai 19 ans."},
        ) as r:
            assert r.status == 201, await r.text()
        assert await chat(sender, "je cherche une formation") == []

        async def person_messages() -> list[str] | None:
            async with adviser.get(f"{api}/conversations/{request_id}") as r:
                view = await r.json()
            texts = [m["text"] for m in view["messages"] if m["who"] == "person"]
            return texts if len(texts) == 2 else None

        assert await wait_for(person_messages, "the person's messages") == [
            "Merci, j'ai 19 ans.",
            "je cherche une formation",
        ]

        async with adviser.post(
            f"{api}/conversations/{request_id}/hand-back", json={}
        ) as r:
            assert r.status == 200, await r.text()
        await asyncio.wait_for(reader, timeout=30)  # the stream ends: final state
        assert events[-1][0] == "state" and events[-1][1].get("final") is True
        assert await chat(sender, "bonjour") != []  # the assistant answers again


def served(cluster: Cluster) -> dict[str, int]:
    """Requests HAProxy sent to each instance so far."""
    return {
        name: int(row["stot"])
        for name, row in haproxy_servers(cluster.stats_socket).items()
    }


def test_a_hand_over_through_the_load_balancer(cluster: Cluster) -> None:
    before = served(cluster)
    asyncio.run(one_hand_over(cluster.url))
    after = served(cluster)
    # Round robin: the person's and the adviser's requests went to both instances.
    assert len(after) == 2 and all(after[name] - before[name] >= 5 for name in after)


def test_simultaneous_hand_overs_through_the_load_balancer_lose_nothing(
    cluster: Cluster,
) -> None:
    # People and advisers both on the balancer's address: every request, stream
    # included, may land on either instance.
    outcome = asyncio.run(run_handovers(cluster.url, cluster.url, ADVISERS, 3))
    assert outcome.conversations_done == ADVISERS
    assert outcome.adviser_messages_lost == 0 and outcome.person_messages_lost == 0
    assert len(outcome.latencies_ms) == ADVISERS * 3
