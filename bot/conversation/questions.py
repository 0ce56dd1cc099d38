"""Bounded questions: one mechanism for every question of the orientation form.

A question is asked at most twice in a row (``MAX_ASKS``). Counting is read from the
conversation itself: for each user message, the question that was pending when it was
sent (the ``requested_slot`` of the form). When the form would ask the same question a
third time, it moves forward with what it has instead (``move_forward``):

- need unknown: the ``information`` route (the regional service listens and orients);
- commune among homonyms (an ambiguous postcode): the most populous one, said plainly
  and correctable; commune unknown: the orientation without an address, with the
  regional line;
- any other question: skipped, routing uses what it knows.

Asked again right after itself, a question is worded differently (``question``); an
answer
that does not fit the question but brings other facts is acknowledged (``facts_noted``).
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

from bot.conversation.wording import Utterance

MAX_ASKS = 2
REQUESTED_SLOT = "requested_slot"
FORM = "orientation_form"
# Actions that run between a message and the form's validation without answering it.
NOT_AN_ANSWER = frozenset({"action_listen", "action_extract_slots", FORM})
# Answers after which the form does not ask its question again: the person asked for a
# person, and the answer ends on that (the number, the chat desk's queue).
ENDS_THE_TURN = frozenset({"action_talk_to_human"})
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
CONFIRM_SITUATION = "utter_confirm_situation"
# Said once before the need question to a person whose first words are a call for help.
HELP_WELCOME = "utter_help_welcome"
# A status said in other words (knowledge/profile_rules.yml `statuses`): Oui, the other
# plausible situations, or another one.
CONFIRM_STATUS = "utter_confirm_status"
CONFIRMATIONS = (CONFIRM_SITUATION, CONFIRM_STATUS)
ALL_QUESTIONS = frozenset(
    {
        *(n for pair in QUESTIONS.values() for n in pair),
        *COMMUNE_CHOICE,
        *CONFIRMATIONS,
    }
)
# Facts an answer may bring, in the order they are acknowledged.
NOTED_SLOTS = ("age", "commune_name", "situation", "need", "sector")


def pending_at_each_message(events: Iterable[Mapping[str, Any]]) -> list[str | None]:
    """For each user message since the last restart, the question then pending."""
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
    """How many of the last user messages in a row answered ``slot``'s question."""
    count = 0
    for pending in reversed(pending_at_each_message(events)):
        if pending != slot:
            break
        count += 1
    return count


def last_question(events: Iterable[Mapping[str, Any]]) -> str | None:
    """The response name of the last question the assistant asked."""
    for event in reversed(list(events)):
        kind = event.get("event")
        if kind in ("restart", "session_started"):
            return None
        if kind == "bot":
            name = (event.get("metadata") or {}).get("utter_action")
            if name in ALL_QUESTIONS:
                return str(name)
    return None


def just_answered(events: Iterable[Mapping[str, Any]]) -> bool:
    """True when only slot extraction happened since the person's last message.

    Rasa runs the form's validation on a copy of the conversation ending with the form's
    own ``action`` event and the slot candidates; those do not count as an answer given.
    """
    for event in reversed(list(events)):
        kind = event.get("event")
        if kind == "user":
            return True
        if kind == "action" and event.get("name") not in NOT_AN_ANSWER:
            return False
    return False


def asks_now(events: Iterable[Mapping[str, Any]]) -> bool:
    """False when the turn already ends on an answer of ``ENDS_THE_TURN``.

    The form stays active: its question comes back on the person's next message.
    """
    for event in reversed(list(events)):
        kind = event.get("event")
        if kind == "user":
            return True
        if kind == "action" and event.get("name") in ENDS_THE_TURN:
            return False
    return True


