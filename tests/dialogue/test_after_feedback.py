"""After « Non »: a message that differs from the orientation and fits the reason (issue 20)."""

from __future__ import annotations

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot import places
from bot.actions.feedback import ActionRecordFeedback
from bot.conversation.orientation import build_orientation
from bot.conversation.routing import Profile, route
from bot.knowledge import MemoryRepository, set_repository

SLOTS = {"situation": "salarie", "age": 35.0, "need": "reconversion", "commune_insee": "37261",
         "feedback_asked": True, "feedback": "non"}


@pytest.fixture(autouse=True)
def knowledge():
    repository = MemoryRepository.from_directory()
    set_repository(repository)
    yield repository
    set_repository(None)


def tracker(text: str, payload: dict, entities: list | None = None) -> Tracker:
    return Tracker(
        "s", dict(SLOTS),
        {"text": text, "intent": {"name": "give_feedback"}, "entities": entities or []},
        [{"event": "bot", "text": None, "data": {"custom": payload}},
         {"event": "user", "input_channel": "rest", "text": text}],
        False, None, {}, "action_listen",
    )


async def answer(text: str, knowledge, entities: list | None = None) -> list[dict]:
    decision = route(Profile(situation="salarie", age=35, need="reconversion"))
    payload = dict(build_orientation(decision, places.commune("37261"), knowledge).payload)
    dispatcher = CollectingDispatcher()
    await ActionRecordFeedback().run(dispatcher, tracker(text, payload, entities), {})
    return dispatcher.messages


async def test_no_without_a_reason_asks_what_is_wrong(knowledge) -> None:
    said = await answer('/give_feedback{"feedback": "non"}', knowledge,
                        [{"entity": "feedback", "value": "non"}])
    assert [m["response"] for m in said] == ["utter_feedback_ask_reason"]


async def test_too_far_gives_the_remote_ways_in(knowledge) -> None:
    said = await answer("c'est trop loin, 100 km sans voiture", knowledge)
    assert said[0]["response"] == "utter_feedback_remote"
    assert "https://mon-cep.org" in said[0]["remote_list"] and "0 800 222 100" in said[0]["remote_list"]


async def test_the_wrong_network_gives_the_other_one(knowledge) -> None:
    said = await answer("/give_feedback", knowledge, [{"entity": "feedback_theme", "value": "situation"}])
    assert said[0]["response"] == "utter_feedback_other_door"
    assert said[0]["also_name"] == "Transitions Pro" and "Olivet" in said[0]["also_nearest"]


async def test_wanting_a_person_gives_the_regional_line(knowledge) -> None:
    said = await answer("/give_feedback", knowledge, [{"entity": "feedback_theme", "value": "personne"}])
    assert said[0]["response"] == "utter_human_contact_region"
    assert "0 800 222 100" in said[0]["phone"]


def after_the_reason_question(text: str, payload: dict, slots: dict) -> Tracker:
    """The orientation, « Non », « Qu'est-ce qui ne va pas ? », then ``text`` read as inform."""
    events = [
        {"event": "user", "text": "je suis salarié à Tours et je veux changer de métier"},
        {"event": "bot", "text": None, "data": {"custom": payload}},
        {"event": "bot", "text": "Cette réponse vous aide-t-elle ?", "metadata": {"utter_action": "utter_ask_feedback"}},
        {"event": "user", "text": '/give_feedback{"feedback": "non"}'},
        {"event": "bot", "text": "Qu'est-ce qui ne va pas ?", "metadata": {"utter_action": "utter_feedback_ask_reason"}},
        {"event": "user", "input_channel": "webchat", "text": text},
        {"event": "action", "name": "orientation_form"},
    ]
    return Tracker("s", slots, {"text": text, "intent": {"name": "inform"}, "entities": []},
                   events, False, None, {}, "orientation_form")


def tours_payload(knowledge) -> dict:
    decision = route(Profile(situation="salarie", age=35, need="reconversion"))
    return dict(build_orientation(decision, places.commune("37261"), knowledge).payload)


@pytest.mark.parametrize(("text", "response"), [
    ("c'est trop loin, 100 km sans voiture", "utter_feedback_remote"),
    ("ça ne correspond pas à ma situation", "utter_feedback_other_door"),
    ("je voudrais quelqu'un au téléphone", "utter_human_contact_region"),
])
async def test_a_reason_read_as_inform_gets_the_reply_by_reason_not_the_same_orientation(
    knowledge, text: str, response: str
) -> None:
    from bot.actions.orientation import ActionPresentOrientation

    dispatcher = CollectingDispatcher()
    events = await ActionPresentOrientation().run(
        dispatcher, after_the_reason_question(text, tours_payload(knowledge), dict(SLOTS)), {})
    assert dispatcher.messages[0]["response"] == response
    assert not [m for m in dispatcher.messages if (m.get("custom") or {}).get("type") == "orientation"]
    assert events[0]["name"] == "feedback_theme" and events[0]["value"]


async def test_a_correction_after_the_reason_question_gives_the_new_orientation(knowledge) -> None:
    from bot.actions.orientation import ActionPresentOrientation

    corrected = {**SLOTS, "situation": "sans_emploi", "age": 40.0, "need": "emploi"}
    dispatcher = CollectingDispatcher()
    await ActionPresentOrientation().run(
        dispatcher, after_the_reason_question("je suis au chômage", tours_payload(knowledge), corrected), {})
    sent = [m["custom"] for m in dispatcher.messages if (m.get("custom") or {}).get("type") == "orientation"]
    assert sent and sent[0]["network"] == "france_travail"


def test_the_reason_question_is_recognised_only_right_before_the_answer() -> None:
    from bot.conversation.after_feedback import answers_the_reason_question

    asked = {"event": "bot", "metadata": {"utter_action": "utter_feedback_ask_reason"}}
    assert answers_the_reason_question([asked, {"event": "user", "text": "trop loin"}])
    assert not answers_the_reason_question(
        [asked, {"event": "user", "text": "trop loin"}, {"event": "bot", "metadata": {}},
         {"event": "user", "text": "Tours"}])
    assert not answers_the_reason_question([asked, {"event": "restart"}, {"event": "user", "text": "aide"}])


async def test_a_reason_read_as_deny_gets_the_reply_by_reason(knowledge) -> None:
    from bot.actions.feedback import ActionAnswerNo

    text = "c'est trop loin, je ne peux pas y aller"
    answered = after_the_reason_question(text, tours_payload(knowledge), dict(SLOTS))
    answered.latest_message["intent"] = {"name": "deny"}
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerNo().run(dispatcher, answered, {})
    assert dispatcher.messages[0]["response"] == "utter_feedback_remote"
    assert events == [{"event": "slot", "timestamp": None, "name": "feedback_theme",
                       "value": "distance"}]


async def test_no_elsewhere_offers_something_else() -> None:
    from bot.actions.feedback import ActionAnswerNo

    no_thanks = Tracker("s", dict(SLOTS), {"text": "non merci", "intent": {"name": "deny"}},
                        [{"event": "bot", "text": "Bonjour", "metadata": {}},
                         {"event": "user", "text": "non merci"}],
                        False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    assert await ActionAnswerNo().run(dispatcher, no_thanks, {}) == []
    assert [m["response"] for m in dispatcher.messages] == ["utter_anything_else"]
