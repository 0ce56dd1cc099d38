"""Import the shared open data (``config.shared_data_dir()``) into the project.

Re-runnable.

- ``import_places``: the 2026 communes gazetteer ->
  ``knowledge/places/communes.csv.gz``.
- ``import_structures``: the structures of the regions asked for ->
  ``knowledge/structures/<network>.yaml`` for France Travail (agencies renamed: the Pôle
  emploi -> France Travail rename is certain), CCI, CMA, chambres d'agriculture and
  CIDFF, each record keeping its source and the date of that source as ``verified``.

Afpa, Cicas and maisons de justice et du droit are in the shared file too but are not
networks of the SPRO (training provider, pension information, legal access): they are
left out, so that the assistant never proposes them as an orientation door.

Re-running keeps the staff's work: a record whose ``verified`` date is newer than the
source date (staff checked and updated it) is kept as is, and records staff added to
these files are kept; other records are refreshed from the source.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from bot.knowledge.checks import parse_yaml
from bot.knowledge.importers.merge import CLOSED_FILE, closed_places, dump_structures
from bot.knowledge.safe_input import UnsafeInput
from bot.places import Gazetteer, normalize, write_places_file

SOURCES = {
    "service-public BDL 2019 (via SocialGouv/cdtn)": (
        "Annuaire service-public.fr, base de données locales (DILA, Licence "
        "Ouverte), extrait de janvier 2019 "
        "(SocialGouv/code-du-travail-numerique, commit 8c28f01b), fiche {source_id}",
        date(2019, 1, 30),
    ),
    "Pôle emploi referential 2019 (via gip-inclusion/les-emplois)": (
        "Référentiel des agences Pôle emploi de 2019 (gip-inclusion/les-emplois, "
        "commit 89b55ad6), site "
        "{source_id} ; téléphone 3949 et site web : contacts nationaux de France "
        "Travail",
        date(2019, 11, 13),
    ),
}
NETWORKS = {
    "france_travail": "france_travail",
    "cci": "cci",
    "chambre_metier": "cma",
    "chambre_agriculture": "chambre_agriculture",
    "cidf": "cidff",
}
NOTES = {
    "france_travail": "Agence de 2019 (ex-Pôle emploi), nom mis à jour ; adresse à "
    "vérifier, horaires inconnus.",
    "cma": "Données de 2019 : les chambres de métiers sont désormais régionales (CMA "
    "de la région) ; "
    "adresse, téléphone et e-mail à vérifier.",
}
DEFAULT_NOTE = (
    "Données de 2019 : adresse, téléphone et e-mail à vérifier ; horaires inconnus."
)
_SMALL_WORDS = {
    "de",
    "des",
    "du",
    "la",
    "le",
    "les",
    "sur",
    "sous",
    "en",
    "et",
    "aux",
    "au",
    "d",
    "l",
}


def import_places(data_dir: Path, out_path: Path) -> int:
    """Write the compact gazetteer from ``communes_france_2026.csv``.

    Return the number of communes.
    """
    with open(
        data_dir / "communes_france_2026.csv", encoding="utf-8", newline=""
    ) as handle:
        rows = [
            {
                "insee": r["code_insee"],
                "name": r["nom"],
                "kind": "a" if r["type"] == "arrondissement-municipal" else "c",
                "postcodes": r["codes_postaux"],
                "departement_code": r["code_departement"],
                "departement_name": r["nom_departement"],
                "region_code": r["code_region"],
                "region_name": r["nom_region"],
                "parent_insee": r["code_commune_parent"],
                "epci_siren": r["epci_siren"],
                "epci_name": r["epci_nom"],
                "population": r["population"] or "0",
                "latitude": r["latitude"],
                "longitude": r["longitude"],
            }
            for r in csv.DictReader(handle)
        ]
    rows.sort(key=lambda r: r["insee"])
    return write_places_file(rows, out_path)


def _title(words: list[str]) -> str:
    return " ".join(
        w if w in _SMALL_WORDS and i else w.capitalize() for i, w in enumerate(words)
    )


def france_travail_name(raw: str, commune_insee: str, gazetteer: Gazetteer) -> str:
    """Agency name, e.g. "APE TOURS RONSARD" -> "France Travail Tours Ronsard".

    The official spelling of the commune is kept.
    """
    parts = [p.strip() for p in raw.replace(" / ", "/").split("/")]
    part = next(
        (p for p in parts if p.upper().startswith(("APE ", "PE ", "POLE EMPLOI "))),
        parts[0],
    )
    words = normalize(part).split()
    for prefix in (["pole", "emploi"], ["apes"], ["ape"], ["pe"]):
        if words[: len(prefix)] == prefix:
            words = words[len(prefix) :]
            break
    home = gazetteer.commune(commune_insee)
    for length in range(len(words), 0, -1):
        key = " ".join(words[:length])
        matches = gazetteer.by_key.get(key, ())
        local = [
            c for c in matches if home and c.departement_code == home.departement_code
        ]
        if local:
            rest = words[length:]
            return " ".join(
                ["France Travail", local[0].name] + ([_title(rest)] if rest else [])
            )
    return f"France Travail {home.name if home else _title(words)}"


def _structure(row: dict, gazetteer: Gazetteer) -> dict:
    label, verified = SOURCES[row["source"]]
    network = NETWORKS[row["type"]]
    insee = row["code_insee_2026"] or row["code_insee"]
    commune = gazetteer.commune(insee)
    if network == "france_travail":
        name = france_travail_name(row["nom"], insee, gazetteer)
        identifier = f"ft-{row['source_id'].lower()}"
    else:
        name = row["nom"].strip()
        identifier = f"{network}-{row['source_id'].split('-', 1)[1]}".lower()
    record = {
        "id": identifier,
        "network": network,
        "name": name,
        "address": ", ".join(p.strip() for p in row["adresse"].split("|") if p.strip()),
        "postcode": row["code_postal"],
        "commune": commune.name if commune else row["ville"].title(),
        "insee": insee,
        "latitude": round(float(row["latitude"]), 6),
        "longitude": round(float(row["longitude"]), 6),
    }
    for key, column in (
        ("phone", "telephone"),
        ("email", "email"),
        ("website", "site_web"),
    ):
        if row[column].strip():
            record[key] = row[column].strip()
    record["source"] = label.format(source_id=row["source_id"])
    record["verified"] = verified
    record["note"] = NOTES.get(network, DEFAULT_NOTE)
    return record


def import_structures(
    data_dir: Path,
    structures_dir: Path,
    gazetteer: Gazetteer,
    region_file: str = "structures_centre_val_de_loire.csv",
    regions: frozenset[str] | None = None,
) -> dict[str, int]:
    """(Re)write ``structures_dir/<network>.yaml`` from the shared CSV.

    Only the rows of ``regions`` (INSEE region codes) when given. Return counts per
    network.
    """
    by_network: dict[str, list[dict]] = {code: [] for code in NETWORKS.values()}
    with open(data_dir / region_file, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["type"] in NETWORKS and (
                regions is None or row["code_region"] in regions
            ):
                by_network[NETWORKS[row["type"]]].append(_structure(row, gazetteer))
    structures_dir.mkdir(parents=True, exist_ok=True)
    closed = closed_places(structures_dir.parent / CLOSED_FILE)
    counts = {}
    for network, records in by_network.items():
        path = structures_dir / f"{network}.yaml"
        existing = {}
        if path.exists():
            try:
                loaded = parse_yaml(path.read_text(encoding="utf-8"))[0] or {}
            except UnsafeInput as exc:
                raise UnsafeInput(exc.line, f"{path} : {exc.message}", exc.fix) from exc
            existing = {
                r.get("id"): r
                for r in loaded.get("structures") or []
                if isinstance(r, dict)
            }
        merged, used = [], set()
        for record in sorted(records, key=lambda r: (r["insee"], r["id"])):
            if record["id"] in closed:  # a campaign found it closed: not brought back
                continue
            old = existing.get(record["id"])
            staff_checked = (
                old
                and isinstance(old.get("verified"), date)
                and old["verified"] > record["verified"]
            )
            merged.append(old if old is not None and staff_checked else record)
            used.add(record["id"])
        merged.extend(r for key, r in existing.items() if key not in used)
        path.write_text(dump_structures(merged, network), encoding="utf-8")
        counts[network] = len(merged)
    return counts
