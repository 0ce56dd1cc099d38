"""The chat desk's rules: queue, availability, hand-over, call-backs, purge, statistics.

A *live* request waits in the queue until an adviser takes it; from then on the person's
messages go to that adviser only (the assistant stays silent) until the adviser hands
the conversation back to the assistant or closes it. A *call-back* request holds a phone
number or an e-mail given with explicit consent, a preferred slot and a short masked
note; its contact is erased ``SPRO_CALLBACK_RETENTION_DAYS`` (7) days after it is
closed.

An adviser sees the waiting queue and only the conversations they took: any other
conversation answers "introuvable", exactly like one that does not exist.
"""

from __future__ import annotations

import math
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update

from bot.conversation.channel_differences import HANDOVER_CHANNEL
from bot.db import token_hash
from bot.handover.callbacks import CallbackDesk
from bot.handover.retention import RetentionDesk
from bot.handover.rules import (
    ACTIVE,
    AUTOMATIC_OUTCOMES,
    CALLBACK_OUTCOMES,
    DEFAULT_HANDLING_MINUTES,
    LIVE_OUTCOMES,
    MAX_CAPACITY,
    NOT_FOUND,
    SLOTS,
    DeskError,
    callback_open_days,
    callback_retention_days,
    checked_text,
    database_url,
    presence_seconds,
)
from bot.handover.store import (
    AdviserState,
    HandoverRequest,
    HandoverStore,
    Message,
    advisers_table,
    messages_table,
    requests_table,
    stats_table,
)
from bot.lazy import Lazy
from bot.privacy import mask_personal_data

__all__ = [
    "AUTOMATIC_OUTCOMES",
    "CALLBACK_OUTCOMES",
    "LIVE_OUTCOMES",
    "SLOTS",
    "DeskError",
    "HandoverDesk",
    "callback_open_days",
    "callback_retention_days",
    "get_desk",
]


