"""Chat desk: adviser message to the person's screen, and simultaneous hand-overs.

Usage: ``.venv/bin/python benchmarks/bench_handover.py [--conversations 20]
[--messages 10] [--write]`` (``--write`` puts the figures in docs/handover.md).
Starts real servers on free ports: two Rasa instances sharing PostgreSQL (tracker store,
console and desk tables) and Redis when they answer on 127.0.0.1:5432 / 6379, else one
instance on SQLite. Then ``--conversations`` people ask for a person at the same time on
the first instance while as many advisers, signed in on the last instance, take them;
each adviser sends ``--messages`` messages and each person as many. Latency: from the
adviser's ``POST …/say`` to the message arriving in the person's event stream (what the
web chat shows at once). Every message is checked on the other side: none may be lost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import aiohttp

from bot.reports import write_block
from bot.runtime.launcher import Stack, ensure_model, free_port, stack_in_folder
from channels.rate_limits import UNLIMITED

PASSWORD = "un mot de passe de banc d'essai"
PG = ("127.0.0.1", 5432)
REDIS = ("127.0.0.1", 6379)


@dataclass
class Outcome:
    """What the run measured."""

    latencies_ms: list[float] = field(default_factory=list)
    adviser_messages_lost: int = 0
    person_messages_lost: int = 0
    conversations_done: int = 0


def reachable(address: tuple[str, int]) -> bool:
    """True when a TCP server answers at ``address``."""
    try:
        with socket.create_connection(address, timeout=1):
            return True
    except OSError:
        return False


def accounts_yaml(count: int) -> str:
    """``count`` adviser accounts sharing one benchmark password."""
    from bot.advisers.accounts import hash_password

    digest = hash_password(PASSWORD)  # one hash for all: scrypt is slow on purpose
    lines = ["advisers:"]
    for index in range(count):
        lines += [
            f"  - username: bench{index:02d}",
            f"    name: Conseil{index:02d} Banc",
            f'    password_hash: "{digest}"',
        ]
    return "\n".join(lines) + "\n"


async def adviser_session(base: str, index: int) -> aiohttp.ClientSession:
    """A signed-in, available adviser's browser."""
    session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with session.post(
        f"{base}/webhooks/console/api/login",
        json={"username": f"bench{index:02d}", "password": PASSWORD},
    ) as r:
        assert r.status == 200, await r.text()
    async with session.post(
        f"{base}/webhooks/console/desk/api/availability",
        json={"available": True, "capacity": 1},
    ) as r:
        assert r.status == 200, await r.text()
    return session


async def person(
    base: str,
    messages: int,
    sent_at: dict[str, float],
    outcome: Outcome,
    ready: asyncio.Event,
) -> tuple[str, str]:
    """One person: ask, follow the stream, count the adviser's messages, write back."""
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{base}/webhooks/webchat/conversations") as r:
            sender = (await r.json())["sender"]  # issued and signed by the server
        async with session.post(
            f"{base}/webhooks/handover/request", json={"sender": sender}
        ) as r:
            assert r.status == 201, await r.text()
            token = (await r.json())["token"]
        received: list[str] = []
        async with session.get(
            f"{base}/webhooks/handover/events",
            params={"token": token},
            timeout=aiohttp.ClientTimeout(total=600),
        ) as stream:
            ready.set()
            event = ""
            async for raw in stream.content:
                line = raw.decode().rstrip("\n")
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: ") and event == "message":
                    data = json.loads(line[6:])
                    if data["who"] == "adviser":
                        outcome.latencies_ms.append(
                            (time.perf_counter() - sent_at[data["text"]]) * 1000
                        )
                        received.append(data["text"])
                        if len(received) == messages:
                            break
        for k in range(messages):
            async with session.post(
                f"{base}/webhooks/handover/message",
                json={"token": token, "text": f"réponse {k}"},
            ) as r:
                assert r.status == 201, await r.text()
        outcome.adviser_messages_lost += messages - len(set(received))
        return sender, token


