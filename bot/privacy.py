"""Masking of personal data that a member of the public may type.

The public is anonymous: e-mail addresses, phone numbers, social security
numbers and self-introductions ("je m'appelle …") are replaced by a neutral
marker before the text reaches the NLU, the tracker store or the logs.
Postcodes, ages and years are kept: routing needs them.
"""

from __future__ import annotations

import re

EMAIL_MARK = "[courriel masqué]"
PHONE_MARK = "[téléphone masqué]"
NIR_MARK = "[numéro masqué]"
NAME_MARK = "[nom masqué]"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# French numbers: 0X XX XX XX XX with optional separators, or +33 / 0033 prefixes.
_PHONE = re.compile(
    r"(?<![\d])(?:(?:\+|00)33[\s.-]?(?:\(0\)[\s.-]?)?[1-9]|0[1-9])(?:[\s.-]?\d{2}){4}(?!\d)"
)
# Social security number (NIR): 13 digits and an optional 2-digit key.
_NIR = re.compile(r"(?<!\d)[12][\s.]?\d{2}[\s.]?\d{2}[\s.]?(?:\d{2}|2[AB])[\s.]?\d{3}[\s.]?\d{3}(?:[\s.]?\d{2})?(?!\d)")
# "je m'appelle Marie Dupont", "mon nom est …", "moi c'est …", "je suis Mme Martin".
_NAME_INTRO = re.compile(
    r"(?P<intro>(?i:\b(?:je\s+m['’]?\s*appel+e?s?|mon\s+nom\s+(?:est|c['’]est)|"
    r"mon\s+pr[ée]nom\s+(?:est|c['’]est)|moi\s+c['’]est|"
    r"je\s+suis\s+(?:m(?:me|adame|onsieur|r|\.)|mademoiselle|mlle)))\s*[:,]?\s+)"
    r"(?!(?i:pas|plus|comme)\b)(?P<name>[A-Za-zÀ-ÖØ-öø-ÿ][\w'’-]*(?:\s+[A-ZÀ-Ö][\w'’-]*){0,2})"
)


def mask_personal_data(text: str) -> str:
    """Return ``text`` with e-mails, phone numbers, NIR and self-given names masked."""
    text = _EMAIL.sub(EMAIL_MARK, text)
    text = _NIR.sub(NIR_MARK, text)
    text = _PHONE.sub(PHONE_MARK, text)
    return _NAME_INTRO.sub(lambda m: m.group("intro") + NAME_MARK, text)
