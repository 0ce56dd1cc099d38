"""Queries on the knowledge: the one module actions and channels go through.

- ``MemoryRepository(knowledge)``: queries on a validated ``KnowledgeSet`` held in
  memory (tests build one from files with ``MemoryRepository.from_directory()``).
- ``SqlRepository(url)``: what the running bot uses. It serves a ``MemoryRepository``
  built from the live database snapshot and, at most every
  ``config.knowledge_refresh_seconds()``, reads the one-row snapshot pointer; when a
  ``python -m bot load`` has moved it, the new snapshot is read and swapped in — no
  restart. If the database cannot be read, the last good knowledge keeps serving.

Both offer the same methods: ``network(code)``, ``networks()``, ``structure(id)``,
``structures(network=None)``, ``nearest_structures(network, insee, limit=3)``,
``region(code)``, ``regions()``, ``region_for(insee)``, ``sheet(code)``, ``sheets()``,
``find_sheets(text)``, ``find_network(text)`` and ``snapshot_id``.

They live in ``bot.knowledge.protocol`` (the ``KnowledgeRepository`` protocol and
``KnowledgeUnavailable``), ``bot.knowledge.memory_repository`` and
``bot.knowledge.sql_repository``; import them from here.
"""

from bot.knowledge.memory_repository import MemoryRepository
from bot.knowledge.protocol import KnowledgeRepository, KnowledgeUnavailable
from bot.knowledge.sql_repository import SqlRepository

__all__ = [
    "KnowledgeRepository",
    "KnowledgeUnavailable",
    "MemoryRepository",
    "SqlRepository",
]
