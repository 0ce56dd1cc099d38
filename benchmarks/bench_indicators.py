"""Benchmark of the steering dashboard: a year of records at 2,000 conversations a day.

Run: ``.venv/bin/python benchmarks/bench_indicators.py`` (a temporary SQLite file, or
``--database URL`` for PostgreSQL). Generates the records of one region (Centre-Val de
Loire: its départements and EPCIs from the gazetteer) through the same code as the
derivation (``IndicatorStore.add``), then times what the dashboard does for each page:
the aggregation (``compute``) and the HTML with its SVG charts, for several filters.
Target: under 300 ms per page. ``--write`` puts the figures in docs/performance.md's
``indicators`` block (``make bench`` does).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot import places
from bot.indicators.aggregate import Filters, compute
from bot.indicators.render import body_html
from bot.indicators.store import IndicatorRecord, IndicatorStore
from bot.reports import write_block

REGION = "24"
YEAR = 2026
PUBLICS = [
    "jeune_16_25",
    "eleve",
    "etudiant",
    "demandeur_emploi",
    "actif_occupe",
    "cadre",
    "travailleur_handicape",
    "parent_eleve",
    "jeune_decrocheur",
    "tout_public",
]
NEEDS = [
    "emploi",
    "formation",
    "reconversion",
    "orientation_scolaire",
    "vae",
    "creation_entreprise",
    "apprentissage",
    "information",
    "financement_formation",
]
NETWORKS = [
    "mission_locale",
    "france_travail",
    "cio",
    "cep_actifs_occupes",
    "apec",
    "cap_emploi",
    "transitions_pro",
    "cma",
    "cci",
    "vae",
    "suio",
]
OUTCOMES = ["oriented"] * 6 + [
    "information",
    "handed_to_person",
    "abandoned",
    "abandoned",
]
QUESTIONS = ["", "need", "situation", "age", "commune_insee", "sector"]


def generate(store: IndicatorStore, per_day: int, days: int, seed: int = 7) -> float:
    """Add ``per_day`` records for each of ``days`` days; return the seconds it took."""
    rng = random.Random(seed)
    communes = [c for c in places.get_gazetteer().communes if c.region_code == REGION]
    weights = [max(c.population, 1) for c in communes]
    started = time.perf_counter()
    for offset in range(days):
        day = date(YEAR, 1, 1) + timedelta(days=offset)
        batch = []
        for commune in rng.choices(communes, weights, k=per_day):
            outcome = rng.choice(OUTCOMES)
            oriented = outcome == "oriented"
            network = rng.choice(NETWORKS) if oriented else ""
            local = oriented and rng.random() < 0.85
            given = rng.random() < 0.8  # a commune given in 80 % of conversations
            batch.append(
                IndicatorRecord(
                    day=day,
                    channel=rng.choice(
                        ["webchat", "webchat", "webchat", "rest", "console"]
                    ),
                    region=REGION,
                    departement=commune.departement_code if given else "",
                    epci=commune.epci_siren if given else "",
                    public=rng.choice(PUBLICS),
                    need=rng.choice(NEEDS),
                    network=network,
                    structure_network=network if local else "",
                    local_structure=local if oriented else None,
                    messages=rng.randint(1, 8),
                    outcome=outcome,
                    abandoned_at=rng.choice(QUESTIONS)
                    if outcome == "abandoned"
                    else "",
                    satisfaction=rng.choice(["oui", "oui", "en_partie", "non", "", ""])
                    if oriented
                    else "",
                    feedback_theme=rng.choice(["", "", "distance", "information"])
                    if oriented
                    else "",
                )
            )
        store.add(batch)
    return time.perf_counter() - started


def timings(
    store: IndicatorStore, filters: Filters, repeat: int
) -> tuple[float, float, float]:
    """p50, p95 and max in ms of one dashboard page (aggregation + HTML with charts)."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        body_html(compute(store, filters))
        samples.append(time.perf_counter() - start)
    ordered = sorted(samples)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    return statistics.median(ordered) * 1000, p95 * 1000, ordered[-1] * 1000


def main() -> None:
    """Generate, measure, print (and write)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database", help="URL SQLAlchemy (défaut : SQLite temporaire)"
    )
    parser.add_argument("--per-day", type=int, default=2000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument(
        "--write", action="store_true", help="écrire les chiffres dans docs/performance.md"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = IndicatorStore(
            args.database or f"sqlite:///{folder}/indicators.sqlite3"
        )
        places.get_gazetteer()
        labels_warm = compute(store, Filters.for_year(YEAR))
        body_html(labels_warm)  # loads the labels once, as the running server has
        seconds = generate(store, args.per_day, args.days)
        total = store.record_count()
        cases = [
            ("année, région", Filters.for_year(YEAR, region=REGION)),
            (
                "année, un département (37)",
                Filters.for_year(YEAR, region=REGION, departement="37"),
            ),
            (
                "année, région, tchat",
                Filters.for_year(YEAR, region=REGION, channel="webchat"),
            ),
            (
                "un trimestre, un département (28)",
                Filters(
                    date(YEAR, 4, 1), date(YEAR, 6, 30), region=REGION, departement="28"
                ),
            ),
        ]
        lines = [
            f"Measured on {date.today().isoformat()} with `make bench` "
            f"({store.engine.dialect.name}, {total:,} records: {args.per_day:,} "
            f"conversations a day for {args.days} days, generated; writing them took "
            f"{seconds:.0f} s).",
            "",
            "| dashboard page (aggregation + HTML and SVG) | p50 | p95 | max |",
            "|---|---:|---:|---:|",
        ]
        for name, filters in cases:
            p50, p95, worst = timings(store, filters, args.repeat)
            lines.append(f"| {name} | {p50:.0f} ms | {p95:.0f} ms | {worst:.0f} ms |")
        store.dispose()
    text = "\n".join(lines)
    print(text)
    if args.write:
        write_block(
            Path(__file__).resolve().parent.parent / "docs" / "performance.md", "indicators", text
        )


if __name__ == "__main__":
    main()
