"""How old a record's data is, said plainly to the public and to advisers.

A record's ``verified`` date is the date of its data (the source's update, or the day
staff checked it). Older than ``config.knowledge_max_age_months()`` (12 by default), the
orientation says so — « Coordonnées de 2019 : appelez avant de vous déplacer. » — and
the phone stays the first thing to use. A position taken at the commune's point (no
address coordinates in the source) makes any distance approximate.
"""

from __future__ import annotations

from datetime import date

from bot import config


def is_stale(verified: date | None, today: date, max_age_months: int) -> bool:
    """True when the data is older than ``max_age_months`` (or has no date)."""
    if verified is None:
        return True
    months = (today.year - verified.year) * 12 + today.month - verified.month
    return months > max_age_months or (
        months == max_age_months and today.day > verified.day
    )


def age_notice(
    verified: date | None,
    has_phone: bool,
    today: date | None = None,
    max_age_months: int | None = None,
) -> str:
    """The plain-French notice for old data, or "" when the data is recent enough."""
    today = today or date.today()
    limit = (
        config.knowledge_max_age_months() if max_age_months is None else max_age_months
    )
    if not is_stale(verified, today, limit):
        return ""
    what = f"Coordonnées de {verified.year}" if verified else "Coordonnées non datées"
    if has_phone:
        return f"{what} : appelez avant de vous déplacer."
    return f"{what} : vérifiez-les avant de vous déplacer."


def distance_text(distance_km: float, approximate: bool) -> str:
    """« À environ 3 km de chez vous. », approximate when measured from the commune."""
    text = f"À environ {distance_km:.0f} km de chez vous".replace(
        "environ 0 km", "moins d'1 km"
    )
    if approximate:
        text += " (distance approximative, depuis le centre de la commune)"
    return text + "."
