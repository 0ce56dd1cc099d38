"""Service-public.fr local offices, 2019 re-export (Alaveteli authorities format).

Producer: DILA, « Annuaire de l'administration - base de données locales » (Licence
Ouverte), re-exported on 23 July 2019 by Open Knowledge France
(``okfnfr/dada-france-authorities``). Columns: ``#id`` (``<pivotLocal>-<INSEE>-<nn>``),
``name``, ``request_email``, ``notes`` (« Adresse : street,postcode,town | Tél : … |
Fax : … »), ``home_page``, ``tag_string`` (the DILA pivot type).

- ``tag_string`` -> network code (``NETWORKS``); ``agefiph`` (regional delegations of
  the disabled workers' fund, not Cap emploi) and other types are left out and counted.
- ``notes`` is split into address, postcode, town and phone; a record whose address
  cannot be split, or whose INSEE code (taken from ``#id``) is unknown, is refused with
  its line and a French reason, never guessed.
- The file has no coordinates: the commune's point (gazetteer) is used and the record
  says ``location: commune``, so distances are read as approximate.
- Names and addresses are repaired only by the rules of ``knowledge/name_repairs.yml``.
- ``verified`` is the re-export's date (``DATA_DATE``): the records are no newer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml

from bot import config
from bot.knowledge.importers.base import (
    Candidate,
    Parsed,
    build_record,
    clean_email,
    clean_phone,
    clean_website,
    find_commune,
    read_csv,
    text_of,
)
from bot.places import Gazetteer

NAME = "dila2019"
NETWORKS = {
    "mission_locale": "mission_locale",
    "cio": "cio",
    "suio": "suio",
    "cij": "information_jeunesse",
    "apec": "apec",
    "cidf": "cidff",
}
DATA_DATE = date(2019, 7, 23)
SOURCE = (
    "Annuaire de l'administration, base de données locales (DILA, service-public.fr, "
    "Licence Ouverte), réexport du 23/07/2019 par Open Knowledge France "
    "(okfnfr/dada-france-authorities, commit 6811933f), fiche {id}"
)
NOTE = "Données de 2019 : adresse et téléphone à vérifier ; horaires inconnus."
COLUMNS = ("#id", "name", "notes", "tag_string")
_ID = re.compile(r"^(?P<kind>[a-z_]+)-(?P<insee>\d{5}|2[AB]\d{3})-\d+$")
_POSTCODE = re.compile(r"^\d{5}$")
_PHONE = re.compile(r"(?:\+33\s?|0)\d(?:[\s.]?\d{2}){4}|\b3\d{3}\b")


@dataclass(frozen=True)
class Repair:
    """One documented repair: a character or a whole word replaced."""

    kind: str
    find: str
    replace: str

    def apply(self, text: str) -> str:
        """``text`` with the rule applied."""
        if self.kind == "character":
            return text.replace(self.find, self.replace)
        return re.sub(rf"\b{re.escape(self.find)}\b", self.replace, text)


def rules_file() -> Path:
    """The repair rules staff read and extend."""
    return config.knowledge_dir() / "name_repairs.yml"


@lru_cache(maxsize=4)
def load_repairs(path: Path | None = None) -> tuple[Repair, ...]:
    """The rules of ``knowledge/name_repairs.yml`` (or ``path``), in file order."""
    data = yaml.safe_load((path or rules_file()).read_text(encoding="utf-8")) or {}
    return tuple(
        Repair(str(r["kind"]), str(r["find"]), str(r["replace"]))
        for r in data.get("rules") or []
    )


def repair(text: str, repairs: tuple[Repair, ...] | None = None) -> str:
    """``text`` with every documented rule applied, spaces tidied."""
    for rule in load_repairs() if repairs is None else repairs:
        text = rule.apply(text)
    return " ".join(text.split())


def _without_own_id(name: str, record_id: str) -> str:
    """The name without the record's own id number the source appended to it.

    « CIDFF - Loiret - Montargis 45208-01 » (id cidf-45208-01) -> « … - Montargis ».
    """
    own = record_id.split("-", 1)[-1]
    return name[: -len(own)].rstrip(" -") if name.endswith(" " + own) else name


@dataclass(frozen=True)
class Notes:
    """What the ``notes`` column says: street, postcode, town, phone (as written)."""

    street: str
    postcode: str
    town: str
    phone: str


def split_notes(notes: str) -> Notes | str:
    """``notes`` split into its parts, or the French reason it cannot be."""
    parts = {}
    for chunk in notes.split("|"):
        label, _sep, value = chunk.partition(":")
        parts[text_of(label).lower()] = text_of(value)
    address = parts.get("adresse", "")
    if not address:
        return (
            "pas d'adresse dans « notes » (attendu « Adresse : rue,code postal,ville »)"
        )
    pieces = [text_of(p) for p in address.rsplit(",", 2)]
    if len(pieces) != 3 or not all(pieces):
        return f"adresse « {address} » illisible (attendu « rue,code postal,ville »)"
    street, postcode, town = pieces
    if not _POSTCODE.match(postcode):
        return f"code postal « {postcode} » invalide dans l'adresse « {address} »"
    phone = _PHONE.search(parts.get("tél", ""))
    return Notes(street, postcode, town, phone.group(0) if phone else "")


def parse(data: bytes, gazetteer: Gazetteer) -> Parsed:
    """Read the re-export (see module docstring)."""
    parsed = Parsed()
    for line, row in read_csv(data, COLUMNS):
        parsed.total += 1
        position = f"ligne {line}"
        if isinstance(row, str):
            parsed.reject(position, row)
            continue
        kind = text_of(row["tag_string"])
        if kind not in NETWORKS:
            parsed.ignore(kind or "sans type")
            continue
        record_id = text_of(row["#id"])
        position += f" (id « {record_id} »)"
        match = _ID.match(record_id)
        if match is None:
            parsed.reject(
                position,
                "identifiant illisible (attendu « type-codeINSEE-nn », ex. "
                "« cio-35238-01 »)",
            )
            continue
        notes = split_notes(repair(row["notes"]))
        if isinstance(notes, str):
            parsed.reject(position, notes)
            continue
        warnings: list[str] = []
        commune = gazetteer.commune(match["insee"])
        if commune is None:  # a commune merged since 2019: the town the address names
            commune = find_commune(gazetteer, "", notes.postcode, notes.town)
            if commune is not None:
                warnings.append(
                    f"code INSEE de 2019 « {match['insee']} » disparu (commune "
                    f"fusionnée) : commune de l'adresse, {notes.postcode} "
                    f"{notes.town} → {commune.name} ({commune.insee})"
                )
        if commune is None or commune.latitude is None or commune.longitude is None:
            parsed.reject(
                position,
                f"commune introuvable (code INSEE « {match['insee']} », "
                f"{notes.postcode} {notes.town}) ou sans coordonnées",
            )
            continue
        if not notes.postcode.startswith(commune.departement_code[:2]):
            warnings.append(
                f"code postal {notes.postcode} hors du département de {commune.name}"
            )
        if not notes.phone:
            warnings.append("pas de téléphone dans la source")
        record = build_record(
            record_id=f"dila-{record_id}".lower(),
            network=NETWORKS[kind],
            name=_without_own_id(repair(row["name"]), record_id),
            address=notes.street,
            postcode=notes.postcode,
            commune=commune,
            latitude=round(commune.latitude, 6),
            longitude=round(commune.longitude, 6),
            phone=clean_phone(notes.phone, warnings),
            email=clean_email(row.get("request_email"), warnings),
            website=clean_website(row.get("home_page"), warnings),
            source=SOURCE.format(id=record_id),
            verified=DATA_DATE,
            note=NOTE,
        )
        record["location"] = "commune"
        parsed.candidates.append(Candidate(position, record, tuple(warnings)))
    return parsed