async def adviser(
    session: aiohttp.ClientSession,
    base: str,
    messages: int,
    sent_at: dict[str, float],
    outcome: Outcome,
    everyone_waiting: asyncio.Event,
) -> None:
    """One adviser: take a waiting conversation, write, wait for the replies, close."""
    api = f"{base}/webhooks/console/desk/api"
    await everyone_waiting.wait()
    conversation = None
    while conversation is None:
        async with session.get(f"{api}/state") as r:
            queue = [i for i in (await r.json())["queue"] if i["status"] == "waiting"]
        for item in queue:
            async with session.post(
                f"{api}/conversations/{item['id']}/take", json={}
            ) as r:
                if r.status == 200:
                    conversation = item["id"]
                    break
        if conversation is None:
            await asyncio.sleep(0.05)
    for k in range(messages):
        text = f"{conversation} message {k}"
        sent_at[text] = time.perf_counter()
        async with session.post(
            f"{api}/conversations/{conversation}/say", json={"text": text}
        ) as r:
            assert r.status == 201, await r.text()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        async with session.get(f"{api}/conversations/{conversation}") as r:
            view = await r.json()
        replies = [m for m in view["messages"] if m["who"] == "person"]
        if len(replies) >= messages:
            break
        await asyncio.sleep(0.2)
    outcome.person_messages_lost += max(0, messages - len(replies))
    async with session.post(
        f"{api}/conversations/{conversation}/close", json={"outcome": "information"}
    ) as r:
        assert r.status == 200, await r.text()
    outcome.conversations_done += 1


async def run_handovers(
    person_base: str, adviser_base: str, conversations: int, messages: int
) -> Outcome:
    """``conversations`` simultaneous hand-overs (accounts bench00… must exist)."""
    outcome = Outcome()
    sent_at: dict[str, float] = {}
    sessions = await asyncio.gather(
        *(adviser_session(adviser_base, i) for i in range(conversations))
    )
    try:
        readies = [asyncio.Event() for _ in range(conversations)]
        everyone_waiting = asyncio.Event()
        people = [
            asyncio.create_task(person(person_base, messages, sent_at, outcome, ready))
            for ready in readies
        ]
        await asyncio.gather(*(ready.wait() for ready in readies))
        everyone_waiting.set()
        await asyncio.gather(
            *(
                adviser(s, adviser_base, messages, sent_at, outcome, everyone_waiting)
                for s in sessions
            ),
            *people,
        )
    finally:
        for session in sessions:
            await session.close()
    return outcome


def percentile(values: list[float], share: float) -> float:
    """The value under which ``share`` of the values fall."""
    ordered = sorted(values)
    index = round(share * (len(ordered) - 1))
    return ordered[min(len(ordered) - 1, index)]


def load_knowledge(var_dir: Path) -> None:
    """The shipped knowledge files in an instance's own knowledge database."""
    from bot.knowledge.store import load_directory

    outcome = load_directory(url=f"sqlite:///{var_dir / 'knowledge.sqlite3'}")
    if not outcome.check.ok:
        raise SystemExit("knowledge files invalid: run python -m bot check")


