"""Rasa's Redis lock store with each change of a lock made in one Redis transaction.

Rasa 3.6's ``RedisLockStore`` changes a conversation's ticket lock by reading it,
changing it in Python and writing it back. Two Rasa instances receiving messages of
the same conversation at the same moment can both read the same lock: both take the
same ticket and handle their messages together (one turn is then lost from the
tracker), or one deletes the lock while the other has just queued in it. Here the same
changes (issue a ticket, drop expired tickets, finish serving, clean up) are made
under Redis ``WATCH``/``MULTI`` and retried on conflict, so each one applies to the
lock as it is in Redis. Same keys, same JSON, same ticket numbers; the in-memory lock
store (one process) is untouched.

A ticket held by an instance that stopped without cleaning up (killed, crashed) would
make the conversation's next messages wait for the lock lifetime (60 s), longer than
the public channels wait before answering. So each instance keeps an "alive" key in
Redis, refreshed every ``REFRESH_SECONDS`` by a thread and expiring after
``ALIVE_SECONDS``, and each ticket's holder is noted beside the lock (a hash
``<prefix>~holders:<conversation>``). A waiting instance that finds the ticket being
served held by an instance whose alive key is gone drops that ticket, as Rasa drops an
expired one: a message to a stopped instance's conversation waits a few seconds, not a
minute. Tickets without a noted holder expire as in Rasa.

``install()`` applies it when the installed Rasa is a checked version, unless
``SPRO_RASA_PATCHES_OFF`` names ``lock_store`` (or ``all``).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from bot.rasa_patches import (
    patch_enabled,
    rasa_version_checked,
    replace_attributes,
    restore_attributes,
)

log = logging.getLogger(__name__)

NAME = "lock_store"
# An instance's alive key expires this long after its last refresh.
ALIVE_SECONDS = 6
REFRESH_SECONDS = 2
Change = Callable[[Any], tuple[Any, Any]]
# Extra commands queued in the same Redis transaction, given the change's result.
Also = Callable[[Any, Any], None]


def holders_key(store: Any, conversation_id: str) -> str:
    """The hash ticket number -> holding instance of a conversation's lock."""
    return f"{store.key_prefix}~holders:{conversation_id}"


def alive_key(store: Any, instance: str) -> str:
    """The key present while ``instance`` runs."""
    return f"{store.key_prefix}~alive:{instance}"


class Liveness:
    """This process's instance id, kept alive in Redis by a daemon thread."""

    def __init__(self) -> None:
        """A new instance id; nothing runs until ``start``."""
        self.instance = uuid.uuid4().hex
        self._lock = threading.Lock()
        self._stores: list[Any] = []

    def start(self, store: Any) -> str:
        """Mark this instance alive in ``store``'s Redis, now and from now on."""
        with self._lock:
            if not any(known is store for known in self._stores):
                self._refresh(store)
                self._stores.append(store)
                if len(self._stores) == 1:
                    threading.Thread(
                        target=self._run, name="spro-lock-liveness", daemon=True
                    ).start()
        return self.instance

    def _refresh(self, store: Any) -> None:
        store.red.set(alive_key(store, self.instance), "1", ex=ALIVE_SECONDS)

    def _run(self) -> None:
        while True:
            time.sleep(REFRESH_SECONDS)
            with self._lock:
                stores = list(self._stores)
            for store in stores:
                try:
                    self._refresh(store)
                except Exception:  # Redis away for a moment: next round tries again
                    log.warning("lock store: could not mark this instance alive")


LIVENESS = Liveness()


def transact(
    store: Any, conversation_id: str, change: Change, also: Also | None = None
) -> Any:
    """Apply ``change`` to the stored lock atomically; return its result.

    ``change`` gets the lock (None when there is none) and returns the lock to store
    (None: delete it) and a result; ``also`` queues more commands in the same
    transaction.
    """
    import redis
    from rasa.core.lock import TicketLock

    key = store.key_prefix + conversation_id
    with store.red.pipeline() as pipe:
        while True:
            try:
                pipe.watch(key)
                serialised = pipe.get(key)
                lock = (
                    TicketLock.from_dict(json.loads(serialised)) if serialised else None
                )
                new_lock, result = change(lock)
                pipe.multi()
                if new_lock is None:
                    pipe.delete(key, holders_key(store, conversation_id))
                else:
                    pipe.set(key, new_lock.dumps())
                if also is not None:
                    also(pipe, result)
                pipe.execute()
                return result
            except redis.WatchError:
                continue


