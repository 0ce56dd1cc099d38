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

``install()`` applies it when the installed Rasa is a checked version, unless
``SPRO_RASA_PATCHES_OFF`` names ``lock_store`` (or ``all``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from bot.rasa_patches import patch_enabled, rasa_version_checked

NAME = "lock_store"
_RASA_ORIGINALS = "_spro_rasa_originals"
Change = Callable[[Any], tuple[Any, Any]]


def transact(store: Any, conversation_id: str, change: Change) -> Any:
    """Apply ``change`` to the stored lock atomically; return its result.

    ``change`` gets the lock (None when there is none) and returns the lock to store
    (None: delete it) and a result.
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
                    pipe.delete(key)
                else:
                    pipe.set(key, new_lock.dumps())
                pipe.execute()
                return result
            except redis.WatchError:
                continue


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

    try:
        return int(transact(self, conversation_id, change))
    except Exception as e:
        raise LockError(f"Error while acquiring lock. Error:\n{e}") from e


def update_lock(self: Any, conversation_id: str) -> None:
    """``LockStore.update_lock``: drop the expired tickets."""

    def change(lock: Any) -> tuple[Any, None]:
        if lock is not None:
            lock.remove_expired_tickets()
        return lock, None

    transact(self, conversation_id, change)


def finish_serving(self: Any, conversation_id: str, ticket_number: int) -> None:
    """``LockStore.finish_serving``: remove the ticket from the lock."""

    def change(lock: Any) -> tuple[Any, None]:
        if lock is not None:
            lock.remove_ticket_for(ticket_number)
        return lock, None

    transact(self, conversation_id, change)


def cleanup(self: Any, conversation_id: str, ticket_number: int) -> None:
    """``LockStore.cleanup``: remove the ticket; delete the lock if nobody waits."""

    def change(lock: Any) -> tuple[Any, None]:
        if lock is not None:
            lock.remove_ticket_for(ticket_number)
            if not lock.is_someone_waiting():
                lock = None
        return lock, None

    transact(self, conversation_id, change)


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

    if _RASA_ORIGINALS not in vars(RedisLockStore):
        originals = {name: vars(RedisLockStore).get(name) for name in REPLACEMENTS}
        setattr(RedisLockStore, _RASA_ORIGINALS, originals)
        for name, replacement in REPLACEMENTS.items():
            setattr(RedisLockStore, name, replacement)


def uninstall() -> None:
    """Put Rasa's own methods back (for the equality tests)."""
    from rasa.core.lock_store import RedisLockStore

    originals = vars(RedisLockStore).get(_RASA_ORIGINALS)
    if originals is None:
        return
    for name, original in originals.items():
        if original is None:
            delattr(RedisLockStore, name)  # inherited from LockStore
        else:
            setattr(RedisLockStore, name, original)
    delattr(RedisLockStore, _RASA_ORIGINALS)
