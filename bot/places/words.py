"""Words that help find a commune in what a person types, and the place-name normaliser.

The lists live in ``knowledge/places/words.yaml`` (checked by
``knowledge/schema/place_words.schema.json``) so that a new phrasing is a data change
with a test; they are read once, on first use.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from jsonschema import Draft7Validator

from bot import config
from bot.text import fold

_ORDINAL = re.compile(r"^(\d{1,2})(?:er|re|e|eme|ieme|em|d|nd)$")
_DROPPED = frozenset({"arrondissement", "arr", "arrdt", "cedex"})


@dataclass(frozen=True)
class PlaceWords:
    """The lists of ``knowledge/places/words.yaml``."""

    abbreviations: dict[str, str]
    articles: frozenset[str]
    cues: frozenset[str]
    common_words: frozenset[str]
    stop_after_place: frozenset[str]


def words_file() -> Path:
    """The project's ``knowledge/places/words.yaml`` (rules shipped with the code)."""
    return config.PROJECT_ROOT / "knowledge" / "places" / "words.yaml"


def read_place_words(path: Path) -> PlaceWords:
    """Read and check the word lists; ValueError (French) if the schema is broken."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    schema = json.loads(
        (config.knowledge_schema_dir() / "place_words.schema.json").read_text(
            encoding="utf-8"
        )
    )
    errors = sorted(
        Draft7Validator(schema).iter_errors(data), key=lambda e: list(e.absolute_path)
    )
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or "le document"
        raise ValueError(f"{path} : {where} : {errors[0].message}")
    return PlaceWords(
        dict(data["abbreviations"]),
        frozenset(data["articles"]),
        frozenset(data["cues"]),
        frozenset(data["common_words"]),
        frozenset(data["stop_after_place"]),
    )


@lru_cache(maxsize=1)
def place_words() -> PlaceWords:
    """The project's word lists, read on first use."""
    return read_place_words(words_file())


def normalize(text: str) -> str:
    """Lower-case, accent-free, punctuation-free key.

    "Joué-lès-Tours" -> "joue les tours".
    """
    abbreviations = place_words().abbreviations
    value = re.sub(r"[^a-z0-9]+", " ", fold(text))
    tokens = []
    for token in value.split():
        match = _ORDINAL.match(token)
        if match:
            token = str(int(match.group(1)))
        elif token in _DROPPED:
            continue
        tokens.append(abbreviations.get(token, token))
    return " ".join(tokens)
