"""The indicators derived while the Rasa server runs: now, then every few minutes.

Started by the dashboard channel (``channels.dashboard.channel``); each run reads the
SQL tracker store of the loaded agent (docs/indicators.md) and derives the review
inbox's messages there too (``bot.review.inbox_derivation``, docs/review.md).
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
from typing import Any, Callable

from bot.indicators.store import IndicatorStore

logger = logging.getLogger(__name__)


def derive_every_seconds() -> float:
    """Seconds between two derivations (``SPRO_INDICATORS_DERIVE_SECONDS``)."""
    return float(os.environ.get("SPRO_INDICATORS_DERIVE_SECONDS", "900"))


def tracker_url(agent: Any) -> str | None:
    """URL of the agent's SQL tracker store, once the agent is loaded."""
    store = getattr(agent, "tracker_store", None)
    store = getattr(store, "_tracker_store", store)
    engine = getattr(store, "engine", None)
    if engine is None:
        return None
    return engine.url.render_as_string(hide_password=False)


def release_free_memory() -> bool:
    """Give the memory a derivation freed back to the system (glibc's ``malloc_trim``).

    A derivation reads up to thousands of conversations in a worker thread; without
    this the allocator keeps that peak, and the server's memory rose in steps after
    each run (docs/performance.md, "The soak"). True when memory was given back
    (False too where there is no glibc).
    """
    try:
        return bool(ctypes.CDLL("libc.so.6").malloc_trim(0))
    except (OSError, AttributeError):
        return False


async def derive_periodically(
    agent_of: Callable[[], Any], indicators: Callable[[], IndicatorStore]
) -> None:
    """Derive new records from the tracker store, now and then every few minutes.

    ``agent_of`` gives the server's agent (None while it loads), ``indicators`` the
    store the records go to.
    """
    from bot.indicators.derive import derive_indicators
    from bot.review.inbox_derivation import derive_inbox

    loop = asyncio.get_running_loop()
    while True:
        agent = agent_of()
        url = tracker_url(agent)
        if url is None and agent is not None and agent.is_ready():
            logger.warning("Indicators: the tracker store is not SQL; nothing derived")
            return
        if url is None:  # the model is still loading
            await asyncio.sleep(5)
            continue
        try:
            result = await loop.run_in_executor(
                None, derive_indicators, url, indicators()
            )
            if result.records:
                logger.info("Indicators: %d conversation(s) recorded", result.records)
        except Exception:  # a failed run is retried at the next one
            logger.exception("Indicators: derivation failed; retried later")
        try:
            await loop.run_in_executor(None, derive_inbox, url)
        except Exception:
            logger.exception("Review inbox: derivation failed; retried later")
        await loop.run_in_executor(None, release_free_memory)
        await asyncio.sleep(derive_every_seconds())
