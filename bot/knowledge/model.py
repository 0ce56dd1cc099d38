"""Plain frozen dataclasses returned by the knowledge API (never SQLAlchemy objects).

``Structure`` is the one description of a structure record: the database columns
(``store``) and the reading of the files (``files``) are derived from its fields
(``structure_fields``, ``structure_to_plain``, ``structure_from_plain``), so a new field
is added here and in ``knowledge/schema/structures.schema.json``. A field's name in the
files, when it differs, is its ``metadata["key"]`` (``area`` is ``area_served``).
"""

from __future__ import annotations

import typing
from dataclasses import Field, dataclass, field, fields
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from bot.knowledge.hours import OpeningHours
from bot.places import Commune

# The ten SPRO networks a person is sent to in person, at a local door (the chambres
# consulaires, VAE and PSAD are reached otherwise).
MAIN_NETWORKS = (
    "cio",
    "suio",
    "mission_locale",
    "france_travail",
    "cap_emploi",
    "apec",
    "cep_actifs_occupes",
    "transitions_pro",
    "information_jeunesse",
    "cidff",
)
# Network codes the assistant's routing relies on; staff may add others.
REQUIRED_NETWORKS = (
    *MAIN_NETWORKS,
    "cma",
    "cci",
    "chambre_agriculture",
    "vae",
    "psad",
    "region",
)


@dataclass(frozen=True)
class EntryPoint:
    """A remote way in: national site, online finder, phone line."""

    label: str
    url: str = ""
    phone: str = ""
    hours: str = ""  # French text, e.g. "du lundi au vendredi de 8 h à 17 h"


@dataclass(frozen=True)
class Network:
    """A network of the SPRO (CIO, Mission locale, France Travail...)."""

    code: str
    name: str
    former_names: tuple[str, ...]
    summary: str
    publics: tuple[str, ...]
    entry_points: tuple[EntryPoint, ...]
    source: str = ""
    verified: date | None = None


@dataclass(frozen=True)
class AreaServed:
    """Communes (INSEE), EPCI (SIREN) and départements a structure serves.

    Empty means "nearest".
    """

    communes: tuple[str, ...] = ()
    epci: tuple[str, ...] = ()
    departements: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        """True when the area names nothing (nearest structures serve)."""
        return not (self.communes or self.epci or self.departements)

    def covers(self, commune: Commune) -> bool:
        """True when the commune is in the area.

        Or its parent city, for an arrondissement.
        """
        codes = {commune.insee, commune.parent_insee}
        return (
            bool(codes & set(self.communes))
            or commune.epci_siren in self.epci
            or commune.departement_code in self.departements
        )

    def as_dict(self) -> dict:
        """Field name -> list of codes."""
        return {
            k: list(v)
            for k, v in (
                ("communes", self.communes),
                ("epci", self.epci),
                ("departements", self.departements),
            )
            if v
        }


@dataclass(frozen=True)
class Structure:
    """A place of a network, with the source and date of its data."""

    id: str
    network: str
    name: str
    address: str
    postcode: str
    commune: str
    insee: str
    departement: str
    latitude: float
    longitude: float
    phone: str = ""
    email: str = ""
    website: str = ""
    hours: OpeningHours | None = None
    accessibility: str = ""
    publics: tuple[str, ...] = ()
    area: AreaServed = field(
        default_factory=AreaServed, metadata={"key": "area_served"}
    )
    source: str = ""
    verified: date | None = None
    verified_by: str = ""  # initials of the staff member who checked it (campaign)
    note: str = ""
    # "commune" when the position is the commune's point, not the address's (distances
    # are then approximate); "" when the coordinates are the address's own.
    location: str = ""

    @property
    def hours_text(self) -> str:
        """Opening hours in plain French, or "" when unknown."""
        return self.hours.text if self.hours else ""

    def open_now(self, at: datetime | None = None) -> bool | None:
        """Open at ``at`` (default: now, Europe/Paris).

        None when the hours are unknown.
        """
        if self.hours is None:
            return None
        return self.hours.is_open(at or datetime.now().astimezone())

    def next_opening(self, at: datetime | None = None) -> str:
        """Next opening ("ouvre demain à 9 h") when closed at ``at`` (default: now).

        "" when open or unknown.
        """
        if self.hours is None:
            return ""
        return self.hours.next_opening_text(at or datetime.now().astimezone())


