"""The 2019 re-export importer (bot/knowledge/importers/dila2019.py) and the rebuild of the four regions.

The real file is read from the configured shared-data path (SPRO_SHARED_DATA, by default
``../shared/data``); the small CSVs written here are fixtures in the file's own format.
"""

from __future__ import annotations

import collections
import csv
from datetime import date
from pathlib import Path

import pytest
import yaml

from bot import config
from bot.knowledge.campaign import export, import_checked
from bot.knowledge.importers import dila2019, import_source
from bot.knowledge.importers.dila2019 import Repair, load_repairs, repair, split_notes
from bot.places import Gazetteer

SHARED = config.shared_data_dir()
REAL_FILE = SHARED / "sources" / "dila2019_spro_networks_4regions.csv"
EDUCATION_35 = SHARED / "sources" / "fr-en-annuaire-education_CIO_dept35.csv"
HEADER = "#id,name,request_email,notes,home_page,tag_string\n"
needs_shared = pytest.mark.skipif(not REAL_FILE.exists(), reason=f"open data absent: {REAL_FILE}")


# ---------------------------------------------------------------- name repairs, one test per rule

RULES = load_repairs()


@pytest.mark.parametrize("rule_index", range(len(RULES)), ids=[r.find.encode("unicode_escape").decode() for r in RULES])
def test_each_documented_rule_does_what_its_example_says(rule_index: int) -> None:
    data = yaml.safe_load((config.knowledge_dir() / "name_repairs.yml").read_text(encoding="utf-8"))
    rule = data["rules"][rule_index]
    before, after = rule["example"]
    assert rule["why"].strip(), "every rule says why it is safe"
    assert RULES[rule_index].apply(before) == after
    assert repair(before) == after


def test_the_cp1252_apostrophe_of_the_source() -> None:
    assert repair("Centre d\u0092information et d\u0092orientation (CIO) - Caen") == (
        "Centre d'information et d'orientation (CIO) - Caen")


def test_a_word_rule_leaves_longer_words_alone() -> None:
    rule = Repair("word", "dinformation", "d'information")
    assert rule.apply("Centre dinformations") == "Centre dinformations"


def test_nothing_outside_the_rules_is_changed() -> None:
    assert repair("Point information jeunesse - Lanvollon") == "Point information jeunesse - Lanvollon"


# ---------------------------------------------------------------- notes split, or refused

def test_notes_are_split_into_street_postcode_town_and_phone() -> None:
    notes = split_notes("Adresse : Résidence Saint Ursin - 10 rue Roger-Aini, 14100, Lisieux | Tél : 02 31 62 32 17 | Fax : 02 31 62 60 79")
    assert notes == dila2019.Notes("Résidence Saint Ursin - 10 rue Roger-Aini", "14100", "Lisieux", "02 31 62 32 17")
    apec = split_notes("Adresse : 35 avenue de Paris,45000,Orléans | Tél : 08 09 36 12 12 / Numéro gris : service gratuit")
    assert apec.phone == "08 09 36 12 12"


def _fixture(tmp_path: Path, rows: list[str]) -> bytes:
    path = tmp_path / "export.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return path.read_bytes()


def test_unreadable_records_are_refused_with_their_line_and_a_french_reason(tmp_path: Path, gazetteer: Gazetteer) -> None:
    data = _fixture(tmp_path, [
        'cio-14047-01,CIO - Bayeux,cio@ac.fr,"Adresse : 1 rue A,14400,Bayeux | Tél : 02 31 92 09 22",,cio',
        'cio-14047-02,CIO - Bayeux bis,cio@ac.fr,"Tél : 02 31 92 09 22",,cio',
        'cio-14047-03,CIO - Bayeux ter,cio@ac.fr,"Adresse : 1 rue A,144,Bayeux | Tél : ",,cio',
        'cio-99999-01,CIO - Nulle part,cio@ac.fr,"Adresse : 1 rue A,99999,Nulle part | Tél : ",,cio',
        'cio-1404,CIO - Mauvais id,cio@ac.fr,"Adresse : 1 rue A,14400,Bayeux | Tél : ",,cio',
        'cio-14047-05,CIO - Colonnes,cio@ac.fr,"Adresse : 1 rue A,14400,Bayeux",,cio,en trop',
        'agefiph-14118-01,Agefiph - Normandie,n@agefiph.fr,"Adresse : 1 rue A,14000,Caen | Tél : ",,agefiph',
    ])
    parsed = dila2019.parse(data, gazetteer)
    assert [c.record["id"] for c in parsed.candidates] == ["dila-cio-14047-01"]
    reasons = {r.position.split(" ")[1]: r.reason for r in parsed.rejections}
    assert reasons["3"].startswith("pas d'adresse dans « notes »")
    assert reasons["4"].startswith("code postal « 144 » invalide")
    assert reasons["5"].startswith("commune introuvable (code INSEE « 99999 »")
    assert reasons["6"].startswith("identifiant illisible")
    assert "colonnes au lieu de" in reasons["7"]
    assert parsed.ignored == {"agefiph": 1}, "Agefiph is not Cap emploi: kept out of routing"


