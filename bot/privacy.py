"""Masking of personal data that a member of the public may type.

The public is anonymous: e-mail addresses (also written "jean(at)example.org" or
"jean point dupont arobase gmail point com"), phone numbers, social security numbers,
IBANs and names are replaced by a neutral marker before the text reaches the NLU, the
tracker store or the logs. Names are recognised where French speakers give them: a
self-introduction ("je m'appelle jean dupont", "moi c'est Léa", "c'est Jean Dupont à
l'appareil"), a label ("Nom : DUPONT Jean"), a civility ("Mme Martin"), or a capitalised
first name and surname next to an age or a phone number ("Jean Dupont, 22 ans").
Postcodes, ages, years and place names are kept: routing needs them.
"""

from __future__ import annotations

import re

EMAIL_MARK = "[courriel masqué]"
PHONE_MARK = "[téléphone masqué]"
NIR_MARK = "[numéro masqué]"
IBAN_MARK = "[IBAN masqué]"
NAME_MARK = "[nom masqué]"

_LETTER = "A-Za-zÀ-ÖØ-öø-ÿ"
_UPPER = "A-ZÀ-ÖØ-Þ"
_LOWER = "a-zß-öø-ÿ"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# "jean(at)example.org", "jean [at] example [dot] org", "jean point dupont arobase gmail
# point com", "jean @ gmail . com": an "at" word or sign between a local part and a
# domain with at least one dot, written or spelt.
_DOT = r"(?:\s*[\(\[\{]\s*(?:dot|point)\s*[\)\]\}]\s*|\s+(?:dot|point)\s+|\s*\.\s*)"
_OBFUSCATED_EMAIL = re.compile(
    rf"(?i:[\w+-]+(?:(?:{_DOT}|[_-])[\w+-]+)*"
    r"(?:\s*[\(\[\{]\s*(?:at|arobase|arrobase|@)\s*[\)\]\}]\s*|\s+(?:arobase|arrobase)\s+|\s*@\s*)"
    rf"[\w-]+(?:{_DOT}[\w-]+)+)"
)
# French numbers: 0X XX XX XX XX with optional separators, or +33 / 0033 prefixes.
_PHONE = re.compile(
    r"(?<![\d])(?:(?:\+|00)33[\s.-]?(?:\(0\)[\s.-]?)?[1-9]|0[1-9])(?:[\s.-]?\d{2}){4}(?!\d)"
)
# Social security number (NIR): 13 digits and an optional 2-digit key.
_NIR = re.compile(
    r"(?<!\d)[12][\s.]?\d{2}[\s.]?\d{2}[\s.]?(?:\d{2}|2[AB])[\s.]?\d{3}[\s.]?\d{3}"
    r"(?:[\s.]?\d{2})?(?!\d)"
)
# IBAN: country code, 2 check digits, then 11 to 30 letters or digits in groups.
_IBAN = re.compile(
    r"(?i)\b[A-Z]{2}\d{2}(?:[ -]?[A-Z0-9]{4}){2,7}(?:[ -]?[A-Z0-9]{1,3})?\b"
)

# Words that end a name: "je m'appelle jean dupont et j'ai 22 ans".
_NOT_NAME = (
    "a|à|ai|alors|ans?|au|aussi|avec|bonjour|c|ca|ça|car|cherche|comme|dans|de|depuis|des|"
    "donc|du|elle|en|est|et|habite|ici|il|j|je|jai|la|le|les|ma|mais|merci|mes|moi|mon|ne|"
    "née?|nous|on|ou|où|par|pas|plus|pour|que|qui|sa|se|ses|son|suis|sur|svp|tel|tél|"
    "téléphone|un|une|veux|voudrais|vous|y"
)
_WORD = rf"(?!(?i:{_NOT_NAME})\b)[{_LETTER}][{_LETTER}'\u2019-]*"
# Upper-case words of the orientation that are not names ("Salariée CDD, 30 ans").
_ACRONYMS = (
    "AAH|APEC|BAC|BEP|BPJEPS|BTS|BUT|CACES|CAP|CCI|CDD|CDI|CEP|CFA|CIF|CIO|CMA|CPF|CV|"
    "DAEU|DUT|ESAT|IUT|MDPH|PTP|RQTH|RSA|SMIC|SUIO|VAE"
)
_CAPITALISED = (
    rf"(?!(?i:{_NOT_NAME})\b)(?!(?:{_ACRONYMS})\b)"
    rf"(?:[{_UPPER}][{_LOWER}'\u2019-]+(?:-[{_UPPER}][{_LOWER}]+)?|[{_UPPER}]{{2,}})"
)
_NAME_WORDS = rf"{_WORD}(?:[ \t]+{_WORD}){{0,2}}"

