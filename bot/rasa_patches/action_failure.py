"""Never silent when the action server fails, and no words lost.

Rasa 3.6 waits up to 300 s for each custom action, then drops the failed action's
events: with the action server down, every message gets an empty answer; frozen, every
conversation hangs; and the slots the message should have filled are lost, so after
recovery the assistant asks again for what the person already said.

``install()`` wraps ``RemoteAction.run`` (every custom action, including the slot
extraction ``action_validate_slot_mappings`` that Rasa's ``action_extract_slots``
calls):

- each call gets a short timeout (``config.action_timeout_seconds()``, 3 s);
- after a failure the action server is not called again for
  ``config.action_retry_seconds()`` (5 s): the following actions of the turn fail at
  once, so the person's answer comes within a few seconds;
- a failed action returns, once per turn, a French message
  (``bot.conversation.service_problem``: nothing is lost, the regional line, a
  person) marked ``SERVICE_PROBLEM`` in the event's metadata, instead of raising;
- when the slot extraction works again, the messages of the turns that failed just
  before are read first (oldest first), so what the person wrote is used;
- with ``SPRO_ACTIONS_SECRET`` set, every call carries it
  (``config.ACTION_SECRET_HEADER``; ``bot.runtime.action_server`` checks it).

A healthy action server gives exactly Rasa's events (tests/test_action_failure.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from bot import config
from bot.rasa_patches import rasa_version_checked

logger = logging.getLogger(__name__)

SERVICE_PROBLEM = "spro_service_problem"
MAX_REPLAYED_MESSAGES = 5
_RASA_RUN = "_spro_rasa_run"


class CircuitBreaker:
    """Remembers a failure of the action server for a while (one per process)."""

    def __init__(self) -> None:
        """Closed: calls go through."""
        self.open_until = 0.0

    def allows_call(self) -> bool:
        """False while a recent failure keeps the action server out of reach."""
        return time.monotonic() >= self.open_until

    def failed(self) -> None:
        """Keep the action server out of reach for the retry period."""
        self.open_until = time.monotonic() + config.action_retry_seconds()

    def succeeded(self) -> None:
        """Calls go through again."""
        self.open_until = 0.0


BREAKER = CircuitBreaker()


def _after_last_user_message(tracker: Any) -> list[Any]:
    from rasa.shared.core.events import UserUttered

    events: list[Any] = []
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            break
        events.append(event)
    return events


def is_service_problem(event: Any) -> bool:
    """True for the answer this module gives when an action fails."""
    from rasa.shared.core.events import BotUttered

    return isinstance(event, BotUttered) and bool(
        (event.metadata or {}).get(SERVICE_PROBLEM)
    )


def missed_messages(tracker: Any) -> list[Any]:
    """User messages of the turns that failed just before the current one.

    Oldest first; a turn that worked ends the run.
    """
    from rasa.shared.core.events import (
        ActionExecuted,
        Restarted,
        SessionStarted,
        UserUttered,
    )

    turns: list[tuple[Any, bool]] = []
    for event in tracker.events:
        if isinstance(event, (SessionStarted, Restarted)):
            turns = []
        elif (
            isinstance(event, ActionExecuted) and event.action_name == "action_restart"
        ):
            turns = []
        elif isinstance(event, UserUttered):
            turns.append((event, False))
        elif turns and is_service_problem(event):
            turns[-1] = (turns[-1][0], True)
    missed: list[Any] = []
    for message, failed in reversed(turns[:-1]):
        if not failed:
            break
        missed.insert(0, message)
    return missed[-MAX_REPLAYED_MESSAGES:]


def service_problem_events(tracker: Any) -> list[Any]:
    """The French answer to a failure, unless this turn already has it."""
    from rasa.shared.core.events import BotUttered

    from bot.conversation.service_problem import service_problem_text

    if any(is_service_problem(event) for event in _after_last_user_message(tracker)):
        return []
    latest = tracker.latest_message
    metadata = (latest.metadata if latest else None) or {}
    region = metadata.get("region") if isinstance(metadata, dict) else None
    text = service_problem_text(
        region if isinstance(region, str) and region.isdigit() else None,
        tracker.get_slot("commune_insee") if "commune_insee" in tracker.slots else None,
    )
    return [BotUttered(text=text, metadata={SERVICE_PROBLEM: True})]


async def _call(
    action: Any, output_channel: Any, nlg: Any, tracker: Any, domain: Any
) -> Any:
    rasa_run = getattr(type(action), _RASA_RUN)
    return await asyncio.wait_for(
        rasa_run(action, output_channel, nlg, tracker, domain),
        timeout=config.action_timeout_seconds(),
    )


async def run_never_silent(
    action: Any, output_channel: Any, nlg: Any, tracker: Any, domain: Any
) -> list[Any]:
    """``RemoteAction.run``: short timeout, French answer on failure, replays."""
    from rasa.core.actions.action import ActionExecutionRejection
    from rasa.shared.core.constants import ACTION_VALIDATE_SLOT_MAPPINGS
    from rasa.shared.core.events import SlotSet

    secret = config.actions_secret()
    if secret and action.action_endpoint is not None:
        action.action_endpoint.headers = {
            **(action.action_endpoint.headers or {}),
            config.ACTION_SECRET_HEADER: secret,
        }
    if not BREAKER.allows_call():
        logger.warning("Action server unavailable: %s not called", action.name())
        return service_problem_events(tracker)
    try:
        replayed: list[Any] = []
        if action.name() == ACTION_VALIDATE_SLOT_MAPPINGS:
            for message in missed_messages(tracker):
                view = tracker.copy()
                view.update_with_events(replayed, domain)
                view.latest_message = message
                events = await _call(action, output_channel, nlg, view, domain)
                replayed.extend(e for e in events if isinstance(e, SlotSet))
            if replayed:
                logger.info(
                    "Read %d message(s) the action server missed", len(replayed)
                )
                tracker = tracker.copy()
                tracker.update_with_events(replayed, domain)
        events = await _call(action, output_channel, nlg, tracker, domain)
    except ActionExecutionRejection:
        BREAKER.succeeded()
        raise
    except Exception as error:
        logger.error(
            "Custom action %s failed (%s): the person is told",
            action.name(),
            type(error).__name__,
        )
        BREAKER.failed()
        return service_problem_events(tracker)
    BREAKER.succeeded()
    return [*replayed, *events]


def install() -> None:
    """Route every custom action through ``run_never_silent`` (idempotent)."""
    if not rasa_version_checked("action_failure"):
        return
    from rasa.core.actions.action import RemoteAction

    if _RASA_RUN not in vars(RemoteAction):
        setattr(RemoteAction, _RASA_RUN, RemoteAction.run)
        RemoteAction.run = run_never_silent
