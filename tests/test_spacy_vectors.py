"""The word-vector index in arrays answers every read as spaCy's dict (bot.rasa_patches.spacy_vectors)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import spacy
from spacy.util import OOV_RANK
from spacy.vectors import Vectors

from bot.rasa_patches.spacy_vectors import ArrayKeyToRow, compact_vectors


@pytest.fixture
def pairs() -> dict[int, int]:
    """Word hashes (the whole 64-bit range, in no order) and rows, several per row."""
    rng = random.Random(5)
    keys = [0, 1, 2**63 - 1, 2**63, 2**64 - 1]
    keys += [rng.getrandbits(64) for _ in range(5000)]
    return {key: rng.randrange(300) for key in keys}


def test_every_read_is_the_dict_s(pairs: dict[int, int]) -> None:
    compact = ArrayKeyToRow(pairs)
    rng = random.Random(6)
    absent: list[Any] = [rng.getrandbits(64) for _ in range(500)]
    absent += [-1, 2**64, 2**70, "chat", 1.5, None]
    for key in [*pairs, *absent]:
        assert compact.get(key, -1) == pairs.get(key, -1)  # type: ignore[call-overload]
        assert compact.get(key) == pairs.get(key)  # type: ignore[call-overload]
        assert (key in compact) == (key in pairs)
    for key in list(pairs)[:100]:
        assert compact[key] == pairs[key]
        assert compact[np.uint64(key)] == pairs[key]
        assert isinstance(compact[key], int)
    for key in absent[:10]:
        with pytest.raises(KeyError):
            compact[key]
    assert len(compact) == len(pairs)
    assert list(compact) == list(pairs)
    assert list(compact.keys()) == list(pairs.keys())
    assert list(compact.values()) == list(pairs.values())
    assert list(compact.items()) == list(pairs.items())
    assert compact == pairs and pairs == compact
    assert compact != {**pairs, 7: 1} and compact != {k: 0 for k in pairs}


def test_it_refuses_changes(pairs: dict[int, int]) -> None:
    vectors = Vectors(shape=(300, 4))
    vectors.key2row = dict(pairs)
    assert compact_vectors(type("Vocab", (), {"vectors": vectors})())
    with pytest.raises(TypeError):
        vectors.add(12345, row=3)
    assert not compact_vectors(type("Vocab", (), {"vectors": vectors})())


@pytest.fixture(scope="module")
def french() -> Iterator[Any]:
    """The French spaCy model as Rasa loads it here (parser and NER off)."""
    yield spacy.load("fr_core_news_md", exclude=["parser", "ner", "senter"])


def test_new_words_get_the_same_vectors_and_ranks(french: Any) -> None:
    """Words seen for the first time after the swap: same row, rank and vector."""
    vocab = french.vocab
    rng = random.Random(7)
    strings = [s for s in vocab.strings if " " not in s and s.strip() == s and s]
    words = rng.sample(strings, 3000) + ["Chartres", "reconversion", "zzkqx", "éèà"]
    key2row = vocab.vectors.key2row
    expected = {
        word: (
            key2row.get(vocab.strings[word], -1),
            vocab.vectors.data[key2row[vocab.strings[word]]].copy()
            if vocab.strings[word] in key2row
            else None,
        )
        for word in words
        if word not in vocab  # no lexeme yet: created after the swap
    }
    assert compact_vectors(vocab)
    assert isinstance(vocab.vectors.key2row, ArrayKeyToRow)
    assert vocab.vectors.key2row == key2row
    found = 0
    for word, (row, vector) in expected.items():
        lexeme = vocab[word]
        if row < 0:
            assert not lexeme.has_vector and lexeme.rank == OOV_RANK
            continue
        found += 1
        assert lexeme.has_vector and lexeme.rank == row
        assert np.array_equal(lexeme.vector, vector)
    assert found > 1000
    doc = french("Je cherche une formation à Chartres")
    assert all(np.array_equal(t.vector, vocab.get_vector(t.text)) for t in doc)


def test_rasa_s_loader_gives_the_index_in_arrays(
    pairs: dict[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    from rasa.nlu.utils.spacy_utils import SpacyNLP

    from bot.rasa_patches import spacy_vectors

    spacy_vectors.uninstall()  # another test may have installed every patch
    rasas = SpacyNLP.load_model
    vectors = Vectors(shape=(300, 4))
    vectors.key2row = dict(pairs)
    loaded = type("SpacyModel", (), {"model": type("Nlp", (), {})()})()
    loaded.model.vocab = type("Vocab", (), {"vectors": vectors})()
    spacy_vectors.install()
    try:
        assert SpacyNLP.load_model is not rasas
        monkeypatch.setattr(
            spacy_vectors, "rasa_attribute", lambda *_: lambda n: loaded
        )
        assert SpacyNLP.load_model("fr_core_news_md") is loaded
        assert isinstance(vectors.key2row, ArrayKeyToRow) and vectors.key2row == pairs
    finally:
        spacy_vectors.uninstall()
    assert SpacyNLP.load_model is rasas
    monkeypatch.setenv("SPRO_RASA_PATCHES_OFF", "spacy_vectors")
    spacy_vectors.install()
    assert SpacyNLP.load_model is rasas
