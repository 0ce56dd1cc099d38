"""Opening hours: parse the staff notation, tell whether a place is open, say it in French.

Notation in the knowledge files (one key per day, French day names; a day left out is closed)::

    hours:
      lundi: "09:00-12:30, 13:30-17:00"
      mercredi: "09:00-12:30"
      vendredi: fermé
      closed_dates: ["2026-12-24"]          # exceptional closures (optional)
      note: "Sur rendez-vous le mardi."      # free French text (optional)

Times are Europe/Paris local time. ``None`` hours mean "unknown", never "closed".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
CLOSED_WORDS = {"ferme", "fermé", "fermée", "ferme.", ""}
_RANGE = re.compile(r"^\s*(\d{1,2})[:hH](\d{2})\s*-\s*(\d{1,2})[:hH](\d{2})\s*$")


class HoursError(ValueError):
    """A day's hours cannot be read; the message is French and says what to write."""


@dataclass(frozen=True)
class OpeningHours:
    """Weekly opening hours; ``week[0]`` is Monday, each a tuple of (start, end) times."""

    week: tuple[tuple[tuple[time, time], ...], ...]
    closed_dates: tuple[date, ...] = ()
    note: str = ""

    def is_open(self, at: datetime) -> bool:
        """Open at this instant (naive datetimes are taken as Paris time)."""
        local = at.replace(tzinfo=PARIS) if at.tzinfo is None else at.astimezone(PARIS)
        if local.date() in self.closed_dates:
            return False
        now = local.time().replace(tzinfo=None)
        return any(start <= now < end for start, end in self.week[local.weekday()])

    @property
    def text(self) -> str:
        """Plain French, consecutive identical days grouped: "du lundi au vendredi : 9 h – 12 h 30"."""
        parts: list[str] = []
        day = 0
        while day < 7:
            ranges = self.week[day]
            last = day
            while last + 1 < 7 and self.week[last + 1] == ranges:
                last += 1
            if ranges:
                times = " et ".join(f"{_say(s)} – {_say(e)}" for s, e in ranges)
                if last == day:
                    days = f"le {DAYS[day]}"
                elif last == day + 1:
                    days = f"le {DAYS[day]} et le {DAYS[last]}"
                else:
                    days = f"du {DAYS[day]} au {DAYS[last]}"
                parts.append(f"{days} : {times}")
            day = last + 1
        text = " ; ".join(parts) if parts else "fermé toute la semaine"
        text = text[0].upper() + text[1:]
        return f"{text}. {self.note}".strip() if self.note else f"{text}."

    def as_dict(self) -> dict:
        """The staff notation back (used to store hours as JSON)."""
        data: dict = {}
        for index, ranges in enumerate(self.week):
            if ranges:
                data[DAYS[index]] = ", ".join(f"{s:%H:%M}-{e:%H:%M}" for s, e in ranges)
        if self.closed_dates:
            data["closed_dates"] = [d.isoformat() for d in self.closed_dates]
        if self.note:
            data["note"] = self.note
        return data


def _say(value: time) -> str:
    return f"{value.hour} h" if value.minute == 0 else f"{value.hour} h {value.minute:02d}"


def parse_day(text: str) -> tuple[tuple[time, time], ...]:
    """Parse "09:00-12:30, 13:30-17:00" (or "fermé"); raise HoursError in French."""
    value = str(text).strip()
    if value.lower() in CLOSED_WORDS:
        return ()
    ranges = []
    for chunk in re.split(r"[,;/]| et ", value):
        match = _RANGE.match(chunk)
        if not match:
            raise HoursError(f"« {chunk.strip()} » n'est pas une plage horaire : écrivez par exemple "
                             f"« 09:00-12:30, 13:30-17:00 » ou « fermé »")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
            raise HoursError(f"« {chunk.strip()} » contient une heure impossible")
        start, end = time(h1, m1), time(23, 59, 59) if h2 == 24 else time(h2, m2)
        if start >= end:
            raise HoursError(f"« {chunk.strip()} » : l'heure d'ouverture doit précéder l'heure de fermeture")
        ranges.append((start, end))
    ranges.sort()
    for (_s1, e1), (s2, _e2) in zip(ranges, ranges[1:]):
        if s2 < e1:
            raise HoursError(f"« {value} » : deux plages se chevauchent")
    return tuple(ranges)


def parse_hours(data: dict | None) -> OpeningHours | None:
    """Build ``OpeningHours`` from the staff notation; None when no hours are given."""
    if not data:
        return None
    unknown = set(data) - set(DAYS) - {"closed_dates", "note"}
    if unknown:
        raise HoursError(f"jour inconnu « {sorted(unknown)[0]} » : utilisez lundi, mardi, … dimanche")
    if not any(day in data for day in DAYS):
        raise HoursError("aucun jour d'ouverture : indiquez au moins un jour (lundi: \"09:00-12:00\") "
                         "ou supprimez « hours » si les horaires sont inconnus")
    week = tuple(parse_day(data.get(day) or "fermé") for day in DAYS)
    closed = []
    for value in data.get("closed_dates") or ():
        try:
            closed.append(value if isinstance(value, date) else date.fromisoformat(str(value)))
        except ValueError as exc:
            raise HoursError(f"date de fermeture « {value} » invalide : écrivez AAAA-MM-JJ") from exc
    return OpeningHours(week, tuple(sorted(closed)), str(data.get("note") or "").strip())
