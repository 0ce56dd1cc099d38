"""The compact gazetteer answers exactly as the plain indexes it replaced.

The communes, their indexes and the typo index live in every process, so they are kept
small (``__slots__``, shared texts, tuples, a sorted array of hashes for the delete
index). Here: the typo index finds exactly the words a plain dict of one-letter deletes
finds, even when every hash collides, and the communes still behave as dataclasses.
"""

from __future__ import annotations

import copy
import dataclasses
import pickle
import random
from collections import defaultdict

import pytest

from bot.places import Gazetteer
from bot.places import typos as typos_module
from bot.places.typos import TypoIndex, _deletes, _levenshtein


class PlainDeleteIndex:
    """The former index: every one-letter delete of every word, in a dict."""

    def __init__(self, keys: list[str]) -> None:
        self.vocabulary = {word for key in keys for word in key.split()}
        self.deletes: dict[str, set[str]] = defaultdict(set)
        for word in self.vocabulary:
            self.deletes[word].add(word)
            if len(word) >= 3 and not word.isdigit():
                for variant in _deletes(word):
                    self.deletes[variant].add(word)

    def similar_tokens(self, token: str) -> set[str]:
        if len(token) < 3 or token.isdigit():
            return {token} if token in self.vocabulary else set()
        found: set[str] = set()
        for variant in {token} | _deletes(token):
            found |= self.deletes.get(variant, set())
        limit = 1 if len(token) < 8 else 2
        return {word for word in found if _levenshtein(token, word, limit) <= limit}


def _typo(word: str, rng: random.Random) -> str:
    """The word with one letter removed, replaced, added or swapped with the next."""
    if len(word) < 2:
        return word
    i = rng.randrange(len(word))
    letter = rng.choice("abcdefghijklmnopqrstuvwxyz")
    return rng.choice(
        [
            word[:i] + word[i + 1 :],
            word[:i] + letter + word[i + 1 :],
            word[:i] + letter + word[i:],
            word[:i] + word[i + 1 : i + 2] + word[i : i + 1] + word[i + 2 :],
        ]
    )


def _tokens(vocabulary: set[str], count: int) -> list[str]:
    """A sample of known words, with one and two typos each."""
    rng = random.Random(5)
    words = sorted(vocabulary)
    sample = rng.sample(words, min(count, len(words)))
    return sample + [_typo(w, rng) for w in sample] + [_typo(_typo(w, rng), rng) for w in sample]


def test_the_typo_index_finds_the_words_of_a_plain_delete_index(gazetteer: Gazetteer) -> None:
    plain = PlainDeleteIndex(list(gazetteer.by_key))
    gazetteer.typos.build()
    for token in _tokens(plain.vocabulary, 3000) + ["blios", "tour", "romoratin", "la", "93", "zzzz"]:
        assert gazetteer.typos._similar_tokens(token) == plain.similar_tokens(token), token
    keys_with_word: dict[str, set[str]] = defaultdict(set)
    for key in gazetteer.by_key:
        for word in key.split():
            keys_with_word[word].add(key)
    for word, keys in keys_with_word.items():
        assert set(gazetteer.typos._keys_with(word)) == keys, word


def test_colliding_hashes_find_no_other_word(gazetteer: Gazetteer, monkeypatch: pytest.MonkeyPatch) -> None:
    """A hash only points at candidates: with every hash equal, the words are the same."""
    keys = [key for key in gazetteer.by_key if key.startswith(("ch", "sa", "bl", "ro"))][:150] + ["ab", "37 12"]
    plain = PlainDeleteIndex(keys)
    monkeypatch.setattr(typos_module, "_hash64", lambda text: 7)
    index = TypoIndex({key: () for key in keys})
    index.build()
    for token in _tokens(plain.vocabulary, 100) + ["a", "ab", "abc", "37", "12"]:
        assert index._similar_tokens(token) == plain.similar_tokens(token), token


def test_typo_lookups_of_the_whole_gazetteer(gazetteer: Gazetteer) -> None:
    found = {
        "blios": {"41018"},
        "joue les tour": {"37122"},
        "romoratin": {"41194"},
        "chatauroux": {"36044"},
        "saint amand monrond": {"18197"},
    }
    for key, insee in found.items():
        assert {c.insee for c in gazetteer.typos.communes(key)} == insee, key
    assert gazetteer.typos.communes("zzzzqqq") == []
    assert gazetteer.typos.communes("abc") == []


def test_indexes_are_tuples_and_lookups_unchanged(gazetteer: Gazetteer) -> None:
    for index in (gazetteer.by_key, gazetteer.by_short_key, gazetteer.by_postcode, gazetteer._first_token):
        assert type(index) is dict
        assert all(type(values) is tuple and values for values in index.values())
    assert [c.insee for c in gazetteer.by_key["tours"]] == ["37261"]
    assert gazetteer.by_key.get("nowhere at all", ()) == ()
    assert {c.insee for c in gazetteer.for_postcode("37300")} == {"37122"}
    assert gazetteer.for_postcode("00000") == []
    assert [c.insee for c in gazetteer.for_postcode("75015")] == ["75115"]
    assert all(c.epci_siren == gazetteer.commune("37261").epci_siren for c in gazetteer.epci_members("243700754"))
    assert "37261" in {c.insee for c in gazetteer.epci_members("243700754")}


def test_communes_share_their_repeated_texts(gazetteer: Gazetteer) -> None:
    tours, joue = gazetteer.commune("37261"), gazetteer.commune("37122")
    assert tours.departement_name is joue.departement_name
    assert tours.region_name is joue.region_name
    assert tours.epci_name is joue.epci_name


def test_a_commune_is_still_a_frozen_dataclass(gazetteer: Gazetteer) -> None:
    tours = gazetteer.commune("37261")
    assert not hasattr(tours, "__dict__")
    assert pickle.loads(pickle.dumps(tours)) == tours
    assert copy.deepcopy(tours) == tours and hash(copy.copy(tours)) == hash(tours)
    assert dataclasses.replace(tours, name="Tours-bis").name == "Tours-bis"
    assert dataclasses.asdict(tours)["insee"] == "37261"
    with pytest.raises(dataclasses.FrozenInstanceError):
        tours.name = "Other"  # type: ignore[misc]
