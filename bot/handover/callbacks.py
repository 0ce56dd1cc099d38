"""Call-back requests: recorded with explicit consent, listed, closed with an outcome.

The contact (a checked phone number or e-mail) is kept until the retention period
after closing has passed, and never longer than ``callback_open_days`` after the
request when nobody closes it (``bot.handover.retention`` erases it).
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.conversation.channel_differences import HANDOVER_CHANNEL
from bot.db import token_hash
from bot.handover.records import DeskRecords
from bot.handover.rules import (
    CALLBACK_OUTCOMES,
    MAX_NOTE,
    SLOTS,
    DeskError,
    callback_open_days,
    normalise_contact,
)
from bot.handover.store import HandoverRequest, requests_table
from bot.privacy import mask_personal_data


class CallbackDesk(DeskRecords):
    """The desk's call-back requests."""

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
        channel: str = HANDOVER_CHANNEL,
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
        created_at = self.now()
        request = HandoverRequest(
            id=secrets.token_urlsafe(16),
            kind="callback",
            status="open",
            sender_id=sender_id,
            token_hash=token_hash(secrets.token_urlsafe(24)),
            created_at=created_at,
            region=region[:2],
            channel=channel[:32],
            snapshot=snapshot,
            consent=True,
            contact_kind=contact_kind,
            contact=value,
            slot=slot,
            note=mask_personal_data(note),
            purge_after=created_at + timedelta(days=callback_open_days()),
        )
        self._insert(request)
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
