"""What the channels accept as typed text: NFKC, invalid code points refused.

NFKC turns full-width and compatibility characters into plain ones (a full-width
"j'ai 22 ans" becomes plain text the NLU reads), and invisible format characters
(zero-width spaces, direction marks) are dropped. Lone surrogates, unassigned and
private-use code points, non-characters and control characters other than tab and
newline are refused: the NLU cannot read them (spaCy fails on a lone surrogate).
"""

from __future__ import annotations

import unicodedata

INVALID_TEXT = (
    "Votre message contient des caractères invalides. Réécrivez-le, sans copier-coller "
    "de caractères spéciaux."
)


class InvalidText(ValueError):
    """Text with code points the assistant does not take; the message is French."""


def invalid_code_point(char: str) -> bool:
    """True for a code point no channel takes."""
    point = ord(char)
    category = unicodedata.category(char)
    return (
        category in ("Cs", "Co", "Cn")  # lone surrogates, private use, unassigned
        or (category == "Cc" and char not in "\t\n\r")
        or 0xFDD0 <= point <= 0xFDEF
        or point & 0xFFFE == 0xFFFE
    )


def normalise_text(text: str) -> str:
    """NFKC text without invisible format characters; ``InvalidText`` otherwise."""
    if any(invalid_code_point(char) for char in text):
        raise InvalidText(INVALID_TEXT)
    text = unicodedata.normalize("NFKC", text)
    return "".join(char for char in text if unicodedata.category(char) != "Cf").strip()
