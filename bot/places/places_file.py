"""The compact communes file written by the import command: read and write it.

``knowledge/places/communes.csv.gz``: one row per commune with ``PLACE_COLUMNS``,
gzip-compressed reproducibly (same rows, same bytes).
"""

from __future__ import annotations

import csv
import gzip
import io
import sys
from pathlib import Path
from typing import Iterable

from bot.places.commune import Commune

PLACE_COLUMNS = (
    "insee",
    "name",
    "kind",
    "postcodes",
    "departement_code",
    "departement_name",
    "region_code",
    "region_name",
    "parent_insee",
    "epci_siren",
    "epci_name",
    "population",
    "latitude",
    "longitude",
)


def read_places_file(path: Path) -> list[Commune]:
    """The communes of the compact gazetteer (a .csv or .csv.gz file)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        return communes_from_rows(csv.DictReader(handle))


def communes_from_rows(rows: Iterable[dict[str, str]]) -> list[Commune]:
    """Communes from dict rows with the columns of ``PLACE_COLUMNS``.

    A text repeated from row to row (département, région, EPCI, postcodes) is kept
    once and shared by its communes: the gazetteer lives in every process.
    """
    postcode_tuples: dict[str, tuple[str, ...]] = {}
    populations: dict[str, int] = {}
    communes = []
    for row in rows:
        lat, lon = row["latitude"], row["longitude"]
        postcodes = postcode_tuples.get(row["postcodes"])
        if postcodes is None:
            postcodes = postcode_tuples[row["postcodes"]] = tuple(
                sys.intern(p) for p in row["postcodes"].split("|") if p
            )
        population = populations.get(row["population"])
        if population is None:
            population = populations[row["population"]] = int(row["population"] or 0)
        communes.append(
            Commune(
                insee=row["insee"],
                name=row["name"],
                postcodes=postcodes,
                departement_code=sys.intern(row["departement_code"]),
                departement_name=sys.intern(row["departement_name"]),
                region_code=sys.intern(row["region_code"]),
                region_name=sys.intern(row["region_name"]),
                latitude=float(lat) if lat else None,
                longitude=float(lon) if lon else None,
                population=population,
                epci_siren=sys.intern(row["epci_siren"]),
                epci_name=sys.intern(row["epci_name"]),
                parent_insee=sys.intern(row["parent_insee"]),
                kind="arrondissement" if row["kind"] == "a" else "commune",
            )
        )
    return communes


def write_places_file(rows, path: Path) -> int:
    """Write rows (dicts with ``PLACE_COLUMNS``) as a reproducible gzip CSV.

    Return the count.
    """
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=PLACE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    with (
        open(path, "wb") as raw,
        gzip.GzipFile(
            filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9
        ) as gz,
    ):
        gz.write(buffer.getvalue().encode("utf-8"))
    return count
