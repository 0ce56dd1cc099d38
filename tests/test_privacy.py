"""Personal data typed by the public is masked; routing facts are kept."""

import pytest

from bot.privacy import EMAIL_MARK, NAME_MARK, NIR_MARK, PHONE_MARK, mask_personal_data


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mon mail: jean.dupont@gmail.com", f"mon mail: {EMAIL_MARK}"),
        ("appelez-moi au 06 12 34 56 78", f"appelez-moi au {PHONE_MARK}"),
        ("tel 0612345678 svp", f"tel {PHONE_MARK} svp"),
        ("+33 6 12 34 56 78", PHONE_MARK),
        ("02.47.12.34.56", PHONE_MARK),
        ("sécu 1 85 05 78 006 084 36", f"sécu {NIR_MARK}"),
        ("je m'appelle Marie Dupont et j'ai 17 ans", f"je m'appelle {NAME_MARK} et j'ai 17 ans"),
        ("JE M APPELLE kevin", f"JE M APPELLE {NAME_MARK}"),
        ("Je suis Mme Martin, demandeuse d'emploi", f"Je suis Mme {NAME_MARK}, demandeuse d'emploi"),
        ("moi c'est Léa", f"moi c'est {NAME_MARK}"),
    ],
)
def test_personal_data_is_masked(text: str, expected: str) -> None:
    assert mask_personal_data(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "j'habite 37000 Tours",
        "j'ai 27 ans et je suis en CDD depuis 2019",
        "je suis demandeur d'emploi à Saint-Pierre-des-Corps 37700",
        "je suis en terminale, je vais avoir 18 ans",
        "je m'appelle pas comme ça",
        "j'ai 3 enfants et 12 ans d'expérience",
    ],
)
def test_routing_facts_are_kept(text: str) -> None:
    assert mask_personal_data(text) == text
