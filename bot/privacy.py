"""Masking of personal data that a member of the public may type.

The public is anonymous: e-mail addresses (also written "jean(at)example.org",
"jean point dupont at gmail point com" or spelt "j e a n @ g m a i l . c o m"), phone
numbers (French and international), card numbers, social security numbers, IBANs and
names are replaced by a neutral marker before the text is stored: the tracker store
(``channels.public_rest``), the desk's messages and call-back notes
(``bot.handover``), the console's caller words and notes (``channels.console``).

Names are recognised where French speakers give them: a self-introduction ("je
m'appelle jean dupont", "jm'appelle Léa", "je mapelle lea roux", "moi c'est Léa"),
someone else's name ("elle s'appelle Sophie Martin", "mon fils s'appelle Yanis"), "je
suis / ici / c'est" followed by a capitalised first name and surname ("je suis Sophie
Martin", "ici Paul Girard"), a label ("Nom : DUPONT Jean"), a civility ("Mme Martin"),
or a capitalised first name and surname next to an age or a phone number ("Jean Dupont,
22 ans"). Postcodes, ages, years, situations and place names are kept: routing needs
them. "je suis salarié", "je suis en terminale", "je suis à Tours", "ici Saint Malo"
stay as typed: after "je suis", "ici" or "c'est", words of the assistant's own
vocabulary (its NLU examples, ``data/nlu``) and commune names (the gazetteer,
``knowledge/places``) are never taken for a name, nor are the first names that are
also ordinary words ("je suis claire", "c'est rose", "je suis marin").
"""

from __future__ import annotations

import csv
import gzip
import re
from pathlib import Path

from bot import config
from bot.lazy import Lazy
from bot.text import fold

EMAIL_MARK = "[courriel masqué]"
PHONE_MARK = "[téléphone masqué]"
NIR_MARK = "[numéro masqué]"
IBAN_MARK = "[IBAN masqué]"
NAME_MARK = "[nom masqué]"
CARD_MARK = "[carte masquée]"

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
    r"(?:\s*[\(\[\{]\s*(?:at|a|arobase|arrobase|@)\s*[\)\]\}]\s*"
    r"|\s+(?:arobase|arrobase)\s+|\s*@\s*)"
    rf"[\w-]+(?:{_DOT}[\w-]+)+)"
)
# "jean point dupont at gmail point com", "paul.girard at free.fr": the English "at"
# only before a domain whose dot is spelt or written without spaces ("Chartres at 10h.
# Merci" is kept).
_AT_WORD_EMAIL = re.compile(
    r"(?i:[\w+-]+(?:(?:\s+(?:point|dot)\s+|[._-])[\w+-]+)*\s+at\s+[\w-]+"
    r"(?:(?:\s+(?:point|dot)\s+|\.)[a-z]{2,})+\b)"
)
# Spelt letter by letter: "j e a n @ g m a i l . c o m", "p a u l arobase o r a n g e
# point f r": single characters between spaces around an "at" and a dot.
_SPELLED_EMAIL = re.compile(
    r"(?i:(?<![\w.@])[\w+-](?: [\w.+-])+ ?(?:@|arobase|arrobase|at) ?[\w-]"
    r"(?: (?:[\w-]|\.|point|dot))*? (?:\.|point|dot) [\w-](?: [\w-])*(?!\w))"
)
# French numbers: 0X XX XX XX XX with optional separators, or +33 / 0033 / (+33)
# prefixes; "06/12/34/56/78"; personal lines grouped otherwise ("06 123 456 78", "0612
# 345 678"), but not the services' 08 numbers written "0 800 222 100".
_PHONE = re.compile(
    r"(?<![\d+])(?:(?:\(\+33\)|(?:\+|00[ ]?)33)[\s.-]?(?:\(0\)[\s.-]?)?[1-9]"
    r"(?:[\s.-]?\d){8}|0[1-9](?:[\s.-]?\d{2}){4}|0[ .-]?[1-79](?:[ .-]?\d){8}"
    r"|0[1-9](?:/\d{2}){4})(?!\d)"
)
# Other countries: "+32 470 12 34 56", "+44 7911 123456", "+1 (555) 123-4567".
_INTERNATIONAL_PHONE = re.compile(
    r"(?<![\w+])\(?\+\d{1,3}\)?[ .-]?(?:\(0\)[ .-]?)?\(?\d{1,4}\)?"
    r"(?:[ .-]?\d){5,12}(?!\d)"
)
# Card numbers: 13 to 19 digits in one block (masked when the Luhn check passes), or
# in a card's layout, groups of 4 ("4970 1012 3456 7890") or 4-6-5 (masked unless the
# groups are years: "2015 2016 2017 2018").
_CARD = re.compile(
    r"(?<![\d-])(?:\d{13,19}|\d{4}([ -])\d{4}\1\d{4}\1\d{1,4}(?:\1\d{1,3})?"
    r"|\d{4}[ -]\d{6}[ -]\d{4,5})(?![\d-])"
)
_YEARS = re.compile(r"^(?:(?:19|20)\d\d[ -]?){4}$")
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
    "a|à|ai|alors|ans?|au|aussi|avec|bonjour|c|ca|ça|car|cherche|comme|comment|dans|de|"
    "depuis|des|"
    "donc|du|elle|en|est|et|habite|ici|il|j|je|jai|la|le|les|ma|mais|merci|mes|moi|mon|ne|"
    "née?|nous|on|ou|où|par|pareil|pas|plus|pour|que|quoi|qui|sa|se|ses|son|suis|sur|"
    "svp|tel|tél|"
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

