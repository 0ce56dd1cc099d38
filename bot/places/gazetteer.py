"""The communes gazetteer: indexes by INSEE code, postcode and name.

It also finds places in sentences.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from bot.places.words import normalize, place_words

MAX_CHOICES = 10

PLACE_COLUMNS = (
    "insee",
    "name",
    "kind",
    "postcodes",
    "departement_code",
    "departement_name",
    "region_code",
    "region_name",
    "parent_insee",
    "epci_siren",
    "epci_name",
    "population",
    "latitude",
    "longitude",
)


@dataclass(frozen=True)
class Commune:
    """A commune (or a municipal arrondissement of Paris, Lyon, Marseille)."""

    insee: str
    name: str
    postcodes: tuple[str, ...]
    departement_code: str
    departement_name: str
    region_code: str
    region_name: str
    latitude: float | None
    longitude: float | None
    population: int = 0
    epci_siren: str = ""
    epci_name: str = ""
    parent_insee: str = ""
    kind: str = "commune"  # "commune" or "arrondissement"

    @property
    def postcode(self) -> str:
        """Main postcode (the first one)."""
        return self.postcodes[0] if self.postcodes else ""

    @property
    def label(self) -> str:
        """Short label that tells homonyms apart.

        E.g. "Saint-Denis (Seine-Saint-Denis, 93)".
        """
        return f"{self.name} ({self.departement_name}, {self.departement_code})"


@dataclass(frozen=True)
class PlaceResolution:
    """Outcome of a place lookup; ``communes`` is empty when not found."""

    status: str  # "found" | "ambiguous" | "not_found"
    communes: tuple[Commune, ...] = ()
    query: str = ""
    matched_text: str = ""  # the part of the text taken as the place
    method: str = ""  # "insee", "postcode", "name", "prefix", "fuzzy"

    @property
    def commune(self) -> Commune | None:
        """The commune when found, else None."""
        return self.communes[0] if self.status == "found" else None


NOT_FOUND = "not_found"


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


@dataclass
class Gazetteer:
    """In-memory index of communes by INSEE code, postcode and normalised name."""

    communes: list[Commune]
    by_insee: dict[str, Commune] = field(init=False)
    by_postcode: dict[str, list[Commune]] = field(init=False)
    by_key: dict[str, list[Commune]] = field(init=False)
    by_short_key: dict[str, list[Commune]] = field(init=False)
    departements: dict[str, tuple[str, str]] = field(
        init=False
    )  # code -> (name, region code)
    departement_keys: dict[str, str] = field(init=False)
    _first_token: dict[str, list[str]] = field(init=False)
    _vocabulary: set[str] = field(init=False, default_factory=set)
    _keys_with_word: dict[str, list[str]] = field(init=False, default_factory=dict)
    _delete_index: dict[str, list[str]] = field(init=False, default_factory=dict)
    _epci_sirens: set[str] | None = field(init=False, default=None)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        """Build the empty indexes."""
        self.by_insee, self.by_postcode = {}, defaultdict(list)
        self.by_key, self.by_short_key = defaultdict(list), defaultdict(list)
        self.departements, self.departement_keys = {}, {}
        for item in self.communes:
            self.by_insee[item.insee] = item
            for postcode in item.postcodes:
                self.by_postcode[postcode].append(item)
            key = normalize(item.name)
            self.by_key[key].append(item)
            first, _, rest = key.partition(" ")
            if first in place_words().articles and rest:
                self.by_short_key[rest].append(item)
            if (
                item.kind == "arrondissement"
            ):  # "Paris 15" also known as "Paris 15e", "75015"
                self.by_key[key.replace(" 0", " ")].append(item)
            self.departements.setdefault(
                item.departement_code, (item.departement_name, item.region_code)
            )
        for code, (name, _region) in self.departements.items():
            self.departement_keys[normalize(name)] = code
            self.departement_keys[code.lower()] = code
        self._first_token = defaultdict(list)
        for key in self.by_key:
            self._first_token[key.split(" ", 1)[0]].append(key)

    # ------------------------------------------------------------------ loading
    @classmethod
    def from_file(cls, path: Path) -> "Gazetteer":
        """Read the compact gazetteer written by the import command.

        A .csv or .csv.gz file.
        """
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8", newline="") as handle:
            return cls.from_rows(csv.DictReader(handle))

    @classmethod
    def from_rows(cls, rows) -> "Gazetteer":
        """Build from dict rows with the columns of ``PLACE_COLUMNS``."""
        communes = []
        for row in rows:
            lat, lon = row["latitude"], row["longitude"]
            communes.append(
                Commune(
                    insee=row["insee"],
                    name=row["name"],
                    postcodes=tuple(p for p in row["postcodes"].split("|") if p),
                    departement_code=row["departement_code"],
                    departement_name=row["departement_name"],
                    region_code=row["region_code"],
                    region_name=row["region_name"],
                    latitude=float(lat) if lat else None,
                    longitude=float(lon) if lon else None,
                    population=int(row["population"] or 0),
                    epci_siren=row["epci_siren"],
                    epci_name=row["epci_name"],
                    parent_insee=row["parent_insee"],
                    kind="arrondissement" if row["kind"] == "a" else "commune",
                )
            )
        return cls(communes)

    # ------------------------------------------------------------------ lookups
    def commune(self, insee: str) -> Commune | None:
        """Commune by INSEE code."""
        return self.by_insee.get(insee.strip().upper())

    def for_postcode(self, postcode: str) -> list[Commune]:
        """Communes of a postcode.

        An arrondissement hides its parent city (75015 -> Paris 15e).
        """
        found = self.by_postcode.get(postcode, [])
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
            for k in self._first_token.get(key.split(" ", 1)[0], [])
            if k.startswith(key + " ")
        ]
        if prefixed and len(key) >= 4:
            return [c for k in prefixed for c in self.by_key[k]], "prefix"
        fuzzy = self._fuzzy(key)
        return fuzzy, "fuzzy" if fuzzy else ""

    def _fuzzy(self, key: str) -> list[Commune]:
        """Communes whose name has at most one typo per word.

        E.g. "Blios", "Joue les tour", "Romoratin".
        """
        if len(key) < 4 or key.isdigit():
            return []
        self._ensure_fuzzy()
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

    def _ensure_fuzzy(self) -> None:
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

    # ------------------------------------------------------------------ sentences
    def find_in_text(self, text: str, region: str | None = None) -> PlaceResolution:
        """Find a commune mentioned in a sentence.

        By postcode, name, or a near miss after "à".
        """
        words_ = place_words()
        words = [
            (m.group(0), normalize(m.group(0))) for m in re.finditer(r"[^\W_]+", text)
        ]
        words = [(raw, norm) for raw, norm in words if norm]
        norms = [norm for _raw, norm in words]
        for raw, norm in words:
            if re.fullmatch(r"\d{5}", norm) and norm in self.by_postcode:
                around = self._postcode_with_name(norms, norms.index(norm))
                return (
                    self.resolve(around, region)
                    if around
                    else _result(self.for_postcode(norm), text, "postcode", raw)
                )
        matches = []  # (score, start, length)
        for start in range(len(words)):
            cue = start > 0 and norms[start - 1] in words_.cues
            for length in range(min(6, len(words) - start), 0, -1):
                key = " ".join(norms[start : start + length])
                if key not in self.by_key and not (
                    length > 1 and key in self.by_short_key
                ):
                    continue
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
        if matches:
            _score, start, length = max(matches)
            matched = " ".join(raw for raw, _ in words[start : start + length])
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
                norms[start - 1] not in words_.cues
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
                    matched = " ".join(raw for raw, _ in words[start:stop])
                    return PlaceResolution(
                        found.status, found.communes, text, matched, found.method
                    )
        return PlaceResolution(NOT_FOUND, (), text)

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


def write_places_file(rows, path: Path) -> int:
    """Write rows (dicts with ``PLACE_COLUMNS``) as a reproducible gzip CSV.

    Return the count.
    """
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=PLACE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    with (
        open(path, "wb") as raw,
        gzip.GzipFile(
            filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9
        ) as gz,
    ):
        gz.write(buffer.getvalue().encode("utf-8"))
    return count
