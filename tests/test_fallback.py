"""Not understood twice in a row: the assistant offers a person."""

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.fallback import ActionDefaultFallback
from bot.conversation.fallback import did_you_mean, previous_fallbacks


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


DID_YOU_MEAN = {"responses": {"utter_did_you_mean": [{"text": "Vouliez-vous dire… ?", "buttons": [
    {"title": "Je parle de ma situation", "payload": "/inform"},
    {"title": "J'ai une question sur un dispositif", "payload": "/ask_info"},
    {"title": "Parler à une personne", "payload": "/ask_human"}]}]}}


async def test_first_fallback_offers_the_two_readings_it_hesitated_between() -> None:
    ranking = [{"name": "nlu_fallback", "confidence": 0.45}, {"name": "ask_info", "confidence": 0.41},
               {"name": "inform", "confidence": 0.38}, {"name": "greet", "confidence": 0.1}]
    tracker = Tracker.from_dict({"sender_id": "t", "events": [action("action_listen"), user("cpf formation ?")],
                                 "slots": {}, "latest_message": {"intent_ranking": ranking}})
    dispatcher = CollectingDispatcher()
    events = await ActionDefaultFallback().run(dispatcher, tracker, DID_YOU_MEAN)
    assert dispatcher.messages[0]["text"] == "Vouliez-vous dire… ?"
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == ["/ask_info", "/inform"]
    assert events == [{"event": "rewind", "timestamp": None}]


def test_readings_without_a_button_are_never_offered() -> None:
    buttons = DID_YOU_MEAN["responses"]["utter_did_you_mean"][0]["buttons"]
    assert did_you_mean([{"name": "greet"}, {"name": "inform"}], buttons) == []
    assert len(did_you_mean([{"name": "inform"}, {"name": "ask_human"}], buttons)) == 2
