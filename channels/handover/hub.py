"""New desk messages pushed to open event streams: one database poller per instance.

Every message of a held conversation is a row of ``handover_messages`` (written by any
instance). Each instance runs one small task that reads the rows above the last id it
saw every ``POLL_SECONDS`` and hands them to the streams of this instance that follow
that conversation: one query per tick whatever the number of open streams, and no
message is lost across instances because the database is the only source.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from typing import Any, Callable

from sanic.request import Request
from sqlalchemy import func, select

from bot.handover.desk import HandoverDesk
from bot.handover.store import Message, messages_table

log = logging.getLogger(__name__)
POLL_SECONDS = 0.2
STREAM_SECONDS = 300.0
STATE_REFRESH_SECONDS = 5.0
SSE_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}


class MessageHub:
    """Subscriptions of this instance's streams to conversations' new messages."""

    def __init__(self, desk: HandoverDesk, poll_seconds: float = POLL_SECONDS) -> None:
        """The desk whose database is polled, and the polling interval."""
        self.desk = desk
        self.poll_seconds = poll_seconds
        self._queues: dict[str, set[asyncio.Queue[Message]]] = defaultdict(set)
        self._task: asyncio.Task[Any] | None = None
        self._last_id = 0

    def subscribe(self, request_id: str) -> asyncio.Queue[Message]:
        """A queue receiving the conversation's messages written from now on."""
        queue: asyncio.Queue[Message] = asyncio.Queue()
        self._queues[request_id].add(queue)
        if self._task is None or self._task.done():
            self._last_id = self._max_id()
            self._task = asyncio.get_running_loop().create_task(self._poll())
        return queue

    def unsubscribe(self, request_id: str, queue: asyncio.Queue[Message]) -> None:
        """Stop delivering to ``queue``."""
        queues = self._queues.get(request_id)
        if queues is not None:
            queues.discard(queue)
            if not queues:
                del self._queues[request_id]

    def _max_id(self) -> int:
        with self.desk.store.engine.connect() as db:
            return int(db.execute(select(func.max(messages_table.c.id))).scalar() or 0)

    def _new_rows(self, after: int) -> list[Message]:
        with self.desk.store.engine.connect() as db:
            rows = db.execute(
                select(messages_table)
                .where(messages_table.c.id > after)
                .order_by(messages_table.c.id)
                .limit(500)
            ).all()
        return [Message(**row._asdict()) for row in rows]

    async def _poll(self) -> None:
        loop = asyncio.get_running_loop()
        while self._queues:
            try:
                rows = await loop.run_in_executor(None, self._new_rows, self._last_id)
            except Exception:
                log.exception("hand-over: reading new messages failed")
                rows = []
            for message in rows:
                self._last_id = max(self._last_id, message.id)
                for queue in list(self._queues.get(message.request_id, ())):
                    queue.put_nowait(message)
            await asyncio.sleep(self.poll_seconds)


def sse(event: str, data: dict[str, Any], event_id: int | None = None) -> str:
    """One server-sent event."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def message_json(message: Message) -> dict[str, Any]:
    """A message as the pages show it (the adviser by first name only)."""
    return {
        "id": message.id,
        "who": message.who,
        "name": message.first_name,
        "text": message.text,
        "at": message.at.isoformat(timespec="seconds") + "Z",
    }


async def stream_conversation(
    request: Request,
    hub: MessageHub,
    request_id: str,
    after_id: int,
    load_state: Callable[[], dict[str, Any]],
    shown: Callable[[Message], bool],
) -> None:
    """Send a conversation's messages and state as server-sent events until it ends.

    ``load_state`` (run in a thread) gives the state shown to this reader, with
    ``"final": True`` once nothing more will come; ``shown`` filters the messages.
    The stream ends after ``STREAM_SECONDS``; the browser reconnects with
    ``Last-Event-ID`` and misses nothing.
    """
    loop = asyncio.get_running_loop()
    queue = hub.subscribe(request_id)
    try:
        answer = await request.respond(
            headers=SSE_HEADERS, content_type="text/event-stream; charset=utf-8"
        )
        await answer.send("retry: 1000\n\n")
        backlog = await loop.run_in_executor(
            None, hub.desk.messages_after, request_id, after_id
        )
        last_id = after_id
        for old in backlog:
            last_id = old.id
            if shown(old):
                await answer.send(sse("message", message_json(old), old.id))
        state = await loop.run_in_executor(None, load_state)
        await answer.send(sse("state", state))
        deadline = loop.time() + STREAM_SECONDS
        while not state.get("final") and loop.time() < deadline:
            message: Message | None
            try:
                message = await asyncio.wait_for(
                    queue.get(), timeout=STATE_REFRESH_SECONDS
                )
            except asyncio.TimeoutError:
                message = None
            if message is not None:
                if message.id <= last_id:
                    continue
                last_id = message.id
                if shown(message):
                    await answer.send(sse("message", message_json(message), message.id))
                if message.who != "desk":
                    continue  # only the desk's notices come with a change of state
            fresh = await loop.run_in_executor(None, load_state)
            if fresh != state:
                state = fresh
                await answer.send(sse("state", state))
            elif message is None:
                await answer.send(": ping\n\n")
        await answer.eof()
    except ConnectionError:
        log.debug("hand-over: a reader left")
    finally:
        hub.unsubscribe(request_id, queue)


_HUBS: dict[int, MessageHub] = {}


def hub_for(desk: HandoverDesk) -> MessageHub:
    """The one hub of this process for ``desk`` (both desk channels share it)."""
    hub = _HUBS.get(id(desk))
    if hub is None or hub.desk is not desk:
        hub = _HUBS[id(desk)] = MessageHub(desk)
    return hub
