"""Annuaire de l'éducation: the CIO.

Producer: ministère de l'Éducation nationale, Licence Ouverte.

Reads the dataset ``fr-en-annuaire-education`` as its CSV export (``;``-separated,
columns ``Identifiant_de_l_etablissement``, ``Nom_etablissement``,
``Type_etablissement``, ``Adresse_1``…``Adresse_3``, ``Code_postal``, ``Code_commune``,
``Nom_commune``, ``Telephone``, ``Mail``, ``Web``, ``latitude``, ``longitude``,
``date_maj_ligne``, ``etat``…) or its JSON export (a list of records with the same names
in lower case, or an API answer ``{"results": [...]}``). Only ``Type_etablissement``
"Information et orientation" (the CIO) that are open (``etat`` OUVERT) are kept.
"""

from __future__ import annotations

from typing import Any, Iterator

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
    load_json,
    parse_day,
    read_csv,
    text_of,
)
from bot.places import Gazetteer

NAME = "education"
CIO_TYPE = "information et orientation"
REQUIRED = (
    "identifiant_de_l_etablissement",
    "nom_etablissement",
    "type_etablissement",
    "code_commune",
)
SOURCE = (
    "Annuaire de l'éducation (ministère de l'Éducation nationale, Licence Ouverte), "
    "établissement {uai}"
)


def _rows(data: bytes) -> Iterator[tuple[str, dict[str, Any] | str]]:
    stripped = data.lstrip(b"\xef\xbb\xbf \r\n\t")
    if stripped[:1] in (b"[", b"{"):
        loaded = load_json(data)
        rows = loaded.get("results") if isinstance(loaded, dict) else loaded
        if not isinstance(rows, list):
            raise ImportInputError(
                "JSON inattendu : une liste d'établissements "
                "(ou « results ») est attendue"
            )
        for number, row in enumerate(rows, 1):
            if not isinstance(row, dict):
                yield (
                    f"enregistrement n° {number}",
                    "ce n'est pas un établissement (objet JSON attendu)",
                )
                continue
            nested = row.get("fields")
            fields = nested if isinstance(nested, dict) else row
            yield (
                f"enregistrement n° {number}",
                {str(k).lower(): v for k, v in fields.items()},
            )
        return
    for line, row in read_csv(data, REQUIRED):
        yield f"ligne {line}", row


def parse(data: bytes, gazetteer: Gazetteer) -> Parsed:
    """Read the CSV or JSON export (see module docstring)."""
    parsed = Parsed()
    for position, row in _rows(data):
        parsed.total += 1
        if isinstance(row, str):
            parsed.reject(position, row)
            continue
        kind = text_of(row.get("type_etablissement"))
        if kind.lower() != CIO_TYPE:
            parsed.ignore(kind or "sans type")
            continue
        uai = text_of(row.get("identifiant_de_l_etablissement"))
        position += f" (établissement « {uai} »)" if uai else ""
        if text_of(row.get("etat")).upper() not in ("", "OUVERT"):
            parsed.ignore(f"CIO {text_of(row.get('etat')).lower()}")
            continue
        if not uai:
            parsed.reject(position, "identifiant de l'établissement (UAI) manquant")
            continue
        verified = parse_day(row.get("date_maj_ligne"))
        if verified is None:
            parsed.reject(
                position,
                f"date de mise à jour « {row.get('date_maj_ligne')} » "
                "illisible (attendu AAAA-MM-JJ)",
            )
            continue
        postcode = text_of(row.get("code_postal"))
        commune = find_commune(
            gazetteer,
            text_of(row.get("code_commune")),
            postcode,
            text_of(row.get("nom_commune")),
        )
        if commune is None:
            parsed.reject(
                position,
                f"commune introuvable (code « {row.get('code_commune')} », "
                f"{postcode} {row.get('nom_commune')})",
            )
            continue
        street = joined_texts(row, ("adresse_1", "adresse_2"))
        warnings: list[str] = []
        parsed.candidates.append(
            Candidate(
                position,
                build_record(
                    record_id=f"educ-{uai}".lower(),
                    network="cio",
                    name=text_of(row.get("nom_etablissement")),
                    address=street,
                    postcode=postcode,
                    commune=commune,
                    latitude=coordinate(row.get("latitude")),
                    longitude=coordinate(row.get("longitude")),
                    phone=clean_phone(row.get("telephone"), warnings),
                    email=clean_email(row.get("mail"), warnings),
                    website=clean_website(row.get("web"), warnings),
                    source=SOURCE.format(uai=uai),
                    verified=verified,
                ),
                tuple(warnings),
            )
        )
    return parsed