@lru_cache(maxsize=1)
def structure_fields() -> tuple[tuple[Field, Any], ...]:
    """Each field of ``Structure`` with its resolved type."""
    hints = typing.get_type_hints(Structure)
    return tuple((f, hints[f.name]) for f in fields(Structure))


def file_key(item: Field) -> str:
    """The field's name in the knowledge files."""
    return item.metadata.get("key", item.name)


def _to_plain(value: Any) -> Any:
    if isinstance(value, (AreaServed, OpeningHours)):
        return value.as_dict()
    if isinstance(value, tuple):
        return [_to_plain(v) for v in value]
    return value


def structure_to_plain(structure: Structure) -> dict[str, Any]:
    """Field name -> JSON-friendly value.

    Dates stay ``date``; hours and area as their notation.
    """
    return {
        f.name: _to_plain(getattr(structure, f.name)) for f, _kind in structure_fields()
    }


def _from_plain(kind: Any, value: Any) -> Any:
    from bot.knowledge.hours import parse_hours

    if value is None:
        return None
    if kind is AreaServed:
        return AreaServed(**{k: tuple(v) for k, v in value.items()})
    if typing.get_origin(kind) is tuple:
        return tuple(value)
    if OpeningHours in typing.get_args(kind):
        return parse_hours(value)
    if date in (kind, *typing.get_args(kind)) and not isinstance(value, date):
        return date.fromisoformat(str(value))
    if kind is float:
        return float(value)
    return value


def structure_from_plain(data: dict[str, Any], **values: Any) -> Structure:
    """A ``Structure`` from field values (e.g. a database row).

    ``values`` win over ``data``.
    """
    arguments = {}
    for item, kind in structure_fields():
        if item.name in values:
            arguments[item.name] = values[item.name]
        elif item.name in data:
            arguments[item.name] = _from_plain(kind, data[item.name])
    return Structure(**arguments)


@dataclass(frozen=True)
class StructureMatch:
    """A structure proposed for a commune.

    Its distance and whether its area names the commune.
    """

    structure: Structure
    distance_km: float
    serves_commune: bool = False


@dataclass(frozen=True)
class SourcedFact:
    """A regional specific stated by a source (seed report, official page)."""

    text: str
    source: str
    date: date | None = None
    url: str = ""


@dataclass(frozen=True)
class Source:
    """Where a region's values come from; ``fields`` lists the values it backs."""

    label: str
    fields: tuple[str, ...]
    date: date | None = None
    url: str = ""
    note: str = ""


@dataclass(frozen=True)
class Region:
    """A region's orientation service.

    Only sourced values; unknown values stay empty.
    """

    code: str
    name: str
    service_name: str = ""
    first_level_service: str = ""
    phone: str = ""
    phone_hours: str = ""
    website: str = ""
    member_networks: tuple[str, ...] = ()
    cep_operator: str = ""
    cep_operator_url: str = ""
    facts: tuple[SourcedFact, ...] = ()
    sources: tuple[Source, ...] = ()

    @property
    def source(self) -> str:
        """All sources, as one line."""
        return " ; ".join(
            s.label + (f" ({s.date.isoformat()})" if s.date else "")
            for s in self.sources
        )

    def source_for(self, field_name: str) -> Source | None:
        """The source backing one value (e.g. "phone"), or None."""
        return next((s for s in self.sources if field_name in s.fields), None)


@dataclass(frozen=True)
class InfoSheet:
    """A first-level information answer in plain French, with its official source."""

    code: str
    title: str
    answer: str
    source_url: str
    source_label: str
    reviewed: date
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class KnowledgeSet:
    """Everything the knowledge files say, validated."""

    networks: tuple[Network, ...] = ()
    structures: tuple[Structure, ...] = ()
    regions: tuple[Region, ...] = ()
    sheets: tuple[InfoSheet, ...] = ()

    def counts(self) -> dict[str, int]:
        """Number of records of each kind."""
        return {
            "networks": len(self.networks),
            "structures": len(self.structures),
            "regions": len(self.regions),
            "sheets": len(self.sheets),
        }
