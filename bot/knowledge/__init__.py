"""Knowledge base of SPRO structures: networks, structures, regions, information sheets.

Entry points (see each module's docstring):

- ``get_repository()``: the cached repository of the running bot (``SqlRepository`` on
  ``config.database_url()``, built lazily, following new loads without restart);
  ``set_repository(repo)`` replaces it (tests:
  ``MemoryRepository.from_directory(path)``), ``set_repository(None)`` forgets it;
  ``find_region(insee, region_code)`` asks it for a person's region.
- ``KnowledgeRepository`` (a Protocol) is what both repositories offer:
  ``network(code)``, ``networks()``, ``find_network(text)``, ``structure(id)``,
  ``structures(network)``,
  ``nearest_structures(network_code, insee, limit=3) -> list[StructureMatch]``,
  ``region(code)``, ``regions()``, ``region_for(insee) -> Region | None``,
  ``sheet(code)``, ``sheets()``, ``find_sheets(text)``.
- Return types are frozen dataclasses from ``bot.knowledge.model``; places come from
  ``bot.places`` (``resolve``, ``find_in_text``).
- Staff side: ``bot.knowledge.files.check_directory`` and
  ``bot.knowledge.store.load_directory`` (``python -m bot check|load``);
  ``bot.knowledge.importers`` for the national directories
  (``python -m bot import|sync``).
"""

from __future__ import annotations

from bot import config
from bot.knowledge.model import (
    REQUIRED_NETWORKS,
    AreaServed,
    EntryPoint,
    InfoSheet,
    KnowledgeSet,
    Network,
    Region,
    Source,
    SourcedFact,
    Structure,
    StructureMatch,
)
from bot.knowledge.repository import (
    KnowledgeRepository,
    KnowledgeUnavailable,
    MemoryRepository,
    SqlRepository,
)
from bot.lazy import Lazy

Repository = KnowledgeRepository

_REPOSITORY: Lazy[Repository] = Lazy(lambda: SqlRepository(config.database_url()))


def get_repository() -> Repository:
    """The shared repository (created on first call from ``config.database_url()``)."""
    return _REPOSITORY.get()


def set_repository(repository: Repository | None) -> None:
    """Use this repository from now on.

    None: build a fresh one on next ``get_repository()``.
    """
    _REPOSITORY.set(repository)


def find_region(insee: str | None, region_code: str | None) -> Region | None:
    """The region of the commune ``insee``, else of ``region_code``; None if neither."""
    if insee:
        return get_repository().region_for(insee)
    if region_code:
        return get_repository().region(region_code)
    return None


__all__ = [
    "REQUIRED_NETWORKS",
    "AreaServed",
    "EntryPoint",
    "InfoSheet",
    "KnowledgeRepository",
    "KnowledgeSet",
    "KnowledgeUnavailable",
    "MemoryRepository",
    "Network",
    "Region",
    "Repository",
    "Source",
    "SourcedFact",
    "SqlRepository",
    "Structure",
    "StructureMatch",
    "find_region",
    "get_repository",
    "set_repository",
]