def test_a_record_is_located_at_its_commune_and_dated(tmp_path: Path, gazetteer: Gazetteer) -> None:
    data = _fixture(tmp_path, ['cio-14047-01,Centre d\u0092information et d\u0092orientation (CIO) - Bayeux,cio@ac-caen.fr,'
                               '"Adresse : 1 rue A,14400,Bayeux | Tél : 02 31 92 09 22 | Fax : ",http://www.ac-caen.fr,cio'])
    record = dila2019.parse(data, gazetteer).candidates[0].record
    bayeux = gazetteer.commune("14047")
    assert record["name"] == "Centre d'information et d'orientation (CIO) - Bayeux"
    assert (record["latitude"], record["longitude"], record["location"]) == (round(bayeux.latitude, 6), round(bayeux.longitude, 6), "commune")
    assert record["verified"] == date(2019, 7, 23) and "fiche cio-14047-01" in record["source"]
    assert (record["address"], record["postcode"], record["phone"]) == ("1 rue A", "14400", "02 31 92 09 22")


# ---------------------------------------------------------------- the real shared file

# PROVENANCE.md: counts per network in CVL / PDL / BRE / NOR.
EXPECTED = {
    "mission_locale": {"24": 29, "52": 24, "53": 19, "28": 34},
    "cio": {"24": 20, "52": 16, "53": 18, "28": 26},
    "suio": {"24": 2, "52": 3, "53": 4, "28": 3},
    "information_jeunesse": {"24": 44, "52": 59, "53": 57, "28": 48},
    "apec": {"24": 1, "52": 1, "53": 2, "28": 2},
    "cidff": {"24": 6, "52": 6, "53": 4, "28": 5},
}


@needs_shared
def test_the_real_file_per_network_and_region(gazetteer: Gazetteer) -> None:
    parsed = dila2019.parse(REAL_FILE.read_bytes(), gazetteer)
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for candidate in parsed.candidates:
        counts[candidate.record["network"]][gazetteer.commune(candidate.record["insee"]).region_code] += 1
    assert {n: dict(c) for n, c in counts.items()} == EXPECTED
    assert parsed.total == 437 and parsed.ignored == {"agefiph": 4}
    assert parsed.rejections == [], [str(r) for r in parsed.rejections]
    merged_communes = [w for c in parsed.candidates for w in c.warnings if "disparu" in w]
    assert len(merged_communes) == 2, "22038 and 49069 merged since 2019: the address's commune is named"
    assert not any("\u0092" in c.record["name"] for c in parsed.candidates)


@needs_shared
def test_the_same_cio_from_2019_and_2023_is_one_record(knowledge_copy: Path, gazetteer: Gazetteer) -> None:
    (knowledge_copy / "structures" / "cio.yaml").unlink()
    first = import_source("dila2019", REAL_FILE, knowledge_copy, gazetteer, today=date(2026, 12, 6))
    assert first.ok and not first.rejected
    second = import_source("education", EDUCATION_35, knowledge_copy, gazetteer, today=date(2026, 12, 6))
    assert second.ok and len(second.merged) == 5 and not second.added, second.merged
    cio = {r["id"]: r for r in yaml.safe_load((knowledge_copy / "structures" / "cio.yaml").read_text())["structures"]}
    vitre = cio["dila-cio-35360-01"]  # « Maison de l'emploi et de la formation - 9 place du Champ-de-Foire »
    assert "Annuaire de l'éducation" in vitre["source"] and "fiche cio-35360-01" in vitre["source"]
    assert str(vitre["verified"]) == "2023-06-08" and "location" not in vitre
    assert abs(vitre["latitude"] - 48.120279) < 1e-5, "the 2023 address coordinates replace the commune's"


