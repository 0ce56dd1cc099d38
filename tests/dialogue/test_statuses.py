"""Situations said in other words (knowledge/profile_rules.yml `statuses`) are confirmed.

Every status word of the rules file is exercised by its examples: none is routed on a
public it only suggests (congé parental, intérim, RSA, retraite…) before one short
question confirms it, with the other plausible situations as buttons.
"""

from __future__ import annotations

import pytest

from bot.conversation.profile import extract, get_rules, simplify, slot_updates
from bot.conversation.questions import CONFIRM_STATUS, question
from bot.conversation.routing import Profile, next_question, public_for, route

RULES = get_rules()
EXAMPLES = [(s.code, example) for s in RULES.statuses for example in s.examples]


def test_every_status_word_is_exercised_by_an_example() -> None:
    for status in RULES.statuses:
        simple_examples = [simplify(e) for e in status.examples]
        for pattern in status.patterns:
            assert any(pattern.search(e) for e in simple_examples), (
                f"{status.code}: no example says « {pattern.pattern} »"
            )


@pytest.mark.parametrize(("code", "example"), EXAMPLES)
def test_a_status_is_a_guess_never_a_situation(code: str, example: str) -> None:
    values = extract(example).values
    assert values.get("situation_guess") == code
    assert "situation" not in values


@pytest.mark.parametrize(("code", "example"), EXAMPLES)
def test_a_status_is_confirmed_before_routing_then_mapped_by_the_rules(
    code: str, example: str
) -> None:
    slots: dict = {}
    slots.update(slot_updates(example, "inform", [], slots, None, None))
    slots["need"] = "reconversion"
    profile = Profile.from_slots(slots)
    assert profile.situation is None, "no public from a weak cue"
    assert next_question(profile) == "situation"
    asked = question("situation", slots, None, True, RULES.labels(), {
        s.code: s.choices for s in RULES.statuses
    })
    status = RULES.status(code)
    assert status is not None
    assert asked.response == CONFIRM_STATUS
    assert asked.variables["status_label"] == status.label
    offered = [b["payload"] for b in asked.buttons]
    assert offered == [f'/inform{{"situation": "{c}"}}' for c in status.choices]
    slots.update(slot_updates("oui", "affirm", [], slots, "situation", None))
    assert slots["situation"] == status.situation and not slots.get("situation_guess")
    public = route(Profile.from_slots(slots)).public
    assert (public == "tout_public") == (status.situation == "non_precise")


def test_an_employee_on_parental_leave_keeps_the_cep_after_one_question() -> None:
    slots: dict = {}
    text = "je suis en congé parental et je voudrais changer de voie à mon retour"
    slots.update(slot_updates(text, "inform", [], slots, None, None))
    assert slots.get("situation_guess") == "conge_parental"
    assert next_question(Profile.from_slots(slots)) == "situation"
    slots.update(slot_updates("oui", "affirm", [], slots, "situation", None))
    slots["age"] = 34.0
    assert route(Profile.from_slots(slots)).network == "cep_actifs_occupes"


def test_the_other_plausible_answer_is_a_button_and_is_taken() -> None:
    slots: dict = {"situation_guess": "interim", "need": "emploi"}
    slots.update(
        slot_updates(
            '/inform{"situation": "sans_emploi"}',
            "inform",
            [{"entity": "situation", "value": "sans_emploi"}],
            slots,
            "situation",
            None,
        )
    )
    assert slots["situation"] == "sans_emploi" and not slots.get("situation_guess")


def test_the_confident_words_and_the_status_agreeing_need_no_question() -> None:
    values = extract("je suis salariée en congé parental").values
    assert values.get("situation") == "salarie" and "situation_guess" not in values


def test_words_of_a_status_do_not_pass_for_the_request() -> None:
    # « apprenti » says who the person is, not that they look for an apprenticeship
    assert extract("je suis apprenti et je veux changer de métier").values["need"] == (
        "reconversion"
    )
    assert extract("je cherche un apprentissage").values["need"] == "apprentissage"


def test_retirees_are_any_public_once_confirmed() -> None:
    slots: dict = {"need": "vae", "situation_guess": "retraite"}
    slots.update(slot_updates("oui", "affirm", [], slots, "situation", None))
    assert slots["situation"] == "non_precise"
    assert public_for(Profile.from_slots(slots)) == "tout_public"


def test_the_confirmation_is_in_english_for_english_speakers() -> None:
    asked = question(
        "situation",
        {"situation_guess": "conge_parental"},
        None,
        True,
        RULES.labels("en"),
        {s.code: s.choices for s in RULES.statuses},
    )
    assert asked.variables["status_label"] == "an employee on parental leave"
    assert asked.buttons[0]["title"] == "Looking for work"
