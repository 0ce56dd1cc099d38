"""Every English conversation of the suite stays in English to the end.

The English personas (``lang: en``, or a first message in English) of
``tests/e2e/personas.yml`` and ``tests/e2e/personas_blind.yml`` are played over REST; every
text the assistant sends them is compared with the French wording of each ``domain.yml``
response that has an English version: sending that French text is a failure.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.evaluation.personas import is_english, load_personas, play
from bot.evaluation.rest import post_message
from bot.runtime.launcher import Stack
from bot.conversation.wording import responses

pytestmark = pytest.mark.e2e
HERE = Path(__file__).parent
ENGLISH_PERSONAS = [
    p
    for name in ("personas.yml", "personas_blind.yml")
    if (HERE / name).exists()
    for p in load_personas(HERE / name)
    if is_english(p)
]


def french_only_wordings() -> dict[str, re.Pattern[str]]:
    """The French variants of the responses that have an English one, as patterns."""
    patterns = {}
    for name, variants in responses().items():
        if not any(v.get("condition") for v in variants):
            continue
        for number, variant in enumerate(v for v in variants if not v.get("condition")):
            text = " ".join(str(variant.get("text", "")).split())
            parts = re.split(r"\{[^{}\n]+\}", text)
            regex = ".*?".join(re.escape(part) for part in parts)
            patterns[f"{name}#{number}"] = re.compile(rf"^{regex}$", re.S)
    return patterns


FRENCH = french_only_wordings()


def french_texts(texts: list[str]) -> list[str]:
    """The bot texts that are the French wording of a response with an English one."""
    found = []
    for text in texts:
        flat = " ".join(text.split())
        found += [f"{name}: {text}" for name, p in FRENCH.items() if p.match(flat)]
    return found


def test_the_check_catches_a_french_text() -> None:
    assert french_texts(["Quel âge avez-vous ? (Un chiffre suffit ; vous pouvez aussi ne pas répondre.)"])
    assert not french_texts(["How old are you? (A number is enough; you may also skip.)"])


def test_there_are_english_conversations_to_check() -> None:
    assert len(ENGLISH_PERSONAS) >= 5


@pytest.mark.parametrize("persona", ENGLISH_PERSONAS, ids=lambda p: p["id"])
def test_an_english_conversation_gets_no_french_text_that_has_an_english_version(
    stack: Stack, persona: dict
) -> None:
    result = play(lambda s, t: post_message(stack.url, s, t), persona)
    said = [t for t in result.transcript if not t.startswith("> ")]
    assert said, result.transcript
    assert not french_texts(said), "\n".join(result.transcript)