def test_the_shipped_base_cites_both_sources_of_a_cidff() -> None:
    shipped = yaml.safe_load((config.knowledge_dir() / "structures" / "cidff.yaml").read_text(encoding="utf-8"))
    tours = next(r for r in shipped["structures"] if r["id"] == "cidff-37261-01")
    assert "extrait de janvier 2019" in tours["source"] and "réexport du 23/07/2019" in tours["source"]
    assert "location" not in tours, "the 2019-01 address coordinates are kept"
    ids = [r["id"] for r in shipped["structures"]]
    assert not any(i.startswith("dila-cidf-") for i in ids), "merged, not duplicated"


def test_no_shipped_structure_without_a_source_and_a_date() -> None:
    for path in (config.knowledge_dir() / "structures").glob("*.yaml"):
        for record in yaml.safe_load(path.read_text(encoding="utf-8"))["structures"]:
            assert record.get("source") and record.get("verified"), (path.name, record["id"])


# ---------------------------------------------------------------- verification campaign round trip

def _fill(path: Path, changes: dict[int, dict[str, str]]) -> bytes:
    rows = list(csv.DictReader(path.open(encoding="utf-8-sig"), delimiter=";"))
    for index, values in changes.items():
        rows[index].update(values)
    out = path.with_name("rempli.csv")
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, rows[0].keys(), delimiter=";")
        writer.writeheader()
        writer.writerows(rows)
    return out.read_bytes()


@needs_shared
def test_campaign_round_trip(knowledge_copy: Path, tmp_path: Path, gazetteer: Gazetteer) -> None:
    today = date(2026, 12, 6)
    counts = export(knowledge_copy, tmp_path / "campagne", today, ["14"])
    assert counts["14"] > 3
    csv_path = tmp_path / "campagne" / "campagne-14.csv"
    html = (tmp_path / "campagne" / "campagne-14.html").read_text(encoding="utf-8")
    assert '<html lang="fr">' in html and "☐ confirmé" in html
    rows = list(csv.DictReader(csv_path.open(encoding="utf-8-sig"), delimiter=";"))
    dates = [r["verifiee_le"] for r in rows]
    assert dates == sorted(dates), "oldest first"
    ids = [r["id"] for r in rows[:3]]
    before = {p.name: p.read_text() for p in (knowledge_copy / "structures").glob("*.yaml")}

    bad = _fill(csv_path, {0: {"statut": "confirmé", "initiales": "AB"},
                           1: {"statut": "modifié", "initiales": "AB", "telephone": "12"}})
    result = import_checked(knowledge_copy, bad, gazetteer, today)
    assert not result.ok and result.errors == ["ligne 3 : téléphone « 12 » illisible (ex. 02 47 00 00 00)"]
    assert {p.name: p.read_text() for p in (knowledge_copy / "structures").glob("*.yaml")} == before, "nothing half-applied"

    good = _fill(csv_path, {0: {"statut": "confirmé", "initiales": "ab"},
                            1: {"statut": "modifié", "initiales": "AB", "telephone": "02 31 00 00 00"},
                            2: {"statut": "fermé", "initiales": "AB"}})
    result = import_checked(knowledge_copy, good, gazetteer, today)
    assert result.ok and (result.confirmed, result.changed, result.closed) == ([ids[0]], [ids[1]], [ids[2]])
    records = {r["id"]: r for p in (knowledge_copy / "structures").glob("*.yaml")
               for r in yaml.safe_load(p.read_text())["structures"]}
    assert str(records[ids[0]]["verified"]) == "2026-12-06" and records[ids[0]]["verified_by"] == "AB"
    assert records[ids[1]]["phone"] == "02 31 00 00 00"
    assert ids[2] not in records
    trace = yaml.safe_load((knowledge_copy / "closed_structures.yaml").read_text())["closed"]
    assert trace[0]["id"] == ids[2] and trace[0]["closed_by"] == "AB"

    # A re-import keeps the staff's checks and does not bring the closed structure back.
    from bot.knowledge.importer import import_structures
    import_structures(SHARED, knowledge_copy / "structures", gazetteer, "structures_france.csv", frozenset({"28"}))
    records = {r["id"]: r for p in (knowledge_copy / "structures").glob("*.yaml")
               for r in yaml.safe_load(p.read_text())["structures"]}
    assert ids[2] not in records and records[ids[1]]["phone"] == "02 31 00 00 00"
