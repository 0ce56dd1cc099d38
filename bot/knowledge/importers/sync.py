"""Online refresh: fetch the directories' APIs, import, load atomically.

``python -m bot sync`` runs it.

For each département of the regions described in ``knowledge/regions.yaml`` (or those
given), the DILA *API Annuaire de l'administration* (Opendatasoft explore v2.1
``records`` endpoint, ``where=startswith(code_insee_commune,"37")``, pages of ``limit``
records by ``offset``) is read page by page and, when ``SPRO_DATA_INCLUSION_API_URL`` is
set, the data·inclusion API (``/api/v0/structures?code_departement=37&page=n``, token in
``SPRO_DATA_INCLUSION_TOKEN``). The records go through the same importers and merge as
``python -m bot import``; the files are then loaded like ``python -m bot load`` (a bad
batch changes nothing). A network error, an HTTP error or an unreadable page stops the
sync before any write.

Settings (environment, read at call time): ``SPRO_DILA_API_URL`` (default: the public
endpoint), ``SPRO_DATA_INCLUSION_API_URL``, ``SPRO_DATA_INCLUSION_TOKEN``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Iterator
from urllib.error import URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from bot.knowledge.importers import dila, inclusion
from bot.knowledge.importers.base import (
    URL_TIMEOUT_SECONDS,
    ImportInputError,
    Parsed,
    load_json,
)
from bot.knowledge.importers.merge import ImportReport, apply
from bot.places import Gazetteer

DILA_API_URL = (
    "https://api-lannuaire.service-public.fr/api/explore/v2.1/catalog/datasets/"
    "api-lannuaire-administration/records"
)
PAGE_SIZE = 100
MAX_PAGES = 200


def dila_api_url() -> str:
    """The DILA API endpoint (``SPRO_DILA_API_URL`` overrides the public one)."""
    return os.environ.get("SPRO_DILA_API_URL", DILA_API_URL)


def inclusion_api() -> tuple[str, str]:
    """data·inclusion API base URL and token ("" when not configured)."""
    return os.environ.get("SPRO_DATA_INCLUSION_API_URL", ""), os.environ.get(
        "SPRO_DATA_INCLUSION_TOKEN", ""
    )


def _get(url: str, token: str = "") -> Any:
    request = Request(
        url,
        headers={
            "Accept": "application/json",
            **({"Authorization": f"Bearer {token}"} if token else {}),
        },
    )
    try:
        with urlopen(request, timeout=URL_TIMEOUT_SECONDS) as response:
            return load_json(response.read())
    except URLError as exc:
        raise ImportInputError(
            f"{url} injoignable ({getattr(exc, 'code', '') or exc.reason})"
        ) from exc


def dila_records(departement: str, base_url: str | None = None) -> Iterator[dict]:
    """Every DILA service record of a département, page by page."""
    offset = 0
    for _page in range(MAX_PAGES):
        query = urlencode(
            {
                "where": f'startswith(code_insee_commune,"{departement}")',
                "limit": PAGE_SIZE,
                "offset": offset,
            }
        )
        answer = _get(f"{base_url or dila_api_url()}?{query}")
        results = dila.records_of(answer)
        yield from results
        offset += len(results)
        if not results or offset >= int(answer.get("total_count", 0)):
            return
    raise ImportInputError(
        f"plus de {MAX_PAGES} pages pour le département {departement} : "
        "arrêt par prudence"
    )


def inclusion_structures(departement: str, base_url: str, token: str) -> Iterator[dict]:
    """Every data·inclusion structure of a département, page by page."""
    for page in range(1, MAX_PAGES + 1):
        query = urlencode(
            {"code_departement": departement, "page": page, "size": PAGE_SIZE}
        )
        answer = _get(f"{base_url.rstrip('/')}/api/v0/structures?{query}", token)
        items = answer.get("items") if isinstance(answer, dict) else None
        if not isinstance(items, list):
            raise ImportInputError(
                "réponse data·inclusion inattendue (« items » absent)"
            )
        yield from items
        if page >= int(answer.get("pages", page)) or not items:
            return


@dataclass
class SyncOutcome:
    """Reports of each source, and the load result (None when nothing was loaded)."""

    reports: list[ImportReport] = field(default_factory=list)
    loaded_snapshot: int | None = None
    load_errors: list[str] = field(default_factory=list)


def _merge_parsed(parts: list[Parsed]) -> Parsed:
    merged = Parsed()
    for part in parts:
        merged.candidates += part.candidates
        merged.rejections += part.rejections
        merged.total += part.total
        for kind, count in part.ignored.items():
            merged.ignored[kind] = merged.ignored.get(kind, 0) + count
    return merged


def sync(
    departements: list[str],
    knowledge_dir: Path,
    gazetteer: Gazetteer,
    database_url: str,
    dry_run: bool = False,
    today: date | None = None,
) -> SyncOutcome:
    """Fetch everything first, then import each source, then load."""
    fetched: list[tuple[str, Parsed]] = [
        (
            "dila (API Annuaire)",
            _merge_parsed(
                [
                    dila.parse_records(list(dila_records(d)), gazetteer)
                    for d in departements
                ]
            ),
        )
    ]
    url, token = inclusion_api()
    if url:
        fetched.append(
            (
                "data·inclusion (API)",
                _merge_parsed(
                    [
                        inclusion.parse_items(
                            list(inclusion_structures(d, url, token)), gazetteer
                        )
                        for d in departements
                    ]
                ),
            )
        )
    outcome = SyncOutcome()
    for label, parsed in fetched:
        report = apply(
            parsed,
            knowledge_dir,
            gazetteer,
            f"{label} : départements {', '.join(departements)}",
            dry_run,
            today,
        )
        outcome.reports.append(report)
        if not report.ok:
            return outcome
    if not dry_run:
        from bot.knowledge.store import load_directory

        loaded = load_directory(knowledge_dir, database_url, gazetteer)
        outcome.loaded_snapshot = loaded.snapshot_id
        outcome.load_errors = [str(p) for p in loaded.check.errors]
    return outcome


__all__ = ["SyncOutcome", "dila_records", "inclusion_structures", "sync"]
