"""Queries on the knowledge: the one module actions and channels go through.

- ``MemoryRepository(knowledge)``: queries on a validated ``KnowledgeSet`` held in
  memory (tests build one from files with ``MemoryRepository.from_directory()``).
- ``SqlRepository(url)``: what the running bot uses. It serves a ``MemoryRepository``
  built from the live database snapshot and, at most every
  ``config.knowledge_refresh_seconds()``, reads the one-row snapshot pointer; when a
  ``python -m bot load`` has moved it, the new snapshot is read and swapped in — no
  restart. If the database cannot be read, the last good knowledge keeps serving.

Both offer the same methods: ``network(code)``, ``networks()``, ``structure(id)``,
``structures(network=None)``, ``nearest_structures(network, insee, limit=3)``,
``region(code)``, ``regions()``, ``region_for(insee)``, ``sheet(code)``, ``sheets()``,
``find_sheets(text)``, ``find_network(text)`` and ``snapshot_id``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from math import cos, floor, radians
from pathlib import Path
from typing import Protocol

from bot import config
from bot.knowledge import store
from bot.knowledge.files import Problem, check_directory
from bot.knowledge.model import (
    InfoSheet,
    KnowledgeSet,
    Network,
    Region,
    Structure,
    StructureMatch,
)
from bot.places import Commune, Gazetteer, get_gazetteer, normalize
from bot.places.geo import haversine_radians

log = logging.getLogger(__name__)

# Beyond this distance a structure is not proposed unless its area served names the
# commune: the assistant then gives the network's online entry points and the regional
# service.
DEFAULT_MAX_DISTANCE_KM = 100.0
# Kilometres per degree of latitude (a little under the true ~111.2, so the search box
# is never too small).
KM_PER_DEGREE = 110.0
Entry = tuple[
    Structure, float, float, float
]  # structure, latitude and longitude in radians, cos(latitude)


class KnowledgeUnavailable(RuntimeError):
    """No knowledge can be served (never loaded, or invalid files).

    The message is French.
    """

    def __init__(self, message: str, problems: list[Problem] | None = None):
        """Keep the French message and the problems that explain it."""
        super().__init__(message)
        self.problems = problems or []


class KnowledgeRepository(Protocol):
    """What actions, channels and staff commands may ask the knowledge.

    Both repositories offer it.
    """

    @property
    def snapshot_id(self) -> int | None:
        """Id of the snapshot served, or None when read from files."""

    @property
    def knowledge(self) -> KnowledgeSet:
        """The whole knowledge set served."""

    def network(self, code: str) -> Network | None:
        """The network of this code, or None."""

    def networks(self) -> list[Network]:
        """All networks."""

    def find_network(self, text: str) -> Network | None:
        """Network named in a text, or None."""

    def structure(self, structure_id: str) -> Structure | None:
        """The structure of this id, or None."""

    def structures(self, network: str | None = None) -> list[Structure]:
        """All structures, or those of one network."""

    def nearest_structures(
        self,
        network_code: str,
        insee: str,
        limit: int = 3,
        max_distance_km: float | None = DEFAULT_MAX_DISTANCE_KM,
    ) -> list[StructureMatch]:
        """Structures of a network nearest to a commune, closest first."""

    def region(self, code: str) -> Region | None:
        """The region of this code, or None."""

    def regions(self) -> list[Region]:
        """All regions."""

    def region_for(self, insee: str) -> Region | None:
        """The region of a commune, or None."""

    def sheet(self, code: str) -> InfoSheet | None:
        """The information sheet of this code, or None."""

    def sheets(self) -> list[InfoSheet]:
        """All information sheets."""

    def find_sheets(self, text: str, limit: int = 3) -> list[InfoSheet]:
        """Information sheets matching a text, best first."""


class MemoryRepository:
    """Read-only queries over one ``KnowledgeSet``."""

    def __init__(
        self,
        knowledge: KnowledgeSet,
        gazetteer: Gazetteer | None = None,
        snapshot_id: int | None = None,
    ):
        """Index knowledge for the queries."""
        self.knowledge = knowledge
        self.snapshot_id = snapshot_id
        self._gazetteer = gazetteer
        self._networks = {n.code: n for n in knowledge.networks}
        self._structures = {s.id: s for s in knowledge.structures}
        self._regions = {r.code: r for r in knowledge.regions}
        self._sheets = {s.code: s for s in knowledge.sheets}
        self._by_network: dict[str, list[Entry]] = defaultdict(list)
        self._serving: dict[str, dict[tuple[str, str], list[Entry]]] = defaultdict(
            lambda: defaultdict(list)
        )
        self._grid: dict[str, dict[tuple[int, int], list[Entry]]] = defaultdict(
            lambda: defaultdict(list)
        )
        self._open_area: dict[str, list[Entry]] = defaultdict(list)
        for s in knowledge.structures:
            lat = radians(s.latitude)
            entry = (s, lat, radians(s.longitude), cos(lat))
            self._by_network[s.network].append(entry)
            if s.area.is_empty:
                self._open_area[s.network].append(entry)
                self._grid[s.network][(floor(s.latitude), floor(s.longitude))].append(
                    entry
                )
            for kind, codes in (
                ("c", s.area.communes),
                ("e", s.area.epci),
                ("d", s.area.departements),
            ):
                for code in codes:
                    self._serving[s.network][(kind, code)].append(entry)
        self._network_aliases = sorted(
            (
                (normalize(alias), n.code)
                for n in knowledge.networks
                for alias in (n.name, n.code.replace("_", " "), *n.former_names)
                if normalize(alias)
            ),
            key=lambda item: -len(item[0]),
        )

    @classmethod
    def from_directory(
        cls, folder: Path | None = None, gazetteer: Gazetteer | None = None
    ) -> "MemoryRepository":
        """Check the files and serve them directly (tests, previews).

        Raise if they have errors.
        """
        result = check_directory(folder, gazetteer)
        if not result.ok or result.knowledge is None:
            raise KnowledgeUnavailable(
                "Les fichiers de connaissances contiennent des erreurs.", result.errors
            )
        return cls(result.knowledge, gazetteer)

    @property
    def gazetteer(self) -> Gazetteer:
        """The gazetteer given, else the shared one."""
        return self._gazetteer or get_gazetteer()

    # ------------------------------------------------------------ networks
    def network(self, code: str) -> Network | None:
        """Network by code (e.g. "mission_locale")."""
        return self._networks.get(code)

    def networks(self) -> list[Network]:
        """All networks, in file order."""
        return list(self.knowledge.networks)

    def find_network(self, text: str) -> Network | None:
        """Network named in a text by its name, code or a former name.

        E.g. "Pôle emploi", "Fongecif".
        """
        key = f" {normalize(text)} "
        for alias, code in self._network_aliases:
            if f" {alias} " in key:
                return self._networks[code]
        return None

    # ------------------------------------------------------------ structures
    def structure(self, structure_id: str) -> Structure | None:
        """The structure of this id, or None."""
        return self._structures.get(structure_id)

    def structures(self, network: str | None = None) -> list[Structure]:
        """All structures, or those of one network."""
        if network is None:
            return list(self.knowledge.structures)
        return [item[0] for item in self._by_network.get(network, ())]

    def nearest_structures(
        self,
        network_code: str,
        insee: str,
        limit: int = 3,
        max_distance_km: float | None = DEFAULT_MAX_DISTANCE_KM,
    ) -> list[StructureMatch]:
        """Structures of a network for a commune, best first.

        A structure whose area served names the commune (its commune, EPCI or
        département) comes first; a structure whose area does not include it is
        never proposed; the others ("nearest" by default) are ranked by distance
        and kept within ``max_distance_km`` (None: no limit). Empty list when the
        network has no suitable structure: use the network's entry points then.
        """
        commune = self.gazetteer.commune(insee)
        if commune is None or not self._by_network.get(network_code):
            return []
        point = self._point(commune)
        if point is None:  # a few overseas collectivities have no coordinates at all
            return []
        lat0, lon0 = point
        lat0r, lon0r = radians(lat0), radians(lon0)
        cos0 = cos(lat0r)
        serving = self._serving.get(network_code, {})
        keys = (
            ("c", commune.insee),
            ("c", commune.parent_insee),
            ("e", commune.epci_siren),
            ("d", commune.departement_code),
        )
        ranked = {id(e[0]): (False, e) for key in keys for e in serving.get(key, ())}
        for entry in self._open_candidates(network_code, lat0, lon0, max_distance_km):
            ranked[id(entry[0])] = (True, entry)
        results = []
        for far, (structure, lat, lon, cos_lat) in ranked.values():
            distance = haversine_radians(lat0r, lon0r, cos0, lat, lon, cos_lat)
            if not far or max_distance_km is None or distance <= max_distance_km:
                results.append((far, distance, structure.id, structure))
        results.sort(key=lambda item: item[:3])
        return [
            StructureMatch(s, round(d, 1), not far)
            for far, d, _id, s in results[:limit]
        ]

    def _open_candidates(
        self, network_code: str, lat0: float, lon0: float, max_distance_km: float | None
    ) -> list[Entry]:
        """Structures without an area served that may lie within ``max_distance_km``.

        Found on a grid of 1° cells.
        """
        if max_distance_km is None:
            return self._open_area.get(network_code, [])
        span_lat = max_distance_km / KM_PER_DEGREE
        widest = cos(radians(min(89.0, abs(lat0) + span_lat)))
        span_lon = max_distance_km / (KM_PER_DEGREE * widest)
        if span_lon >= 180:
            return self._open_area.get(network_code, [])
        grid = self._grid.get(network_code, {})
        return [
            entry
            for row in range(floor(lat0 - span_lat), floor(lat0 + span_lat) + 1)
            for column in range(floor(lon0 - span_lon), floor(lon0 + span_lon) + 1)
            for entry in grid.get((row, column), ())
        ]

    def _point(self, commune: Commune) -> tuple[float, float] | None:
        if commune.latitude is not None and commune.longitude is not None:
            return commune.latitude, commune.longitude
        # A few new 2026 communes have no point yet: use their postcode neighbours.
        near = [
            c
            for p in commune.postcodes
            for c in self.gazetteer.for_postcode(p)
            if c.latitude is not None
        ]
        near = near or [
            c
            for c in self.gazetteer.communes
            if c.departement_code == commune.departement_code and c.latitude is not None
        ]
        if not near:
            return None
        latitudes = [c.latitude for c in near if c.latitude is not None]
        longitudes = [c.longitude for c in near if c.longitude is not None]
        return sum(latitudes) / len(latitudes), sum(longitudes) / len(longitudes)

    # ------------------------------------------------------------ regions
    def region(self, code: str) -> Region | None:
        """The region of this code, or None."""
        return self._regions.get(code)

    def regions(self) -> list[Region]:
        """All regions."""
        return list(self.knowledge.regions)

    def region_for(self, insee: str) -> Region | None:
        """The orientation service of the commune's region, or None.

        None when the region is not described.
        """
        commune = self.gazetteer.commune(insee)
        return self._regions.get(commune.region_code) if commune else None

    # ------------------------------------------------------------ sheets
    def sheet(self, code: str) -> InfoSheet | None:
        """The information sheet of this code, or None."""
        return self._sheets.get(code)

    def sheets(self) -> list[InfoSheet]:
        """All information sheets."""
        return list(self.knowledge.sheets)

    def find_sheets(self, text: str, limit: int = 3) -> list[InfoSheet]:
        """Sheets whose keywords (or title) appear in the text, most matching first."""
        key = f" {normalize(text)} "
        scored = []
        for index, sheet in enumerate(self.knowledge.sheets):
            words = {normalize(k) for k in sheet.keywords} | {normalize(sheet.title)}
            score = sum(len(w) for w in words if w and f" {w} " in key)
            if score:
                scored.append((-score, index, sheet))
        return [
            sheet for *_rank, sheet in sorted(scored, key=lambda item: item[:2])[:limit]
        ]


class SqlRepository:
    """Serves the live database snapshot and follows new loads without restart."""

    def __init__(
        self,
        url: str,
        refresh_seconds: float | None = None,
        gazetteer: Gazetteer | None = None,
    ):
        """Serve the snapshot of url, checking for new loads every refresh_seconds."""
        self.url = url
        self.refresh_seconds = (
            config.knowledge_refresh_seconds()
            if refresh_seconds is None
            else refresh_seconds
        )
        self._gazetteer = gazetteer
        self._current: MemoryRepository | None = None
        self._checked_at = float("-inf")
        self._lock = threading.Lock()

    @property
    def snapshot_id(self) -> int | None:
        """Id of the live snapshot served."""
        return self._repo().snapshot_id

    def refresh(self, force: bool = False) -> bool:
        """Check the snapshot pointer (if due, or forced).

        Swap in a newer load. True if swapped.
        """
        now = time.monotonic()
        if (
            not force
            and self._current is not None
            and now - self._checked_at < self.refresh_seconds
        ):
            return False
        with self._lock:
            if (
                not force
                and self._current is not None
                and now - self._checked_at < self.refresh_seconds
            ):
                return False
            self._checked_at = now
            try:
                live = store.live_snapshot_id(self.url)
                if live is None:
                    if self._current is None:
                        raise KnowledgeUnavailable(
                            "La base de connaissances est vide : lancez « python "
                            "-m bot load »."
                        )
                    return False
                if self._current is not None and live == self._current.snapshot_id:
                    return False
                loaded = store.read_snapshot(self.url, live)
            except KnowledgeUnavailable:
                raise
            except (
                Exception
            ) as exc:  # database down or busy: keep the last good knowledge
                if self._current is None:
                    raise KnowledgeUnavailable(
                        f"Base de connaissances injoignable ({exc.__class__.__name__})."
                    ) from exc
                log.warning(
                    "knowledge refresh failed, still serving snapshot %s: %s",
                    self._current.snapshot_id,
                    exc,
                )
                return False
            if (
                loaded is None
            ):  # the snapshot was purged meanwhile: next refresh reads the new one
                return False
            snapshot_id, knowledge = loaded
            self._current = MemoryRepository(knowledge, self._gazetteer, snapshot_id)
            log.info("knowledge snapshot %s now serving", snapshot_id)
            return True

    def _repo(self) -> MemoryRepository:
        self.refresh()
        assert self._current is not None
        return self._current

    # Same API as MemoryRepository, always on the freshest snapshot.
    def network(self, code: str) -> Network | None:
        """The network of this code, or None."""
        return self._repo().network(code)

    def networks(self) -> list[Network]:
        """All networks."""
        return self._repo().networks()

    def find_network(self, text: str) -> Network | None:
        """Network named in a text, or None."""
        return self._repo().find_network(text)

    def structure(self, structure_id: str) -> Structure | None:
        """The structure of this id, or None."""
        return self._repo().structure(structure_id)

    def structures(self, network: str | None = None) -> list[Structure]:
        """All structures, or those of one network."""
        return self._repo().structures(network)

    def nearest_structures(
        self,
        network_code: str,
        insee: str,
        limit: int = 3,
        max_distance_km: float | None = DEFAULT_MAX_DISTANCE_KM,
    ) -> list[StructureMatch]:
        """Structures of a network nearest to a commune, closest first."""
        return self._repo().nearest_structures(
            network_code, insee, limit, max_distance_km
        )

    def region(self, code: str) -> Region | None:
        """The region of this code, or None."""
        return self._repo().region(code)

    def regions(self) -> list[Region]:
        """All regions."""
        return self._repo().regions()

    def region_for(self, insee: str) -> Region | None:
        """The region of a commune, or None."""
        return self._repo().region_for(insee)

    def sheet(self, code: str) -> InfoSheet | None:
        """The information sheet of this code, or None."""
        return self._repo().sheet(code)

    def sheets(self) -> list[InfoSheet]:
        """All information sheets."""
        return self._repo().sheets()

    def find_sheets(self, text: str, limit: int = 3) -> list[InfoSheet]:
        """Information sheets matching a text, best first."""
        return self._repo().find_sheets(text, limit)

    @property
    def knowledge(self) -> KnowledgeSet:
        """The whole knowledge set served."""
        return self._repo().knowledge
