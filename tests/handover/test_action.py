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
    assert [c["type"] for c in customs] == (["handover"] if asks_the_desk else [])


async def test_one_message_with_the_line_and_the_site_as_links_in_the_web_chat() -> None:
    """Tours (Centre-Val de Loire): the number said once, its links in the payload."""
    slots = {"commune_insee": "37261"}
    dispatcher = CollectingDispatcher()
    await ActionTalkToHuman().run(dispatcher, tracker(slots=slots, channel="webchat"), {})
    texts = [m["text"] for m in shown(dispatcher.messages, "webchat") if m.get("text")]
    assert len(texts) == 1, texts
    assert "(SPRO) (" not in texts[0] and "SPRO Centre-Val de Loire" in texts[0]
    assert "0 800 222 100" in texts[0]
    handover = next(m["custom"] for m in dispatcher.messages if m.get("custom"))
    assert handover["links"] == [
        {"kind": "phone", "href": "tel:0800222100", "phone": "0 800 222 100"},
        {"kind": "site", "href": "http://www.etoile.regioncentre.fr",
         "service": "SPRO Centre-Val de Loire", "host": "etoile.regioncentre.fr"},
    ]


async def test_channels_without_the_desk_get_the_site_named_in_text() -> None:
    dispatcher = CollectingDispatcher()
    slots = {"commune_insee": "37261"}
    await ActionTalkToHuman().run(dispatcher, tracker(slots=slots, channel="rest"), {})
    texts = [m["text"] for m in shown(dispatcher.messages, "rest")]
    assert texts[1] == "Site du SPRO Centre-Val de Loire : http://www.etoile.regioncentre.fr"
