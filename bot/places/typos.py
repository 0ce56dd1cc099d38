"""The typo index of commune names: names at most one typo per word away.

A symmetric-delete index of the words of every normalised name ("Blios" finds "Blois",
"Joue les tour" finds "Joué-lès-Tours"), built on first use because it takes a moment.
"""

from __future__ import annotations

import threading
from collections import defaultdict

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


class TypoIndex:
    """Commune names at most one typo per word away; built on first use."""

    def __init__(self, by_key: dict[str, list[Commune]]) -> None:
        """Index the names of ``by_key`` (normalised name -> its communes)."""
        self.by_key = by_key
        self._vocabulary: set[str] = set()
        self._keys_with_word: dict[str, list[str]] = {}
        self._delete_index: dict[str, list[str]] = {}
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
            key=lambda i: sum(len(self._keys_with_word[w]) for w in options[i]),
        )
        pool = {k for word in options[pivot] for k in self._keys_with_word[word]}
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

    def _similar_tokens(self, token: str) -> set[str]:
        """Known name words at most one edit away (two for long words)."""
        if len(token) < 3 or token.isdigit():
            return {token} if token in self._vocabulary else set()
        found: set[str] = set()
        for variant in {token} | _deletes(token):
            found.update(self._delete_index.get(variant, ()))
        limit = 1 if len(token) < 8 else 2
        return {word for word in found if _levenshtein(token, word, limit) <= limit}

    def build(self) -> None:
        """Build the index once (the first caller builds it, the others wait)."""
        with self._lock:
            if self._delete_index:
                return
            vocabulary = {word for key in self.by_key for word in key.split()}
            deletes: dict[str, list[str]] = defaultdict(list)
            for word in vocabulary:
                deletes[word].append(word)
                if len(word) >= 3 and not word.isdigit():
                    for variant in _deletes(word):
                        deletes[variant].append(word)
            keys_with_word: dict[str, list[str]] = defaultdict(list)
            for key in self.by_key:
                for word in set(key.split()):
                    keys_with_word[word].append(key)
            self._keys_with_word = keys_with_word
            self._vocabulary = vocabulary
            self._delete_index = dict(deletes)
