"""The dashboard's filters read from a query string (period, territory, channel).

Invalid values raise ``ValueError`` with a French message the page shows; when the
error leaves a sensible choice (a département outside the region chosen: the region
alone), the error carries it as ``fallback`` and the page shows it under the message.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from bot.indicators.aggregate import Filters
from bot.indicators.derive import paris_today
from bot.indicators.labels import TerritoryMismatch, checked_territory


def default_filters(region: str) -> Filters:
    """From January to the current month, in the home region."""
    today = paris_today()
    return Filters.months(date(today.year, 1, 1), today, region=region)


def _month(text: str, what: str) -> date:
    """A month written AAAA-MM (or a date AAAA-MM-JJ, whose month is taken)."""
    try:
        return date.fromisoformat(text[:7] + "-01")
    except ValueError:
        raise ValueError(
            f"Mois de {what} invalide : « {text[:20]} » "
            "(attendu : AAAA-MM, ex. 2026-03)."
        ) from None


class FilterError(ValueError):
    """Invalid filters, with the filters to show instead (or None: the defaults)."""

    def __init__(self, message: str, fallback: Filters | None = None) -> None:
        """The French message and the filters the page shows with it."""
        super().__init__(message)
        self.fallback = fallback


def _territory(args: Any, region: str) -> dict[str, str]:
    """Region and département; without a region in the query, the département's own."""
    departement = str(args.get("departement", "") or "").strip().upper()
    wanted_region = str(args.get("region", region) or "").strip()
    if departement and "region" not in args:
        wanted_region = ""
    return checked_territory(wanted_region, departement)


def filters_from(args: Any, region: str) -> Filters:
    """Filters from the query string; ``ValueError`` (in French) when invalid."""
    default = default_filters(region)
    start = _month(str(args.get("start") or default.start.isoformat()), "début")
    end = _month(str(args.get("end") or default.end.isoformat()), "fin")
    if end - start > timedelta(days=3 * 366):
        raise ValueError("Choisissez une période de trois ans au plus.")
    channel = str(args.get("channel", "") or "")
    try:
        territory = _territory(args, region)
    except TerritoryMismatch as error:
        # The region chosen last wins: show it with all its départements.
        fallback = Filters.months(start, end, channel=channel, region=error.region)
        raise FilterError(str(error), fallback) from None
    return Filters.months(start, end, channel=channel, **territory)


def report_filters(args: Any, region: str) -> Filters:
    """A calendar year and a territory for the annual report."""
    try:
        year = int(str(args.get("year", "")))
    except ValueError:
        raise ValueError(
            "Indiquez l'année du rapport, par exemple year=2026."
        ) from None
    if not 2000 <= year <= 2100:
        raise ValueError("Année hors limites.")
    return Filters.for_year(year, **_territory(args, region))