def drop_database(name: str) -> None:
    """Remove a benchmark's PostgreSQL database."""
    import psycopg2

    admin = psycopg2.connect(host=PG[0], port=PG[1], user="postgres", dbname="postgres")
    admin.autocommit = True
    admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def start_instances(work: Path, conversations: int) -> tuple[list[Stack], str, str]:
    """Two instances on PostgreSQL + Redis when available, else one on SQLite.

    Returns the stacks (not started), a description, and the PostgreSQL database to drop
    afterwards (empty on SQLite).
    """
    model = ensure_model()
    accounts = work / "accounts.yml"
    accounts.write_text(accounts_yaml(conversations), encoding="utf-8")
    if reachable(PG) and reachable(REDIS):
        import psycopg2

        name = f"spro_bench_{uuid.uuid4().hex[:8]}"
        admin = psycopg2.connect(
            host=PG[0], port=PG[1], user="postgres", dbname="postgres"
        )
        admin.autocommit = True
        admin.cursor().execute(f'CREATE DATABASE "{name}"')
        admin.close()
        url = f"postgresql://postgres@{PG[0]}:{PG[1]}/{name}"
        stacks = []
        for label in ("a", "b"):
            var = work / label
            var.mkdir()
            load_knowledge(var)
            actions_port = free_port()
            stacks.append(
                Stack(
                    model=model,
                    rasa_port=free_port(),
                    actions_port=actions_port,
                    endpoints=Path("deploy/endpoints.production.yml").resolve(),
                    log_dir=var,
                    extra_env={
                        "SPRO_ACTION_ENDPOINT_URL": f"http://127.0.0.1:{actions_port}/webhook",
                        "SPRO_PG_HOST": PG[0],
                        "SPRO_PG_PORT": str(PG[1]),
                        "SPRO_PG_DB": name,
                        "SPRO_PG_USER": "postgres",
                        "SPRO_PG_PASSWORD": "",
                        "SPRO_REDIS_HOST": REDIS[0],
                        "SPRO_REDIS_PORT": str(REDIS[1]),
                        "SPRO_VAR_DIR": str(var),
                        "SPRO_CONSOLE_DATABASE_URL": url,
                        "SPRO_CONSOLE_ACCOUNTS": str(accounts),
                        "SPRO_CONVERSATION_SECRET": f"bench {name}",
                    },
                )
            )
        return stacks, "2 instances Rasa, PostgreSQL + Redis", name
    load_knowledge(work)
    stack = Stack(
        **stack_in_folder(model, work, {"SPRO_CONSOLE_ACCOUNTS": str(accounts)})
    )
    return [stack], "1 instance Rasa, SQLite", ""


def main() -> int:
    """Start the servers, run the hand-overs, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--messages", type=int, default=10)
    parser.add_argument("--write", action="store_true", help="update docs/handover.md")
    args = parser.parse_args()
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    # The load comes from one address: the flood limits would refuse it.
    os.environ.setdefault("SPRO_RATE_LIMITS", UNLIMITED)
    with tempfile.TemporaryDirectory(prefix="spro-bench-handover-") as tmp:
        stacks, setting, database = start_instances(Path(tmp), args.conversations)
        try:
            for stack in stacks:
                stack.start()
            for stack in stacks:
                stack.wait_ready(timeout=300)
            outcome = asyncio.run(
                run_handovers(
                    stacks[0].url, stacks[-1].url, args.conversations, args.messages
                )
            )
        finally:
            for stack in stacks:
                stack.stop()
            if database:
                drop_database(database)
    lat = outcome.latencies_ms
    report = "\n".join(
        [
            f"Measured on {date.today().isoformat()} with "
            "`.venv/bin/python benchmarks/bench_handover.py` "
            f"({setting}; people on the first instance, advisers on the last; "
            "2 cores shared with other work):",
            "",
            f"- simultaneous hand-overs closed: {outcome.conversations_done} / "
            f"{args.conversations}",
            f"- messages lost: adviser to person {outcome.adviser_messages_lost}, "
            f"person to adviser {outcome.person_messages_lost}",
            f"- adviser message to the person's screen ({len(lat)} messages): "
            f"p50 {statistics.median(lat):.0f} ms, p95 {percentile(lat, 0.95):.0f} ms, "
            f"max {max(lat):.0f} ms",
        ]
    )
    print(report)
    if args.write:
        write_block(
            Path(__file__).resolve().parent.parent / "docs" / "handover.md",
            "handover",
            report,
        )
    lost = outcome.adviser_messages_lost + outcome.person_messages_lost
    return 0 if lost == 0 and outcome.conversations_done == args.conversations else 1


if __name__ == "__main__":
    sys.exit(main())
