"""Hand-over from the public web chat to a tele-adviser, and call-back requests.

Plain Python, testable without Rasa:

- ``bot.handover.store``: the SQL tables (SQLite by default, PostgreSQL by URL)
  shared by every Rasa instance, so the queue is never in one process's memory;
- ``bot.handover.desk``: the rules of the chat desk (queue position and rough wait,
  availability, one conversation per adviser unless they choose more, messages both
  ways, hand back, close), built on ``bot.handover.callbacks`` (call-backs with
  explicit consent), ``bot.handover.retention`` (purge, statistics) and
  ``bot.handover.records`` (the rows they share); ``bot.handover.rules`` holds the
  outcomes, settings and input checks;
- ``bot.handover.line``: the regional line's hours from the knowledge base, and whether
  the line is open now (``None`` when the hours are unknown).

The channels (``channels/handover.py``) only map HTTP to ``HandoverDesk``.
"""

from bot.handover.desk import (
    CALLBACK_OUTCOMES,
    LIVE_OUTCOMES,
    SLOTS,
    DeskError,
    HandoverDesk,
    get_desk,
)

__all__ = [
    "CALLBACK_OUTCOMES",
    "LIVE_OUTCOMES",
    "SLOTS",
    "DeskError",
    "HandoverDesk",
    "get_desk",
]
