"""data·inclusion structures (national schema of the "offre d'insertion").

Producer: GIP de l'inclusion.

Reads a JSON list of structures (the published export, or an API page ``{"items":
[...]}``) and checks each one against the published field rules of the schema's
``structure`` model (https://github.com/gip-inclusion/data-inclusion-schema,
docs/structure.md): ``id``, ``source``, ``nom`` (3 to 150 characters, not ending with a
full stop) and ``date_maj`` (a date) required; ``code_postal`` five digits;
``code_insee`` five characters; ``siret`` fourteen digits; ``courriel`` an e-mail;
``site_web`` and ``accessibilite_lieu`` URIs; ``latitude``/``longitude`` numbers;
``horaires_accueil`` in OpenStreetMap ``opening_hours`` syntax; ``reseaux_porteurs`` a
list of referential codes.

The rules are checked here rather than with the ``data-inclusion-schema`` package
because that package needs pydantic 2, which cannot be installed beside Rasa 3.6
(pydantic 1.10).
"""

from __future__ import annotations

import re
from typing import Any

from bot.knowledge.hours import HoursError, parse_osm
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
    text_of,
    where,
)
from bot.places import Gazetteer

NAME = "data-inclusion"
# reseaux_porteurs (and the older "typologie") -> SPRO network codes.
NETWORKS = {
    "mission-locale": "mission_locale",
    "france-travail": "france_travail",
    "cap-emploi-reseau-cheops": "cap_emploi",
    "reseau-information-jeunesse": "information_jeunesse",
    "cidff": "cidff",
}
TYPOLOGIES = {
    "ML": "mission_locale",
    "CAP_EMPLOI": "cap_emploi",
    "CIDFF": "cidff",
    "FT": "france_travail",
    "PE": "france_travail",
}
SOURCE = (
    "data·inclusion (GIP de l'inclusion, Licence Ouverte), source « {source} », "
    "structure {id}"
)
_REFERENTIAL_CODE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_RULES = (
    ("code_postal", re.compile(r"^\d{5}$"), "le code postal doit avoir 5 chiffres"),
    ("code_insee", re.compile(r"^\w{5}$"), "le code INSEE doit avoir 5 caractères"),
    ("siret", re.compile(r"^\d{14}$"), "le SIRET doit avoir 14 chiffres"),
    ("courriel", re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$"), "courriel invalide"),
    (
        "site_web",
        re.compile(r"^https?://\S+$"),
        "site_web doit être une URI (https://…)",
    ),
    (
        "accessibilite_lieu",
        re.compile(r"^https?://\S+$"),
        "accessibilite_lieu doit être une URI (https://…)",
    ),
)


def rule_errors(structure: dict[str, Any]) -> list[str]:
    """The published field rules this structure breaks, in French."""
    errors = [
        f"champ obligatoire « {name} » absent"
        for name in ("id", "source", "nom", "date_maj")
        if not text_of(structure.get(name))
    ]
    name = text_of(structure.get("nom"))
    if (name and not (3 <= len(name) <= 150)) or name.endswith("."):
        errors.append(
            "« nom » doit faire entre 3 et 150 caractères et ne pas finir par un point"
        )
    if structure.get("date_maj") and parse_day(structure["date_maj"]) is None:
        errors.append(f"« date_maj » n'est pas une date ({structure['date_maj']})")
    for field_name, pattern, message in _RULES:
        value = structure.get(field_name)
        if value not in (None, "") and not pattern.match(str(value)):
            errors.append(f"{message} (« {value} »)")
    for field_name in ("latitude", "longitude"):
        value = structure.get(field_name)
        if value is not None and not isinstance(value, (int, float)):
            errors.append(f"« {field_name} » doit être un nombre")
    networks = structure.get("reseaux_porteurs")
    if networks is not None and not (
        isinstance(networks, list) and all(isinstance(n, str) for n in networks)
    ):
        errors.append("« reseaux_porteurs » doit être une liste de codes")

    if text_of(structure.get("horaires_accueil")):
        try:
            parse_osm(structure["horaires_accueil"])
        except HoursError as exc:
            errors.append(f"horaires_accueil : {exc}")
    return errors


def parse(data: bytes, gazetteer: Gazetteer) -> Parsed:
    """Read the structures (see module docstring)."""
    loaded = load_json(data)
    items = loaded.get("items") if isinstance(loaded, dict) else loaded
    if not isinstance(items, list):
        raise ImportInputError(
            "JSON inattendu : une liste de structures (ou « items ») est attendue"
        )
    return parse_items(items, gazetteer)


def parse_items(items: list[Any], gazetteer: Gazetteer) -> Parsed:
    """Turn data·inclusion structures into candidates."""
    parsed = Parsed()
    for position, line, structure in parsed.objects(
        ((None, item) for item in items),
        "structure",
        "ce n'est pas une structure (objet JSON attendu)",
    ):
        position = where(
            position, line, text_of(structure.get("id")) if structure.get("id") else ""
        )
        carriers = structure.get("reseaux_porteurs") or []
        unknown = [
            c
            for c in carriers
            if not (isinstance(c, str) and _REFERENTIAL_CODE.match(c))
        ]
        if unknown:
            parsed.reject(
                position,
                f"code de réseau « {unknown[0]} » inconnu du référentiel "
                "reseaux_porteurs (minuscules, chiffres et tirets)",
            )
            continue
        networks = [NETWORKS[n] for n in carriers if n in NETWORKS]
        typology = TYPOLOGIES.get(text_of(structure.get("typologie")))
        network = networks[0] if networks else typology
        if network is None:
            parsed.ignore(
                ", ".join(structure.get("reseaux_porteurs") or [])
                or text_of(structure.get("typologie"))
                or "sans réseau"
            )
            continue
        errors = rule_errors(structure)
        if errors:
            parsed.reject(
                position,
                "ne respecte pas le schéma data·inclusion : " + " ; ".join(errors),
            )
            continue
        verified = parse_day(structure["date_maj"])
        if verified is None:  # rule_errors has said why
            continue
        postcode = text_of(structure.get("code_postal"))
        commune = find_commune(
            gazetteer,
            text_of(structure.get("code_insee")),
            postcode,
            text_of(structure.get("commune")),
        )
        if commune is None:
            parsed.reject(
                position, "commune introuvable (code_insee, code_postal, commune)"
            )
            continue
        street = joined_texts(structure, ("complement_adresse", "adresse"))
        if not street:
            parsed.reject(position, "adresse absente")
            continue
        warnings: list[str] = []
        record_id = re.sub(
            r"[^a-z0-9_.-]+", "-", f"di-{structure['source']}-{structure['id']}".lower()
        )
        parsed.candidates.append(
            Candidate(
                position,
                build_record(
                    record_id=record_id,
                    network=network,
                    name=text_of(structure["nom"]),
                    address=street,
                    postcode=postcode or commune.postcode,
                    commune=commune,
                    latitude=coordinate(structure.get("latitude")),
                    longitude=coordinate(structure.get("longitude")),
                    phone=clean_phone(structure.get("telephone"), warnings),
                    email=clean_email(structure.get("courriel"), warnings),
                    website=clean_website(structure.get("site_web"), warnings),
                    hours=" ".join(text_of(structure.get("horaires_accueil")).split())
                    or None,
                    accessibility=text_of(structure.get("accessibilite_lieu")),
                    source=SOURCE.format(
                        source=structure["source"], id=structure["id"]
                    ),
                    verified=verified,
                ),
                tuple(warnings),
            )
        )
    return parsed
