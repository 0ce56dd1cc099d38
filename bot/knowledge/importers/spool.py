"""Candidates of an import, in input order, held in bounded memory.

A national directory can list hundreds of thousands of records. ``Candidates`` keeps the
first ``SPILL_AFTER`` in memory; past that, all of them go to a private temporary SQLite
database (on disk past SQLite's small page cache, deleted when closed), pickled, written
and read back in batches. The merge reads them newest first, in input order for the same
date: the order ``sorted(…, reverse=True)`` gives, so the files written do not depend on
where the candidates were kept.
"""

from __future__ import annotations

import pickle
import sqlite3
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

SPILL_AFTER = 5_000
BATCH = 1_000


@dataclass(frozen=True)
class Candidate:
    """One record ready to merge, in the knowledge files' notation.

    ``position`` says where it came from in the input.
    """

    position: str
    record: dict[str, Any]
    warnings: tuple[str, ...] = ()


def _encode(candidate: Candidate) -> tuple[str, bytes]:
    """The sort key and the candidate, pickled (this process's own temporary data)."""
    return (
        candidate.record["verified"].isoformat(),
        pickle.dumps(candidate, protocol=pickle.HIGHEST_PROTOCOL),
    )


def _decode(data: bytes) -> Candidate:
    candidate: Candidate = pickle.loads(data)
    return candidate


class Candidates:
    """Append-only sequence of candidates, spilt to disk past ``spill_after``."""

    def __init__(self, spill_after: int | None = None) -> None:
        """Empty; ``spill_after`` candidates at most are kept in memory."""
        self.spill_after = SPILL_AFTER if spill_after is None else spill_after
        self._memory: list[Candidate] = []
        self._db: sqlite3.Connection | None = None
        self._count = 0
        self._pending: list[tuple[str, bytes]] = []

    def append(self, candidate: Candidate) -> None:
        """Add one candidate after the others."""
        self._count += 1
        if self._db is None and len(self._memory) < self.spill_after:
            self._memory.append(candidate)
            return
        if self._db is None:
            self._db = sqlite3.connect("")
            self._db.execute(
                "CREATE TABLE candidate "
                "(seq INTEGER PRIMARY KEY, verified TEXT, candidate BLOB)"
            )
            self._pending = [_encode(c) for c in self._memory]
            self._memory = []
        self._pending.append(_encode(candidate))
        if len(self._pending) >= BATCH:
            self._flush()

    def extend(self, candidates: Iterable[Candidate]) -> None:
        """Add each of ``candidates``, in order."""
        for candidate in candidates:
            self.append(candidate)

    def __iadd__(self, candidates: Iterable[Candidate]) -> Candidates:
        """``candidates += others``, as for a list."""
        self.extend(candidates)
        return self

    def __len__(self) -> int:
        """How many candidates were added."""
        return self._count

    def __getitem__(self, index: int) -> Candidate:
        """The candidate at ``index`` (0-based, negative from the end)."""
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError(index)
        if self._db is None:
            return self._memory[index]
        self._flush()
        row = self._db.execute(
            "SELECT candidate FROM candidate WHERE seq = ?", (index + 1,)
        ).fetchone()
        return _decode(row[0])

    def __iter__(self) -> Iterator[Candidate]:
        """The candidates in the order they were added."""
        return self._rows("seq") if self._db is not None else iter(list(self._memory))

    def newest_first(self) -> Iterator[Candidate]:
        """The candidates by ``verified`` date, newest first; input order for a date."""
        if self._db is None:
            return iter(
                sorted(self._memory, key=lambda c: c.record["verified"], reverse=True)
            )
        return self._rows("verified DESC, seq")

    def close(self) -> None:
        """Drop what was spilled (the temporary database is deleted)."""
        if self._db is not None:
            self._db.close()
            self._db = None
        self._memory, self._pending, self._count = [], [], 0

    def _flush(self) -> None:
        if self._db is not None and self._pending:
            self._db.executemany(
                "INSERT INTO candidate (verified, candidate) VALUES (?, ?)",
                self._pending,
            )
            self._pending = []

    def _rows(self, order: str) -> Iterator[Candidate]:
        assert self._db is not None
        self._flush()
        cursor = self._db.execute(f"SELECT candidate FROM candidate ORDER BY {order}")
        while rows := cursor.fetchmany(BATCH):
            for (data,) in rows:
                yield _decode(data)
