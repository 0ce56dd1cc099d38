"""The review inbox: the public's messages worth a look, and how the page reads them.

A message is proposed when the assistant did not understand it (``nlu_fallback``),
understood it with low confidence, when the person answered « Non » to « Cette réponse
vous aide-t-elle ? » (the last typed message before), or when the conversation ended
with a hand-over (the last typed message before it). The conversations are cut into
sessions and located exactly as the indicators do (``bot.indicators.derive``).

The proposed messages are derived once, incrementally, into tables beside Rasa's
``events`` in the tracker store (``bot.review.inbox_derivation``), so the page is a
query: filters, grouping by simplified text with counts, one page of groups; the
conversation around a message is read from the tracker store only when staff open it.
The purge of conversations deletes their derived rows too. Texts are stored masked
(``bot.privacy``) and masked again here. Texts already labelled
(``bot.review.labelling``) are never proposed again.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any, Collection, Iterable, Iterator

from sqlalchemy import (
    Column,
    Date,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    func,
    inspect,
    select,
)
from sqlalchemy.engine import Connection

from bot import config
from bot.indicators.derive import Session, split_sessions
from bot.privacy import mask_personal_data
from bot.text import simplify

log = logging.getLogger(__name__)

REASONS = {
    "not_understood": "Message non compris",
    "low_confidence": "Compris avec peu d'assurance",
    "out_of_scope": "Jugé hors champ (la personne a été renvoyée ailleurs)",
    "feedback_no": "Réponse « Non » à « Cette réponse vous aide-t-elle ? »",
    "handover": "Conversation passée à une personne",
}
FALLBACK_INTENT = "nlu_fallback"
# Answered « hors champ »: a person wrongly turned away is worth a look.
OUT_OF_SCOPE_INTENT = "out_of_scope"
# Below this confidence an understood message is proposed (the fallback is at 0.45).
LOW_CONFIDENCE = 0.7
# Messages shown around the proposed one, on each side.
CONTEXT = 2
HANDOVER_ACTION = "action_talk_to_human"
# Groups shown on one page of the inbox.
PAGE_SIZE = 50

metadata = MetaData()

# One row per conversation (Rasa session) where the person wrote: what the minimum
# cell of a territory counts. Keyed by the tracker's ids: deleted with the conversation.
conversations_table = Table(
    "review_conversations",
    metadata,
    Column("sender_id", String(255), primary_key=True),
    Column("first_event", Integer, primary_key=True),  # events.id opening the session
    Column("day", Date, nullable=False, index=True),
    Column("channel", String(16), nullable=False),
    Column("region", String(3), nullable=False),
    Column("departement", String(3), nullable=False),
)

# One row per proposed message, located as its conversation; masked text only.
messages_table = Table(
    "review_messages",
    metadata,
    Column("event_id", Integer, primary_key=True, autoincrement=False),  # events.id
    Column("sender_id", String(255), nullable=False, index=True),
    Column("day", Date, nullable=False, index=True),
    Column("channel", String(16), nullable=False),
    Column("region", String(3), nullable=False),
    Column("departement", String(3), nullable=False),
    Column("reason", String(16), nullable=False),
    Column("key", Text, nullable=False),  # group_key of the masked text
    Column("text", Text, nullable=False),
    Column("intent", String(128), nullable=False),
    Column("confidence", Float, nullable=False),
    Column("entities", Text, nullable=False),  # JSON [[entity, masked value], ...]
)

# The derivation's runs, by the tracker's event ids (bot/review/inbox_derivation.py):
# the unique start makes two instances deriving at once write a window only once.
windows_table = Table(
    "review_windows",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("after_event", Integer, nullable=False, unique=True),
    Column("last_event", Integer, nullable=False),
    Column("derived_at", Float, nullable=False),  # epoch seconds
    Column("messages", Integer, nullable=False),
)


@dataclass(frozen=True)
class InboxFilters:
    """What the inbox shows: days (Paris time), channel, territory, reason."""

    start: date
    end: date
    channel: str = ""
    region: str = ""
    departement: str = ""
    reason: str = ""


@dataclass(frozen=True)
class Group:
    """Messages of the same simplified text: count, reasons, prediction."""

    key: str
    text: str  # the first message's masked text
    count: int
    reasons: tuple[str, ...]  # codes, most frequent first
    intent: str  # what the model predicted most often
    confidence: float  # the model's mean confidence
    entities: tuple[tuple[str, str], ...]  # (entity, masked value), sorted
    first: int  # tracker event id of the first message (its conversation on demand)


@dataclass(frozen=True)
class Inbox:
    """One page of groups, or why none is shown (too few conversations there).

    ``context`` is the masked conversation around the first message of the group
    whose ``first`` is ``opened`` (« person » or « assistant », text).
    """

    groups: list[Group]
    total: int  # groups in all pages
    conversations: int
    min_cell: int
    hidden: bool = False
    page: int = 1
    opened: int = 0
    context: tuple[tuple[str, str], ...] = ()

    @property
    def offset(self) -> int:
        """How many groups come before this page."""
        return (self.page - 1) * PAGE_SIZE

    @property
    def pages(self) -> int:
        """Number of pages (at least one)."""
        return max(1, -(-self.total // PAGE_SIZE))


def group_key(text: str) -> str:
    """Lower case, no accents or punctuation, single spaces."""
    return simplify(text).strip()


def typed(event: dict[str, Any]) -> bool:
    """A message the person typed (not a button's ``/intent`` payload)."""
    text = str(event.get("text") or "").strip()
    return event.get("event") == "user" and bool(text) and not text.startswith("/")


def prediction(
    event: dict[str, Any],
) -> tuple[str, float, tuple[tuple[str, str], ...]]:
    """Intent, confidence and entities (values masked) of a user event."""
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


def reasons_by_index(session: Session) -> dict[int, str]:
    """Index in the session of each proposed user event -> its reason."""
    events = session.events
    found: dict[int, str] = {}
    last_typed: int | None = None
    for index, event in enumerate(events):
        if typed(event):
            last_typed = index
            intent, confidence, _ = prediction(event)
            if intent == FALLBACK_INTENT:
                found[index] = "not_understood"
            elif intent == OUT_OF_SCOPE_INTENT:
                found[index] = "out_of_scope"
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


def context_of(events: list[dict[str, Any]], index: int) -> tuple[tuple[str, str], ...]:
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


def sessions_with_ids(
    rows: Iterable[tuple[int, str]],
) -> Iterator[tuple[Session, list[int]]]:
    """A sender's (events.id, JSON data) rows, in order, cut into sessions with ids.

    Unreadable events are skipped, as the indicators do.
    """
    ids: list[int] = []
    events: list[dict[str, Any]] = []
    for row_id, data in rows:
        try:
            event = json.loads(data)
        except (TypeError, ValueError):
            log.warning("review: an unreadable event was skipped")
            continue
        ids.append(int(row_id))
        events.append(event)
    offset = 0
    for session in split_sessions(events):
        yield session, ids[offset : offset + len(session.events)]
        offset += len(session.events)


def _place(table: Table, filters: InboxFilters) -> list[Any]:
    """The period, channel and territory of ``filters`` on a derived table."""
    clauses = [table.c.day >= filters.start, table.c.day <= filters.end]
    for name in ("channel", "region", "departement"):
        wanted = getattr(filters, name)
        if wanted:
            clauses.append(table.c[name] == wanted)
    return clauses


def _details(
    connection: Connection, where: list[Any], shown: list[tuple[str, int, float, int]]
) -> list[Group]:
    """Reasons, intents, entities and first text of the groups ``shown``."""
    table = messages_table
    keys = [key for key, *_ in shown]
    rows = connection.execute(
        select(
            table.c.key,
            table.c.reason,
            table.c.intent,
            table.c.entities,
            func.count(),
            func.min(table.c.event_id).label("first"),
        )
        .where(*where, table.c.key.in_(keys))
        .group_by(table.c.key, table.c.reason, table.c.intent, table.c.entities)
        .order_by("first")
    ).all()
    reasons: dict[str, Counter[str]] = {key: Counter() for key in keys}
    intents: dict[str, Counter[str]] = {key: Counter() for key in keys}
    entities: dict[str, set[tuple[str, str]]] = {key: set() for key in keys}
    for key, reason, intent, found, count, _ in rows:
        reasons[key][reason] += count
        intents[key][intent] += count
        entities[key].update((str(e), str(v)) for e, v in json.loads(found))
    texts = dict(
        connection.execute(
            select(table.c.event_id, table.c.text).where(
                table.c.event_id.in_([first for *_, first in shown])
            )
        ).all()
    )
    return [
        Group(
            key=key,
            text=mask_personal_data(texts[first]),
            count=count,
            reasons=tuple(r for r, _ in reasons[key].most_common()),
            intent=intents[key].most_common(1)[0][0],
            confidence=round(float(confidence), 3),
            entities=tuple(sorted(entities[key])),
            first=first,
        )
        for key, count, confidence, first in shown
    ]


def conversation_context(
    connection: Connection, event_id: int
) -> tuple[tuple[str, str], ...]:
    """The masked conversation around the user event ``event_id`` (tracker store)."""
    events = Table("events", MetaData(), autoload_with=connection)
    sender = connection.execute(
        select(events.c.sender_id).where(events.c.id == event_id)
    ).scalar()
    if sender is None:  # purged meanwhile
        return ()
    rows = connection.execute(
        select(events.c.id, events.c.data)
        .where(events.c.sender_id == sender)
        .order_by(events.c.id)
    ).all()
    for session, ids in sessions_with_ids(rows):
        if event_id in ids:
            return context_of(session.events, ids.index(event_id))
    return ()


def read_inbox(
    connection: Connection,
    filters: InboxFilters,
    labelled: Collection[str] = (),
    page: int = 1,
    opened: int = 0,
    min_cell: int | None = None,
) -> Inbox:
    """One page of the groups of ``filters``, largest first, from the derived tables.

    With a territory chosen, nothing is shown when it had fewer than ``min_cell``
    conversations in the period (the indicators' rule: a few conversations of a small
    territory could be recognised). ``opened``: the first message of a group shown,
    whose conversation is read from the tracker store.
    """
    min_cell = config.indicators_min_cell() if min_cell is None else min_cell
    conversations = int(
        connection.execute(
            select(func.count())
            .select_from(conversations_table)
            .where(*_place(conversations_table, filters))
        ).scalar_one()
    )
    if (filters.region or filters.departement) and conversations < min_cell:
        return Inbox([], 0, conversations, min_cell, hidden=True)
    table = messages_table
    where = _place(table, filters)
    if filters.reason:
        where.append(table.c.reason == filters.reason)
    groups = sorted(
        (
            (key, int(count), float(confidence), int(first))
            for key, count, confidence, first in connection.execute(
                select(
                    table.c.key,
                    func.count(),
                    func.avg(table.c.confidence),
                    func.min(table.c.event_id),
                )
                .where(*where)
                .group_by(table.c.key)
            )
            if key not in labelled
        ),
        key=lambda group: (-group[1], group[0]),
    )
    pages = max(1, -(-len(groups) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    shown = groups[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    found = _details(connection, where, shown) if shown else []
    opened = opened if any(g.first == opened for g in found) else 0
    context = conversation_context(connection, opened) if opened else ()
    return Inbox(
        found, len(groups), conversations, min_cell, False, page, opened, context
    )


def inbox(
    tracker_url: str,
    filters: InboxFilters,
    labelled: Collection[str] = (),
    page: int = 1,
    opened: int = 0,
) -> Inbox:
    """The inbox of ``filters`` as derived in the tracker store at ``tracker_url``.

    Derive first (``bot.review.inbox_derivation.derive_inbox``) to see the latest
    messages.
    """
    engine = create_engine(tracker_url, future=True)
    try:
        if not inspect(engine).has_table(messages_table.name):
            return Inbox([], 0, 0, config.indicators_min_cell())
        with engine.connect() as connection:
            return read_inbox(connection, filters, labelled, page, opened)
    finally:
        engine.dispose()
