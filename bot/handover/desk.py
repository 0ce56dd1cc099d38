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
import os
import re
import secrets
import threading
from datetime import date, datetime, timedelta
from typing import Any, Callable

from sqlalchemy import and_, delete, func, or_, select, update

from bot import config
from bot.handover.line import LineHours, line_hours
from bot.handover.store import (
    AdviserState,
    HandoverRequest,
    HandoverStore,
    Message,
    advisers_table,
    messages_table,
    requests_table,
    stats_table,
    token_hash,
    utcnow,
)
from bot.indicators import record_event
from bot.privacy import mask_personal_data

LIVE_OUTCOMES = {
    "oriented": "Personne orientée vers une deuxième porte",
    "information": "Information donnée",
    "call_back": "À rappeler",
    "out_of_scope": "Hors du champ de l'orientation",
}
# Outcomes the desk records by itself.
AUTOMATIC_OUTCOMES = {
    "handed_back": "Rendue à l'assistant",
    "abandoned": "La personne a quitté la file",
    "ended_by_person": "La personne a quitté la conversation",
}
CALLBACK_OUTCOMES = {
    "reached": "Personne recontactée",
    "no_answer": "Pas de réponse après plusieurs essais",
    "cancelled": "Demande sans objet ou annulée",
}
SLOTS = {
    "morning": "Le matin",
    "midday": "Entre midi et deux",
    "afternoon": "L'après-midi",
    "any": "Peu importe",
}
CONTACT_KINDS = ("phone", "email")
MAX_TEXT = 2000
MAX_NOTE = 500
MAX_CAPACITY = 3
DEFAULT_HANDLING_MINUTES = 6.0  # rough mean until the desk has its own statistics

_PHONE = re.compile(r"^(?:\+33|0033|0)[1-9]\d{8}$")
_EMAIL = re.compile(r"^[^\s@<>\"]{1,64}@[^\s@<>\".]+(?:\.[^\s@<>\".]+)+$")

NOT_FOUND = "Conversation introuvable."
ACTIVE = ("waiting", "taken")


def database_url() -> str:
    """SQLAlchemy URL of the desk (default: the console's database)."""
    return os.environ.get("SPRO_HANDOVER_DATABASE_URL") or config.console_database_url()


def callback_retention_days() -> float:
    """Days a call-back's contact data is kept after the request is closed."""
    return float(os.environ.get("SPRO_CALLBACK_RETENTION_DAYS", "7"))


def presence_seconds() -> float:
    """Seconds after which an adviser's silent console no longer counts as available."""
    return float(os.environ.get("SPRO_HANDOVER_PRESENCE_SECONDS", "90"))


class DeskError(Exception):
    """A refused operation: an HTTP-like status and a French message."""

    def __init__(self, status: int, message: str) -> None:
        """Status (404, 409, 422…) and the French message shown."""
        super().__init__(message)
        self.status = status
        self.message = message


def normalise_contact(kind: str, value: str) -> str:
    """A checked phone number (digits) or e-mail; ``DeskError(422)`` in French."""
    value = str(value or "").strip()
    if kind == "phone":
        digits = re.sub(r"[\s.()-]", "", value)
        if not _PHONE.match(digits):
            raise DeskError(
                422,
                "Ce numéro de téléphone n'est pas valide : écrivez-le par "
                "exemple 06 12 34 56 78.",
            )
        return digits
    if kind == "email":
        if len(value) > 200 or not _EMAIL.match(value):
            raise DeskError(
                422,
                "Cette adresse électronique n'est pas valide : écrivez-la "
                "par exemple prenom@exemple.fr.",
            )
        return value
    raise DeskError(
        422, "Choisissez d'être recontacté·e par téléphone ou par courriel."
    )


def checked_text(text: Any, limit: int = MAX_TEXT) -> str:
    """A non-empty message under ``limit`` characters, else ``DeskError(422)``."""
    value = str(text or "").strip()
    if not value:
        raise DeskError(422, "Le message est vide.")
    if len(value) > limit:
        raise DeskError(422, f"{limit} caractères au plus par message.")
    return value


class HandoverDesk:
    """The desk's operations over a ``HandoverStore``; clock and hours injectable."""

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
        channel: str = "webchat",
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

    def request_callback(
        self,
        sender_id: str,
        snapshot: dict[str, Any],
        *,
        consent: object,
        contact_kind: str,
        contact: str,
        slot: str,
        note: str = "",
        region: str = "",
        channel: str = "webchat",
    ) -> HandoverRequest:
        """Record a call-back request; refused without explicit consent."""
        if consent is not True:
            raise DeskError(
                422,
                "Pour être recontacté·e, cochez la case d'accord : sans "
                "elle, nous ne gardons pas vos coordonnées.",
            )
        value = normalise_contact(contact_kind, contact)
        if slot not in SLOTS:
            raise DeskError(422, "Choisissez un moment dans la liste.")
        note = str(note or "").strip()
        if len(note) > MAX_NOTE:
            raise DeskError(422, f"Le message est limité à {MAX_NOTE} caractères.")
        request = HandoverRequest(
            id=secrets.token_urlsafe(16),
            kind="callback",
            status="open",
            sender_id=sender_id,
            token_hash=token_hash(secrets.token_urlsafe(24)),
            created_at=self.now(),
            region=region[:2],
            channel=channel[:32],
            snapshot=snapshot,
            consent=True,
            contact_kind=contact_kind,
            contact=value,
            slot=slot,
            note=mask_personal_data(note),
        )
        self._insert(request)
        return request

    def _insert(self, request: HandoverRequest) -> None:
        with self.store.engine.begin() as db:
            db.execute(requests_table.insert().values(**request.__dict__))

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

    def get(self, request_id: str) -> HandoverRequest | None:
        """A request by id (for the channels; advisers go through ``conversation``)."""
        with self.store.engine.connect() as db:
            row = db.execute(
                select(requests_table).where(requests_table.c.id == request_id)
            ).first()
        return HandoverRequest(**row._asdict()) if row else None

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
            me = db.execute(
                select(advisers_table).where(advisers_table.c.username == username)
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

    def callbacks(self) -> list[HandoverRequest]:
        """Open call-back requests, oldest first (every signed-in adviser sees them)."""
        with self.store.engine.connect() as db:
            rows = db.execute(
                select(requests_table)
                .where(
                    requests_table.c.kind == "callback",
                    requests_table.c.status == "open",
                )
                .order_by(requests_table.c.created_at)
            ).all()
        return [HandoverRequest(**row._asdict()) for row in rows]

    def close_callback(
        self, request_id: str, username: str, outcome: str
    ) -> HandoverRequest:
        """Mark a call-back done; its contact is kept for the retention period only."""
        if outcome not in CALLBACK_OUTCOMES:
            raise DeskError(422, "Choisissez l'issue du rappel.")
        request = self.get(request_id)
        if request is None or request.kind != "callback":
            raise DeskError(404, "Demande de rappel introuvable.")
        if not self._finish(request, "done", outcome, "open", username):
            raise DeskError(409, "Cette demande de rappel est déjà close.")
        return request

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

    # Retention and statistics ---------------------------------------------------------
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


_DESK: HandoverDesk | None = None
_LOCK = threading.Lock()


def get_desk() -> HandoverDesk:
    """The shared desk of this process, built on first use from ``database_url()``."""
    global _DESK
    if _DESK is None:
        with _LOCK:
            if _DESK is None:
                _DESK = HandoverDesk(HandoverStore(database_url()))
    return _DESK
