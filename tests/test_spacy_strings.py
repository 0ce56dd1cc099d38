"""spaCy loaded without its list of strings reads every sentence as Rasa's loading does.

``bot.nlu.load_without_strings`` leaves out the 712,952 strings the French model ships
(about 130 MB a process); these tests prove that every token attribute the NLU reads,
and every vector, is the same as with Rasa's own ``SpacyNLP.load_model``, on every
sentence of the training data and the held-out sets, as typed and lowercased.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.nlu import load_without_strings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SENTENCE_FILES = (
    "data/nlu",
    "tests/test_nlu.yml",
    "tests/test_nlu_2.yml",
    "tests/test_nlu_blind.yml",
)
UNUSUAL = (
    "Bonjour !!! 😀 je m'appelle Zoé, tél 06 12 34 56 78, zoe@example.fr",
    "jveu 1 formation ds le btp a st-etienne-du-rouvray 76800 svp",
    "Hi, I lost my job last week, who can help me in Rouen?",
    "AUJOURD'HUI J'AI 45 ANS ET JE VEUX FAIRE UNE VAE",
    "https://www.orientation-centre.fr/?q=cep&x=1 — ok ?",
    "Qu'est-ce qu'un CEP ? c-à-d le conseil en évolution professionnelle",
    "anticonstitutionnellement xyzzyqwerty pôle-emploi/france travail",
)


def _sentences() -> list[str]:
    from rasa.shared.nlu.training_data.loading import load_data

    texts: set[str] = set(UNUSUAL)
    for relative in SENTENCE_FILES:
        data = load_data(str(PROJECT_ROOT / relative))
        texts.update(message.get("text") for message in data.nlu_examples)
    return sorted(texts)


def _reading(nlp: Any, text: str) -> Iterator[tuple[Any, ...]]:
    doc = nlp(text)
    yield ("doc", doc.vector.tobytes(), doc.has_vector)
    for token in doc:
        yield (
            token.text,
            token.idx,
            token.whitespace_,
            token.lemma_,
            token.pos_,
            token.tag_,
            str(token.morph),
            token.norm_,
            token.lower_,
            token.shape_,
            token.prefix_,
            token.suffix_,
            token.is_stop,
            token.is_punct,
            token.like_num,
            token.is_oov,
            token.has_vector,
            token.vector.tobytes(),
        )


@pytest.fixture(scope="module")
def models() -> tuple[Any, Any]:
    """Rasa's loading and ours, the same pipes switched off in both."""
    from rasa.nlu.utils.spacy_utils import SpacyNLP

    rasa_loaded = SpacyNLP.load_model("fr_core_news_md").model
    ours = load_without_strings("fr_core_news_md").model
    for nlp in (rasa_loaded, ours):
        nlp.disable_pipe("ner")
    return rasa_loaded, ours


def test_the_model_loads_without_the_vector_words(models: tuple[Any, Any]) -> None:
    rasa_loaded, ours = models
    assert len(rasa_loaded.vocab.strings) > 700_000
    assert len(ours.vocab.strings) < 5_000
    assert ours.pipe_names == rasa_loaded.pipe_names
    assert len(ours.vocab.vectors) == len(rasa_loaded.vocab.vectors)


def test_every_sentence_is_read_the_same(models: tuple[Any, Any]) -> None:
    rasa_loaded, ours = models
    sentences = _sentences()
    assert len(sentences) > 1_400
    different = [
        text
        for sentence in sentences
        for text in (sentence, sentence.lower())
        if list(_reading(ours, text)) != list(_reading(rasa_loaded, text))
    ]
    assert different == []


def test_a_missing_model_gets_rasas_message() -> None:
    from rasa.nlu.model import InvalidModelError

    with pytest.raises(InvalidModelError, match="available spaCy model"):
        load_without_strings("xx_not_installed_model")
