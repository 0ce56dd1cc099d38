"""The desk's retention and anonymous statistics.

``purge`` erases expired call-back contacts and deletes old finished conversations;
``statistics`` counts the finished requests per kind and outcome, with the mean wait.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update

from bot import config
from bot.handover.records import DeskRecords
from bot.handover.store import messages_table, requests_table, stats_table


class RetentionDesk(DeskRecords):
    """Purge and statistics of the desk."""

    def purge(self) -> dict[str, int]:
        """Erase expired call-back contacts and old finished conversations."""
        now = self.now()
        old = now - timedelta(days=config.conversation_retention_days())
        with self.store.engine.begin() as db:
            contacts = db.execute(
                update(requests_table)
                .where(
                    requests_table.c.kind == "callback",
                    requests_table.c.purge_after <= now,
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
