"""The review inbox: the public's messages worth a look, read from the tracker store.

A message is proposed when the assistant did not understand it (``nlu_fallback``),
understood it with low confidence, when the person answered « Non » to « Cette réponse
vous aide-t-elle ? » (the last typed message before), or when the conversation ended
with a hand-over (the last typed message before it). The conversations are read and
cut into sessions exactly as the indicators do (``bot.indicators.derive``), so a
message leaves the inbox when its conversation is purged. Texts are stored masked
(``bot.privacy``) and masked again here; messages with the same simplified text are
grouped with their count. Texts already labelled (``bot.review.labelling``) are never
proposed again.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as day_time
from typing import Any, Collection, Iterable

from sqlalchemy import create_engine

from bot import config
from bot.indicators.derive import (
    PARIS,
    Session,
    _event_rows,
    record_from_session,
    split_sessions,
)
from bot.indicators.store import IndicatorRecord
from bot.privacy import mask_personal_data
from bot.text import simplify

REASONS = {
    "not_understood": "Message non compris",
    "low_confidence": "Compris avec peu d'assurance",
    "feedback_no": "Réponse « Non » à « Cette réponse vous aide-t-elle ? »",
    "handover": "Conversation passée à une personne",
}
FALLBACK_INTENT = "nlu_fallback"
# Below this confidence an understood message is proposed (the fallback is at 0.45).
LOW_CONFIDENCE = 0.7
# Messages shown around the proposed one, on each side.
CONTEXT = 2
HANDOVER_ACTION = "action_talk_to_human"


@dataclass(frozen=True)
class InboxFilters:
    """What the inbox shows: days (Paris time), channel, territory, reason."""

    start: date
    end: date
    channel: str = ""
    region: str = ""
    departement: str = ""
    reason: str = ""

    def bounds(self) -> tuple[float, float]:
        """The period as epoch seconds (first day's midnight to the day after end)."""
        first = datetime.combine(self.start, day_time(), PARIS).timestamp()
        after = datetime.combine(self.end + timedelta(days=1), day_time(), PARIS)
        return first, after.timestamp()


@dataclass(frozen=True)
class Message:
    """One proposed message: masked text, why, what the model predicted, context."""

    text: str
    reason: str
    intent: str
    confidence: float
    entities: tuple[tuple[str, str], ...]
    context: tuple[tuple[str, str], ...]  # (« person » or « assistant », masked text)
    day: date
    channel: str

    @property
    def key(self) -> str:
        """What groups similar messages: the simplified text."""
        return group_key(self.text)


@dataclass
class Group:
    """Messages of the same simplified text, with their count and reasons."""

    key: str
    text: str
    messages: list[Message] = field(default_factory=list)

    @property
    def count(self) -> int:
        """How many messages."""
        return len(self.messages)

    @property
    def reasons(self) -> list[str]:
        """The reasons' codes, most frequent first."""
        return [r for r, _ in Counter(m.reason for m in self.messages).most_common()]

    @property
    def intent(self) -> str:
        """The intent the model predicted most often."""
        return Counter(m.intent for m in self.messages).most_common(1)[0][0]

    @property
    def confidence(self) -> float:
        """The mean confidence of the model."""
        return sum(m.confidence for m in self.messages) / len(self.messages)


@dataclass(frozen=True)
class Inbox:
    """The groups shown, or why none is (too few conversations in the territory)."""

    groups: list[Group]
    conversations: int
    min_cell: int
    hidden: bool = False


def group_key(text: str) -> str:
    """Lower case, no accents or punctuation, single spaces."""
    return simplify(text).strip()


def _typed(event: dict[str, Any]) -> bool:
    """A message the person typed (not a button's ``/intent`` payload)."""
    text = str(event.get("text") or "").strip()
    return event.get("event") == "user" and bool(text) and not text.startswith("/")


def _prediction(
    event: dict[str, Any],
) -> tuple[str, float, tuple[tuple[str, str], ...]]:
    """Intent, confidence and entities of a user event's ``parse_data``."""
    parse = event.get("parse_data") or {}
    intent = parse.get("intent") or {}
    entities = tuple(
        (str(e.get("entity")), mask_personal_data(str(e.get("value"))))
        for e in parse.get("entities") or []
        if isinstance(e, dict) and e.get("entity") and e.get("value") is not None
    )
    return (
        str(intent.get("name") or ""),
        float(intent.get("confidence") or 0.0),
        entities,
    )


def _reasons_by_index(session: Session) -> dict[int, str]:
    """Index in the session of each proposed user event -> its reason."""
    events = session.events
    found: dict[int, str] = {}
    last_typed: int | None = None
    for index, event in enumerate(events):
        if _typed(event):
            last_typed = index
            intent, confidence, _ = _prediction(event)
            if intent == FALLBACK_INTENT:
                found[index] = "not_understood"
            elif intent and confidence < LOW_CONFIDENCE:
                found[index] = "low_confidence"
        elif (
            event.get("event") == "slot"
            and event.get("name") == "feedback"
            and event.get("value") == "non"
            and last_typed is not None
        ):
            found.setdefault(last_typed, "feedback_no")
        elif (
            event.get("event") == "action"
            and event.get("name") == HANDOVER_ACTION
            and last_typed is not None
        ):
            found.setdefault(last_typed, "handover")
    return found


def _context(events: list[dict[str, Any]], index: int) -> tuple[tuple[str, str], ...]:
    """Up to ``CONTEXT`` messages before and after ``index``, masked."""
    said = [
        (i, "person" if e.get("event") == "user" else "assistant")
        for i, e in enumerate(events)
        if e.get("event") in ("user", "bot") and str(e.get("text") or "").strip()
    ]
    where = next(n for n, (i, _) in enumerate(said) if i == index)
    around = said[max(0, where - CONTEXT) : where + CONTEXT + 1]
    return tuple(
        (who, mask_personal_data(str(events[i]["text"]).strip())) for i, who in around
    )


def messages_of(session: Session, record: IndicatorRecord) -> list[Message]:
    """The proposed messages of one session (masked), in order."""
    proposed = []
    for index, reason in sorted(_reasons_by_index(session).items()):
        event = session.events[index]
        intent, confidence, entities = _prediction(event)
        proposed.append(
            Message(
                text=mask_personal_data(str(event["text"]).strip()),
                reason=reason,
                intent=intent,
                confidence=round(confidence, 3),
                entities=entities,
                context=_context(session.events, index),
                day=record.day,
                channel=record.channel,
            )
        )
    return proposed


def _wanted(record: IndicatorRecord, filters: InboxFilters) -> bool:
    """Whether a conversation is in the filters' period, channel and territory."""
    return filters.start <= record.day <= filters.end and all(
        not wanted or value == wanted
        for value, wanted in (
            (record.channel, filters.channel),
            (record.region, filters.region),
            (record.departement, filters.departement),
        )
    )


def build_inbox(
    sessions: Iterable[Session],
    filters: InboxFilters,
    labelled: Collection[str] = (),
    min_cell: int | None = None,
) -> Inbox:
    """Groups of the sessions' proposed messages, largest first.

    With a territory chosen, nothing is shown when it had fewer than ``min_cell``
    conversations in the period (the indicators' rule: a few conversations of a small
    territory could be recognised).
    """
    min_cell = config.indicators_min_cell() if min_cell is None else min_cell
    groups: dict[str, Group] = {}
    conversations = 0
    for session in sessions:
        record = record_from_session(session)
        if record is None or not _wanted(record, filters):
            continue
        conversations += 1
        for message in messages_of(session, record):
            if filters.reason and message.reason != filters.reason:
                continue
            if not message.key or message.key in labelled:
                continue
            group = groups.setdefault(message.key, Group(message.key, message.text))
            group.messages.append(message)
    if (filters.region or filters.departement) and conversations < min_cell:
        return Inbox([], conversations, min_cell, hidden=True)
    ordered = sorted(groups.values(), key=lambda g: (-g.count, g.key))
    return Inbox(ordered, conversations, min_cell)


def read_sessions(tracker_url: str, filters: InboxFilters) -> list[Session]:
    """The sessions of the conversations with events in the period."""
    first, after = filters.bounds()
    engine = create_engine(tracker_url, future=True)
    try:
        return [
            session
            for events in _event_rows(engine, first - 1, min(after, time.time() + 1))
            for session in split_sessions(events)
        ]
    finally:
        engine.dispose()


def inbox(
    tracker_url: str, filters: InboxFilters, labelled: Collection[str] = ()
) -> Inbox:
    """The inbox of ``filters`` from the tracker store at ``tracker_url``."""
    return build_inbox(read_sessions(tracker_url, filters), filters, labelled)
