"""Which language a message is in, offline (py3langid), careful with short French.

``detect_language(text)`` returns ``"fr"``, another ISO 639-1 code, or None when the
text is too short to tell (a commune, a number, "ok"). The words come from
``knowledge/languages.yml``: a word only French uses settles it as French; otherwise
py3langid decides among the candidate languages, and a Latin-script language also needs
one of its common words, so that noise is not a language.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from jsonschema import Draft7Validator

from bot import config
from bot.lazy import Lazy
from bot.text import fold, simplify

FRENCH = "fr"
# Key of the parse data where ``bot.nlu.LanguageGuard`` writes the message's language,
# and the intent it gives a message in another language.
DETECTED_LANGUAGE = "detected_language"
OTHER_LANGUAGE_INTENT = "other_language"
LANGUAGES_FILE = "languages.yml"
MIN_PROBABILITY = 0.9
# Latin-script languages without a word list: only long, unmistakable messages.
SURE_PROBABILITY = 0.99
GOODBYE_INTENT = "goodbye"
ABOUT_THE_PERSON_INTENT = "inform"  # read by the profile phrasings
NOT_UNDERSTOOD_INTENT = "nlu_fallback"
NOISE_INTENT = "gibberish"
# Intents of a message not understood: no "Vouliez-vous dire… ?" between other readings.
NOT_UNDERSTOOD = frozenset({NOT_UNDERSTOOD_INTENT, NOISE_INTENT})
ENGLISH = "en"
_WORD = re.compile(r"[^\W\d_]+")
# Program code or markup ("{__import__(…)}", "<!--"): not a language.
_CODE = re.compile(r"[{}<>=\[\]`$\\|;]|__|\w\(")
# A letter or a digit in any script: without one (emoji, signs) a message says nothing.
_LETTER_OR_DIGIT = re.compile(r"[^\W_]")
# Back to French in a conversation held in English: this many French words.
FRENCH_WORDS_TO_SWITCH_BACK = 2
# A keyboard mash: every word at least this long, without a vowel.
NOISE_LENGTH = 5
_LATIN = re.compile(r"[a-z]")
# A Latin-script word of three letters or more without a vowel is keyboard noise.
_VOWEL = re.compile(r"[aeiouy]")


@dataclass(frozen=True)
class LanguageWords:
    """The words of ``knowledge/languages.yml``."""

    candidates: tuple[str, ...]
    french_words: frozenset[str]
    french_common_words: frozenset[str]
    words: dict[str, frozenset[str]]
    goodbye: tuple[re.Pattern[str], ...] = ()
    negations: frozenset[str] = frozenset()
    english_intents: dict[str, tuple[re.Pattern[str], ...]] = field(
        default_factory=dict
    )
    french_intents: dict[str, tuple[re.Pattern[str], ...]] = field(default_factory=dict)
    intents_needing_words: dict[str, tuple[re.Pattern[str], ...]] = field(
        default_factory=dict
    )

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> LanguageWords:
        """Check against the JSON Schema; ``ValueError`` in French when wrong."""
        schema = config.knowledge_schema_dir() / "languages.schema.json"
        validator = Draft7Validator(json.loads(schema.read_text(encoding="utf-8")))
        error = next(iter(validator.iter_errors(data)), None)
        if error is not None:
            where = "/".join(str(p) for p in error.absolute_path) or "racine"
            raise ValueError(f"{LANGUAGES_FILE} ({where}) : {error.message}")
        return cls(
            candidates=tuple(data["candidates"]),
            french_words=frozenset(data["french_words"]),
            french_common_words=frozenset(data["french_common_words"]),
            words={code: frozenset(w) for code, w in data["words"].items()},
            goodbye=tuple(re.compile(p) for p in data.get("goodbye", [])),
            negations=frozenset(data.get("negations", [])),
            english_intents=_intent_patterns(data.get("english_intents")),
            french_intents=_intent_patterns(data.get("french_intents")),
            intents_needing_words=_intent_patterns(data.get("intents_needing_words")),
        )


def _intent_patterns(
    data: dict[str, list[str]] | None,
) -> dict[str, tuple[re.Pattern[str], ...]]:
    return {
        intent: tuple(re.compile(p) for p in patterns)
        for intent, patterns in (data or {}).items()
    }


def read_words() -> LanguageWords:
    """Read and check ``knowledge/languages.yml``."""
    path = config.knowledge_dir() / LANGUAGES_FILE
    return LanguageWords.from_data(yaml.safe_load(path.read_text(encoding="utf-8")))


def _identifier() -> Any:
    """py3langid's identifier with normalised probabilities, for the candidates."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_pickled_model(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(get_words().candidates))
    return identifier


_WORDS: Lazy[LanguageWords] = Lazy(read_words)
_IDENTIFIER: Lazy[Any] = Lazy(_identifier)


def get_words() -> LanguageWords:
    """The language words, read and checked on first use."""
    return _WORDS.get()


def _get_identifier() -> Any:
    """py3langid's identifier, loaded on first use."""
    return _IDENTIFIER.get()


