"""Several Rasa instances sharing a PostgreSQL tracker store and a Redis lock store.

Uses deploy/endpoints.production.yml as it is, configured only by environment
variables, against the PostgreSQL and Redis servers of this machine (skipped when
they are not reachable). A conversation started on one instance goes on on the other;
behind HAProxy (``bot.runtime.cluster``), messages of one conversation sent to both instances
stay in order, and killing an instance in the middle of a run of whole conversations
loses, duplicates and leaves unanswered nothing (the 1,000-conversation version is
``benchmarks/bench_load.py --instances 2 --kill-one``).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import socket
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterator

import pytest

from benchmarks.bench_load import Personas, closed_loop, tracker_problems
from bot.runtime.cluster import Cluster, tracker_events, tracker_user_texts
from bot.config import PROJECT_ROOT
from bot.evaluation.personas import load_personas, play
from bot.evaluation.rest import conversation_id
from bot.runtime.launcher import Stack, free_port
from bot.runtime.conversation_retention import purge_conversations
from bot.tracker_db import tracker_store_url
from tests.conftest import load_knowledge, post_message, texts

pytestmark = pytest.mark.e2e

PG = ("127.0.0.1", 5432)
REDIS = ("127.0.0.1", 6379)


def reachable(address: tuple[str, int]) -> bool:
    try:
        with socket.create_connection(address, timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def tracker_database() -> Iterator[str]:
    """A fresh PostgreSQL database for the tracker store, dropped afterwards."""
    if not (reachable(PG) and reachable(REDIS)):
        pytest.skip(
            "PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 are needed"
        )
    import psycopg2

    name = f"spro_tracker_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(host=PG[0], port=PG[1], user="postgres", dbname="postgres")
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def production_stack(model: Path, database: str, log_dir: Path) -> Stack:
    actions_port = free_port()
    env = {
        "SPRO_ACTION_ENDPOINT_URL": f"http://127.0.0.1:{actions_port}/webhook",
        "SPRO_PG_HOST": PG[0],
        "SPRO_PG_PORT": str(PG[1]),
        "SPRO_PG_DB": database,
        "SPRO_PG_USER": "postgres",
        "SPRO_PG_PASSWORD": "",
        "SPRO_REDIS_HOST": REDIS[0],
        "SPRO_REDIS_PORT": str(REDIS[1]),
        "SPRO_VAR_DIR": str(log_dir),
        "SPRO_CONVERSATION_SECRET": "a key the instances share",
    }
    log_dir.mkdir(parents=True, exist_ok=True)
    load_knowledge(log_dir)
    return Stack(
        model=model,
        rasa_port=free_port(),
        actions_port=actions_port,
        endpoints=PROJECT_ROOT / "deploy" / "endpoints.production.yml",
        log_dir=log_dir,
        extra_env=env,
    )


def test_two_instances_share_conversations(
    trained_model: Path,
    tracker_database: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = production_stack(trained_model, tracker_database, tmp_path / "a")
    second = production_stack(trained_model, tracker_database, tmp_path / "b")
    try:
        first.start()
        second.start()
        first.wait_ready(timeout=300)
        second.wait_ready(timeout=300)
        sender = f"scale-{uuid.uuid4().hex[:8]}"
        assert "reformuler" in texts(post_message(first.url, sender, "xqzw blorp vrrr"))
        # The second instance reads the first not-understood message from PostgreSQL.
        assert "Une personne peut vous aider" in texts(
            post_message(second.url, sender, "azertyuiop qsdfgh")
        )
    finally:
        first.stop()
        second.stop()
    # The retention purge works on the production store too (here: 31 days later).
    for name, value in {
        "SPRO_PG_HOST": PG[0],
        "SPRO_PG_PORT": str(PG[1]),
        "SPRO_PG_DB": tracker_database,
        "SPRO_PG_USER": "postgres",
        "SPRO_PG_PASSWORD": "",
    }.items():
        monkeypatch.setenv(name, value)
    url = tracker_store_url(PROJECT_ROOT / "deploy" / "endpoints.production.yml")
    assert (
        purge_conversations(url, days=30, now=time.time() + 31 * 86_400).conversations
        == 1
    )
    assert (
        purge_conversations(url, days=30, now=time.time() + 31 * 86_400).conversations
        == 0
    )


@pytest.fixture(scope="module")
def cluster(
    trained_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    """HAProxy in front of two Rasa instances (bot.runtime.cluster), fresh database."""
    if not (reachable(PG) and reachable(REDIS)):
        pytest.skip(
            "PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 are needed"
        )
    with Cluster.temporary(
        trained_model, instances=2, work=tmp_path_factory.mktemp("cluster")
    ) as running:
        yield running


def test_a_conversation_spread_over_instances_stays_in_order(cluster: Cluster) -> None:
    # Each message of a conversation goes to the other instance than the previous one.
    urls = [stack.url for stack in cluster.stacks]
    sent: dict[str, list[str]] = {}

    def alternate(sender: str, text: str) -> list[dict[str, Any]]:
        sent.setdefault(sender, []).append(text)
        return post_message(urls[len(sent[sender]) % len(urls)], sender, text)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda p: play(alternate, p), load_personas()[:16]))
    assert [r.problems() for r in results] == [[]] * len(results)
    assert max(len(texts) for texts in sent.values()) >= 3
    # Stored under the ids the server issued for each persona's conversation.
    issued = {conversation_id(cluster.url, name): said for name, said in sent.items()}
    assert tracker_user_texts(cluster.database_url, list(issued)) == issued


def test_simultaneous_messages_on_two_instances_are_handled_one_at_a_time(
    cluster: Cluster,
) -> None:
    # Without a shared lock, both instances would read the same tracker and one turn
    # would be lost or mixed with the other. Each instance takes one message of a
    # conversation at a time (the public channel refuses a second one in flight), so
    # the burst sends one message of each conversation to each instance at once.
    urls = [stack.url for stack in cluster.stacks]
    senders = [f"burst-{uuid.uuid4().hex[:8]}" for _ in range(16)]
    burst = ["j'ai 19 ans", "je cherche du travail"]
    for sender in senders:
        post_message(cluster.url, sender, "Bonjour")
    with ThreadPoolExecutor(len(senders) * len(burst)) as pool:
        futures = [
            pool.submit(post_message, urls[index % 2], sender, text)
            for sender in senders
            for index, text in enumerate(burst)
        ]
        assert all(future.result() for future in futures)
    for sender in senders:
        events = tracker_events(
            cluster.database_url, conversation_id(cluster.url, sender)
        )
        users = [data["text"] for kind, data in events if kind == "user"]
        assert users[0] == "Bonjour" and sorted(users[1:]) == sorted(burst)
        # Every turn ends (action_listen) before the next message is read.
        kinds = [kind if kind == "user" else data.get("name") for kind, data in events]
        users_at = [position for position, kind in enumerate(kinds) if kind == "user"]
        for start, end in itertools.pairwise(users_at):
            assert "action_listen" in kinds[start:end], kinds


def test_an_instance_killed_mid_run_loses_and_duplicates_nothing(
    cluster: Cluster,
) -> None:
    conversations, people = 150, 10
    victim = cluster.stacks[-1].rasa
    assert victim is not None

    def kill() -> None:
        os.kill(victim.pid, signal.SIGKILL)

    run = asyncio.run(
        closed_loop(
            f"{cluster.url}/webhooks/rest/webhook",
            people,
            3600,
            Personas(),
            max_conversations=conversations,
            midway=kill,
        )
    )
    assert victim.poll() is not None
    # Only the messages the killed instance was handling may fail (HAProxy answers
    # 502/503 with a French error); every other conversation goes to its end, its
    # messages answered at once (not by the 10 s deadline's notice while the turn
    # goes on): the stopped instance's lock tickets are dropped within seconds.
    # A person whose message failed starts a new conversation at once: its first
    # request may reach the dying instance too before HAProxy marks it down.
    assert run.errors <= 2 * people, run.error_kinds
    assert max(run.latencies_ms) < 9_500
    assert len(run.conversations) == conversations
    assert all(c.done for c in run.conversations if c.failed is None)
    senders = [c.sender for c in run.conversations]
    assert (
        tracker_problems(run, tracker_user_texts(cluster.database_url, senders)) == []
    )
    finished = [c for c in run.conversations if c.failed is None]
    routed = sum(c.routed_as_expected for c in finished)
    # Each failed message ends its conversation; every other conversation finishes.
    assert routed == len(finished) >= conversations - run.errors, [
        (c.persona["id"], c.sent, c.result.problems())
        for c in finished
        if not c.routed_as_expected and c.result
    ]
