"""The desk's retention and anonymous statistics.

``purge`` erases expired call-back contacts (closed ones after the retention period,
unanswered ones ``callback_open_days`` after the request, closed then as "expired") and
deletes old finished conversations;
``statistics`` counts the finished requests per kind and outcome, with the mean wait.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update

from bot import config
from bot.handover.records import DeskRecords
from bot.handover.rules import callback_open_days
from bot.handover.store import (
    HandoverRequest,
    messages_table,
    requests_table,
    stats_table,
)


class RetentionDesk(DeskRecords):
    """Purge and statistics of the desk."""

    def purge(self) -> dict[str, int]:
        """Erase expired call-back contacts and old finished conversations."""
        now = self.now()
        old = now - timedelta(days=config.conversation_retention_days())
        expired = self._expire_unanswered_callbacks(now)
        with self.store.engine.begin() as db:
            contacts = db.execute(
                update(requests_table)
                .where(
                    requests_table.c.kind == "callback",
                    or_(
                        requests_table.c.purge_after <= now,
                        requests_table.c.id.in_(expired),
                    ),
                    requests_table.c.contact.is_not(None),
                )
                .values(contact=None, contact_kind=None, note="")
            ).rowcount
            finished = [
                r
                for (r,) in db.execute(
                    select(requests_table.c.id).where(
                        requests_table.c.status.not_in(("waiting", "taken", "open")),
                        requests_table.c.closed_at < old,
                    )
                ).all()
            ]
            if finished:
                db.execute(
                    delete(messages_table).where(
                        messages_table.c.request_id.in_(finished)
                    )
                )
                db.execute(
                    delete(requests_table).where(requests_table.c.id.in_(finished))
                )
        return {"contacts": contacts, "conversations": len(finished)}

    def _expire_unanswered_callbacks(self, now: datetime) -> list[str]:
        """Close, as "expired", the open call-backs past their time; their ids.

        A request recorded before its ``purge_after`` was set at creation is expired
        ``callback_open_days`` after it was made.
        """
        oldest = now - timedelta(days=callback_open_days())
        with self.store.engine.connect() as db:
            rows = db.execute(
                select(requests_table).where(
                    requests_table.c.kind == "callback",
                    requests_table.c.status == "open",
                    or_(
                        requests_table.c.purge_after <= now,
                        and_(
                            requests_table.c.purge_after.is_(None),
                            requests_table.c.created_at <= oldest,
                        ),
                    ),
                )
            ).all()
        return [
            row.id
            for row in rows
            if self._finish(
                HandoverRequest(**row._asdict()), "done", "expired", "open", None
            )
        ]

    def statistics(self, since: date | None = None) -> list[dict[str, Any]]:
        """Per kind and outcome: count and mean wait in seconds (anonymous rows)."""
        query = select(
            stats_table.c.kind,
            stats_table.c.outcome,
            func.count(),
            func.avg(stats_table.c.wait_s),
        ).group_by(stats_table.c.kind, stats_table.c.outcome)
        if since is not None:
            query = query.where(stats_table.c.day >= since)
        with self.store.engine.connect() as db:
            rows = db.execute(query).all()
        return [
            {
                "kind": kind,
                "outcome": outcome,
                "count": int(n),
                "mean_wait_s": round(float(wait or 0)),
            }
            for kind, outcome, n, wait in rows
        ]
