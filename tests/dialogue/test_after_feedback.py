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