# "je m'appelle Marie Dupont", "jm'appelle Léa", "je mapelle lea", "je me nomme …",
# "mon nom est …", "je suis Mme Martin", someone else's name: "elle s'appelle …", "mon
# fils s'appelle …", "la personne s'appelle …", "il se nomme …".
_APPELLE = r"ap+el+e?(?:nt|s)?"
_NAME_INTRO = re.compile(
    r"(?P<intro>(?i:\b(?:j(?:e\s+|['\u2019]\s*|\s*)m['\u2019]?\s*" + _APPELLE + r"|"
    r"s['\u2019]\s*" + _APPELLE + r"|(?:il|elle|iel|ils|elles)\s+s\s*" + _APPELLE + r"|"
    r"(?:je\s+me|(?:il|elle|iel)\s+se)\s+(?:nomme|pr[ée]nomme)|"
    r"(?:mon|son)\s+nom\s+(?:est|c['\u2019]est)|"
    r"(?:mon|son)\s+pr[ée]nom\s+(?:est|c['\u2019]est)|"
    r"je\s+suis\s+(?:m(?:me|adame|onsieur|r|\.)|mademoiselle|mlle)))\s*[:,]?\s+)"
    rf"(?!(?i:pas|plus|comme)\b)(?P<name>{_NAME_WORDS})"
)
# "moi c'est Léa": a name unless the word is one of the assistant's ("moi c'est
# compliqué").
_MOI_CEST = re.compile(
    r"(?P<intro>(?i:\bmoi\s*,?\s+c['\u2019]\s*est)\s*[:,]?\s+)"
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
# "je suis Sophie Martin", "ici Paul Girard", "c'est Sophie Martin, je rappelle": two or
# three capitalised words, unless they are a place or words of the assistant
# ("je suis Tours Métropole", "ici Saint Malo", "Je suis Salarié Agricole").
_INTRO_THEN_CAPITALISED = re.compile(
    r"(?P<intro>(?i:\b(?:je\s+suis|ici|c['\u2019]\s*est))\s+)"
    rf"(?P<name>{_CAPITALISED}(?:[ \t]+{_CAPITALISED}){{1,2}})"
)
# "je suis sophie martin", "ici Paul", "c'est léa roux": a known first name, then up to
# two words of a surname, in any case.
_INTRO_THEN_WORDS = re.compile(
    r"(?P<intro>(?i:\b(?:je\s+suis|ici|c['\u2019]?\s*est))\s+)"
    rf"(?P<name>{_NAME_WORDS})"
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


def _read_vocabulary() -> frozenset[str]:
    """Folded words of the assistant's NLU examples (entity values left out)."""
    words: set[str] = set()
    for path in sorted((config.PROJECT_ROOT / "data" / "nlu").glob("*.yml")):
        text = re.sub(r"\[[^\]]*\]\([^)]*\)", " ", path.read_text(encoding="utf-8"))
        words.update(re.findall(r"[a-z]+", fold(text)))
    return frozenset(words)


def _read_commune_names() -> frozenset[str]:
    """Folded commune names of the gazetteer, as words ("saint malo", "tours")."""
    path = Path(config.places_file())
    if not path.exists():
        return frozenset()
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle)
        column = next(rows).index("name")
        names = fold("\n".join(row[column] for row in rows))
    return frozenset(
        " ".join(line.split())
        for line in re.sub(r"[^a-z0-9\n]+", " ", names).splitlines()
    )


def _read_first_names() -> frozenset[str]:
    """Folded first names of ``knowledge/first_names.txt`` (INSEE, see its header)."""
    path = config.PROJECT_ROOT / "knowledge" / "first_names.txt"
    lines = fold(path.read_text(encoding="utf-8")).splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


_VOCABULARY = Lazy(_read_vocabulary)
_COMMUNES = Lazy(_read_commune_names)
_FIRST_NAMES = Lazy(_read_first_names)


def _is_ordinary(words: list[str]) -> bool:
    """True when ``words`` start with a place or a word of the assistant."""
    folded = [" ".join(re.findall(r"[a-z0-9]+", fold(w))) for w in words]
    communes = _COMMUNES.get()
    return (
        folded[0] in _VOCABULARY.get()
        or folded[0] in communes
        or " ".join(folded[:2]) in communes
        or " ".join(folded) in communes
    )


def _mask_moi_cest(match: re.Match[str]) -> str:
    first = match.group("name").split()[0]
    if first.islower() and fold(first) in _VOCABULARY.get():
        return match.group(0)
    return match.group("intro") + NAME_MARK


def _mask_capitalised_after_intro(match: re.Match[str]) -> str:
    words = match.group("name").split()
    if re.match(rf"{_PLACE_PARTICLE}\b", words[0]) or _is_ordinary(words):
        return match.group(0)
    return match.group("intro") + NAME_MARK


def _mask_first_name_after_intro(match: re.Match[str]) -> str:
    """Mask a known first name and the surname words after it, not ordinary words."""
    name = match.group("name")
    spans = [word.span() for word in re.finditer(r"\S+", name)]
    words = [fold(name[start:end]) for start, end in spans]
    folded = [" ".join(re.findall(r"[a-z0-9]+", word)) for word in words]
    if folded[0] not in _FIRST_NAMES.get() or _is_ordinary([name[: spans[0][1]]]):
        return match.group(0)
    vocabulary = _VOCABULARY.get()
    surname = 1
    while surname < len(spans) and folded[surname] not in vocabulary:
        surname += 1
    return match.group("intro") + NAME_MARK + name[spans[surname - 1][1] :]


def _luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _mask_card(match: re.Match[str]) -> str:
    text = match.group(0)
    if text.isdigit():
        return CARD_MARK if _luhn(text) else text
    return text if _YEARS.match(text) else CARD_MARK


def _mask_name_before_cue(match: re.Match[str]) -> str:
    if match.group("before"):
        return match.group(0)
    return NAME_MARK


def mask_personal_data(text: str) -> str:
    """Return ``text`` with e-mails, phones, cards, NIR, IBAN and names masked."""
    text = _SPELLED_EMAIL.sub(EMAIL_MARK, text)
    text = _EMAIL.sub(EMAIL_MARK, text)
    text = _OBFUSCATED_EMAIL.sub(EMAIL_MARK, text)
    text = _AT_WORD_EMAIL.sub(EMAIL_MARK, text)
    text = _IBAN.sub(IBAN_MARK, text)
    text = _NIR.sub(NIR_MARK, text)
    text = _CARD.sub(_mask_card, text)
    text = _PHONE.sub(PHONE_MARK, text)
    text = _INTERNATIONAL_PHONE.sub(PHONE_MARK, text)
    for pattern in (_NAME_INTRO, _LABELLED_NAME, _ON_THE_LINE, _CIVILITY):
        text = pattern.sub(_mask_name, text)
    text = _MOI_CEST.sub(_mask_moi_cest, text)
    text = _INTRO_THEN_CAPITALISED.sub(_mask_capitalised_after_intro, text)
    text = _INTRO_THEN_WORDS.sub(_mask_first_name_after_intro, text)
    return _NAME_BEFORE_CUE.sub(_mask_name_before_cue, text)