def drop_tickets_of_stopped_instances(store: Any, lock: Any) -> None:
    """Remove the tickets being served whose holder is no longer alive."""
    while lock.is_someone_waiting():
        serving = lock.now_serving
        holder = store.red.hget(holders_key(store, lock.conversation_id), str(serving))
        if isinstance(holder, bytes):
            holder = holder.decode()
        if holder is None or store.red.exists(alive_key(store, holder)):
            return
        log.warning("lock store: ticket %s of a stopped instance dropped", serving)
        lock.remove_ticket_for(serving)


def issue_ticket(
    self: Any, conversation_id: str, lock_lifetime: float | None = None
) -> int:
    """``LockStore.issue_ticket``: queue a new ticket, creating the lock if needed."""
    from rasa.core.lock import TicketLock
    from rasa.core.lock_store import LOCK_LIFETIME, LockError

    lifetime = LOCK_LIFETIME if lock_lifetime is None else lock_lifetime

    def change(lock: Any) -> tuple[Any, int]:
        lock = lock or TicketLock(conversation_id)
        return lock, lock.issue_ticket(lifetime)

    def note_holder(pipe: Any, ticket: int) -> None:
        holders = holders_key(self, conversation_id)
        pipe.hset(holders, str(ticket), instance)
        pipe.expire(holders, max(1, int(lifetime)) + ALIVE_SECONDS)

    try:
        instance = LIVENESS.start(self)
        return int(transact(self, conversation_id, change, note_holder))
    except Exception as e:
        raise LockError(f"Error while acquiring lock. Error:\n{e}") from e


def update_lock(self: Any, conversation_id: str) -> None:
    """``LockStore.update_lock``: drop the expired tickets and the stopped ones'."""

    def change(lock: Any) -> tuple[Any, None]:
        if lock is not None:
            lock.remove_expired_tickets()
            drop_tickets_of_stopped_instances(self, lock)
        return lock, None

    transact(self, conversation_id, change)


def finish_serving(self: Any, conversation_id: str, ticket_number: int) -> None:
    """``LockStore.finish_serving``: remove the ticket from the lock."""

    def change(lock: Any) -> tuple[Any, None]:
        if lock is not None:
            lock.remove_ticket_for(ticket_number)
        return lock, None

    transact(
        self,
        conversation_id,
        change,
        forget_holder(self, conversation_id, ticket_number),
    )


def forget_holder(store: Any, conversation_id: str, ticket_number: int) -> Also:
    """Queue the removal of a finished ticket's holder."""

    def also(pipe: Any, _: Any) -> None:
        pipe.hdel(holders_key(store, conversation_id), str(ticket_number))

    return also


def cleanup(self: Any, conversation_id: str, ticket_number: int) -> None:
    """``LockStore.cleanup``: remove the ticket; delete the lock if nobody waits."""

    def change(lock: Any) -> tuple[Any, None]:
        if lock is not None:
            lock.remove_ticket_for(ticket_number)
            if not lock.is_someone_waiting():
                lock = None
        return lock, None

    transact(
        self,
        conversation_id,
        change,
        forget_holder(self, conversation_id, ticket_number),
    )


REPLACEMENTS = {
    "issue_ticket": issue_ticket,
    "update_lock": update_lock,
    "finish_serving": finish_serving,
    "cleanup": cleanup,
}


def install() -> None:
    """Patch ``RedisLockStore`` (idempotent)."""
    if not patch_enabled(NAME) or not rasa_version_checked(NAME):
        return
    from rasa.core.lock_store import RedisLockStore

    replace_attributes(RedisLockStore, REPLACEMENTS)


def uninstall() -> None:
    """Put Rasa's own methods back (for the equality tests)."""
    from rasa.core.lock_store import RedisLockStore

    restore_attributes(RedisLockStore, REPLACEMENTS)
