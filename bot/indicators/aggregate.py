"""Aggregated indicators for a period and a territory, with a minimum cell size.

Every count of one value is at least ``min_cell`` (``SPRO_INDICATORS_MIN_CELL``, 5 by
default). Within a breakdown, the values below it are merged into one « Autres » line;
when that line would hold a single value (so its count could be read by subtracting the
others from the total) and stay below the threshold, the next smallest value joins it. A
total below the threshold is shown as « moins de N » and its breakdowns stay empty.
Knowledge gaps (orientations without a local structure) list every network and
département concerned, since the missing structure is the information, with the count
hidden when small.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import func, select

from bot import config
from bot.indicators.store import (
    CHANNELS,
    IndicatorStore,
    counts_table,
    daily_table,
    windows_table,
)

OTHERS = "autres"
DIMENSIONS = (
    "outcome",
    "public",
    "need",
    "network",
    "local_structure",
    "satisfaction",
    "feedback_theme",
    "abandoned_at",
    "epci",
    "handover_outcome",
    "call_back_outcome",
    "phone_call_outcome",
)


@dataclass(frozen=True)
class Filters:
    """What the staff chose: whole months, optionally a territory and a channel.

    Periods are whole months: the counts are kept per month, and a finer period would
    let one subtract two overlapping selections to read a small cell.
    """

    start: date
    end: date
    region: str = ""
    departement: str = ""
    channel: str = ""

    def __post_init__(self) -> None:
        """Refuse an inverted period or an unknown channel (French messages)."""
        if self.end < self.start:
            raise ValueError("La fin de la période doit suivre son début.")
        if self.start.day != 1 or (self.end + timedelta(days=1)).day != 1:
            raise ValueError(
                "La période va du premier jour d'un mois au dernier jour d'un mois."
            )
        if self.channel and self.channel not in CHANNELS:
            raise ValueError(f"Canal inconnu : « {self.channel} ».")

    @classmethod
    def months(cls, first: date, last: date, **others: str) -> "Filters":
        """From the month of ``first`` to the end of the month of ``last``."""
        following = (last.replace(day=1) + timedelta(days=32)).replace(day=1)
        return cls(first.replace(day=1), following - timedelta(days=1), **others)

    @classmethod
    def for_year(cls, year: int, **territory: str) -> "Filters":
        """One calendar year."""
        return cls(date(year, 1, 1), date(year, 12, 31), **territory)

    def as_dict(self) -> dict[str, str]:
        """The filters as query parameters."""
        return {
            "start": f"{self.start:%Y-%m}",
            "end": f"{self.end:%Y-%m}",
            "region": self.region,
            "departement": self.departement,
            "channel": self.channel,
        }


@dataclass
class Cell:
    """One line of a breakdown: a code and its count (None when hidden)."""

    value: str
    count: int | None
    share: float | None = None


@dataclass
class Indicators:
    """Everything the dashboard and the report show for one set of filters."""

    filters: Filters
    min_cell: int
    total: int | None
    weeks: list[Cell]
    months: list[Cell] = field(default_factory=list)
    breakdowns: dict[str, list[Cell]] = field(default_factory=dict)
    gaps: list[dict[str, Any]] = field(default_factory=list)
    handovers: int | None = None
    call_backs: int | None = None
    phone_calls: int | None = None
    mean_wait_seconds: int | None = None
    # The last derivation from the tracker store (UTC): when it ran, and the time up to
    # which ended conversations are counted. None before the first run.
    computed_at: datetime | None = None
    counted_until: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""

        def cells(items: list[Cell]) -> list[dict[str, Any]]:
            return [
                {"value": c.value, "count": c.count, "share": c.share} for c in items
            ]

        return {
            "filters": self.filters.as_dict(),
            "min_cell": self.min_cell,
            "total": self.total,
            "weeks": cells(self.weeks),
            "months": cells(self.months),
            "breakdowns": {
                name: cells(items) for name, items in self.breakdowns.items()
            },
            "gaps": self.gaps,
            "handovers": self.handovers,
            "call_backs": self.call_backs,
            "phone_calls": self.phone_calls,
            "mean_wait_seconds": self.mean_wait_seconds,
            "computed_at": _iso(self.computed_at),
            "counted_until": _iso(self.counted_until),
        }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def suppress(counts: dict[str, int], min_cell: int) -> list[Cell]:
    """Cells of a breakdown, largest first, with small values merged into « autres »."""
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    total = sum(counts.values())
    if total == 0:
        return []
    if total < min_cell:
        return [Cell(OTHERS, None)]
    shown = [(v, n) for v, n in ordered if n >= min_cell and v != OTHERS]
    hidden_values = len(ordered) - len(shown)
    hidden = total - sum(n for _, n in shown)
    while hidden_values == 1 and hidden < min_cell and shown:
        _, n = shown.pop()  # the smallest shown value joins « autres »
        hidden += n
        hidden_values += 1
    cells = [Cell(v, n, round(n / total, 4)) for v, n in shown]
    if hidden:
        cells.append(Cell(OTHERS, hidden, round(hidden / total, 4)))
    return cells


def small(count: int, min_cell: int) -> int | None:
    """A count, or None when below the threshold (zero is shown: it reveals nobody)."""
    return count if count >= min_cell or count == 0 else None


def monday(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def compute(
    store: IndicatorStore, filters: Filters, min_cell: int | None = None
) -> Indicators:
    """The indicators for ``filters``, read from the monthly and daily counts."""
    min_cell = config.indicators_min_cell() if min_cell is None else min_cell
    c, d = counts_table.c, daily_table.c
    monthly = [c.month >= filters.start, c.month <= filters.end]
    daily = [d.day >= filters.start, d.day <= filters.end, d.kind == "conversation"]
    for name, wanted in (
        ("region", filters.region),
        ("departement", filters.departement),
        ("channel", filters.channel),
    ):
        if wanted:
            monthly.append(c[name] == wanted)
            daily.append(d[name] == wanted)
    totals = (
        select(c.dimension, c.value, func.sum(c.n), func.sum(c.seconds))
        .where(*monthly, c.dimension != "gap")
        .group_by(c.dimension, c.value)
    )
    weekly = select(d.day, func.sum(d.n)).where(*daily).group_by(d.day)
    gaps = (
        select(c.departement, c.value, func.sum(c.n))
        .where(*monthly, c.dimension == "gap")
        .group_by(c.departement, c.value)
    )
    with store.engine.connect() as connection:
        by_dimension: dict[str, dict[str, int]] = {}
        seconds: dict[tuple[str, str], int] = {}
        for dimension, value, n, secs in connection.execute(totals):
            by_dimension.setdefault(dimension, {})[value] = int(n)
            seconds[(dimension, value)] = int(secs or 0)
        days = connection.execute(weekly).all()
        gap_rows = connection.execute(gaps).all()
        last_run = connection.execute(
            select(func.max(windows_table.c.derived_at), func.max(windows_table.c.end))
        ).one()
    kinds = by_dimension.get("kind", {})
    total = kinds.get("conversation", 0)
    per_week: dict[date, int] = {}
    for day, n in days:
        per_week[monday(day)] = per_week.get(monday(day), 0) + int(n)
    week, weeks = monday(filters.start), []
    while week <= filters.end:
        weeks.append(Cell(week.isoformat(), small(per_week.get(week, 0), min_cell)))
        week += timedelta(days=7)
    per_month: dict[date, int] = {}
    for day, n in days:
        per_month[day.replace(day=1)] = per_month.get(day.replace(day=1), 0) + int(n)
    month, months = filters.start.replace(day=1), []
    while month <= filters.end:
        months.append(Cell(month.isoformat(), small(per_month.get(month, 0), min_cell)))
        month = (month + timedelta(days=32)).replace(day=1)
    indicators = Indicators(
        filters=filters,
        min_cell=min_cell,
        total=small(total, min_cell),
        weeks=weeks,
        months=months,
    )
    if last_run[0] is not None:
        indicators.computed_at = last_run[0].replace(tzinfo=timezone.utc)
        indicators.counted_until = datetime.fromtimestamp(last_run[1], timezone.utc)
    if indicators.total:
        for dimension in DIMENSIONS:
            indicators.breakdowns[dimension] = suppress(
                by_dimension.get(dimension, {}), min_cell
            )
    handovers, call_backs = kinds.get("handover", 0), kinds.get("call_back", 0)
    indicators.handovers = small(handovers, min_cell)
    indicators.call_backs = small(call_backs, min_cell)
    indicators.phone_calls = small(kinds.get("phone_call", 0), min_cell)
    if handovers >= min_cell:
        waited = sum(s for (d, _), s in seconds.items() if d == "handover_outcome")
        indicators.mean_wait_seconds = round(waited / handovers)
    gaps = [
        {"departement": dep, "network": net, "count": small(int(n), min_cell)}
        for dep, net, n in gap_rows
    ]
    # Largest shown counts first; hidden ones after, in code order (sizes stay hidden).
    indicators.gaps = sorted(
        gaps, key=lambda g: (-(g["count"] or 0), g["departement"], g["network"])
    )
    return indicators


def table_rows(indicators: Indicators) -> list[dict[str, Any]]:
    """The aggregated table (one row per indicator and value), for the CSV export."""
    rows: list[dict[str, Any]] = [
        {
            "indicateur": "conversations",
            "valeur": "total",
            "nombre": indicators.total,
            "part": None,
        }
    ]
    for cell in indicators.months:
        rows.append(
            {
                "indicateur": "mois",
                "valeur": cell.value,
                "nombre": cell.count,
                "part": None,
            }
        )
    for cell in indicators.weeks:
        rows.append(
            {
                "indicateur": "semaine",
                "valeur": cell.value,
                "nombre": cell.count,
                "part": None,
            }
        )
    for dimension, cells in indicators.breakdowns.items():
        for cell in cells:
            rows.append(
                {
                    "indicateur": dimension,
                    "valeur": cell.value,
                    "nombre": cell.count,
                    "part": cell.share,
                }
            )
    for gap in indicators.gaps:
        rows.append(
            {
                "indicateur": "lacune",
                "valeur": f"{gap['departement']}:{gap['network']}",
                "nombre": gap["count"],
                "part": None,
            }
        )
    return rows
