"""Opening hours: read them, tell whether a place is open and when it opens next.

What is told is in French.

Two notations are accepted in the knowledge files:

- the staff notation, one key per French day (a day left out is closed)::

    hours:
      lundi: "09:00-12:30, 13:30-17:00"
      mercredi: "09:00-12:30"
      vendredi: fermé
      closed_dates: ["2026-12-24"]          # exceptional closures (optional)
      note: "Sur rendez-vous le mardi."      # free French text (optional)

- the OpenStreetMap ``opening_hours`` syntax used by data·inclusion and OSM, as a plain
  string (``hours: "Mo-Fr 08:30-12:30; PH off"``) or under ``osm:`` next to
  ``closed_dates`` and ``note``.

Both are evaluated by the ``opening-hours-py`` library (OSM grammar, French public
holidays). French public holidays are closed unless the expression says otherwise
(``PH``). Times are Europe/Paris local time. ``None`` hours mean "unknown", never
"closed".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cached_property, lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo

import opening_hours

from bot.text import MONTHS

PARIS = ZoneInfo("Europe/Paris")
# The library's parse error (missing from its type stubs).
PARSER_ERROR: type[Exception] = getattr(opening_hours, "ParserError", ValueError)
DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
OSM_DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
OSM_MONTHS = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)
CLOSED_WORDS = {"ferme", "fermé", "fermée", "ferme.", ""}
# A week without French public holidays, used to describe an OSM expression day by day.
REFERENCE_MONDAY = datetime(2024, 1, 8, tzinfo=PARIS)
# Look for the next opening this many days ahead at most.
NEXT_OPENING_HORIZON_DAYS = 31
_RANGE = re.compile(r"^\s*(\d{1,2})[:hH](\d{2})\s*-\s*(\d{1,2})[:hH](\d{2})\s*$")
# Selectors that make hours vary through the year (months, weeks, dates, school
# holidays).
_SEASONAL = re.compile(
    r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|week|SH|easter)\b|\b\d{4}\b"
)

Ranges = tuple[tuple[time, time], ...]


class HoursError(ValueError):
    """Hours cannot be read; the message is French and says what to write."""


@dataclass(frozen=True)
class OpeningHours:
    """Weekly opening hours; ``week[0]`` is Monday, each a tuple of (start, end) times.

    ``osm`` keeps the OpenStreetMap expression when the hours came in that syntax
    (``week`` is then its usual week, for the French text).
    """

    week: tuple[Ranges, ...]
    closed_dates: tuple[date, ...] = ()
    note: str = ""
    osm: str = ""

    @property
    def expression(self) -> str:
        """The whole rule as one OSM expression.

        Exceptional closures and holidays included.
        """
        rules = [self.osm or _week_expression(self.week)]
        rules += [
            f"{d.year} {OSM_MONTHS[d.month - 1]} {d.day:02d} off"
            for d in self.closed_dates
        ]
        if not re.search(r"\bPH\b", self.osm):
            rules.append("PH off")
        return "; ".join(rules)

    @cached_property
    def _rules(self) -> opening_hours.OpeningHours:
        return opening_hours.OpeningHours(
            self.expression,
            timezone=PARIS,
            country="FR",
            max_interval_days=NEXT_OPENING_HORIZON_DAYS,
        )

    def is_open(self, at: datetime) -> bool:
        """Open at this instant (naive datetimes are taken as Paris time)."""
        return bool(self._rules.is_open(_paris(at)))

    def next_opening(self, at: datetime) -> datetime | None:
        """When it opens next after ``at`` (Paris time).

        None when open now or not within a month.
        """
        local = _paris(at)
        if self._rules.is_open(local):
            return None
        change = self._rules.next_change(local)
        if change is None or change - local > timedelta(days=NEXT_OPENING_HORIZON_DAYS):
            return None
        return (
            change.astimezone(PARIS) if change.tzinfo else change.replace(tzinfo=PARIS)
        )

    def next_opening_text(self, at: datetime) -> str:
        """Next opening in French ("ouvre demain à 9 h").

        "" when open now or unknown.
        """
        when = self.next_opening(at)
        return say_opening(when, _paris(at)) if when else ""

    @property
    def text(self) -> str:
        """Plain French, consecutive identical days grouped.

        E.g. "du lundi au vendredi : 9 h – 12 h 30" (en dash as in the text shown).
        """  # noqa: RUF002 - the en dash of the French hours shown
        parts: list[str] = []
        day = 0
        while day < 7:
            ranges = self.week[day]
            last = day
            while last + 1 < 7 and self.week[last + 1] == ranges:
                last += 1
            if ranges:
                # The en dash is the French typography of the hours shown to the public.
                times = " et ".join(f"{_say(s)} – {_say(e)}" for s, e in ranges)  # noqa: RUF001
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
        if self.osm and _SEASONAL.search(self.osm):
            text += " (en période habituelle ; horaires différents à certaines dates)"
        return f"{text}. {self.note}".strip() if self.note else f"{text}."

    def as_dict(self) -> dict:
        """The notation back (used to store hours as JSON)."""
        data: dict = {}
        if self.osm:
            data["osm"] = self.osm
        else:
            for index, ranges in enumerate(self.week):
                if ranges:
                    data[DAYS[index]] = ", ".join(
                        f"{s:%H:%M}-{_end(e)}" for s, e in ranges
                    )
        if self.closed_dates:
            data["closed_dates"] = [d.isoformat() for d in self.closed_dates]
        if self.note:
            data["note"] = self.note
        return data


def _paris(at: datetime) -> datetime:
    return at.replace(tzinfo=PARIS) if at.tzinfo is None else at.astimezone(PARIS)


def _end(value: time) -> str:
    return "24:00" if value == time(23, 59, 59) else f"{value:%H:%M}"


def _say(value: time) -> str:
    if value == time(23, 59, 59):
        return "minuit"
    return (
        f"{value.hour} h" if value.minute == 0 else f"{value.hour} h {value.minute:02d}"
    )


def say_opening(when: datetime, now: datetime) -> str:
    """French phrase for the next opening seen from ``now`` (both Paris time)."""
    hour = _say(when.time().replace(tzinfo=None))
    days = (when.date() - now.date()).days
    if days == 0:
        return f"ouvre aujourd'hui à {hour}"
    if days == 1:
        return f"ouvre demain à {hour}"
    if days < 7:
        return f"ouvre {DAYS[when.weekday()]} à {hour}"
    return (
        f"ouvre le {DAYS[when.weekday()]} {when.day} {MONTHS[when.month - 1]} à {hour}"
    )


def _week_expression(week: tuple[Ranges, ...]) -> str:
    rules = [
        f"{OSM_DAYS[i]} " + ",".join(f"{s:%H:%M}-{_end(e)}" for s, e in ranges)
        for i, ranges in enumerate(week)
        if ranges
    ]
    return "; ".join(rules) if rules else "closed"


def parse_day(text: str) -> Ranges:
    """Parse "09:00-12:30, 13:30-17:00" (or "fermé"); raise HoursError in French."""
    value = str(text).strip()
    if value.lower() in CLOSED_WORDS:
        return ()
    ranges = []
    for chunk in re.split(r"[,;/]| et ", value):
        match = _RANGE.match(chunk)
        if not match:
            raise HoursError(
                f"« {chunk.strip()} » n'est pas une plage horaire : écrivez par "
                "exemple "
                f"« 09:00-12:30, 13:30-17:00 » ou « fermé »"
            )
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
            raise HoursError(f"« {chunk.strip()} » contient une heure impossible")
        start, end = time(h1, m1), time(23, 59, 59) if h2 == 24 else time(h2, m2)
        if start >= end:
            raise HoursError(
                f"« {chunk.strip()} » : l'heure d'ouverture doit précéder l'heure "
                "de fermeture"
            )
        ranges.append((start, end))
    ranges.sort()
    for (_s1, e1), (s2, _e2) in pairwise(ranges):
        if s2 < e1:
            raise HoursError(f"« {value} » : deux plages se chevauchent")
    return tuple(ranges)


def parse_osm(expression: str) -> tuple[Ranges, ...]:
    """The usual week of an OSM ``opening_hours`` expression.

    Raise HoursError, in French, if unreadable.
    """
    value = " ".join(str(expression).split())
    if not value:
        raise HoursError(
            "horaires vides : supprimez « hours » si les horaires sont inconnus"
        )
    try:
        rules = opening_hours.OpeningHours(value, timezone=PARIS, country="FR")
    except (PARSER_ERROR, SyntaxError, ValueError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise HoursError(
            f"« {value} » n'est pas au format OpenStreetMap opening_hours "
            f"({first_line}) : "
            "écrivez par exemple « Mo-Fr 09:00-12:30,13:30-17:00; PH off »"
        ) from exc
    week: list[list[tuple[time, time]]] = [[] for _ in DAYS]
    end_of_week = REFERENCE_MONDAY + timedelta(days=7)
    for start, end, state, _comment in rules.intervals(REFERENCE_MONDAY, end_of_week):
        if str(state).rsplit(".", 1)[-1].upper() != "OPEN":
            continue
        cursor = start
        while cursor < end:  # split an interval that runs past midnight
            day_end = datetime.combine(
                cursor.date() + timedelta(days=1), time(0), tzinfo=PARIS
            )
            stop = min(end, day_end)
            week[cursor.weekday()].append(
                (
                    cursor.time().replace(tzinfo=None),
                    time(23, 59, 59)
                    if stop == day_end
                    else stop.time().replace(tzinfo=None),
                )
            )
            cursor = stop
    return tuple(tuple(day) for day in week)


def parse_hours(data: dict | str | None) -> OpeningHours | None:
    """Build ``OpeningHours`` from either notation; None when no hours are given."""
    if not data:
        return None
    if isinstance(data, str):
        return _parse_hours_cached((("osm", data),))
    try:
        key = tuple(
            sorted(
                (str(k), tuple(v) if isinstance(v, list) else v)
                for k, v in data.items()
            )
        )
        return _parse_hours_cached(key)
    except TypeError:  # an unhashable value: read it without the cache
        return _parse_hours_uncached(dict(data))


@lru_cache(maxsize=4096)
def _parse_hours_cached(items: tuple) -> OpeningHours:
    """Many structures share the same hours.

    Each notation is read once (``OpeningHours`` is immutable).
    """
    return _parse_hours_uncached(
        {k: list(v) if isinstance(v, tuple) else v for k, v in items}
    )


def _parse_hours_uncached(data: dict) -> OpeningHours:
    """Read either notation (the work of ``parse_hours``)."""
    unknown = set(data) - set(DAYS) - {"closed_dates", "note", "osm"}
    if unknown:
        raise HoursError(
            f"jour inconnu « {sorted(unknown)[0]} » : utilisez lundi, mardi, … dimanche"
        )
    osm = " ".join(str(data.get("osm") or "").split())
    if osm and any(day in data for day in DAYS):
        raise HoursError(
            "indiquez les horaires soit jour par jour, soit au format "
            "OpenStreetMap (« osm »), "
            "pas les deux"
        )
    if osm:
        week = parse_osm(osm)
    elif not any(day in data for day in DAYS):
        raise HoursError(
            "aucun jour d'ouverture : indiquez au moins un jour (lundi: "
            '"09:00-12:00") '
            "ou supprimez « hours » si les horaires sont inconnus"
        )
    else:
        week = tuple(parse_day(data.get(day) or "fermé") for day in DAYS)
    closed = []
    for value in data.get("closed_dates") or ():
        try:
            closed.append(
                value if isinstance(value, date) else date.fromisoformat(str(value))
            )
        except ValueError as exc:
            raise HoursError(
                f"date de fermeture « {value} » invalide : écrivez AAAA-MM-JJ"
            ) from exc
    return OpeningHours(
        week, tuple(sorted(closed)), str(data.get("note") or "").strip(), osm
    )