class HandoverDesk(CallbackDesk, RetentionDesk):
    """The desk's operations over a ``HandoverStore``; clock and hours injectable."""

    # Advisers -------------------------------------------------------------------------
    def set_availability(
        self, username: str, first_name: str, available: bool, capacity: int = 1
    ) -> AdviserState:
        """Disponible / en pause, and how many conversations at once (1 to 3)."""
        capacity = max(1, min(MAX_CAPACITY, int(capacity)))
        now = self.now()
        values = {
            "first_name": first_name[:64],
            "available": bool(available),
            "capacity": capacity,
            "seen_at": now,
        }
        with self.store.engine.begin() as db:
            changed = db.execute(
                update(advisers_table)
                .where(advisers_table.c.username == username)
                .values(values)
            ).rowcount
            if not changed:
                db.execute(advisers_table.insert().values(username=username, **values))
        return AdviserState(username, first_name[:64], bool(available), capacity, now)

    def seen(self, username: str) -> AdviserState | None:
        """Mark the adviser's console as present; their state (None if never set)."""
        with self.store.engine.begin() as db:
            db.execute(
                update(advisers_table)
                .where(advisers_table.c.username == username)
                .values(seen_at=self.now())
            )
            row = db.execute(
                select(advisers_table).where(advisers_table.c.username == username)
            ).first()
        return AdviserState(**row._asdict()) if row else None

    def _present_available(self, db: Any) -> list[Any]:
        limit = self.now() - timedelta(seconds=presence_seconds())
        return db.execute(
            select(advisers_table).where(
                advisers_table.c.available.is_(True),
                advisers_table.c.seen_at >= limit,
            )
        ).all()

    def _held_counts(self, db: Any) -> dict[str, int]:
        rows = db.execute(
            select(requests_table.c.adviser, func.count())
            .where(requests_table.c.status == "taken")
            .group_by(requests_table.c.adviser)
        ).all()
        return {str(adviser): int(n) for adviser, n in rows}

    # The public -----------------------------------------------------------------------
    def line_status(self, region: str | None) -> dict[str, Any]:
        """Whether a live hand-over is possible now, and what to tell the person."""
        hours = self.hours(region, self.now())
        with self.store.engine.connect() as db:
            advisers = len(self._present_available(db))
        return {
            "live": advisers > 0 and hours.open_now is not False,
            "advisers": advisers,
            "open_now": hours.open_now,
            "hours": hours.hours_text,
            "phone": hours.phone,
            "service_name": hours.service_name,
        }

    def request_live(
        self,
        sender_id: str,
        snapshot: dict[str, Any],
        region: str = "",
        channel: str = HANDOVER_CHANNEL,
    ) -> tuple[HandoverRequest, str]:
        """Join the queue (or find the person's request); return it and a new token.

        ``DeskError(409)`` when nobody can answer now: the person gets the call-back
        form.
        """
        existing = self.active_for_sender(sender_id)
        token = secrets.token_urlsafe(24)
        if existing is not None:
            with self.store.engine.begin() as db:
                db.execute(
                    update(requests_table)
                    .where(requests_table.c.id == existing.id)
                    .values(token_hash=token_hash(token))
                )
            existing.token_hash = token_hash(token)
            return existing, token
        if not self.line_status(region)["live"]:
            raise DeskError(
                409,
                "Aucun conseiller ni aucune conseillère n'est disponible "
                "pour le moment.",
            )
        request = HandoverRequest(
            id=secrets.token_urlsafe(16),
            kind="live",
            status="waiting",
            sender_id=sender_id,
            token_hash=token_hash(token),
            created_at=self.now(),
            region=region[:2],
            channel=channel[:32],
            snapshot=snapshot,
        )
        self._insert(request)
        return request, token

    def active_for_sender(self, sender_id: str) -> HandoverRequest | None:
        """The person's waiting or held live request, if any."""
        with self.store.engine.connect() as db:
            row = db.execute(
                select(requests_table)
                .where(
                    requests_table.c.sender_id == sender_id,
                    requests_table.c.kind == "live",
                    requests_table.c.status.in_(ACTIVE),
                )
                .order_by(requests_table.c.created_at.desc())
            ).first()
        return HandoverRequest(**row._asdict()) if row else None

    def by_token(self, token: str) -> HandoverRequest:
        """The live request a person's token opens, else ``DeskError(404)``."""
        with self.store.engine.connect() as db:
            row = db.execute(
                select(requests_table).where(
                    requests_table.c.token_hash == token_hash(str(token or "")),
                    requests_table.c.kind == "live",
                )
            ).first()
        if row is None:
            raise DeskError(404, NOT_FOUND)
        return HandoverRequest(**row._asdict())

    def position(self, request: HandoverRequest) -> int:
        """How many people wait before this request (0: next)."""
        with self.store.engine.connect() as db:
            return int(
                db.execute(
                    select(func.count()).where(
                        requests_table.c.kind == "live",
                        requests_table.c.status == "waiting",
                        requests_table.c.created_at < request.created_at,
                    )
                ).scalar_one()
            )

    def estimated_wait_minutes(self, ahead: int) -> int:
        """A rough wait: people ahead over the advisers' capacity, at the mean pace."""
        with self.store.engine.connect() as db:
            advisers = self._present_available(db)
            held = self._held_counts(db)
            mean = db.execute(
                select(func.avg(stats_table.c.handling_s)).where(
                    stats_table.c.kind == "live",
                    stats_table.c.handling_s.is_not(None),
                    stats_table.c.day >= (self.now() - timedelta(days=30)).date(),
                )
            ).scalar_one()
        capacity = sum(a.capacity for a in advisers)
        free = sum(max(0, a.capacity - held.get(a.username, 0)) for a in advisers)
        if ahead < free:
            return 1
        handling = float(mean) / 60 if mean else DEFAULT_HANDLING_MINUTES
        return max(1, math.ceil((ahead - free + 1) * handling / max(1, capacity)))

    def person_view(self, request: HandoverRequest) -> dict[str, Any]:
        """What the person's screen shows of their request."""
        view: dict[str, Any] = {"status": request.status}
        if request.status == "waiting":
            ahead = self.position(request)
            view.update(
                ahead=ahead,
                wait_minutes=self.estimated_wait_minutes(ahead),
                live=self.line_status(request.region)["live"],
            )
        if request.status == "taken":
            view["adviser"] = request.adviser_first_name or ""
        return view

    def person_message(self, request: HandoverRequest, text: Any) -> Message:
        """A message from the person (masked) while waiting or talking to an adviser."""
        if request.status not in ACTIVE:
            raise DeskError(409, "La conversation avec la personne est terminée.")
        return self._add_message(
            request.id, "person", "", mask_personal_data(checked_text(text))
        )

    def leave(self, request: HandoverRequest) -> None:
        """The person leaves the queue or the conversation."""
        outcome = "abandoned" if request.status == "waiting" else "ended_by_person"
        if request.status not in ACTIVE:
            return
        if self._finish(
            request,
            "left" if outcome == "abandoned" else "closed",
            outcome,
            from_status=request.status,
            adviser=request.adviser,
        ):
            self._add_message(
                request.id, "desk", "", "La personne a quitté la conversation."
            )

    def messages_after(
        self, request_id: str, after_id: int = 0, limit: int = 200
    ) -> list[Message]:
        """Messages of a conversation with an id above ``after_id``, oldest first."""
        with self.store.engine.connect() as db:
            rows = db.execute(
                select(messages_table)
                .where(
                    messages_table.c.request_id == request_id,
                    messages_table.c.id > after_id,
                )
                .order_by(messages_table.c.id)
                .limit(limit)
            ).all()
        return [Message(**row._asdict()) for row in rows]

    # The advisers' side ---------------------------------------------------------------
    def queue(self, username: str) -> list[HandoverRequest]:
        """Waiting live requests (oldest first), then the ones this adviser holds."""
        with self.store.engine.connect() as db:
            rows = db.execute(
                select(requests_table)
                .where(
                    requests_table.c.kind == "live",
                    or_(
                        requests_table.c.status == "waiting",
                        and_(
                            requests_table.c.status == "taken",
                            requests_table.c.adviser == username,
                        ),
                    ),
                )
                .order_by(requests_table.c.created_at)
            ).all()
        return [HandoverRequest(**row._asdict()) for row in rows]

    def conversation(self, request_id: str, username: str) -> HandoverRequest:
        """A waiting request or one this adviser holds; 404 for anything else."""
        request = self.get(request_id)
        if request is None or request.kind != "live":
            raise DeskError(404, NOT_FOUND)
        if request.status == "waiting" or request.adviser == username:
            return request
        raise DeskError(404, NOT_FOUND)

    def take(self, request_id: str, username: str) -> HandoverRequest:
        """Take a waiting conversation (only one adviser wins a race)."""
        with self.store.engine.begin() as db:
            # The adviser's row is locked (PostgreSQL) so that their takes run one
            # after the other; the count in the UPDATE holds on SQLite's single writer.
            me = db.execute(
                select(advisers_table)
                .where(advisers_table.c.username == username)
                .with_for_update()
            ).first()
            if me is None or not me.available:
                raise DeskError(
                    409, "Passez-vous « disponible » pour prendre une conversation."
                )
            if self._held_counts(db).get(username, 0) >= me.capacity:
                raise DeskError(
                    409,
                    "Vous tenez déjà le nombre de conversations choisi : "
                    "rendez ou clôturez-en une, ou augmentez ce nombre.",
                )
            taken = db.execute(
                update(requests_table)
                .where(
                    requests_table.c.id == request_id,
                    requests_table.c.kind == "live",
                    requests_table.c.status == "waiting",
                    held_by(username) < me.capacity,
                )
                .values(
                    status="taken",
                    adviser=username,
                    adviser_first_name=me.first_name,
                    taken_at=self.now(),
                )
            ).rowcount
        if not taken:
            raise DeskError(
                409,
                "Cette conversation n'est plus dans la file : une autre "
                "personne l'a prise, ou la personne est partie.",
            )
        request = self.conversation(request_id, username)
        self._add_message(
            request_id,
            "desk",
            "",
            f"{me.first_name} vous répond à la place de l'assistant.",
        )
        return request

    def adviser_message(self, request_id: str, username: str, text: Any) -> Message:
        """A message from the adviser holding the conversation (shown by first name)."""
        request = self.conversation(request_id, username)
        if request.status != "taken":
            raise DeskError(409, "Prenez la conversation avant d'écrire à la personne.")
        return self._add_message(
            request_id, "adviser", request.adviser_first_name or "", checked_text(text)
        )

    def hand_back(self, request_id: str, username: str) -> HandoverRequest:
        """Give the conversation back to the assistant."""
        request = self._held(request_id, username)
        if not self._finish(request, "returned", "handed_back", "taken", username):
            raise DeskError(409, "Cette conversation a déjà changé d'état.")
        self._add_message(
            request_id,
            "desk",
            "",
            "La conversation reprend avec l'assistant. Vous pouvez lui écrire.",
        )
        return request

    def close(self, request_id: str, username: str, outcome: str) -> HandoverRequest:
        """End the conversation with an outcome for the statistics."""
        if outcome not in LIVE_OUTCOMES:
            raise DeskError(422, "Choisissez l'issue de la conversation.")
        request = self._held(request_id, username)
        if not self._finish(request, "closed", outcome, "taken", username):
            raise DeskError(409, "Cette conversation a déjà changé d'état.")
        self._add_message(
            request_id,
            "desk",
            "",
            "La conversation avec le conseiller ou la conseillère est terminée. "
            "Merci. Vous pouvez continuer avec l'assistant.",
        )
        return request

    def _held(self, request_id: str, username: str) -> HandoverRequest:
        request = self.conversation(request_id, username)
        if request.status != "taken":
            raise DeskError(409, "Prenez d'abord la conversation.")
        return request


def held_by(username: str) -> Any:
    """SQL: the number of conversations ``username`` holds, read by the statement."""
    held = requests_table.alias("held")
    return (
        select(func.count())
        .select_from(held)
        .where(held.c.status == "taken", held.c.adviser == username)
        .scalar_subquery()
    )


_DESK: Lazy[HandoverDesk] = Lazy(lambda: HandoverDesk(HandoverStore(database_url())))


def get_desk() -> HandoverDesk:
    """The shared desk of this process, built on first use from ``database_url()``."""
    return _DESK.get()
