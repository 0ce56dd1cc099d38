"""The dialogue's rasa-sdk actions on hand-made trackers (no servers)."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import (
    ActionAskCommuneInsee, ActionAskNeed, ActionPresentOrientation, ActionTalkToHuman, ActionValidateSlotMappings,
    ValidateOrientationForm,
)
from bot.knowledge import MemoryRepository, set_repository
from bot.conversation.wording import render

MESSAGE_KEYS = {"text", "image", "json_message", "response", "attachment", "buttons", "elements", "custom"}


def shown(messages: list[dict[str, Any]], channel: str | None = None) -> list[dict[str, Any]]:
    """The dispatcher's messages as Rasa sends them: responses rendered for the channel."""
    out = []
    for message in messages:
        if message.get("response"):
            variables = {k: v for k, v in message.items() if k not in MESSAGE_KEYS}
            rendered = render(message["response"], variables, channel)
            out.append({"text": rendered["text"], "buttons": rendered["buttons"] + (message.get("buttons") or [])})
        else:
            out.append(message)
    return out


@pytest.fixture(autouse=True)
def knowledge():
    set_repository(MemoryRepository.from_directory())
    yield
    set_repository(None)


def tracker(text: str = "", slots: dict[str, Any] | None = None, loop: str | None = None,
            channel: str = "rest", intent: str = "inform", metadata: dict[str, Any] | None = None) -> Tracker:
    return Tracker(
        sender_id="t", slots=dict(slots or {}),
        latest_message={"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": [],
                        "metadata": metadata or {}},
        events=[{"event": "user", "text": text, "input_channel": channel}],
        paused=False, followup_action=None,
        active_loop={"name": loop} if loop else {}, latest_action_name="action_listen",
    )


async def test_every_message_fills_the_profile_slots() -> None:
    events = await ActionValidateSlotMappings().run(
        CollectingDispatcher(), tracker("22", {"requested_slot": "age", "situation": "sans_emploi"},
                                        loop="orientation_form"), {})
    values = {e["name"]: e["value"] for e in events}
    assert values["age"] == 22.0 and values["public"] == "jeune_16_25" and values["age_band"] == "16_25"


async def test_the_form_asks_only_what_routing_needs() -> None:
    form = ValidateOrientationForm()
    slots = {"need": "emploi", "situation": "salarie"}
    assert await form.required_slots([], CollectingDispatcher(), tracker(slots=slots), {}) == ["commune_insee"]
    slots["commune_insee"] = "37261"
    assert await form.required_slots([], CollectingDispatcher(), tracker(slots=slots), {}) == []


JOB_SEEKER_IN_VIERZON = {"need": "emploi", "situation": "sans_emploi", "age": 40.0, "commune_insee": "18279"}


async def test_orientation_sends_the_proposal_then_the_payload_then_the_rest() -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionPresentOrientation().run(dispatcher, tracker(slots=JOB_SEEKER_IN_VIERZON), {})
    customs = [i for i, m in enumerate(dispatcher.messages) if m.get("custom")]
    assert len(customs) == 1
    payload = dispatcher.messages[customs[0]]["custom"]
    assert payload["type"] == "orientation" and payload["network"] == "france_travail"
    assert payload["structures"][0]["commune"] == "Vierzon"
    texts = [m.get("text") for m in shown(dispatcher.messages) if not m.get("custom")]
    assert all(texts) and texts[0].startswith("Je vous propose : France Travail")
    assert dispatcher.messages[-1]["response"] == "utter_ask_feedback", "then, once, the opinion"
    # A text-only REST client reads the whole orientation in the texts.
    joined = "\n".join(texts)
    assert "Le plus proche de chez vous" in joined and "À distance" in joined
    assert {"event": "slot", "name": "network", "value": "france_travail", "timestamp": None} in events


async def test_the_web_chat_does_not_repeat_in_text_what_its_cards_show() -> None:
    dispatcher = CollectingDispatcher()
    await ActionPresentOrientation().run(dispatcher, tracker(slots=JOB_SEEKER_IN_VIERZON, channel="webchat"), {})
    texts = "\n".join(m.get("text") or "" for m in shown(dispatcher.messages, "webchat"))
    assert "Je vous propose : France Travail." in texts and "C'est gratuit" in texts
    assert "Le plus proche de chez vous" not in texts and "À distance" not in texts
    why = dispatcher.messages[1]["custom"]["structures"][0]["why"]
    assert why not in texts, "the card gives the reason"
    assert dispatcher.messages[1]["custom"]["structures"], "the card comes right after the proposal"


async def test_commune_choice_has_buttons_on_the_web_but_not_on_the_phone_console() -> None:
    choices = [{"insee": "93066", "label": "Saint-Denis (Seine-Saint-Denis, 93)"},
               {"insee": "11339", "label": "Saint-Denis (Aude, 11)"}]
    web, phone = CollectingDispatcher(), CollectingDispatcher()
    await ActionAskCommuneInsee().run(web, tracker(slots={"commune_choices": choices}), {})
    await ActionAskCommuneInsee().run(phone, tracker(slots={"commune_choices": choices}, channel="console"), {})
    assert len(shown(web.messages)[0]["buttons"]) == 2
    said = shown(phone.messages, "console")[0]
    assert not said["buttons"] and "Aude" in said["text"]


async def test_the_human_option_gives_the_regional_line_when_the_commune_is_known() -> None:
    dispatcher = CollectingDispatcher()
    await ActionTalkToHuman().run(dispatcher, tracker(slots={"commune_insee": "37261"}), {})
    assert "0 800 222 100" in shown(dispatcher.messages)[0]["text"]


async def test_the_human_option_uses_the_region_of_the_site_without_a_commune() -> None:
    dispatcher = CollectingDispatcher()
    await ActionTalkToHuman().run(dispatcher, tracker(metadata={"region": "24"}), {})
    assert "0 800 222 100" in shown(dispatcher.messages)[0]["text"]
    dispatcher = CollectingDispatcher()
    await ActionTalkToHuman().run(dispatcher, tracker(metadata={"region": "<script>"}), {})
    assert "site de votre Région" in shown(dispatcher.messages)[0]["text"]


async def test_a_bare_call_for_help_is_welcomed_before_the_need_question() -> None:
    dispatcher = CollectingDispatcher()
    await ActionAskNeed().run(dispatcher, tracker("aide", loop="orientation_form"), {})
    said = shown(dispatcher.messages)
    assert [m["response"] for m in dispatcher.messages] == ["utter_help_welcome", "utter_ask_need"]
    assert said[0]["text"].startswith("Bien sûr, je suis là pour vous aider") and not said[0]["buttons"]
    assert said[1]["buttons"], "the options follow the welcome"


@pytest.mark.parametrize("text", ["je cherche du travail", "bonjour"])
async def test_no_welcome_when_the_person_says_more_than_a_call_for_help(text: str) -> None:
    dispatcher = CollectingDispatcher()
    await ActionAskNeed().run(dispatcher, tracker(text, loop="orientation_form"), {})
    assert [m["response"] for m in dispatcher.messages] == ["utter_ask_need"]
