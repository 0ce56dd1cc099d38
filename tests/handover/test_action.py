"""The human-request action: the regional line everywhere, the chat desk in the web chat."""

from __future__ import annotations

from typing import Any, Iterator

import pytest
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import ActionTalkToHuman
from bot.knowledge import MemoryRepository, set_repository
from tests.dialogue.test_actions import shown, tracker


@pytest.fixture(autouse=True)
def knowledge() -> Iterator[None]:
    set_repository(MemoryRepository.from_directory())
    yield
    set_repository(None)


@pytest.mark.parametrize(
    ("channel", "asks_the_desk"),
    [("webchat", True), ("rest", False), ("console", False)],
)
async def test_only_the_web_chat_asks_the_desk(
    channel: str, asks_the_desk: bool
) -> None:
    dispatcher = CollectingDispatcher()
    await ActionTalkToHuman().run(dispatcher, tracker(channel=channel), {})
    customs: list[Any] = [
        m.get("custom") for m in dispatcher.messages if m.get("custom")
    ]
    first = shown(dispatcher.messages, channel)[0]
    assert "gratuitement" in first["text"]  # never a dead end
    assert customs == ([{"type": "handover"}] if asks_the_desk else [])
