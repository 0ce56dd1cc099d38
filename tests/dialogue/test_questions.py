"""Bounded questions (bot/conversation/questions.py) and the form that applies them: never a third time."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import ActionAskSituation, ValidateOrientationForm
from bot.conversation.profile import get_rules, slot_updates
from bot.conversation.questions import (
    asks_now,
    facts_noted,
    just_answered,
    move_forward,
    pending_at_each_message,
    question,
    times_asked,
)
from bot.conversation.routing import get_table


def asked(*turns: tuple[str | None, str]) -> list[dict[str, Any]]:
    """Events: for each (question pending, user text), the form's request then the message."""
    events: list[dict[str, Any]] = []
    for slot, text in turns:
        events.append({"event": "slot", "name": "requested_slot", "value": slot})
        events.append({"event": "user", "text": text, "input_channel": "rest"})
    return events


def test_the_count_is_of_answers_in_a_row_to_the_same_question() -> None:
    events = asked(
        (None, "bonjour"), ("need", "euh"), ("need", "évolution"), ("situation", "x")
    )
    assert pending_at_each_message(events) == [None, "need", "need", "situation"]
    assert times_asked(events, "situation") == 1
    assert times_asked(events[:-2], "need") == 2
    assert times_asked([*events, {"event": "restart"}], "situation") == 0


def test_moving_forward_on_each_question() -> None:
    updates, said = move_forward("need", {})
    assert updates == {"skipped": ["need"]} and said.response == "utter_move_on_need"
    updates, said = move_forward("age", {"skipped": ["sector"]})
    assert updates["skipped"] == ["sector", "age"] and said.response == "utter_move_on"
    updates, said = move_forward("commune_insee", {})
    assert (
        updates["commune_refused"] is True and said.response == "utter_move_on_commune"
    )


def test_an_ambiguous_postcode_twice_gives_its_most_populous_commune_said_and_correctable() -> (
    None
):
    slots = slot_updates("36100", "inform", [], {}, "commune_insee")
    assert [c["name"] for c in slots["commune_choices"][:2]] == [
        "Issoudun",
        "Neuvy-Pailloux",
    ]
    updates, said = move_forward("commune_insee", slots)
    assert updates["commune_insee"] == "36088" and updates["commune_choices"] is None
    assert said.text() == "Je retiens Issoudun ; dites-moi si c'est une autre commune."


def test_the_second_time_a_question_is_worded_differently() -> None:
    labels = get_rules().situation_labels
    first = question("need", {}, None, True, labels)
    assert first.response == "utter_ask_need"
    assert question("need", {}, "utter_ask_age", True, labels).response == "utter_ask_need"
    again = question("need", {}, "utter_ask_need", True, labels)
    assert again.response == "utter_ask_need_again" and again.text() != first.text()
    choices = {"commune_choices": [{"insee": "36088", "label": "Issoudun (36100)"}]}
    chosen = question("commune_insee", choices, "utter_ask_commune", True, labels)
    assert chosen.response == "utter_ask_commune_choice"


def test_a_weak_guess_is_confirmed_with_one_short_question() -> None:
    said = question(
        "situation",
        {"situation_guess": "parent_eleve"},
        None,
        True,
        get_rules().situation_labels,
    )
    assert said.response == "utter_confirm_situation"
    assert (
        said.text()
        == "Si je comprends bien, vous êtes parent et vous vous renseignez pour votre enfant. C'est bien ça ?"
    )


def test_facts_given_instead_of_the_answer_are_acknowledged() -> None:
    needs, labels = get_table().needs, get_rules().situation_labels
    assert (
        facts_noted(
            {"age": 22.0, "commune_name": "Tours", "commune_insee": "37261"},
            "situation",
            needs,
            labels,
        )
        == "22 ans, Tours"
    )
    assert (
        facts_noted({"situation": "salarie", "age": 30.0}, "situation", needs, labels)
        is None
    )
    assert facts_noted({"misunderstood": 1.0}, "situation", needs, labels) is None


FORM_SLOTS = [
    "need",
    "situation",
    "age",
    "sector",
    "commune_insee",
    "commune_choices",
    "commune_refused",
    "disability",
    "cadre",
    "parent",
    "skipped",
    "misunderstood",
    "situation_guess",
]


def tracker(
    slots: dict[str, Any],
    events: list[dict[str, Any]],
    text: str = "x",
    channel: str = "rest",
) -> Tracker:
    return Tracker(
        sender_id="t",
        slots=dict(slots),
        latest_message={"text": text, "intent": {"name": "inform"}, "entities": []},
        events=events,
        paused=False,
        followup_action=None,
        active_loop={"name": "orientation_form"},
        latest_action_name="action_listen",
    )


