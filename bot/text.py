"""French text helpers: folding (messages, place names) and the month names."""

from __future__ import annotations

import re
import unicodedata

# French month names, January first.
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def fold(text: str) -> str:
    """Case-folded text without accents or ligatures.

    E.g. "Œuvre à Joué" -> "oeuvre a joue".
    """
    value = unicodedata.normalize(
        "NFKD", text.casefold().replace("œ", "oe").replace("æ", "ae")
    )
    return "".join(ch for ch in value if not unicodedata.combining(ch))


def simplify(text: str) -> str:
    """Lower case, no accents, apostrophes and punctuation as spaces, single spaces.

    With a space at each end, so that a pattern can start a word: " j ai 17 ans ".
    """
    value = re.sub(r"[^a-z0-9+]+", " ", fold(text))
    return f" {' '.join(value.split())} "


_ELIDED = re.compile(r"^[aeiouyhâàäéèêëîïôöûüÿæœ]", re.IGNORECASE)


def of_place(name: str) -> str:
    """« de » before a place name, elided or contracted.

    E.g. "Tours" -> "de Tours", "Orléans" -> "d'Orléans", "Le Mans" -> "du Mans",
    "Les Herbiers" -> "des Herbiers".
    """
    for article, contracted in (("Le ", "du "), ("Les ", "des ")):
        if name.startswith(article):
            return contracted + name[len(article) :]
    return f"d'{name}" if _ELIDED.match(name) else f"de {name}"


def near_place(name: str) -> str:
    """« près de » a place: "près de Tours", "près d'Orléans", "près du Mans"."""
    return f"près {of_place(name)}"


def french_km(distance: float) -> str:
    """A distance the French way: "103,3 km", "2 km" (decimal comma)."""
    text = f"{distance:.1f}".removesuffix(".0").replace(".", ",")
    return f"{text} km"
