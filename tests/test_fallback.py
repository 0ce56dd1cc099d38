"""Not understood twice in a row: the assistant offers a person."""

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.fallback import ActionDefaultFallback
from bot.fallback import previous_fallbacks


def user(text: str) -> dict[str, Any]:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": "nlu_fallback"}}}


def action(name: str) -> dict[str, Any]:
    return {"event": "action", "name": name}


FALLBACK_TURN = [user("zzz"), action("action_default_fallback"), {"event": "rewind"}, action("action_listen")]


def test_counts_fallbacks_since_last_real_answer() -> None:
    greeted = [action("action_listen"), user("bonjour"), action("utter_greet"), action("action_listen")]
    assert previous_fallbacks(greeted) == 0
    assert previous_fallbacks(greeted + FALLBACK_TURN) == 1
    assert previous_fallbacks(greeted + FALLBACK_TURN * 2) == 2
    assert previous_fallbacks(FALLBACK_TURN + greeted) == 0


def test_session_start_resets_the_count() -> None:
    assert previous_fallbacks(FALLBACK_TURN + [{"event": "session_started"}]) == 0


async def run_fallback(
    events: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    tracker = Tracker.from_dict({"sender_id": "t", "events": events, "slots": {}, "latest_message": {}})
    dispatcher = CollectingDispatcher()
    result = await ActionDefaultFallback().run(dispatcher, tracker, {})
    return dispatcher.messages, result


async def test_first_fallback_asks_to_rephrase_and_reverts() -> None:
    messages, events = await run_fallback([action("action_listen"), user("zzz")])
    assert [m["response"] for m in messages] == ["utter_default"]
    assert events == [{"event": "rewind", "timestamp": None}]


async def test_second_fallback_offers_a_person() -> None:
    messages, _ = await run_fallback(FALLBACK_TURN + [user("zzz encore")])
    assert [m["response"] for m in messages] == ["utter_offer_human"]
