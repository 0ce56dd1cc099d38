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
from dataclasses import dataclass
from typing import Any

import yaml
from jsonschema import Draft7Validator

from bot import config
from bot.lazy import Lazy
from bot.text import fold

FRENCH = "fr"
# Key of the parse data where ``bot.nlu.LanguageGuard`` writes the message's language,
# and the intent it gives a message in another language.
DETECTED_LANGUAGE = "detected_language"
OTHER_LANGUAGE_INTENT = "other_language"
LANGUAGES_FILE = "languages.yml"
MIN_PROBABILITY = 0.9
# Latin-script languages without a word list: only long, unmistakable messages.
SURE_PROBABILITY = 0.99
_WORD = re.compile(r"[^\W\d_]+")
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
        )


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


def detect_language(text: str) -> str | None:
    """``"fr"``, another language code, or None when unsure (see the module)."""
    if not text or text.startswith("/"):
        return None
    words = [fold(w) for w in _WORD.findall(text.lower())]
    if not words:
        return None
    known = get_words()
    latin = all(_LATIN.search(w) for w in words)
    if latin and known.french_words.intersection(words):
        return FRENCH
    if latin and len(words) < 2:
        return None
    language, probability = _get_identifier().classify(text)
    if not latin:
        return language if probability >= MIN_PROBABILITY else None
    hits = {
        code: len(common.intersection(words)) for code, common in known.words.items()
    }
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