async def run_form(
    slots: dict[str, Any], set_now: dict[str, Any], events: list[dict[str, Any]]
) -> tuple[dict[str, Any], list[str]]:
    # As Rasa validates: the form's own action event, then the slot candidates.
    events = [*events, {"event": "action", "name": "orientation_form"}]
    events += [{"event": "slot", "name": k, "value": v} for k, v in set_now.items()]
    dispatcher = CollectingDispatcher()
    result = await ValidateOrientationForm().run(
        dispatcher,
        tracker({**slots, **set_now}, events),
        {"forms": {"orientation_form": {"required_slots": FORM_SLOTS}}},
    )
    return (
        {e["name"]: e["value"] for e in result if e["event"] == "slot"},
        [m.get("response") for m in dispatcher.messages],
    )


async def test_the_form_never_asks_the_same_question_a_third_time() -> None:
    slots = {"requested_slot": "need"}
    first, said = await run_form(
        slots, {"misunderstood": 1.0}, asked((None, "bonjour"), ("need", "bof"))
    )
    assert first["requested_slot"] == "need" and said == ["utter_answer_not_understood"]
    second, said = await run_form(
        slots,
        {"misunderstood": 2.0},
        asked((None, "bonjour"), ("need", "bof"), ("need", "évolution de quoi")),
    )
    assert "need" in second["skipped"] and "utter_move_on_need" in said
    assert second["requested_slot"] != "need"


async def test_the_form_acknowledges_facts_then_rewords_the_pending_question() -> None:
    slots = {"need": "emploi", "requested_slot": "situation"}
    values, said = await run_form(
        {**slots, "commune_name": "Tours"},
        {"age": 22.0, "commune_insee": "37261"},
        asked((None, "je cherche du travail"), ("situation", "22 ans Tours")),
    )
    assert said == ["utter_noted"] and values["requested_slot"] == "situation"
    dispatcher = CollectingDispatcher()
    events = asked((None, "je cherche du travail"), ("situation", "22 ans Tours"))
    events.insert(2, {"event": "bot", "text": "Quelle est votre situation ?",
                      "metadata": {"utter_action": "utter_ask_situation"}})
    await ActionAskSituation().run(dispatcher, tracker({**slots, "age": 22.0}, events), {})
    assert dispatcher.messages[0]["response"] == "utter_ask_situation_again"


@pytest.mark.parametrize("answer", ["oui", "non"])
def test_the_confirmation_of_a_guess_is_an_answer_not_a_skip(answer: str) -> None:
    slots = {"situation_guess": "parent_eleve", "need": "information"}
    intent = "affirm" if answer == "oui" else "deny"
    updates = slot_updates(answer, intent, [], slots, "situation")
    if answer == "oui":
        assert (
            updates["situation"] == "parent_eleve"
            and updates["situation_guess"] is None
        )
    else:
        assert updates["situation_guess"] is None and "skipped" not in updates


def test_the_person_just_answered_unless_an_action_ran_since() -> None:
    events = asked((None, "bonjour"))
    assert just_answered(events)
    as_rasa_validates = [*events, {"event": "action", "name": "orientation_form"},
                         {"event": "slot", "name": "age", "value": 22.0}]
    assert just_answered(as_rasa_validates), "Rasa adds the form's own action before validating"
    assert not just_answered([*events, {"event": "action", "name": "action_answer_info"}])


async def test_no_question_right_after_the_person_asked_for_a_person() -> None:
    """The number and the desk's queue end the turn; the question comes back next turn."""
    slots = {"need": "emploi", "requested_slot": "situation"}
    events = [*asked((None, "je cherche du travail"), ("situation", "je veux parler à quelqu'un")),
              {"event": "action", "name": "action_talk_to_human"},
              {"event": "bot", "text": "Vous pouvez parler à un conseiller…"},
              {"event": "action", "name": "orientation_form"}]
    assert not asks_now(events)
    dispatcher = CollectingDispatcher()
    await ActionAskSituation().run(dispatcher, tracker(slots, events), {})
    assert dispatcher.messages == []
    next_turn = [*events, {"event": "user", "text": "bon, je suis au chômage", "input_channel": "rest"}]
    assert asks_now(next_turn) and asks_now(asked((None, "bonjour")))
    await ActionAskSituation().run(dispatcher, tracker(slots, next_turn), {})
    assert [m["response"] for m in dispatcher.messages] == ["utter_ask_situation"]


def test_the_welcome_to_a_call_for_help_comes_once_before_the_first_need_question() -> None:
    from bot.conversation.questions import welcome

    assert [u.response for u in welcome("need", None, True)] == ["utter_help_welcome"]
    assert welcome("need", "utter_ask_need", True) == []  # asked again: no second welcome
    assert welcome("situation", None, True) == [] and welcome("need", None, False) == []
