"""Bounded questions: one mechanism for every question of the orientation form.

A question is asked at most twice in a row (``MAX_ASKS``). Counting is read from the
conversation itself: for each user message, the question that was pending when it was
sent (the ``requested_slot`` of the form). When the form would ask the same question a
third time, it moves forward with what it has instead (``move_forward``):

- need unknown: the ``information`` route (the regional service listens and orients);
- commune among homonyms (an ambiguous postcode): the most populous one, said plainly and
  correctable; commune unknown: the orientation without an address, with the regional line;
- any other question: skipped, routing uses what it knows.

The second time a question is asked, it is worded differently (``question``); an answer
that does not fit the question but brings other facts is acknowledged (``facts_noted``).
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from bot.wording import Utterance

MAX_ASKS = 2
REQUESTED_SLOT = "requested_slot"
COMMUNE = "commune_insee"
# The first and the second wording of each question (domain.yml responses).
QUESTIONS: dict[str, tuple[str, str]] = {
    "need": ("utter_ask_need", "utter_ask_need_again"),
    "situation": ("utter_ask_situation", "utter_ask_situation_again"),
    "age": ("utter_ask_age", "utter_ask_age_again"),
    "sector": ("utter_ask_sector", "utter_ask_sector_again"),
    COMMUNE: ("utter_ask_commune", "utter_ask_commune_again"),
}
COMMUNE_CHOICE = ("utter_ask_commune_choice", "utter_ask_commune_choice_again")
# Facts an answer may bring, in the order they are acknowledged.
NOTED_SLOTS = ("age", "commune_name", "situation", "need", "sector")


def pending_at_each_message(events: Iterable[Mapping[str, Any]]) -> list[str | None]:
    """For each user message of the conversation (since the last restart), the question pending."""
    pending: list[str | None] = []
    requested: str | None = None
    for event in events:
        kind = event.get("event")
        if kind in ("restart", "session_started"):
            pending, requested = [], None
        elif kind == "slot" and event.get("name") == REQUESTED_SLOT:
            requested = event.get("value")
        elif kind == "user":
            pending.append(requested)
    return pending


def times_asked(events: Iterable[Mapping[str, Any]], slot: str) -> int:
    """How many of the last user messages in a row were answers to ``slot``'s question."""
    count = 0
    for pending in reversed(pending_at_each_message(events)):
        if pending != slot:
            break
        count += 1
    return count


def move_forward(slot: str, slots: Mapping[str, Any]) -> tuple[dict[str, Any], Utterance]:
    """The slot changes that stop ``slot``'s question, and what to tell the person."""
    skipped = [s for s in (slots.get("skipped") or []) if s != slot] + [slot]
    if slot == COMMUNE:
        choices = slots.get("commune_choices") or []
        if choices:  # sorted by population: the most populous commune, said and correctable
            chosen = choices[0]
            name = chosen.get("name") or chosen["label"]
            return ({COMMUNE: chosen["insee"], "commune_name": name, "postcode": chosen.get("postcode"),
                     "commune_choices": None, "commune_refused": False},
                    Utterance("utter_commune_chosen", {"commune": name}))
        return {"commune_refused": True, "commune_choices": None}, Utterance("utter_move_on_commune")
    if slot == "need":
        return {"skipped": skipped}, Utterance("utter_move_on_need")
    return {"skipped": skipped, "situation_guess": None}, Utterance("utter_move_on")


def question(slot: str, slots: Mapping[str, Any], again: bool, buttons: bool,
             situation_labels: Mapping[str, str]) -> Utterance:
    """The question for ``slot``: first wording, or the second one when asked again."""
    guess = slots.get("situation_guess")
    if slot == "situation" and guess and not again:
        return Utterance("utter_confirm_situation", {"situation_label": situation_labels.get(guess, guess)})
    choices = slots.get("commune_choices") or []
    if slot == COMMUNE and choices:
        choice_buttons = ([{"title": c["label"], "payload": f'/inform{{"{COMMUNE}": "{c["insee"]}"}}'}
                           for c in choices] if buttons else [])
        return Utterance(COMMUNE_CHOICE[again], {"choices": " ; ".join(c["label"] for c in choices)},
                         choice_buttons)
    return Utterance(QUESTIONS[slot][again])


def facts_noted(set_now: Mapping[str, Any], pending: str | None, need_labels: Mapping[str, str],
                situation_labels: Mapping[str, str]) -> str | None:
    """« 22 ans, Tours » when an answer brought facts other than the one asked, else None."""
    if not pending or pending in set_now or (pending == COMMUNE and set_now.get(COMMUNE)):
        return None
    facts = []
    for slot in NOTED_SLOTS:
        value = set_now.get(slot)
        if value in (None, "", []) or slot == pending:
            continue
        if slot == "age":
            facts.append(f"{value:.0f} ans")
        elif slot == "need":
            facts.append(need_labels.get(value, value).lower())
        elif slot == "situation":
            facts.append(situation_labels.get(value, value))
        elif slot == "commune_name":
            facts.append(str(value))
    return ", ".join(facts) or None
