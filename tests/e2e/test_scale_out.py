"""Several Rasa instances sharing a PostgreSQL tracker store and a Redis lock store.

Uses deploy/endpoints.production.yml as it is, configured only by environment
variables, against the PostgreSQL and Redis servers of this machine (skipped when
they are not reachable). A conversation started on one instance goes on on the other.
"""

from __future__ import annotations

import socket
import time
import uuid
from pathlib import Path
from typing import Iterator

import pytest

from bot.config import PROJECT_ROOT
from bot.launcher import Stack, free_port
from bot.retention import purge_conversations, tracker_store_url
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
        pytest.skip("PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 are needed")
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
        "SPRO_PG_HOST": PG[0], "SPRO_PG_PORT": str(PG[1]), "SPRO_PG_DB": database,
        "SPRO_PG_USER": "postgres", "SPRO_PG_PASSWORD": "",
        "SPRO_REDIS_HOST": REDIS[0], "SPRO_REDIS_PORT": str(REDIS[1]),
        "SPRO_VAR_DIR": str(log_dir),
        "SPRO_CONVERSATION_SECRET": "a key the instances share",
    }
    log_dir.mkdir(parents=True, exist_ok=True)
    load_knowledge(log_dir)
    return Stack(model=model, rasa_port=free_port(), actions_port=actions_port,
                 endpoints=PROJECT_ROOT / "deploy" / "endpoints.production.yml",
                 log_dir=log_dir, extra_env=env)


def test_two_instances_share_conversations(
    trained_model: Path, tracker_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
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
    for name, value in {"SPRO_PG_HOST": PG[0], "SPRO_PG_PORT": str(PG[1]), "SPRO_PG_DB": tracker_database,
                        "SPRO_PG_USER": "postgres", "SPRO_PG_PASSWORD": ""}.items():
        monkeypatch.setenv(name, value)
    url = tracker_store_url(PROJECT_ROOT / "deploy" / "endpoints.production.yml")
    assert purge_conversations(url, days=30, now=time.time() + 31 * 86_400).conversations == 1
    assert purge_conversations(url, days=30, now=time.time() + 31 * 86_400).conversations == 0
