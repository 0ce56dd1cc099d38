"""Places in long sentences: DIET's span checked by the gazetteer, everyday words no place."""

from __future__ import annotations

import pytest

from bot import places
from bot.conversation.profile import commune_updates, slot_updates


@pytest.mark.parametrize(
    "text",
    [
        "je suis taxi à mon compte, le dos en a marre",  # "a" of avoir, not "à"
        "mon patron m'a viré l'an dernier",
        "j'ai une RQTH à cause de mon dos",  # part of a longer name, in everyday words
        "l'été je fais serveur sur la côte",  # an article and an everyday word
        "I want to set up a vineyard in the Loire valley",  # the river, not Loiré
    ],
)
def test_everyday_words_after_the_verb_avoir_are_no_commune(text: str) -> None:
    assert commune_updates(text, None, [], {}, False) == {}


def test_a_place_after_a_real_cue_is_still_found() -> None:
    assert places.find_in_text("j'habite à Marre").commune is not None
    assert (
        places.find_in_text("je vis à Vannes depuis deux ans").commune.name == "Vannes"
    )


def test_the_whole_sentence_wins_over_a_partial_span() -> None:
    text = "bonjour alors voila j habite a saint amand montrond"
    found = commune_updates(
        text, None, [{"entity": "commune", "value": "saint"}], {}, False
    )
    assert found["commune_name"] == "Saint-Amand-Montrond"


def test_a_look_alike_span_in_free_text_is_no_commune() -> None:
    text = "je suis à la retraite depuis l'an dernier (ancien comptable)"
    assert (
        commune_updates(
            text, None, [{"entity": "commune", "value": "ancien"}], {}, False
        )
        == {}
    )


def test_a_duration_tagged_as_an_age_is_not_the_persons_age() -> None:
    text = "je suis agent administratif au CHU depuis 18 ans"
    age = [{"entity": "age", "value": "18", "start": text.index("18")}]
    assert "age" not in slot_updates(text, "inform", age, {}, None, "fr")
    own = [{"entity": "age", "value": "18", "start": 6}]
    assert slot_updates("j'ai 18 ans", "inform", own, {}, None, "fr")["age"] == 18.0
