"""Rate limits of the public routes that create something: by address, by conversation.

A flood (300 conversations in 0.4 s, 100 call-backs from one conversation, fake queue
entries pushing real people back) meets a polite French 429 with ``Retry-After``.
Counts are kept per fixed window in Redis when ``SPRO_REDIS_HOST`` is set, so every
Rasa instance behind the load balancer shares them; in the process otherwise (and,
logged, when Redis does not answer: the public is never refused for it). Limits are
data (``LIMITS``), changed with ``SPRO_RATE_LIMITS``; the client address is the one
Sanic reads (behind a proxy: ``SANIC_PROXIES_COUNT`` or ``SANIC_REAL_IP_HEADER``).
Conversation ids are stored hashed: a key in Redis opens nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sanic.request import Request

from bot import config

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limit:
    """At most ``per_address`` and ``per_conversation`` (0: none) per window."""

    per_address: int
    per_conversation: int
    window_seconds: int
    message: str


AGAIN_LATER = (
    "Trop de demandes envoyées à la suite depuis cette connexion. Réessayez dans "
    "quelques minutes, ou appelez la ligne régionale."
)
LIMITS = {
    "conversations": Limit(
        60,
        0,
        60,
        "Trop de conversations ouvertes depuis cette connexion. Patientez une "
        "minute, puis réessayez.",
    ),
    "messages": Limit(
        120,
        0,  # per conversation: SPRO_MESSAGES_PER_MINUTE, counted by the channel
        60,
        "Vous envoyez beaucoup de messages à la suite : ce message n'a pas été pris "
        "en compte. Patientez une minute, puis envoyez-le de nouveau.",
    ),
    "queue": Limit(5, 3, 600, AGAIN_LATER),
    "callbacks": Limit(5, 2, 3600, AGAIN_LATER),
    "desk_messages": Limit(
        120,
        30,
        60,
        "Vous envoyez beaucoup de messages à la suite : ce message n'a pas été "
        "envoyé. Patientez une minute, puis envoyez-le de nouveau.",
    ),
}
# For load tests and benchmarks, which speak from one address: every count off.
UNLIMITED = ",".join(f"{name}=0/0/60" for name in LIMITS)
# POST routes that create something, by path, and what they count against.
ROUTES = {
    "/webhooks/rest/conversations": "conversations",
    "/webhooks/webchat/conversations": "conversations",
    "/webhooks/rest/webhook": "messages",
    "/webhooks/webchat/webhook": "messages",
    "/webhooks/handover/request": "queue",
    "/webhooks/handover/callback": "callbacks",
    "/webhooks/handover/message": "desk_messages",
}


class Limited(Exception):
    """Over a limit: the French message and the seconds to wait."""

    def __init__(self, message: str, retry_after: int) -> None:
        """French message and ``Retry-After`` seconds."""
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


def limit(name: str) -> Limit:
    """A limit with the operator's override (``SPRO_RATE_LIMITS``)."""
    default = LIMITS[name]
    override = config.rate_limit_overrides().get(name)
    if override is None:
        return default
    return Limit(*override, default.message)


class MemoryCounter:
    """Counts per fixed window in this process (thread-safe).

    A key belongs to one window; it is forgotten once that window has passed (checked
    at most every ``PURGE_SECONDS``), so the counts of a busy day do not pile up.
    """

    PURGE_SECONDS = 10.0

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        """No count yet."""
        self.counts: dict[str, int] = {}
        self.expiries: dict[str, float] = {}
        self.lock = threading.Lock()
        self._clock = clock
        self._next_purge = clock() + self.PURGE_SECONDS

    async def hit(self, key: str, window_seconds: int) -> int:
        """Add one to ``key`` (a key of the current window); the new count."""
        with self.lock:
            now = self._clock()
            if now >= self._next_purge:
                self._forget_expired(now)
            if len(self.counts) > 100_000:
                # A flood of distinct keys within one window: worst case one more.
                self.counts.clear()
                self.expiries.clear()
            if key not in self.counts:
                self.expiries[key] = now + window_seconds + 1
            self.counts[key] = self.counts.get(key, 0) + 1
            return self.counts[key]

    def _forget_expired(self, now: float) -> None:
        for key in [k for k, expiry in self.expiries.items() if expiry <= now]:
            del self.counts[key], self.expiries[key]
        self._next_purge = now + self.PURGE_SECONDS


class RedisCounter:
    """Counts per fixed window in Redis, shared by every instance."""

    def __init__(self, host: str, port: int) -> None:
        """A client of the Redis server (connected on first use)."""
        import redis.asyncio

        self.client: Any = redis.asyncio.Redis(
            host=host, port=port, socket_timeout=0.5, socket_connect_timeout=0.5
        )

    async def hit(self, key: str, window_seconds: int) -> int:
        """Add one to ``key``, which expires with its window; the new count."""
        name = f"{config.redis_namespace()}:rate:{key}"
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, window_seconds + 1)
            count, _ = await pipe.execute()
        return int(count)


_COUNTERS: dict[Any, Any] = {}


def counter() -> MemoryCounter | RedisCounter:
    """The counter of this process: Redis when configured.

    A Redis client belongs to the event loop it was made in: one per loop.
    """
    address = config.redis_address()
    key = (address, None if address is None else id(asyncio.get_running_loop()))
    if key not in _COUNTERS:
        _COUNTERS[key] = MemoryCounter() if address is None else RedisCounter(*address)
    return _COUNTERS[key]


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:24]


async def count(name: str, kind: str, who: str, rule: Limit) -> None:
    """Count one more for ``who``; ``Limited`` when over ``rule`` for ``kind``."""
    allowed = rule.per_address if kind == "address" else rule.per_conversation
    if allowed <= 0 or not who:
        return
    now = time.time()
    window = int(now // rule.window_seconds)
    key = f"{name}:{kind}:{_hash(who)}:{window}"
    try:
        hits = await counter().hit(key, rule.window_seconds)
    except Exception as error:  # Redis down: count here rather than refuse people
        logger.error(
            "Rate limits: Redis unusable (%s); counting in this process", error
        )
        hits = await _COUNTERS.setdefault("fallback", MemoryCounter()).hit(
            key, rule.window_seconds
        )
    if hits > allowed:
        retry = int((window + 1) * rule.window_seconds - now) + 1
        raise Limited(rule.message, max(1, retry))


def client_address(request: Request) -> str:
    """The client's address (the proxy's forwarded one when configured)."""
    return str(request.remote_addr or request.ip or "")


def conversation_of(request: Request) -> str:
    """The conversation a JSON body names (``sender`` or the desk ``token``)."""
    try:
        body = request.json
    except Exception:  # not JSON: the route refuses it itself
        return ""
    if not isinstance(body, dict):
        return ""
    who = body.get("sender") or body.get("token") or ""
    return who if isinstance(who, str) else ""


async def check(request: Request) -> None:
    """Count a request of a route that creates something; ``Limited`` when over."""
    if request.method != "POST":
        return
    name = ROUTES.get("/" + request.path.strip("/"))
    if name is None:
        return
    rule = limit(name)
    await count(name, "address", client_address(request), rule)
    if rule.per_conversation:
        await count(name, "conversation", conversation_of(request), rule)


async def check_conversation(name: str, conversation: str, allowed: int) -> None:
    """Per-conversation count of a route that reads its body itself (the webhook)."""
    rule = limit(name)
    await count(name, "conversation", conversation, Limit(0, allowed, 60, rule.message))
