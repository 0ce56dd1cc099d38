"""The typo index of commune names: names at most one typo per word away.

A symmetric-delete index of the words of every normalised name ("Blios" finds "Blois",
"Joue les tour" finds "Joué-lès-Tours"), built on first use because it takes a moment.

It lives in every process that resolves places, so it is kept small: each word is held
once, and the delete index is one sorted array of numbers (a variant's hash and the
number of a word that has it) rather than a dict of some 200,000 variant strings. A hash
only points at candidates: a word is kept only if one of its forms is a form of the
query, so the words found are exactly those of a dict of variants.
"""

from __future__ import annotations

import threading
from array import array
from bisect import bisect_left
from typing import Mapping, Sequence

from bot.places.commune import Commune


def _levenshtein(a: str, b: str, limit: int) -> int:
    """Edit distance (with transpositions), stops early above ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        best = i
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                value = min(value, previous2[j - 2] + 1)
            current[j] = value
            best = min(best, value)
        if best > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def _deletes(key: str) -> set[str]:
    """The key with one character removed, every way."""
    return {key[:i] + key[i + 1 :] for i in range(len(key))}


def _indexed_forms(word: str) -> set[str]:
    """The forms a word is found by: itself, and its deletes if long, not digits."""
    if len(word) >= 3 and not word.isdigit():
        return {word} | _deletes(word)
    return {word}


def _hash64(text: str) -> int:
    """The text's hash as an unsigned 64-bit number (stable within the process)."""
    return hash(text) & 0xFFFF_FFFF_FFFF_FFFF


class TypoIndex:
    """Commune names at most one typo per word away; built on first use."""

    def __init__(self, by_key: Mapping[str, Sequence[Commune]]) -> None:
        """Index the names of ``by_key`` (normalised name -> its communes)."""
        self.by_key = by_key
        # word -> the names holding it: one name as is, several as a tuple
        self._keys_with_word: dict[str, str | tuple[str, ...]] = {}
        self._words: tuple[str, ...] = ()
        # sorted (hash of a form >> bits << bits) | number of the word in _words
        self._forms = array("Q")
        self._number_bits = 1
        self._lock = threading.Lock()

    def communes(self, key: str) -> list[Commune]:
        """Communes whose name has at most one typo per word.

        E.g. "Blios", "Joue les tour", "Romoratin".
        """
        if len(key) < 4 or key.isdigit():
            return []
        self.build()
        tokens = key.split()
        options = [self._similar_tokens(token) for token in tokens]
        if not all(options):
            return []
        # Walk only the names holding the rarest word of the query.
        pivot = min(
            range(len(tokens)),
            key=lambda i: sum(len(self._keys_with(w)) for w in options[i]),
        )
        pool = {k for word in options[pivot] for k in self._keys_with(word)}
        scored = []
        for candidate in pool:
            words = candidate.split()
            if not len(tokens) <= len(words) <= len(tokens) + 2:
                continue
            if all(words[i] in options[i] for i in range(len(tokens))):
                distance = _levenshtein(
                    key, " ".join(words[: len(tokens)]), 3 * len(tokens)
                )
                scored.append((len(words) != len(tokens), distance, candidate))
        if not scored:
            return []
        best = min(scored)[:2]
        keys = [k for prefix, distance, k in scored if (prefix, distance) == best]
        return [c for k in keys for c in self.by_key[k]]

    def _keys_with(self, word: str) -> tuple[str, ...]:
        """The names holding a known word."""
        return self._as_tuple(self._keys_with_word[word])

    @staticmethod
    def _as_tuple(keys: str | tuple[str, ...]) -> tuple[str, ...]:
        """One name or several, as a tuple."""
        return (keys,) if isinstance(keys, str) else keys

    def _similar_tokens(self, token: str) -> set[str]:
        """Known name words at most one edit away (two for long words)."""
        if len(token) < 3 or token.isdigit():
            return {token} if token in self._keys_with_word else set()
        forms = {token} | _deletes(token)
        entries, words, bits = self._forms, self._words, self._number_bits
        mask = (1 << bits) - 1
        candidates: set[str] = set()  # the words of every form, and any hash twin
        for form in forms:
            low = _hash64(form) >> bits << bits
            position = bisect_left(entries, low)
            while position < len(entries) and entries[position] <= low | mask:
                candidates.add(words[entries[position] & mask])
                position += 1
        limit = 1 if len(token) < 8 else 2
        return {
            word
            for word in candidates
            if _levenshtein(token, word, limit) <= limit
            and not forms.isdisjoint(_indexed_forms(word))
        }

    def build(self) -> None:
        """Build the index once (the first caller builds it, the others wait)."""
        with self._lock:
            if self._words:
                return
            keys_with_word: dict[str, str | tuple[str, ...]] = {}
            for key in self.by_key:
                for word in set(key.split()):
                    keys = keys_with_word.get(word)
                    keys_with_word[word] = (
                        key if keys is None else (*self._as_tuple(keys), key)
                    )
            words = tuple(keys_with_word)
            bits = max(1, (len(words) - 1).bit_length())
            forms = array(
                "Q",
                sorted(
                    _hash64(form) >> bits << bits | number
                    for number, word in enumerate(words)
                    for form in _indexed_forms(word)
                ),
            )
            self._keys_with_word, self._number_bits = keys_with_word, bits
            self._forms, self._words = forms, words  # _words last: the index is built
