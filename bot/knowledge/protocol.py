"""What may be asked of the knowledge: the ``KnowledgeRepository`` protocol.

Both repositories (``bot.knowledge.memory_repository`` and
``bot.knowledge.sql_repository``) offer it and raise ``KnowledgeUnavailable`` when no
knowledge can be served.
"""

from __future__ import annotations

from typing import Protocol

from bot.knowledge.files import Problem
from bot.knowledge.model import (
    InfoSheet,
    KnowledgeSet,
    Network,
    Region,
    Structure,
    StructureMatch,
)

# Beyond this distance a structure is not proposed unless its area served names the
# commune: the assistant then gives the network's online entry points and the regional
# service.
DEFAULT_MAX_DISTANCE_KM = 100.0


class KnowledgeUnavailable(RuntimeError):
    """No knowledge can be served (never loaded, or invalid files).

    The message is French.
    """

    def __init__(self, message: str, problems: list[Problem] | None = None):
        """Keep the French message and the problems that explain it."""
        super().__init__(message)
        self.problems = problems or []


class KnowledgeRepository(Protocol):
    """What actions, channels and staff commands may ask the knowledge.

    Both repositories offer it.
    """

    @property
    def snapshot_id(self) -> int | None:
        """Id of the snapshot served, or None when read from files."""

    @property
    def knowledge(self) -> KnowledgeSet:
        """The whole knowledge set served."""

    def network(self, code: str) -> Network | None:
        """The network of this code, or None."""

    def networks(self) -> list[Network]:
        """All networks."""

    def find_network(self, text: str) -> Network | None:
        """Network named in a text, or None."""

    def structure(self, structure_id: str) -> Structure | None:
        """The structure of this id, or None."""

    def structures(self, network: str | None = None) -> list[Structure]:
        """All structures, or those of one network."""

    def nearest_structures(
        self,
        network_code: str,
        insee: str,
        limit: int = 3,
        max_distance_km: float | None = DEFAULT_MAX_DISTANCE_KM,
    ) -> list[StructureMatch]:
        """Structures of a network nearest to a commune, closest first."""

    def region(self, code: str) -> Region | None:
        """The region of this code, or None."""

    def regions(self) -> list[Region]:
        """All regions."""

    def region_for(self, insee: str) -> Region | None:
        """The region of a commune, or None."""

    def sheet(self, code: str) -> InfoSheet | None:
        """The information sheet of this code, or None."""

    def sheets(self) -> list[InfoSheet]:
        """All information sheets."""

    def find_sheets(self, text: str, limit: int = 3) -> list[InfoSheet]:
        """Information sheets matching a text, best first."""
