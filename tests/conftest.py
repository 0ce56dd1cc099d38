"""Shared fixtures: the trained model and the real servers, started once per session."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from bot.evaluation.rest import conversation_id, load_knowledge, post_message
from bot.runtime.launcher import Stack, ensure_model
from channels.rate_limits import UNLIMITED
from tests.stacks import running_stack

# Every server of the suite is reached from 127.0.0.1: the flood limits are off for
# them (and the servers they start inherit it); tests/security/ tests the real ones.
os.environ.setdefault("SPRO_RATE_LIMITS", UNLIMITED)

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
    with running_stack(trained_model, work) as servers:
        yield servers


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
