"""The probe's smaller findings (issue 21 J), each on the code that had it.

An id with a trailing newline was valid (regexes ending with ``$``), Arabic-Indic digits
passed for a region (``\\d``), the 429 text said nothing was lost though the refused
message was not kept, and the REST webhook answered with a full orientation while an
adviser held the conversation (the web chat rightly stayed silent).
"""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from channels import conversation_ids, rate_limits
from channels.public_requests import Refused, checked_metadata


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPRO_CONVERSATION_SECRET", "une clé de test")


@pytest.mark.parametrize("suffix", ["\n", "\r\n", " ", "\x00"])
def test_an_id_with_a_trailing_character_is_not_valid(suffix: str) -> None:
    sender = conversation_ids.issue()
    assert conversation_ids.is_valid(sender)
    assert not conversation_ids.is_valid(sender + suffix)


@pytest.mark.parametrize("region", ["٢٤", "２４", "۲۴", "24\n"])
def test_a_region_is_two_ascii_digits(region: str) -> None:
    with pytest.raises(Refused):
        checked_metadata({"region": region})
    assert checked_metadata({"region": "24"}) == {"region": "24"}


def test_the_429_texts_do_not_say_the_refused_message_is_kept() -> None:
    for limit in rate_limits.LIMITS.values():
        assert "perdu" not in limit.message
    assert "n'a pas été pris en compte" in rate_limits.LIMITS["messages"].message


async def test_the_rest_channel_is_silent_while_an_adviser_holds_it(
    full_server: Any,
) -> None:
    """A REST message goes to the adviser, the assistant does not answer over them."""
    base, _, desk = full_server
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{base}/webhooks/rest/conversations") as answer:
            sender = (await answer.json())["sender"]
        desk.set_availability("cmartin", "Claire", True)
        request, _ = desk.request_live(sender, {"profile": {}})
        desk.take(request.id, "cmartin")
        async with session.post(
            f"{base}/webhooks/rest/webhook",
            json={"sender": sender, "message": "Je voudrais parler à quelqu'un"},
        ) as answer:
            assert answer.status == 200
            assert await answer.json() == []
    said = [m.text for m in desk.messages_after(request.id) if m.who == "person"]
    assert said == ["Je voudrais parler à quelqu'un"]
