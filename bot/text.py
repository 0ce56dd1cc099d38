"""French text helpers: folding (messages, place names) and the month names."""

from __future__ import annotations

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
