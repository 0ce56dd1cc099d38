"""The communes gazetteer: indexes by INSEE code, postcode and name.

It also finds places in sentences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, TypeVar

from bot.places.commune import NOT_FOUND, Commune, PlaceMention, PlaceResolution
from bot.places.places_file import communes_from_rows, read_places_file
from bot.places.typos import TypoIndex
from bot.places.words import normalize, place_words

MAX_CHOICES = 10

T = TypeVar("T")


def _result(
    communes: list[Commune], query: str, method: str, matched: str = ""
) -> PlaceResolution:
    unique = list(dict.fromkeys(communes))
    if not unique:
        return PlaceResolution(NOT_FOUND, (), query, matched, "")
    unique.sort(key=lambda c: (-c.population, c.insee))
    status = "found" if len(unique) == 1 else "ambiguous"
    return PlaceResolution(
        status, tuple(unique[:MAX_CHOICES]), query, matched or query, method
    )


def _add(index: dict[str, tuple[T, ...]], key: str, value: T) -> None:
    """Add ``value`` at the end of the tuple of ``key`` (few values share a key)."""
    index[key] = (*index.get(key, ()), value)


@dataclass
class Gazetteer:
    """In-memory index of communes by INSEE code, postcode and normalised name."""

    communes: list[Commune]
    by_insee: dict[str, Commune] = field(init=False)
    by_postcode: dict[str, tuple[Commune, ...]] = field(init=False)
    by_key: dict[str, tuple[Commune, ...]] = field(init=False)
    by_short_key: dict[str, tuple[Commune, ...]] = field(init=False)
    departements: dict[str, tuple[str, str]] = field(
        init=False
    )  # code -> (name, region code)
    departement_keys: dict[str, str] = field(init=False)
    _first_token: dict[str, tuple[str, ...]] = field(init=False)
    typos: TypoIndex = field(init=False)
    _epci_sirens: set[str] | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        """Build the indexes.

        Tuples grown in place, not lists: they live in every process, and lists
        copied to tuples would leave their memory in holes.
        """
        self.by_insee, self.by_postcode, self.by_key, self.by_short_key = {}, {}, {}, {}
        self.departements, self.departement_keys = {}, {}
        for item in self.communes:
            self.by_insee[item.insee] = item
            for postcode in item.postcodes:
                _add(self.by_postcode, postcode, item)
            key = normalize(item.name)
            _add(self.by_key, key, item)
            first, _, rest = key.partition(" ")
            if first in place_words().articles and rest:
                _add(self.by_short_key, rest, item)
            if (
                item.kind == "arrondissement"
            ):  # "Paris 15" also known as "Paris 15e", "75015"
                _add(self.by_key, key.replace(" 0", " "), item)
            self.departements.setdefault(
                item.departement_code, (item.departement_name, item.region_code)
            )
        for code, (name, _region) in self.departements.items():
            self.departement_keys[normalize(name)] = code
            self.departement_keys[code.lower()] = code
        self._first_token = {}
        for key in self.by_key:
            _add(self._first_token, key.split(" ", 1)[0], key)
        self.typos = TypoIndex(self.by_key)

    # ------------------------------------------------------------------ loading
    @classmethod
    def from_file(cls, path: Path) -> "Gazetteer":
        """Read the compact gazetteer written by the import command.

        A .csv or .csv.gz file.
        """
        return cls(read_places_file(path))

    @classmethod
    def from_rows(cls, rows: Iterable[dict[str, str]]) -> "Gazetteer":
        """Build from dict rows with the columns of ``PLACE_COLUMNS``."""
        return cls(communes_from_rows(rows))

    # ------------------------------------------------------------------ lookups
    def commune(self, insee: str) -> Commune | None:
        """Commune by INSEE code."""
        return self.by_insee.get(insee.strip().upper())

    def for_postcode(self, postcode: str) -> list[Commune]:
        """Communes of a postcode.

        An arrondissement hides its parent city (75015 -> Paris 15e).
        """
        found = self.by_postcode.get(postcode, ())
        parents = {c.parent_insee for c in found if c.parent_insee}
        return [c for c in found if c.insee not in parents]

    @property
    def epci_sirens(self) -> set[str]:
        """SIREN of every EPCI that has member communes."""
        if self._epci_sirens is None:
            self._epci_sirens = {c.epci_siren for c in self.communes if c.epci_siren}
        return self._epci_sirens

    def epci_members(self, siren: str) -> list[Commune]:
        """Communes of an EPCI (by SIREN)."""
        return [c for c in self.communes if c.epci_siren == siren]

    def resolve(self, text: str, region: str | None = None) -> PlaceResolution:
        """Resolve a text that is only a place (see module docstring)."""
        query = text.strip()
        key = normalize(query)
        if not key:
            return PlaceResolution(NOT_FOUND, (), query)
        compact = query.replace(" ", "").upper()
        tokens = key.split()
        postcode = next(
            (t for t in tokens if re.fullmatch(r"\d{5}", t) and t in self.by_postcode),
            "",
        )
        if (
            re.fullmatch(r"\d{5}|2[AB]\d{3}", compact)
            and not postcode
            and compact in self.by_insee
        ):
            return _result([self.by_insee[compact]], query, "insee")
        name_tokens = [t for t in tokens if t != postcode]
        departement = ""
        full = " ".join(name_tokens)
        if (
            len(name_tokens) > 1
            and full not in self.by_key
            and full not in self.by_short_key
        ):
            # "Saint-Denis 93", "Beaulieu (Indre)" (but "Saint-Cyr-sur-Loire" is a name)
            for size in (3, 2, 1):
                tail = " ".join(name_tokens[-size:])
                if len(name_tokens) > size and tail in self.departement_keys:
                    departement = self.departement_keys[tail]
                    name_tokens = name_tokens[:-size]
                    break
        if postcode:
            candidates = self.for_postcode(postcode)
            if name_tokens:
                named = self._by_name(" ".join(name_tokens))
                narrowed = (
                    [c for c in candidates if c in set(named[0])] if named[0] else []
                )
                if narrowed:
                    return _result(narrowed, query, "postcode")
            return _result(candidates, query, "postcode")
        communes, method = self._by_name(" ".join(name_tokens))
        if departement:
            communes = [c for c in communes if c.departement_code == departement]
        if region and len(communes) > 1:
            local = [c for c in communes if c.region_code == region]
            if len(local) == 1:
                communes = local
        return _result(communes, query, method)

    def _by_name(self, key: str) -> tuple[list[Commune], str]:
        if not key:
            return [], ""
        if key in self.by_key:
            return list(self.by_key[key]), "name"
        if key in self.by_short_key:
            return list(self.by_short_key[key]), "name"
        prefixed = [
            k
            for k in self._first_token.get(key.split(" ", 1)[0], ())
            if k.startswith(key + " ")
        ]
        if prefixed and len(key) >= 4:
            return [c for k in prefixed for c in self.by_key[k]], "prefix"
        fuzzy = self.typos.communes(key)
        return fuzzy, "fuzzy" if fuzzy else ""

    # ------------------------------------------------------------------ sentences
    def find_in_text(self, text: str, region: str | None = None) -> PlaceResolution:
        """Find a commune mentioned in a sentence.

        By postcode, name, or a near miss after "à".
        """
        words_ = place_words()
        words = _words(text)
        norms = [norm for _raw, norm, _span in words]
        for raw, norm, _span in words:
            if re.fullmatch(r"\d{5}", norm) and norm in self.by_postcode:
                around = self._postcode_with_name(norms, norms.index(norm))
                return (
                    self.resolve(around, region)
                    if around
                    else _result(self.for_postcode(norm), text, "postcode", raw)
                )
        matches = self._name_matches(words)
        if matches:
            _score, start, length = max(matches)
            matched = " ".join(raw for raw, _, _ in words[start : start + length])
            found = self.resolve(
                " ".join(
                    norms[
                        start : start + length + self._dep_suffix(norms, start + length)
                    ]
                ),
                region,
            )
            return PlaceResolution(
                found.status, found.communes, text, matched, found.method
            )
        for start in range(
            1, len(words)
        ):  # near misses right after a cue: "j'habite a joue les tour"
            if (
                not _is_cue(words, norms, start - 1, words_.cues)
                or norms[start] in words_.common_words
                or norms[start] in words_.stop_after_place
            ):
                continue
            end = start
            while (
                end < len(words)
                and end - start < 5
                and norms[end] not in words_.stop_after_place
            ):
                end += 1
            for stop in range(end, start, -1):
                candidate = " ".join(norms[start:stop])
                if len(candidate) < 5:
                    continue
                found = self.resolve(candidate, region)
                if found.status != NOT_FOUND and found.method in (
                    "fuzzy",
                    "prefix",
                    "name",
                ):
                    matched = " ".join(raw for raw, _, _ in words[start:stop])
                    return PlaceResolution(
                        found.status, found.communes, text, matched, found.method
                    )
        return PlaceResolution(NOT_FOUND, (), text)

    def _name_matches(
        self, words: list[tuple[str, str, tuple[int, int]]]
    ) -> list[tuple[tuple[bool, bool, int], int, int]]:
        """Names of communes in the words: (score, first word, number of words).

        At most one (the longest) per first word; a longer name, one after a cue,
        then a later one scores higher.
        """
        words_ = place_words()
        norms = [norm for _raw, norm, _span in words]
        matches = []
        for start in range(len(words)):
            cue = start > 0 and _is_cue(words, norms, start - 1, words_.cues)
            for length in range(min(6, len(words) - start), 0, -1):
                key = " ".join(norms[start : start + length])
                if key not in self.by_key and not (
                    length > 1 and key in self.by_short_key
                ):
                    continue
                if key not in self.by_key and (
                    norms[start] in words_.common_words
                    or not (cue or words[start][0][:1].isupper())
                ):
                    continue  # part of a longer name, in everyday words ("à cause de")
                if (
                    length == 2
                    and norms[start] in words_.articles
                    and not words[start + 1][0][:1].isupper()
                    and norms[start + 1] in words_.common_words | words_.cues
                ):
                    continue  # an article and an everyday word: "sur la côte"
                if length == 1:
                    capital = words[start][0][:1].isupper() and start > 0
                    if (
                        key in words_.common_words
                        or len(key) < 3
                        or not (cue or capital)
                    ):
                        continue
                score = (length > 1, cue, start)
                matches.append((score, start, length))
                break
        return matches

    def mentions(self, text: str, region: str | None = None) -> list[PlaceMention]:
        """Every commune a sentence names by postcode or by its exact name.

        With where it is in the text; in text order, none overlapping (the best
        scored of two overlapping names is kept). No near misses: a typo is only
        read by ``find_in_text`` after a cue, or by ``resolve``.
        """
        words = _words(text)
        found: list[tuple[tuple[bool, bool, int], int, int]] = [
            ((True, True, start), start, 1)
            for start, (_raw, norm, _span) in enumerate(words)
            if re.fullmatch(r"\d{5}", norm) and norm in self.by_postcode
        ]
        found += sorted(self._name_matches(words), reverse=True)
        taken: set[int] = set()
        mentions = []
        for _score, start, length in found:
            positions = set(range(start, start + length))
            if positions & taken:
                continue
            taken |= positions
            norms = [norm for _raw, norm, _span in words[start : start + length]]
            resolution = self.resolve(" ".join(norms), region)
            if resolution.status == NOT_FOUND:
                continue
            mentions.append(
                PlaceMention(
                    resolution,
                    words[start][2][0],
                    words[start + length - 1][2][1],
                )
            )
        return sorted(mentions, key=lambda m: m.start)

    def _postcode_with_name(self, norms: list[str], position: int) -> str:
        """Keep the name words next to a postcode.

        E.g. "37300 Joué-lès-Tours", "Joué 37300".
        """
        postcode = norms[position]
        communes = self.for_postcode(postcode)
        keys = {normalize(c.name) for c in communes}
        for length in range(5, 0, -1):
            after = " ".join(norms[position + 1 : position + 1 + length])
            before = " ".join(norms[max(0, position - length) : position])
            for words in (after, before):
                if words and any(k == words or k.startswith(words + " ") for k in keys):
                    return f"{postcode} {words}"
        return ""

    def _dep_suffix(self, norms: list[str], end: int) -> int:
        """Length of a département code right after a name ("Saint-Denis 93")."""
        if end < len(norms) and norms[end].upper() in self.departements:
            return 1
        return 0


def _words(text: str) -> list[tuple[str, str, tuple[int, int]]]:
    """The words of a text: as written, normalised, and where (start, end)."""
    words = [
        (m.group(0), normalize(m.group(0)), m.span())
        for m in re.finditer(r"[^\W_]+", text)
    ]
    return [word for word in words if word[1]]


# Subject pronouns before "a": the verb avoir ("m'a viré", "en a marre"), not "à".
_BEFORE_AVOIR = frozenset(
    {"m", "t", "l", "il", "elle", "on", "en", "y", "qui", "ca", "j", "n"}
)


def _is_cue(
    words: list[tuple[str, str, tuple[int, int]]],
    norms: list[str],
    index: int,
    cues: frozenset[str],
) -> bool:
    """Whether the word at ``index`` announces a place ("à", "vers", "habite"…)."""
    if norms[index] not in cues:
        return False
    raw = words[index][0]
    return not (raw.lower() == "a" and index > 0 and norms[index - 1] in _BEFORE_AVOIR)
