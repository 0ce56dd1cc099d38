"""Transitions Pro regional associations, from the per-département list of SocialGouv.

Input: ``transitions_pro_associations_2022.js`` (SocialGouv/transitions-collectives,
``src/lib/data/atPro.js``; see ../shared/data/PROVENANCE.md): one object per département
with ``departement``, ``address`` (often empty), ``email`` and ``website``. One
structure is written per distinct address; when an association (its website) has a
single address, that structure serves every département listed for it; otherwise each
address serves its own département. Départements without any address are reported, not
guessed.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from bot.knowledge.importers.base import (
    Candidate,
    ImportInputError,
    Parsed,
    build_record,
    clean_email,
    clean_website,
    decode,
    find_commune,
    text_of,
)
from bot.knowledge.safe_input import UnsafeInput, parse_json
from bot.places import Gazetteer

NAME = "transitions-pro"
SOURCE = (
    "Associations Transitions Pro par département (SocialGouv/transitions-collectives, "
    "src/lib/data/atPro.js, commit b48f5042 du 18/05/2022, dans "
    "../shared/data/sources/transitions_pro_associations_2022.js)"
)
SOURCE_DATE = date(2022, 5, 18)
NOTE = (
    "Données de 2022 à vérifier ; la source ne donne ni téléphone, ni horaires, "
    "ni coordonnées."
)
_ADDRESS = re.compile(r"^(?P<street>.+?),?\s+(?P<postcode>\d{5})\s+(?P<city>[^,]+)$")


def _to_json(text: str) -> Any:
    """The exported JavaScript array as JSON (keys quoted, comments removed)."""
    body = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    body = re.sub(r"^\s*export\s+default\s+", "", body.strip()).rstrip(";\n ")
    body = re.sub(r"^(\s*)([A-Za-z_]\w*):", r'\1"\2":', body, flags=re.M)
    body = re.sub(r",(\s*[}\]])", r"\1", body)
    body = re.sub(
        r":(\s*)'([^'\n]*)'",
        lambda m: f":{m[1]}{json.dumps(m[2], ensure_ascii=False)}",
        body,
    )
    try:
        return parse_json(body)
    except UnsafeInput as exc:
        raise ImportInputError(str(exc)) from exc
    except json.JSONDecodeError as exc:
        raise ImportInputError(
            f"liste illisible ligne {exc.lineno} : "
            "ce n'est pas le fichier atPro.js attendu"
        ) from exc


def parse(data: bytes, gazetteer: Gazetteer) -> Parsed:
    """One record per association address (see module docstring)."""
    entries = _to_json(decode(data))
    if not isinstance(entries, list):
        raise ImportInputError("une liste d'associations est attendue")
    parsed = Parsed()
    by_site: dict[str, list[tuple[int, dict]]] = {}
    for number, entry in enumerate(entries, 1):
        parsed.total += 1
        if not isinstance(entry, dict) or not text_of(entry.get("departement")):
            parsed.reject(f"entrée n° {number}", "département absent")
            continue
        site = (
            text_of(entry.get("website")).lower()
            or text_of(entry.get("email")).lower()
            or str(number)
        )
        by_site.setdefault(site, []).append((number, entry))
    for entries_of_site in by_site.values():
        addressed: dict[str, list[tuple[int, dict]]] = {}
        for number, entry in entries_of_site:
            if text_of(entry.get("address")):
                addressed.setdefault(text_of(entry.get("address")), []).append(
                    (number, entry)
                )
        departements = sorted({text_of(e["departement"]) for _n, e in entries_of_site})
        if not addressed:
            parsed.ignore("association sans adresse")
            continue
        for address, listed in addressed.items():
            number, entry = listed[0]
            position = f"entrée n° {number} (département {entry['departement']})"
            match = _ADDRESS.match(address)
            if not match:
                parsed.reject(
                    position, f"adresse « {address} » sans code postal et commune"
                )
                continue
            commune = find_commune(gazetteer, "", match["postcode"], match["city"])
            if commune is None:
                parsed.reject(
                    position,
                    f"commune introuvable ({match['postcode']} {match['city']})",
                )
                continue
            served = (
                departements
                if len(addressed) == 1
                else sorted({text_of(e["departement"]) for _n, e in listed})
            )
            warnings: list[str] = []
            region = commune.region_code
            parsed.candidates.append(
                Candidate(
                    position,
                    build_record(
                        record_id=f"transitions-pro-{region}-{match['postcode']}",
                        network="transitions_pro",
                        name=f"Transitions Pro {commune.region_name}",
                        address=match["street"].strip(),
                        postcode=match["postcode"],
                        commune=commune,
                        latitude=None,
                        longitude=None,
                        email=clean_email(
                            text_of(entry.get("email")).split(",")[0], warnings
                        ),
                        website=clean_website(entry.get("website"), warnings),
                        area_served={"departements": served},
                        source=SOURCE,
                        verified=SOURCE_DATE,
                        note=NOTE,
                    ),
                    tuple(warnings),
                )
            )
    return parsed
