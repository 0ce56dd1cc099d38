"""Staff imports of national directories into ``knowledge/structures/``.

``python -m bot import <source> <file-or-url>`` runs them.

``SOURCES`` names each importer; ``import_source(name, location, …)`` reads a file or
URL, turns its records into structure records (``bot.knowledge.importers.<source>``),
merges them (``merge``: dedup across sources, newest data wins, staff checks kept) and
writes the files only when the result passes ``python -m bot check``. Loading into the
database stays ``python -m bot load`` (or ``sync``, which does both).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Callable
from urllib.parse import urlparse

from bot.knowledge.importers import (
    dila,
    dila2019,
    education,
    inclusion,
    transitions_pro,
)
from bot.knowledge.importers.base import ImportInputError, Parsed, read_bytes
from bot.knowledge.importers.merge import ImportReport, apply, format_report
from bot.places import Gazetteer

Parser = Callable[[bytes, Gazetteer], Parsed]

SOURCES: dict[str, tuple[Parser, str]] = {
    dila.NAME: (
        dila.parse,
        "Service-public.fr, base de données locales (export JSON ou API Annuaire)",
    ),
    dila2019.NAME: (
        dila2019.parse,
        "Service-public.fr, base de données locales, réexport CSV de 2019 "
        "(#id,name,request_email,notes,home_page,tag_string)",
    ),
    education.NAME: (
        education.parse,
        "Annuaire de l'éducation : les CIO (CSV ou JSON)",
    ),
    inclusion.NAME: (inclusion.parse, "data·inclusion : structures (JSON)"),
    transitions_pro.NAME: (
        transitions_pro.parse,
        "Associations Transitions Pro (atPro.js de SocialGouv)",
    ),
}


# Sources read from a local file record by record, in bounded memory (the others are
# small national files, read whole; their records are kept in bounded memory).
STREAMED: dict[str, Callable[[Path, Gazetteer], Parsed]] = {dila.NAME: dila.parse_file}


def import_source(
    name: str,
    location: str | Path,
    knowledge_dir: Path,
    gazetteer: Gazetteer,
    dry_run: bool = False,
    today: date | None = None,
) -> ImportReport:
    """Run one importer; ImportInputError (French) if the input is unreadable."""
    if name not in SOURCES:
        raise ImportInputError(
            f"source « {name} » inconnue ; sources possibles : {', '.join(SOURCES)}"
        )
    parser, _label = SOURCES[name]
    if name in STREAMED and urlparse(str(location)).scheme not in ("http", "https"):
        parsed = STREAMED[name](Path(location), gazetteer)
    else:
        parsed = parser(read_bytes(location), gazetteer)
    return apply(
        parsed, knowledge_dir, gazetteer, f"{name} : {location}", dry_run, today
    )


__all__ = [
    "SOURCES",
    "ImportInputError",
    "ImportReport",
    "format_report",
    "import_source",
]