def _words(text: str) -> list[str]:
    return [fold(w) for w in _WORD.findall(text.lower())]


def french_word_count(text: str) -> int:
    """How many words only French uses the text holds."""
    return len(get_words().french_words.intersection(_words(text)))


def detect_language(text: str) -> str | None:
    """``"fr"``, another language code, or None when unsure (see the module).

    A French word in a sentence of another language ("I live in Joué-lès-Tours") does
    not make it French: that language needs two of its common words, more than the
    French ones. Program code and markup are no language.
    """
    if not text or text.startswith("/") or _CODE.search(text):
        return None
    words = _words(text)
    if not words:
        return None
    known = get_words()
    latin = all(_LATIN.search(w) for w in words)
    hits = {
        code: len(common.intersection(words)) for code, common in known.words.items()
    }
    french = len(known.french_words.intersection(words)) if latin else 0
    if french:
        other = max(hits, key=lambda code: hits[code])
        return other if hits[other] >= 2 and hits[other] > french else FRENCH
    if latin and len(words) < 2:
        return None
    language, probability = _get_identifier().classify(text)
    if not latin:
        return language if probability >= MIN_PROBABILITY else None
    if hits.get(language, 0) >= 1:
        return language
    best = max(hits, key=lambda code: hits[code])
    if hits[best] >= 2:
        return best
    unlisted = language not in known.words and language != FRENCH
    noise = any(len(w) >= 3 and not _VOWEL.search(w) for w in words)
    if (
        unlisted
        and not noise
        and len(words) >= 3
        and probability >= SURE_PROBABILITY
        and not known.french_common_words.intersection(words)
    ):
        return language
    return None


def next_language(current: str | None, detected: str, text: str) -> str | None:
    """The conversation's language after a message (None: French).

    Once a person writes English, a French word or two ("oui", "Joué-lès-Tours") does
    not switch the conversation back to French; a French sentence does.
    """
    if detected != FRENCH:
        return detected
    if current == ENGLISH and french_word_count(text) < FRENCH_WORDS_TO_SWITCH_BACK:
        return current
    return None


def says_nothing(text: str) -> bool:
    """Only emoji, signs or spaces: no letter or digit in any script."""
    return not text.startswith("/") and not _LETTER_OR_DIGIT.search(text)


def is_goodbye(text: str) -> bool:
    """A clear goodbye in words, not negated ("pas au revoir" is none)."""
    simple = simplify(text)
    negations = get_words().negations
    for pattern in get_words().goodbye:
        for match in pattern.finditer(simple):
            before = simple[: match.start()].split()[-2:]
            if not negations.intersection(before):
                return True
    return False


def _intent_in(
    text: str, intents: dict[str, tuple[re.Pattern[str], ...]]
) -> str | None:
    simple = simplify(text)
    for intent, patterns in intents.items():
        if any(p.search(simple) for p in patterns):
            return intent
    return None


def english_intent(text: str) -> str | None:
    """The intent of an English message beyond the profile (a person, restart, yes…)."""
    return _intent_in(text, get_words().english_intents)


def is_keyboard_noise(text: str) -> bool:
    """Only long Latin "words" without a vowel ("xcvbn"): a keyboard mash."""
    words = _words(text)
    return bool(words) and all(
        len(w) >= NOISE_LENGTH and _LATIN.search(w) and not _VOWEL.search(w)
        for w in words
    )


def guarded_intent(text: str, intent: str | None, language: str | None) -> str | None:
    """The intent that replaces the classifier's, or None to keep it.

    - a message of emoji or signs only is noise (``gibberish``), a goodbye without a
      goodbye in words (or a negated one) is not understood (``nlu_fallback``): both get
      "je n'ai pas compris", never "au revoir";
    - English, or too short to tell: the requests of ``english_intents``; any other
      English message says something about the person (``inform``): English is a
      second language of the dialogue, read by the profile phrasings;
    - French: a person asked for, or a short insult (``french_intents``);
    - an intent of ``intents_needing_words`` (« recommencer » erases the conversation)
      without one of its words says something about the person (``inform``):
      « je voudrais reprendre un commerce » is a need, not a restart;
    - keyboard mashes ("xcvbn") are noise, like emoji;
    - another language: ``other_language``.
    """
    if says_nothing(text) or is_keyboard_noise(text):
        return NOISE_INTENT
    if language in (ENGLISH, None) and (found := english_intent(text)):
        return found  # also short messages no language is sure of: "start again", "no"
    if language == ENGLISH:
        return ABOUT_THE_PERSON_INTENT  # read by the profile phrasings, like French
    if language is not None and language != FRENCH:
        return OTHER_LANGUAGE_INTENT
    if language in (FRENCH, None) and (
        found := _intent_in(text, get_words().french_intents)
    ):
        return found  # a person asked for is always offered
    if intent == GOODBYE_INTENT and not is_goodbye(text):
        return NOT_UNDERSTOOD_INTENT
    needed = get_words().intents_needing_words.get(intent or "")
    if needed and not any(p.search(simplify(text)) for p in needed):
        return ABOUT_THE_PERSON_INTENT
    return None
