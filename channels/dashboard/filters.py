"""The dashboard's filters read from a query string (period, territory, channel).

Invalid values raise ``ValueError`` with a French message the page shows.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from bot.indicators.aggregate import Filters
from bot.indicators.labels import territories


def default_filters(region: str) -> Filters:
    """From January to the current month, in the home region."""
    today = date.today()
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


def _territory(args: Any, region: str) -> dict[str, str]:
    departement = str(args.get("departement", "") or "").strip().upper()
    wanted_region = str(args.get("region", region) or "").strip()
    names = territories()
    if departement and departement not in names["departement"]:
        raise ValueError(f"Département inconnu : « {departement[:5]} ».")
    if wanted_region and wanted_region not in names["region"]:
        raise ValueError(f"Région inconnue : « {wanted_region[:5]} ».")
    if departement:
        wanted_region = names["departement_region"].get(departement, wanted_region)
    return {"region": wanted_region, "departement": departement}


def filters_from(args: Any, region: str) -> Filters:
    """Filters from the query string; ``ValueError`` (in French) when invalid."""
    default = default_filters(region)
    start = _month(str(args.get("start") or default.start.isoformat()), "début")
    end = _month(str(args.get("end") or default.end.isoformat()), "fin")
    if end - start > timedelta(days=3 * 366):
        raise ValueError("Choisissez une période de trois ans au plus.")
    channel = str(args.get("channel", "") or "")
    return Filters.months(start, end, channel=channel, **_territory(args, region))


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