def move_forward(
    slot: str, slots: Mapping[str, Any]
) -> tuple[dict[str, Any], Utterance]:
    """The slot changes that stop ``slot``'s question, and what to tell the person."""
    skipped = [s for s in (slots.get("skipped") or []) if s != slot] + [slot]
    if slot == COMMUNE:
        choices = slots.get("commune_choices") or []
        if (
            choices
        ):  # sorted by population: the most populous commune, said and correctable
            chosen = choices[0]
            name = chosen.get("name") or chosen["label"]
            return (
                {
                    COMMUNE: chosen["insee"],
                    "commune_name": name,
                    "postcode": chosen.get("postcode"),
                    "commune_choices": None,
                    "commune_refused": False,
                },
                Utterance("utter_commune_chosen", {"commune": name}),
            )
        return {"commune_refused": True, "commune_choices": None}, Utterance(
            "utter_move_on_commune"
        )
    if slot == "need":
        return {"skipped": skipped}, Utterance("utter_move_on_need")
    return {"skipped": skipped, "situation_guess": None}, Utterance("utter_move_on")


def question(
    slot: str,
    slots: Mapping[str, Any],
    last_asked: str | None,
    buttons: bool,
    situation_labels: Mapping[str, str],
    alternatives: Mapping[str, Sequence[str]] | None = None,
) -> Utterance:
    """The question for ``slot``: first wording, or the second right after the first.

    A situation guessed is confirmed first: a status (``alternatives`` gives its other
    plausible situations, offered as buttons) or a weak cue (Oui / Non).
    """
    guess = slots.get("situation_guess")
    if slot == "situation" and guess and last_asked not in CONFIRMATIONS:
        label = situation_labels.get(guess, guess)
        if alternatives is None or guess not in alternatives:
            return Utterance(CONFIRM_SITUATION, {"situation_label": label})
        choice_buttons = [
            {
                "title": _capitalised(situation_labels.get(code, code)),
                "payload": f'/inform{{"situation": "{code}"}}',
            }
            for code in alternatives[guess]
        ]
        return Utterance(
            CONFIRM_STATUS, {"status_label": label}, choice_buttons if buttons else []
        )
    choices = slots.get("commune_choices") or []
    if slot == COMMUNE and choices:
        choice_buttons = (
            [
                {
                    "title": c["label"],
                    "payload": f'/inform{{"{COMMUNE}": "{c["insee"]}"}}',
                }
                for c in choices
            ]
            if buttons
            else []
        )
        return Utterance(
            COMMUNE_CHOICE[last_asked in COMMUNE_CHOICE],
            {"choices": " ; ".join(c["label"] for c in choices)},
            choice_buttons,
        )
    first, again = QUESTIONS[slot]
    return Utterance(again if last_asked in (first, again) else first)


def welcome(slot: str, last_asked: str | None, asked_for_help: bool) -> list[Utterance]:
    """One warm line before the first question of a bare call for help (« aide »)."""
    if slot == "need" and asked_for_help and last_asked not in QUESTIONS["need"]:
        return [Utterance(HELP_WELCOME)]
    return []


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def facts_noted(
    set_now: Mapping[str, Any],
    pending: str | None,
    need_labels: Mapping[str, str],
    situation_labels: Mapping[str, str],
    language: str | None = None,
) -> str | None:
    """« 22 ans, Tours » when an answer brought other facts than the one asked.

    In English (``language`` "en") the age reads « 22 years old »; the labels given
    are already in the person's language.
    """
    if (
        not pending
        or pending in set_now
        or (pending == COMMUNE and set_now.get(COMMUNE))
    ):
        return None
    facts = []
    for slot in NOTED_SLOTS:
        value = set_now.get(slot)
        if value in (None, "", []) or slot == pending:
            continue
        if slot == "age":
            unit = "years old" if language == "en" else "ans"
            facts.append(f"{value:.0f} {unit}")
        elif slot == "need":
            facts.append(need_labels.get(value, value).lower())
        elif slot == "situation" and value in situation_labels:
            facts.append(situation_labels[value])
        elif slot == "commune_name":
            facts.append(str(value))
    return ", ".join(facts) or None
