"""The users' opinion: « Cette réponse vous aide-t-elle ? » as codes, never text.

The answer is one of ``FEEDBACK_VALUES``; the optional word a person adds is masked
(``bot.privacy``) and reduced to one theme code of ``FEEDBACK_THEMES`` (``autre`` when
no theme matches), so that the indicators never hold what someone wrote.
"""

from __future__ import annotations

import re

from bot.privacy import mask_personal_data
from bot.text import fold

FEEDBACK_VALUES = {"oui": "Oui", "en_partie": "En partie", "non": "Non"}

FEEDBACK_THEMES = {
    "distance": "Structure trop loin",
    "information": "Informations manquantes ou peu claires",
    "deja_connu": "Structure déjà connue",
    "joignable": "Structure difficile à joindre, délai",
    "personne": "Préfère parler à une personne",
    "situation": "Ne correspond pas à la situation",
    "autre": "Autre remarque",
}

# Folded keywords (``bot.text.fold``) that put a word in a theme; first match wins.
_THEME_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "distance",
        (
            "loin",
            "distance",
            "kilometre",
            "km",
            "transport",
            "deplacer",
            "voiture",
            "vehicule",
            "permis",
            "bus",
        ),
    ),
    ("joignable", ("repond", "joindre", "injoignable", "delai", "attente", "rendez")),
    ("deja_connu", ("deja", "connais", "connaissais")),
    ("personne", ("quelqu", "personne", "humain", "conseiller", "conseillere")),
    ("situation", ("situation", "correspond", "concerne", "pas mon cas")),
    (
        "information",
        (
            "manque",
            "clair",
            "complique",
            "horaire",
            "info",
            "comprends",
            "precis",
            "detail",
        ),
    ),
)

_NO = re.compile(r"\b(non|pas|aucun|rien|nul)\b")
_PARTLY = re.compile(r"\b(partie|moitie|moyen|moyennement|peu|bof)\b")
_YES = re.compile(r"\b(oui|ouais|utile|aide|merci|super|parfait|top|bien)\b")


def feedback_value(text: str) -> str | None:
    """``oui``, ``en_partie`` or ``non`` read from a typed answer; None when unclear."""
    folded = fold(text)
    if _PARTLY.search(folded):
        return "en_partie"
    if _NO.search(folded):
        return "non"
    if _YES.search(folded):
        return "oui"
    return None


def feedback_theme(text: str) -> str | None:
    """The theme of the word added to an answer, or None when it says nothing more.

    The text is masked first: personal data never reaches the keyword matching.
    """
    folded = fold(mask_personal_data(text))
    for theme, keywords in _THEME_KEYWORDS:
        if any(keyword in folded for keyword in keywords):
            return theme
    words = [
        w
        for w in re.findall(r"[a-z]+", folded)
        if w
        not in {
            "oui",
            "non",
            "en",
            "partie",
            "pas",
            "vraiment",
            "ca",
            "m",
            "aide",
            "merci",
            "c",
            "est",
            "utile",
            "du",
            "tout",
            "cela",
            "ne",
            "un",
            "peu",
        }
    ]
    return "autre" if len(words) >= 2 else None
