"""Personal data typed by the public is masked; routing facts are kept."""

import pytest

from bot.privacy import (
    EMAIL_MARK,
    IBAN_MARK,
    NAME_MARK,
    NIR_MARK,
    PHONE_MARK,
    mask_personal_data,
)


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
        # Names next to an age or a phone number.
        ("Jean Dupont, 22 ans", f"{NAME_MARK}, 22 ans"),
        ("Bonjour. Marie Curie 45 ans, je veux changer de métier",
         f"Bonjour. {NAME_MARK} 45 ans, je veux changer de métier"),
        ("Jean Dupont 06 12 34 56 78", f"{NAME_MARK} {PHONE_MARK}"),
        ("DUPONT Jean (tél. 0612345678)", f"{NAME_MARK} (tél. {PHONE_MARK})"),
        # Labelled names, on the line, civilities, whole self-introductions.
        ("Nom : DUPONT Jean", f"Nom : {NAME_MARK}"),
        ("prénom: léa, 17 ans", f"prénom: {NAME_MARK}, 17 ans"),
        ("c'est Jean Dupont à l'appareil", f"c'est {NAME_MARK} à l'appareil"),
        ("Bonjour Madame Martin", f"Bonjour Madame {NAME_MARK}"),
        ("je m'appelle jean dupont", f"je m'appelle {NAME_MARK}"),
        ("je m'appelle jean dupont et j'ai 22 ans", f"je m'appelle {NAME_MARK} et j'ai 22 ans"),
        # Obfuscated e-mails.
        ("jean(at)example.org", EMAIL_MARK),
        ("écrivez à jean [at] example [dot] org", f"écrivez à {EMAIL_MARK}"),
        ("jean point dupont arobase gmail point com", EMAIL_MARK),
        ("jean.dupont arobase gmail.com svp", f"{EMAIL_MARK} svp"),
        ("lea @ gmail . com", EMAIL_MARK),
        # IBAN, grouped or not.
        ("mon iban FR76 3000 6000 0112 3456 7890 189 merci", f"mon iban {IBAN_MARK} merci"),
        ("FR7630006000011234567890189", IBAN_MARK),
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
        "j'habite à Saint Malo, 22 ans",
        "La Rochelle, 22 ans",
        "je suis à Tours Nord, 22 ans",
        "Salariée CDD, 30 ans",
        "En CDD, 22 ans, je veux une VAE",
        "je cherche un emploi à Dreux, j'ai 20 ans",
        "je suis au RSA depuis 2020 et j'ai 45 ans",
        "je vais au CIO de Chartres at 10h",
    ],
)
def test_routing_facts_are_kept(text: str) -> None:
    assert mask_personal_data(text) == text