# "je m'appelle Marie Dupont", "mon nom est …", "moi c'est …", "je suis Mme Martin".
_NAME_INTRO = re.compile(
    r"(?P<intro>(?i:\b(?:je\s+m['\u2019]?\s*appel+e?s?|mon\s+nom\s+(?:est|c['\u2019]est)|"
    r"mon\s+pr[ée]nom\s+(?:est|c['\u2019]est)|moi\s+c['\u2019]est|"
    r"je\s+suis\s+(?:m(?:me|adame|onsieur|r|\.)|mademoiselle|mlle)))\s*[:,]?\s+)"
    rf"(?!(?i:pas|plus|comme)\b)(?P<name>{_NAME_WORDS})"
)
# "Nom : DUPONT Jean", "prénom: léa", "nom et prénom = Jean Dupont".
_LABELLED_NAME = re.compile(
    r"(?P<intro>(?i:\b(?:nom(?:\s+de\s+famille|\s+et\s+pr[ée]nom)?|pr[ée]nom|identit[ée])"
    r")\s*[:=]\s*)"
    rf"(?P<name>{_NAME_WORDS})"
)
# "c'est Jean Dupont à l'appareil", "ici jean dupont à l'appareil".
_ON_THE_LINE = re.compile(
    rf"(?P<intro>(?i:\b(?:c['\u2019]\s*est|ici)\s+))(?P<name>{_NAME_WORDS})"
    r"(?=\s+(?i:[àa]\s+l['\u2019]\s*appareil))"
)
# "Mme Martin", "M. DUPONT", "Monsieur Jean Dupont".
_CIVILITY = re.compile(
    r"(?P<intro>\b(?:M\.|Mr\.?|Mme|Mlle|Madame|Monsieur|Mademoiselle)\s+)"
    rf"(?P<name>{_CAPITALISED}(?:\s+{_CAPITALISED}){{0,2}})"
)
# "Jean Dupont, 22 ans", "DUPONT Jean (06 …)": two or three capitalised words right
# before an age or a phone number, unless a preposition makes them a place
# ("à Saint Malo, 22 ans") or the first word is a place's particle ("La Rochelle").
_PLACE_BEFORE = (
    r"(?i:à|a|au|aux|de|du|des|en|sur|vers|près|pres|habite|proche|côté|cote)"
)
_PLACE_PARTICLE = r"(?:La|Le|Les|L|Saint|Sainte|St|Ste|Mont|Pont|Port|Val|Bourg|Villa)"
_NAME_BEFORE_CUE = re.compile(
    rf"(?<![{_LETTER}'\u2019-])(?P<before>{_PLACE_BEFORE}\s+)?"
    rf"(?P<name>(?!{_PLACE_PARTICLE}\b){_CAPITALISED}(?:[ \t]+{_CAPITALISED}){{1,2}})"
    r"(?=\s*[,(\u2013-]?\s*(?:\d{1,2}\s*ans\b|(?i:t[ée]l\.?|t[ée]l[ée]phone|portable|mobile)\b"
    rf"|{re.escape(PHONE_MARK)}))"
)


def _mask_name(match: re.Match[str]) -> str:
    return match.group("intro") + NAME_MARK


def _mask_name_before_cue(match: re.Match[str]) -> str:
    if match.group("before"):
        return match.group(0)
    return NAME_MARK


def mask_personal_data(text: str) -> str:
    """Return ``text`` with e-mails, phones, NIR, IBAN and names masked."""
    text = _EMAIL.sub(EMAIL_MARK, text)
    text = _OBFUSCATED_EMAIL.sub(EMAIL_MARK, text)
    text = _IBAN.sub(IBAN_MARK, text)
    text = _NIR.sub(NIR_MARK, text)
    text = _PHONE.sub(PHONE_MARK, text)
    for pattern in (_NAME_INTRO, _LABELLED_NAME, _ON_THE_LINE, _CIVILITY):
        text = pattern.sub(_mask_name, text)
    return _NAME_BEFORE_CUE.sub(_mask_name_before_cue, text)
