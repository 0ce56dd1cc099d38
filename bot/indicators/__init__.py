"""Anonymous indicators: one record per conversation, aggregates, reports.

``record_event`` is what other parts (the hand-over desk) call to count a hand-over
or a call-back; conversations are derived from the tracker store (``derive``).
"""

from bot.indicators.store import record_event

__all__ = ["record_event"]
