"""Benchmark of the knowledge base: load time and p50/p95 of the queries the assistant makes.

Run: ``.venv/bin/python benchmarks/bench_knowledge.py`` (uses a temporary SQLite file, or
``--database URL``). Prints the gazetteer load, the ``python -m bot load`` time, the time for the
running bot to pick up a snapshot, and p50/p95/max of nearest-structure queries, place
resolution (mixed real inputs incl. typos and postcodes) and place finding in sentences.
Target: p95 < 5 ms for nearest structures once loaded. ``--write`` also puts the
figures in docs/performance.md's ``knowledge`` block (``make bench`` does).

National import: a synthetic DILA "base de données locales" export of ``--national`` records
(60,000 by default: random real communes, one in five of a SPRO local type, the rest mairies,
CAF, préfectures…; a third of the SPRO ones with a competence commune) is written to a
temporary folder and imported by ``python -m bot import dila`` in a child process (time and peak
memory of that process). Targets: under 60 s and 1 GB on 2 cores. Then nearest and competent
structure queries run on the imported knowledge (target p95 < 1 ms).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.knowledge.importers.dila import NETWORKS as DILA_NETWORKS  # noqa: E402
from bot.knowledge.repository import MemoryRepository, SqlRepository  # noqa: E402
from bot.knowledge.store import load_directory  # noqa: E402
from bot.places import Gazetteer  # noqa: E402
from bot import config  # noqa: E402
from bot.reports import write_block  # noqa: E402

PLACE_INPUTS = [
    "Tours", "joue les tours", "Joue les tour", "St Cyr sur Loire", "Saint Pierre des Corp", "Orléans", "Orleasn",
    "Bourges", "Vierzom", "St Amand Montrond", "Blois", "Blios", "vendome", "Romorantin", "Romoratin",
    "Chateauroux", "Chatauroux", "Issodun", "Chartres", "Dreux", "Montargis", "Amboisse", "ile bouchard",
    "37000", "37300", "18100", "41000", "75015", "37261", "Saint-Denis", "Saint-Denis 93", "Beaulieu",
    "Olivet", "Le Mans", "Rennes", "Paris 15e", "Lyon 3eme", "Chateau Renault", "Ste Maure de Touraine", "xyzzy",
]
SENTENCES = [
    "j'habite à joue les tours et je cherche du travail", "Bonjour, je suis à Vierzon, j'ai 19 ans",
    "je vis a romorantin depuis 2 ans", "mon code postal est 37300", "je cherche un CFA près de Chateauroux",
    "c'est quoi le CPF ?", "je suis au chômage à St Pierre des Corps", "je voudrais faire une VAE",
]


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    return (f"p50 {statistics.median(ordered) * 1000:.3f} ms, p95 {p95 * 1000:.3f} ms, "
            f"max {ordered[-1] * 1000:.3f} ms ({len(ordered)} requêtes)")


def timed(function, *args) -> float:
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


OTHER_LOCAL_TYPES = ("mairie", "mairie_com", "caf", "cpam", "msa", "prefecture", "tribunal", "ccas", "mjd", "afpa",
                     "sip", "sie", "maison_handicapees", "epci", "cicas")


def synthetic_national_export(path: Path, gazetteer: Gazetteer, count: int) -> int:
    """Write a synthetic DILA export (see module docstring); return the number of SPRO records."""
    rng = random.Random(11)
    communes = [c for c in gazetteer.communes if c.latitude is not None and c.postcodes]
    kinds = list(DILA_NETWORKS) + list(OTHER_LOCAL_TYPES) * 3
    services, spro = [], 0
    for index in range(count):
        commune, kind = rng.choice(communes), rng.choice(kinds)
        spro += kind in DILA_NETWORKS
        competence = [commune.insee] if index % 3 == 0 else []
        services.append({
            "id": f"bench-{index:06d}", "nom": f"Service synthétique {index}", "code_insee_commune": commune.insee,
            "pivot": [{"type_service_local": kind, "code_insee_commune": competence}],
            "adresse": [{"type_adresse": "Adresse", "numero_voie": f"{index % 200 + 1} rue du Banc d'essai {index}",
                         "code_postal": commune.postcodes[0], "nom_commune": commune.name,
                         "latitude": str(round(commune.latitude + rng.uniform(-0.02, 0.02), 6)),
                         "longitude": str(round(commune.longitude + rng.uniform(-0.02, 0.02), 6))}],
            "telephone": [{"valeur": f"02{index:08d}"}], "adresse_courriel": [f"s{index}@example.fr"],
            "site_internet": [{"valeur": f"https://s{index}.example.fr"}],
            "plage_ouverture": [{"nom_jour_debut": "Lundi", "nom_jour_fin": "Vendredi",
                                 "valeur_heure_debut_1": "09:00:00", "valeur_heure_fin_1": "12:00:00",
                                 "valeur_heure_debut_2": "13:30:00", "valeur_heure_fin_2": "17:00:00"}],
            "date_modification": "01/06/2025 10:00:00",
        })
    path.write_text(json.dumps({"service": services}, ensure_ascii=False), encoding="utf-8")
    return spro


def import_child(export: str, folder: str) -> None:
    """Child process: run the import, print seconds, peak memory (MB) and counts as JSON."""
    import resource

    from bot.knowledge.importers import import_source
    from bot.places import get_gazetteer

    gazetteer = get_gazetteer()
    start = time.perf_counter()
    report = import_source("dila", export, Path(folder), gazetteer)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "added": len(report.added), "rejected": len(report.rejected), "ok": report.ok}))


def national_import(report, gazetteer: Gazetteer, count: int, queries: int) -> None:
    """Import a synthetic national file in a child process, then time queries on the result."""
    with tempfile.TemporaryDirectory() as folder:
        export = Path(folder) / "export.json"
        spro = synthetic_national_export(export, gazetteer, count)
        knowledge = Path(folder) / "knowledge"
        shutil.copytree(config.knowledge_dir(), knowledge)
        child = subprocess.run([sys.executable, __file__, "--import-child", str(export), str(knowledge)],
                               capture_output=True, text=True, check=True)
        result = json.loads(child.stdout.strip().splitlines()[-1])
        report(f"Import d'un fichier national synthétique ({count} fiches dont {spro} du SPRO) : "
               f"{result['seconds']:.1f} s, mémoire maximale {result['peak_mb']:.0f} Mo, "
               f"{result['added']} structures ajoutées, {result['rejected']} refusées")
        repo = MemoryRepository.from_directory(knowledge, gazetteer)
        france = [c.insee for c in gazetteer.communes if c.latitude is not None]
        networks = sorted(set(DILA_NETWORKS.values()))
        samples = [timed(repo.nearest_structures, random.choice(networks), random.choice(france))
                   for _ in range(queries)]
        report(f"Structure compétente ou la plus proche après cet import ({len(repo.knowledge.structures)} "
               f"structures) : {percentiles(samples)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="URL SQLAlchemy (défaut : SQLite temporaire)")
    parser.add_argument("--queries", type=int, default=5000)
    parser.add_argument("--write", action="store_true", help="écrire les chiffres dans docs/performance.md")
    parser.add_argument("--national", type=int, default=60000, help="fiches du fichier national synthétique (0 : sans)")
    parser.add_argument("--import-child", nargs=2, metavar=("EXPORT", "DOSSIER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.import_child:
        import_child(*args.import_child)
        return
    random.seed(7)
    lines: list[str] = []

    def report(line: str) -> None:
        print(line)
        lines.append(f"- {line}")

    start = time.perf_counter()
    gazetteer = Gazetteer.from_file(config.places_file())
    report(f"Chargement des communes ({len(gazetteer.communes)}) : {(time.perf_counter() - start) * 1000:.0f} ms")
    start = time.perf_counter()
    gazetteer.typos.build()
    report(f"Index des fautes de frappe (construit au premier besoin) : {(time.perf_counter() - start) * 1000:.0f} ms")
    from bot import places

    places.set_gazetteer(gazetteer)

    with tempfile.TemporaryDirectory() as folder:
        url = args.database or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        start = time.perf_counter()
        outcome = load_directory(None, url, gazetteer)
        report(f"python -m bot load (vérification + écriture) : {(time.perf_counter() - start) * 1000:.0f} ms, "
              f"{outcome.check.knowledge.counts()}")
        repo = SqlRepository(url, refresh_seconds=3600, gazetteer=gazetteer)
        start = time.perf_counter()
        repo.refresh(force=True)
        report(f"Prise en compte par le bot en service (lecture de la version) : "
              f"{(time.perf_counter() - start) * 1000:.0f} ms")

        networks = sorted({s.network for s in repo.knowledge.structures}) + ["mission_locale", "cio"]
        cvl = [c.insee for c in gazetteer.communes if c.region_code == "24"]
        france = [c.insee for c in gazetteer.communes]
        samples = [timed(repo.nearest_structures, random.choice(networks), random.choice(cvl))
                   for _ in range(args.queries)]
        report(f"Structures les plus proches (communes du Centre-Val de Loire) : {percentiles(samples)}")
        samples = [timed(repo.nearest_structures, "france_travail", random.choice(france), 3, None)
                   for _ in range(args.queries)]
        report(f"Structures les plus proches (toute la France, sans limite de distance) : {percentiles(samples)}")
        samples = [timed(repo.region_for, random.choice(france)) for _ in range(args.queries)]
        report(f"Région d'une commune : {percentiles(samples)}")
        samples = [timed(gazetteer.resolve, random.choice(PLACE_INPUTS)) for _ in range(args.queries)]
        report(f"Résolution d'un lieu (saisies réelles, fautes comprises) : {percentiles(samples)}")
        samples = [timed(gazetteer.find_in_text, random.choice(SENTENCES)) for _ in range(args.queries)]
        report(f"Lieu dans une phrase : {percentiles(samples)}")

    if args.national:
        national_import(report, gazetteer, args.national, args.queries)

    if args.write:
        lines.insert(0, f"Measured on {date.today():%Y-%m-%d} with `make bench` (SQLite):\n")
        write_block(Path(__file__).resolve().parent.parent / "docs" / "performance.md", "knowledge", "\n".join(lines))


if __name__ == "__main__":
    main()
