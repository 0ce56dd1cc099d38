"""No held-out sentence (tests/test_nlu*.yml) is in the training data (data/nlu/).

Sentences are compared without case, accents, punctuation or entity marks. A one-word
message ("salut", "oui") is a word of the language rather than a sentence one could copy:
both sets hold some, so the check is on messages of two words or more.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.config import PROJECT_ROOT
from bot.text import simplify

HELD_OUT = sorted((PROJECT_ROOT / "tests").glob("test_nlu*.yml"))
_ANNOTATION = re.compile(r"\[([^\]]+)\]\s*(\([^)]*\)|\{[^}]*\})")


def sentences(path: Path) -> set[str]:
    """The examples of a Rasa NLU file, without entity marks, simplified."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    found = set()
    for block in data.get("nlu") or []:
        examples = block.get("examples") or ""
        for line in examples.splitlines():
            text = line.strip()
            if text.startswith("- "):
                found.add(simplify(_ANNOTATION.sub(r"\1", text[2:])).strip())
    return found - {""}


def test_the_held_out_sets_are_there() -> None:
    assert len(HELD_OUT) >= 2


@pytest.mark.parametrize("held_out", HELD_OUT, ids=lambda p: p.name)
def test_no_held_out_sentence_is_in_the_training_data(held_out: Path) -> None:
    training = set().union(
        *(sentences(p) for p in (PROJECT_ROOT / "data" / "nlu").glob("*.yml"))
    )
    copied = sorted(s for s in sentences(held_out) & training if " " in s)
    assert not copied, f"held-out sentences of {held_out.name} in data/nlu: {copied[:10]}"


def test_the_comparison_ignores_case_accents_and_entity_marks(tmp_path: Path) -> None:
    one = tmp_path / "a.yml"
    one.write_text(
        'nlu:\n- intent: inform\n  examples: |\n    - J\'habite à [Tours](commune) !\n',
        encoding="utf-8",
    )
    assert sentences(one) == {"j habite a tours"}
