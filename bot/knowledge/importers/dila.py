"""Service-public.fr local offices: the DILA "base de données locales".

Producer: DILA, Licence Ouverte.

Reads both published shapes:

- the JSON export of the *base de données locales* (``{"service": [...]}``), where
  ``pivot``, ``adresse``, ``telephone``, ``site_internet`` and ``plage_ouverture`` are
  lists of objects and ``adresse_courriel`` a list of strings;
- answers of the *API Annuaire de l'administration* (Opendatasoft, ``{"total_count": n,
  "results": [...]}``), where the same fields are JSON-encoded strings.

A record becomes one structure per SPRO local type of its ``pivot``
(``type_service_local``, mapped by ``NETWORKS``); ``pivot[].code_insee_commune`` (the
communes the office is competent for) becomes ``area_served``; the physical address
(``type_adresse`` "Adresse") is preferred over a postal one; ``plage_ouverture`` gives
the hours; ``date_modification`` the ``verified`` date.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any, BinaryIO, Iterable

from bot.knowledge.importers.base import (
    Candidate,
    ImportInputError,
    Parsed,
    build_record,
    clean_email,
    clean_phone,
    clean_website,
    coordinate,
    find_commune,
    joined_texts,
    parse_day,
    stream_json_records,
    text_of,
    where,
)
from bot.knowledge.safe_input import UnsafeInput, parse_json
from bot.places import Gazetteer

NAME = "dila"
# DILA local types (pivot "type_service_local") -> SPRO network codes.
NETWORKS = {
    "cio": "cio",
    "mission_locale": "mission_locale",
    "cij": "information_jeunesse",
    "pole_emploi": "france_travail",
    "france_travail": "france_travail",
    "cap_emploi": "cap_emploi",
    "apec": "apec",
    "cidf": "cidff",
    "cci": "cci",
    "chambre_metier": "cma",
    "chambre_agriculture": "chambre_agriculture",
}
SOURCE = (
    "Annuaire de l'administration, base de données locales "
    "(DILA, service-public.fr, Licence Ouverte), "
    "fiche {id}"
)
DAYS = {
    "lundi": "lundi",
    "mardi": "mardi",
    "mercredi": "mercredi",
    "jeudi": "jeudi",
    "vendredi": "vendredi",
    "samedi": "samedi",
    "dimanche": "dimanche",
}
_ORDER = tuple(DAYS)


def _field(record: dict, name: str) -> Any:
    """A field as Python data (the API encodes lists as JSON strings)."""
    value = record.get(name)
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return parse_json(value)
        except (json.JSONDecodeError, UnsafeInput):
            return None
    return value


def _items(record: dict, name: str) -> list:
    value = _field(record, name)
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]


LIST_KEYS = ("service", "results", "records")
NOT_DILA = (
    "ce fichier n'est ni un export de la base de données locales (« service ») "
    "ni une réponse de l'API Annuaire (« results »)"
)


def records_of(data: Any) -> list[dict]:
    """The service records of an API answer already read."""
    if isinstance(data, dict):
        for key in LIST_KEYS:
            if isinstance(data.get(key), list):
                return data[key]
    if isinstance(data, list):
        return data
    raise ImportInputError(NOT_DILA)


def _hours(plages: list, warnings: list[str]) -> dict | None:
    """``plage_ouverture`` -> the staff notation (days left out are closed)."""
    days: dict[str, list[str]] = {}
    notes = []
    for plage in plages:
        if not isinstance(plage, dict):
            continue
        first = DAYS.get(text_of(plage.get("nom_jour_debut")).lower())
        last = DAYS.get(text_of(plage.get("nom_jour_fin")).lower()) or first
        if first is None or last is None:
            warnings.append(
                f"jour « {plage.get('nom_jour_debut')} » non reconnu dans les horaires"
            )
            continue
        ranges = []
        for n in (1, 2):
            start, end = (
                text_of(plage.get(f"valeur_heure_debut_{n}")),
                text_of(plage.get(f"valeur_heure_fin_{n}")),
            )
            if start and end:
                ranges.append(f"{start[:5]}-{end[:5]}")
        for day in _ORDER[_ORDER.index(first) : _ORDER.index(last) + 1]:
            days.setdefault(day, []).extend(ranges)
        if text_of(plage.get("commentaire")):
            notes.append(text_of(plage.get("commentaire")))
    hours: dict[str, Any] = {day: ", ".join(r) for day, r in days.items() if r}
    if not hours:
        return None
    if notes:
        hours["note"] = " ".join(dict.fromkeys(notes))
    return hours


def _address(addresses: list) -> dict | None:
    """The physical address when there is one, else the first."""
    usable = [a for a in addresses if isinstance(a, dict)]
    physical = [
        a for a in usable if text_of(a.get("type_adresse")).lower() == "adresse"
    ]
    chosen = physical or usable
    return chosen[0] if chosen else None


def parse(data: bytes, gazetteer: Gazetteer) -> Parsed:
    """Read an export or API answer (see module docstring)."""
    return parse_stream(io.BytesIO(data), gazetteer)


def parse_file(path: Path, gazetteer: Gazetteer) -> Parsed:
    """Read an export or API answer from a file, one record at a time."""
    if not path.exists():
        raise ImportInputError(f"fichier introuvable : {path}")
    with path.open("rb") as stream:
        return parse_stream(stream, gazetteer)


def parse_stream(stream: BinaryIO, gazetteer: Gazetteer) -> Parsed:
    """Read an export or API answer record by record (bounded memory)."""
    return _parse(stream_json_records(stream, LIST_KEYS, NOT_DILA), gazetteer)


def parse_records(records: Iterable[Any], gazetteer: Gazetteer) -> Parsed:
    """Turn DILA service records into candidates (``sync`` passes API pages here)."""
    return _parse(((None, record) for record in records), gazetteer)


def _parse(records: Iterable[tuple[int | None, Any]], gazetteer: Gazetteer) -> Parsed:
    parsed = Parsed()
    for position, line, record in parsed.objects(
        records, "enregistrement", "ce n'est pas une fiche (objet JSON attendu)"
    ):
        record_id = text_of(record.get("id"))
        position = where(position, line, record_id)
        pivots = [p for p in _items(record, "pivot") if isinstance(p, dict)]
        wanted = [
            (p, NETWORKS[text_of(p.get("type_service_local"))])
            for p in pivots
            if text_of(p.get("type_service_local")) in NETWORKS
        ]
        if not wanted:
            kinds = [text_of(p.get("type_service_local")) for p in pivots] or [
                "sans type"
            ]
            parsed.ignore(kinds[0] or "sans type")
            continue
        if not record_id:
            parsed.reject(position, "fiche sans identifiant « id »")
            continue
        verified = parse_day(record.get("date_modification"))
        if verified is None:
            parsed.reject(
                position,
                f"date de modification « {record.get('date_modification')} »"
                " illisible (attendu JJ/MM/AAAA ou AAAA-MM-JJ)",
            )
            continue
        address = _address(_items(record, "adresse"))
        if address is None:
            parsed.reject(position, "fiche sans adresse")
            continue
        postcode = text_of(address.get("code_postal"))
        commune = find_commune(
            gazetteer,
            text_of(record.get("code_insee_commune")),
            postcode,
            text_of(address.get("nom_commune")),
        )
        if commune is None:
            parsed.reject(
                position,
                f"commune introuvable (code INSEE "
                f"« {record.get('code_insee_commune')} », {postcode} "
                f"{address.get('nom_commune')})",
            )
            continue
        street = joined_texts(address, ("complement1", "complement2", "numero_voie"))
        if not street:
            street = text_of(address.get("service_distribution"))
        warnings: list[str] = []
        phones = [
            p.get("valeur") if isinstance(p, dict) else p
            for p in _items(record, "telephone")
        ]
        emails = _items(record, "adresse_courriel")
        sites = [
            s.get("valeur") if isinstance(s, dict) else s
            for s in _items(record, "site_internet")
        ]
        hours = _hours(_items(record, "plage_ouverture"), warnings)
        latitude, longitude = (
            coordinate(address.get("latitude")),
            coordinate(address.get("longitude")),
        )
        for pivot, network in wanted:
            competence = sorted(
                {
                    text_of(c)
                    for c in (pivot.get("code_insee_commune") or [])
                    if text_of(c)
                }
            )
            known = [c for c in competence if gazetteer.commune(c) is not None]
            if len(known) < len(competence):
                warnings.append(
                    f"{len(competence) - len(known)} code(s) INSEE de compétence "
                    "inconnu(s), ignoré(s)"
                )
            suffix = "" if len(wanted) == 1 else f"-{network}"
            parsed.candidates.append(
                Candidate(
                    position,
                    build_record(
                        record_id=f"dila-{record_id}{suffix}".lower(),
                        network=network,
                        name=text_of(record.get("nom")),
                        address=street,
                        postcode=postcode,
                        commune=commune,
                        latitude=latitude,
                        longitude=longitude,
                        phone=clean_phone(phones[0] if phones else "", warnings),
                        email=clean_email(emails[0] if emails else "", warnings),
                        website=clean_website(sites[0] if sites else "", warnings),
                        hours=hours,
                        accessibility=joined_texts(
                            address, ("accessibilite", "note_accessibilite"), ". "
                        ),
                        area_served={"communes": known} if known else None,
                        source=SOURCE.format(id=record_id),
                        verified=verified,
                    ),
                    tuple(warnings),
                )
            )
    return parsed
