"""The repository the running bot uses: the live database snapshot, swapped on load.

``SqlRepository(url)`` serves a ``MemoryRepository`` built from the live snapshot and,
at most every ``config.knowledge_refresh_seconds()``, reads the one-row snapshot
pointer; when a ``python -m bot load`` has moved it, the new snapshot is read and
swapped in — no restart. If the database cannot be read, the last good knowledge keeps
serving.
"""

from __future__ import annotations

import logging
import threading
import time

from bot import config
from bot.knowledge import store
from bot.knowledge.memory_repository import MemoryRepository
from bot.knowledge.model import (
    InfoSheet,
    KnowledgeSet,
    Network,
    Region,
    Structure,
    StructureMatch,
)
from bot.knowledge.protocol import DEFAULT_MAX_DISTANCE_KM, KnowledgeUnavailable
from bot.places import Gazetteer

log = logging.getLogger(__name__)


class SqlRepository:
    """Serves the live database snapshot and follows new loads without restart."""

    def __init__(
        self,
        url: str,
        refresh_seconds: float | None = None,
        gazetteer: Gazetteer | None = None,
    ):
        """Serve the snapshot of url, checking for new loads every refresh_seconds."""
        self.url = url
        self.refresh_seconds = (
            config.knowledge_refresh_seconds()
            if refresh_seconds is None
            else refresh_seconds
        )
        self._gazetteer = gazetteer
        self._current: MemoryRepository | None = None
        self._checked_at = float("-inf")
        self._lock = threading.Lock()

    @property
    def snapshot_id(self) -> int | None:
        """Id of the live snapshot served."""
        return self._repo().snapshot_id

    def refresh(self, force: bool = False) -> bool:
        """Check the snapshot pointer (if due, or forced).

        Swap in a newer load. True if swapped.
        """
        now = time.monotonic()
        if (
            not force
            and self._current is not None
            and now - self._checked_at < self.refresh_seconds
        ):
            return False
        with self._lock:
            if (
                not force
                and self._current is not None
                and now - self._checked_at < self.refresh_seconds
            ):
                return False
            self._checked_at = now
            try:
                live = store.live_snapshot_id(self.url)
                if live is None:
                    if self._current is None:
                        raise KnowledgeUnavailable(
                            "La base de connaissances est vide : lancez « python "
                            "-m bot load »."
                        )
                    return False
                if self._current is not None and live == self._current.snapshot_id:
                    return False
                loaded = store.read_snapshot(self.url, live)
            except KnowledgeUnavailable:
                raise
            except (
                Exception
            ) as exc:  # database down or busy: keep the last good knowledge
                if self._current is None:
                    raise KnowledgeUnavailable(
                        f"Base de connaissances injoignable ({exc.__class__.__name__})."
                    ) from exc
                log.warning(
                    "knowledge refresh failed, still serving snapshot %s: %s",
                    self._current.snapshot_id,
                    exc,
                )
                return False
            if (
                loaded is None
            ):  # the snapshot was purged meanwhile: next refresh reads the new one
                return False
            snapshot_id, knowledge = loaded
            self._current = MemoryRepository(knowledge, self._gazetteer, snapshot_id)
            log.info("knowledge snapshot %s now serving", snapshot_id)
            return True

    def _repo(self) -> MemoryRepository:
        self.refresh()
        assert self._current is not None
        return self._current

    # Same API as MemoryRepository, always on the freshest snapshot.
    def network(self, code: str) -> Network | None:
        """The network of this code, or None."""
        return self._repo().network(code)

    def networks(self) -> list[Network]:
        """All networks."""
        return self._repo().networks()

    def find_network(self, text: str) -> Network | None:
        """Network named in a text, or None."""
        return self._repo().find_network(text)

    def structure(self, structure_id: str) -> Structure | None:
        """The structure of this id, or None."""
        return self._repo().structure(structure_id)

    def structures(self, network: str | None = None) -> list[Structure]:
        """All structures, or those of one network."""
        return self._repo().structures(network)

    def nearest_structures(
        self,
        network_code: str,
        insee: str,
        limit: int = 3,
        max_distance_km: float | None = DEFAULT_MAX_DISTANCE_KM,
    ) -> list[StructureMatch]:
        """Structures of a network nearest to a commune, closest first."""
        return self._repo().nearest_structures(
            network_code, insee, limit, max_distance_km
        )

    def region(self, code: str) -> Region | None:
        """The region of this code, or None."""
        return self._repo().region(code)

    def regions(self) -> list[Region]:
        """All regions."""
        return self._repo().regions()

    def region_for(self, insee: str) -> Region | None:
        """The region of a commune, or None."""
        return self._repo().region_for(insee)

    def sheet(self, code: str) -> InfoSheet | None:
        """The information sheet of this code, or None."""
        return self._repo().sheet(code)

    def sheets(self) -> list[InfoSheet]:
        """All information sheets."""
        return self._repo().sheets()

    def find_sheets(self, text: str, limit: int = 3) -> list[InfoSheet]:
        """Information sheets matching a text, best first."""
        return self._repo().find_sheets(text, limit)

    @property
    def knowledge(self) -> KnowledgeSet:
        """The whole knowledge set served."""
        return self._repo().knowledge
