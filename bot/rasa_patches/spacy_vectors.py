"""The spaCy model's word-vector index in 12 MB of arrays, not a 500,000-key dict.

``fr_core_news_md`` maps 500,000 word hashes to 20,000 vector rows. spaCy keeps that
map (``Vectors.key2row``) as a Python dict: two Python integers and a dict slot per
word, tens of MB of the Rasa process for an index that is only read once the model is
loaded. ``ArrayKeyToRow`` holds the same pairs in sorted arrays (binary search, about
0.6 µs a read) and answers every read spaCy makes of ``key2row`` (``get``, ``[]``,
``in``, ``len``, iteration, ``keys``, ``values``, ``items``, equality) with the same
result, so tokens get the same vectors and the same lexeme ranks. It refuses changes:
the model loaded to serve predictions never adds vectors (``Vectors.add`` would raise
``TypeError``).

``install()`` makes Rasa's ``SpacyNLP.load_model`` (which ``bot.nlu.SharedSpacyNLP``
calls once per process) swap it in after loading, when the installed Rasa is a checked
version, unless ``SPRO_RASA_PATCHES_OFF`` names ``spacy_vectors`` (or ``all``).
tests/test_spacy_vectors.py checks every read against spaCy's dict.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from bot.rasa_patches import (
    patch_enabled,
    rasa_attribute,
    rasa_version_checked,
    replace_attributes,
    restore_attributes,
)

NAME = "spacy_vectors"
_MISSING = object()


class ArrayKeyToRow(Mapping[int, int]):
    """A read-only ``{word hash: vector row}`` map in sorted arrays (binary search)."""

    def __init__(self, pairs: Mapping[int, int]) -> None:
        """Copy ``pairs`` (spaCy's dict), sorted by key."""
        in_order = np.fromiter(pairs.keys(), dtype=np.uint64, count=len(pairs))
        rows = np.fromiter(pairs.values(), dtype=np.int64, count=len(pairs))
        by_key = np.argsort(in_order)
        self._keys = array("Q", in_order[by_key].tobytes())
        self._rows = array("q", rows[by_key].tobytes())
        self._keys_in_order = array("Q", in_order.tobytes())  # for iteration

    def _row(self, key: Any) -> Any:
        if isinstance(key, np.integer):
            key = int(key)
        if not isinstance(key, int):
            return _MISSING
        index = bisect_left(self._keys, key)
        if index < len(self._keys) and self._keys[index] == key:
            return self._rows[index]
        return _MISSING

    def __getitem__(self, key: Any) -> int:
        """The row of ``key``; ``KeyError`` when it has no vector."""
        row = self._row(key)
        if row is _MISSING:
            raise KeyError(key)
        return int(row)

    def get(self, key: Any, default: Any = None) -> Any:
        """The row of ``key``, else ``default``."""
        row = self._row(key)
        return default if row is _MISSING else row

    def __contains__(self, key: object) -> bool:
        """True when ``key`` has a vector."""
        return self._row(key) is not _MISSING

    def __iter__(self) -> Iterator[int]:
        """The keys, in the order spaCy's dict had them."""
        return iter(self._keys_in_order)

    def __len__(self) -> int:
        """Number of words with a vector."""
        return len(self._keys)

    def __eq__(self, other: object) -> bool:
        """Equal to a map of the same pairs (a dict included)."""
        if not isinstance(other, Mapping):
            return NotImplemented
        return len(other) == len(self) and all(
            other.get(key, _MISSING) == row for key, row in self.items()
        )

    __hash__ = None  # type: ignore[assignment]  # mutable-looking, as a dict


def compact_vectors(vocab: Any) -> bool:
    """Put an ``ArrayKeyToRow`` in place of ``vocab.vectors.key2row`` (a dict).

    False, and nothing changed, when there is no such dict (another kind of vectors).
    """
    vectors: Any = getattr(vocab, "vectors", None)
    key2row = getattr(vectors, "key2row", None)
    if not isinstance(key2row, dict) or not key2row:
        return False
    vectors.key2row = ArrayKeyToRow(key2row)
    return True


def load_model(spacy_model_name: str) -> Any:
    """Rasa's ``SpacyNLP.load_model``, then the vector index in arrays."""
    from rasa.nlu.utils.spacy_utils import SpacyNLP

    loaded = rasa_attribute(SpacyNLP, "load_model")(spacy_model_name)
    compact_vectors(loaded.model.vocab)
    return loaded


def install() -> None:
    """Patch ``SpacyNLP.load_model`` (idempotent)."""
    if not patch_enabled(NAME) or not rasa_version_checked(NAME):
        return
    from rasa.nlu.utils.spacy_utils import SpacyNLP

    replace_attributes(SpacyNLP, {"load_model": staticmethod(load_model)})


def uninstall() -> None:
    """Put Rasa's own ``load_model`` back (tests)."""
    from rasa.nlu.utils.spacy_utils import SpacyNLP

    restore_attributes(SpacyNLP, ["load_model"])
