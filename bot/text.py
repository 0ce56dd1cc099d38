"""Text folding shared by the understanding of messages and of place names."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Case-folded text without accents or ligatures.

    E.g. "Œuvre à Joué" -> "oeuvre a joue".
    """
    value = unicodedata.normalize(
        "NFKD", text.casefold().replace("œ", "oe").replace("æ", "ae")
    )
    return "".join(ch for ch in value if not unicodedata.combining(ch))
