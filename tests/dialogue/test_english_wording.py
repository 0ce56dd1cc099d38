"""Every text of the core flow has an English version, buttons included (domain.yml)."""

from __future__ import annotations

import pytest

from bot.conversation.questions import facts_noted
from bot.conversation.wording import responses, variant

# The responses a conversation in English may receive: questions, confirmations,
# acknowledgements, moving on, the orientation's parts, a person, fallbacks, endings.
CORE_FLOW = (
    "utter_greet", "utter_goodbye", "utter_thank", "utter_out_of_scope", "utter_default",
    "utter_offer_human", "utter_did_you_mean", "utter_help_welcome", "utter_ask_need",
    "utter_ask_need_again",
    "utter_ask_situation", "utter_ask_situation_again", "utter_confirm_situation",
    "utter_confirm_status", "utter_ask_age", "utter_ask_age_again", "utter_ask_sector",
    "utter_ask_sector_again", "utter_ask_commune", "utter_ask_commune_again",
    "utter_ask_commune_choice", "utter_ask_commune_choice_again", "utter_noted",
    "utter_answer_not_understood", "utter_move_on_need", "utter_move_on",
    "utter_move_on_commune", "utter_commune_chosen", "utter_orientation_proposal",
    "utter_orientation_nearest", "utter_orientation_reach", "utter_orientation_proposal_remote",
    "utter_orientation_no_commune", "utter_orientation_remote",
    "utter_orientation_regional_line", "utter_orientation_also",
    "utter_orientation_closing", "utter_orientation_without_knowledge",
    "utter_no_knowledge", "utter_info_source", "utter_offer_orientation", "utter_no_sheet",
    "utter_human_contact_region", "utter_human_contact_site",
    "utter_human_contact_generic", "utter_restart", "utter_insult",
    "utter_anything_else", "utter_ask_feedback", "utter_feedback_ask_reason", "utter_feedback_remote", "utter_feedback_other_door", "utter_feedback_correct",
    "utter_feedback_word_thanks",
)
ENGLISH = {"language": "en"}


@pytest.mark.parametrize("name", CORE_FLOW)
def test_every_core_text_has_an_english_version_with_its_buttons(name: str) -> None:
    french, english = variant(name), variant(name, slots=ENGLISH)
    assert english is not french and english.get("condition"), f"{name}: no English"
    assert bool(english.get("buttons")) == bool(french.get("buttons")), (
        f"{name}: the English version must offer buttons exactly when the French one does"
    )


def test_the_core_flow_list_covers_every_response_with_an_english_version() -> None:
    with_english = {
        name
        for name, variants in responses().items()
        if any(v.get("condition") for v in variants)
    }
    assert with_english - set(CORE_FLOW) <= {"utter_other_language"}


def test_facts_noted_in_english() -> None:
    noted = facts_noted(
        {"age": 22.0, "commune_name": "Tours"}, "need", {}, {}, language="en"
    )
    assert noted == "22 years old, Tours"
