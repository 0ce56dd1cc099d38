"""The desk's shared rows: a request by id, a new request, messages, final states.

``DeskRecords`` holds the store, the clock and the line's hours; the live queue
(``bot.handover.desk``), the call-backs (``bot.handover.callbacks``) and the retention
(``bot.handover.retention``) build on it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import select, update

from bot.db import utcnow
from bot.handover.line import LineHours, line_hours
from bot.handover.rules import callback_retention_days
from bot.handover.store import (
    HandoverRequest,
    HandoverStore,
    Message,
    messages_table,
    requests_table,
    stats_table,
    take_turn_for_message_id,
)
from bot.indicators import record_event


class DeskRecords:
    """Rows every part of the desk reads or writes; clock and hours injectable."""

    def __init__(
        self,
        store: HandoverStore,
        now: Callable[[], datetime] = utcnow,
        hours: Callable[[str | None, datetime], LineHours] = line_hours,
    ) -> None:
        """Store, clock (UTC, naive) and the line's hours."""
        self.store = store
        self.now = now
        self.hours = hours

    def get(self, request_id: str) -> HandoverRequest | None:
        """A request by id (for the channels; advisers go through ``conversation``)."""
        with self.store.engine.connect() as db:
            row = db.execute(
                select(requests_table).where(requests_table.c.id == request_id)
            ).first()
        return HandoverRequest(**row._asdict()) if row else None

    def _insert(self, request: HandoverRequest) -> None:
        with self.store.engine.begin() as db:
            db.execute(requests_table.insert().values(**request.__dict__))

    def _finish(
        self,
        request: HandoverRequest,
        status: str,
        outcome: str,
        from_status: str,
        adviser: str | None,
    ) -> bool:
        """Move to a final state once (conditional update); write the statistics row."""
        now = self.now()
        purge_after = (
            now + timedelta(days=callback_retention_days())
            if request.kind == "callback"
            else None
        )
        with self.store.engine.begin() as db:
            changed = db.execute(
                update(requests_table)
                .where(
                    requests_table.c.id == request.id,
                    requests_table.c.status == from_status,
                )
                .values(
                    status=status,
                    outcome=outcome,
                    closed_at=now,
                    purge_after=purge_after,
                    adviser=adviser or request.adviser,
                )
            ).rowcount
            if not changed:
                return False
            profile = (request.snapshot or {}).get("profile") or {}
            started = request.taken_at or now
            db.execute(
                stats_table.insert().values(
                    kind=request.kind,
                    day=now.date(),
                    outcome=outcome,
                    wait_s=int(
                        ((request.taken_at or now) - request.created_at).total_seconds()
                    ),
                    handling_s=(
                        int((now - started).total_seconds())
                        if request.taken_at
                        else None
                    ),
                    public=str(profile.get("public") or ""),
                    need=str(profile.get("need") or ""),
                    channel=request.channel,
                )
            )
        request.status, request.outcome, request.closed_at = status, outcome, now
        record_event(
            "handover" if request.kind == "live" else "call_back",
            request.channel,
            outcome,
            day=now.date(),
            commune_insee=str(profile.get("commune_insee") or "") or None,
            region=request.region,
            public=str(profile.get("public") or ""),
            need=str(profile.get("need") or ""),
            wait_seconds=int(
                ((request.taken_at or now) - request.created_at).total_seconds()
            ),
        )
        return True

    def _add_message(
        self, request_id: str, who: str, first_name: str, text: str
    ) -> Message:
        at = self.now()
        with self.store.engine.begin() as db:
            take_turn_for_message_id(db)
            new_id = db.execute(
                messages_table.insert().values(
                    request_id=request_id,
                    who=who,
                    first_name=first_name,
                    text=text,
                    at=at,
                )
            ).inserted_primary_key[0]
        return Message(int(new_id), request_id, who, first_name, text, at)
