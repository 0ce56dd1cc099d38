"""Benchmark of the knowledge base: load time and p50/p95 of the queries the assistant makes.

Run: ``.venv/bin/python benchmarks/bench_knowledge.py`` (uses a temporary SQLite file, or
``--database URL``). Prints the gazetteer load, the ``python -m bot load`` time, the time for the
running bot to pick up a snapshot, and p50/p95/max of nearest-structure queries, place
resolution (mixed real inputs incl. typos and postcodes) and place finding in sentences.
Target: p95 < 5 ms for nearest structures once loaded. ``--write`` also puts the
figures in README.md's ``knowledge`` block (``make bench`` does).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.knowledge.repository import SqlRepository  # noqa: E402
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="URL SQLAlchemy (défaut : SQLite temporaire)")
    parser.add_argument("--queries", type=int, default=5000)
    parser.add_argument("--write", action="store_true", help="écrire les chiffres dans README.md")
    args = parser.parse_args()
    random.seed(7)
    lines: list[str] = []

    def report(line: str) -> None:
        print(line)
        lines.append(f"- {line}")

    start = time.perf_counter()
    gazetteer = Gazetteer.from_file(config.places_file())
    report(f"Chargement des communes ({len(gazetteer.communes)}) : {(time.perf_counter() - start) * 1000:.0f} ms")
    start = time.perf_counter()
    gazetteer._ensure_fuzzy()
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

    if args.write:
        lines.insert(0, f"Measured on {date.today():%Y-%m-%d} with `make bench` (SQLite):\n")
        write_block(Path(__file__).resolve().parent.parent / "README.md", "knowledge", "\n".join(lines))


if __name__ == "__main__":
    main()
