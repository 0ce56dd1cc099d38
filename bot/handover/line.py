"""The regional line's hours and whether it is open now; unknown hours stay unknown.

The hours come from the region's ``phone_hours`` in ``knowledge/regions.yaml`` (read
through ``bot.knowledge``). They are free text written by staff; when they are written
in the OpenStreetMap ``opening_hours`` notation (``Mo-Fr 09:00-12:30,13:30-17:00``) the
desk can tell whether the line is open now, otherwise it says it does not know. A
platform whose chat desk keeps its own hours sets ``SPRO_HANDOVER_HOURS`` in the same
notation (``off`` closes the desk).
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import opening_hours
from opening_hours import ParserError  # type: ignore[attr-defined]

log = logging.getLogger(__name__)
PARIS = ZoneInfo("Europe/Paris")
EN_DASH = "\u2013"
OSM_DAYS = {
    "Mo": "lundi",
    "Tu": "mardi",
    "We": "mercredi",
    "Th": "jeudi",
    "Fr": "vendredi",
    "Sa": "samedi",
    "Su": "dimanche",
    "PH": "jours fériés",
}
_OSM_DAY_RANGE = re.compile(r"\b(Mo|Tu|We|Th|Fr|Sa|Su)-(Mo|Tu|We|Th|Fr|Sa|Su)\b")
_OSM_DAY = re.compile(r"\b(Mo|Tu|We|Th|Fr|Sa|Su|PH)\b")
_OSM_TIME = re.compile(r"\b(\d{2}):(\d{2})\b")


@dataclass(frozen=True)
class LineHours:
    """The line of a region: name, phone, hours as written, and whether open now."""

    service_name: str = ""
    phone: str = ""
    hours_text: str = ""
    open_now: bool | None = None

    @property
    def known(self) -> bool:
        """True when the desk can tell whether the line is open."""
        return self.open_now is not None


def open_at(hours: str, moment: datetime) -> bool | None:
    """Whether OSM ``hours`` are open at ``moment`` (naive UTC); None when unknown."""
    if not hours.strip():
        return None
    try:
        parsed = opening_hours.OpeningHours(hours.strip())
    except (ParserError, ValueError):
        return None
    local = (
        moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(PARIS).replace(tzinfo=None)
    )
    if parsed.is_unknown(local):
        return None
    return bool(parsed.is_open(local))


def in_french(hours: str) -> str:
    """Hours in the OSM notation said in French; other text is returned as written.

    "Mo-Fr 09:00-17:00" becomes "du lundi au vendredi 9 h 00 - 17 h 00" (with an en
    dash).
    """
    if open_at(hours, datetime(2026, 1, 5)) is None:
        return hours
    text = _OSM_DAY_RANGE.sub(
        lambda m: f"du {OSM_DAYS[m[1]]} au {OSM_DAYS[m[2]]}", hours
    )
    text = _OSM_DAY.sub(lambda m: OSM_DAYS[m[1]], text)
    text = _OSM_TIME.sub(lambda m: f"{int(m[1])} h {m[2]}", text)
    text = text.replace("-", f" {EN_DASH} ")
    text = text.replace(" off", " : fermé").replace(",", " et ").replace(";", " ;")
    return "fermé" if text.strip() == "off" else text


def line_hours(region_code: str | None, moment: datetime) -> LineHours:
    """The line of ``region_code`` (or the desk's own hours) at ``moment`` (UTC)."""
    desk_hours = os.environ.get("SPRO_HANDOVER_HOURS", "").strip()
    region = None
    if region_code:
        try:
            from bot.knowledge import get_repository

            region = get_repository().region(region_code)
        except Exception:
            log.exception("line hours: region lookup failed")
    service = region.service_name if region else ""
    phone = region.phone if region else ""
    written = desk_hours or (region.phone_hours if region else "")
    return LineHours(service, phone, in_french(written), open_at(written, moment))
