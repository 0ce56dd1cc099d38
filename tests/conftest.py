"""Shared fixtures: the trained model and the real servers, started once per session."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import requests

from bot.launcher import Stack, ensure_model, free_port, write_endpoints

Chat = Callable[[str, str], list[dict[str, Any]]]


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """The project's model, trained first if config, domain or data changed."""
    return ensure_model()


@pytest.fixture(scope="session")
def stack(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Rasa and the action server on free localhost ports, with their own var dir."""
    work = tmp_path_factory.mktemp("stack")
    load_knowledge(work)
    actions_port, rasa_port = free_port(), free_port()
    endpoints = write_endpoints(work / "endpoints.yml", actions_port, work / "tracker.sqlite3")
    servers = Stack(
        model=trained_model,
        rasa_port=rasa_port,
        actions_port=actions_port,
        endpoints=endpoints,
        log_dir=work,
        extra_env={"SPRO_VAR_DIR": str(work)},
    )
    servers.start()
    try:
        servers.wait_ready()
        yield servers
    finally:
        servers.stop()


def load_knowledge(var_dir: Path) -> None:
    """Load the shipped knowledge files into the stack's own database (``SPRO_VAR_DIR``)."""
    from bot.knowledge.store import load_directory

    outcome = load_directory(url=f"sqlite:///{var_dir / 'knowledge.sqlite3'}")
    assert outcome.check.ok, [str(p) for p in outcome.check.errors]


_CONVERSATION_IDS: dict[str, str] = {}


def conversation_id(base_url: str, sender: str) -> str:
    """The server-issued conversation id standing for a test's own ``sender`` name."""
    if sender not in _CONVERSATION_IDS:
        answer = requests.post(f"{base_url}/webhooks/rest/conversations", timeout=60)
        answer.raise_for_status()
        _CONVERSATION_IDS[sender] = answer.json()["sender"]
    return _CONVERSATION_IDS[sender]


def post_message(base_url: str, sender: str, text: str) -> list[dict[str, Any]]:
    """Send one message to the REST channel and return the bot's messages."""
    answer = requests.post(
        f"{base_url}/webhooks/rest/webhook",
        json={"sender": conversation_id(base_url, sender), "message": text},
        timeout=60,
    )
    answer.raise_for_status()
    return answer.json()


@pytest.fixture
def chat(stack: Stack) -> Chat:
    """``chat(sender, text)`` sends a message to the running assistant."""
    return lambda sender, text: post_message(stack.url, sender, text)


@pytest.fixture
def sender() -> str:
    """A fresh conversation id."""
    return f"test-{uuid.uuid4().hex[:12]}"


def texts(messages: list[dict[str, Any]]) -> str:
    """All the text of the bot's messages, joined."""
    return "\n".join(m.get("text", "") for m in messages if m.get("text"))


@pytest.fixture(autouse=True)
def _indicators_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Indicator records written by any test (the purge derives them) go to a temporary file."""
    monkeypatch.setenv("SPRO_INDICATORS_DATABASE_URL", f"sqlite:///{tmp_path / 'indicators.sqlite3'}")
