"""Queries on a validated ``KnowledgeSet`` held in memory.

Structures are indexed by network, by the area they serve and, for those serving
everyone, on a grid of 1° cells, so that the nearest ones are found without reading
them all. Tests build one from files with ``MemoryRepository.from_directory()``.
"""

from __future__ import annotations

from collections import defaultdict
from math import cos, floor, radians
from pathlib import Path

from bot.knowledge.files import check_directory
from bot.knowledge.model import (
    InfoSheet,
    KnowledgeSet,
    Network,
    Region,
    Structure,
    StructureMatch,
)
from bot.knowledge.protocol import DEFAULT_MAX_DISTANCE_KM, KnowledgeUnavailable
from bot.places import Commune, Gazetteer, get_gazetteer, normalize
from bot.places.geo import haversine_radians

# Kilometres per degree of latitude (a little under the true ~111.2, so the search box
# is never too small).
KM_PER_DEGREE = 110.0
Entry = tuple[
    Structure, float, float, float
]  # structure, latitude and longitude in radians, cos(latitude)


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
