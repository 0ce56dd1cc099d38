"""What the person reads when a part of the assistant fails: French, the line, a person.

Used by the channels (a request that cannot be handled) and by the Rasa patch
``bot.rasa_patches.action_failure`` (action server down, slow or erroring). The regional
line comes from the knowledge base (the region of the person's commune, else of the
site they write from); when it is unknown, the text says where to find it. Plain
module: no Rasa import.
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)

SERVICE_PROBLEM = (
    "Pardon, un problème technique m'empêche de vous répondre pour le moment. "
    "Ce que vous avez écrit est gardé : réessayez dans quelques instants."
)
NOT_KEPT = (
    "Pardon, un problème technique m'empêche de vous répondre pour le moment. "
    "Réessayez dans quelques instants."
)
GENERIC_LINE = (
    "Vous pouvez aussi parler à un conseiller ou une conseillère du service public "
    "régional de l'orientation, gratuitement : le site de votre Région indique "
    "le numéro et les horaires."
)
DEFAULT_SERVICE = "service régional de l'orientation"


def regional_line(region_code: str | None = None, insee: str | None = None) -> str:
    """The human option: the region's line when the knowledge base knows it."""
    if not (region_code or insee):
        return GENERIC_LINE
    try:
        from bot.knowledge import find_region

        region = find_region(insee, region_code)
    except Exception:
        logger.warning("No regional line for the service-problem answer", exc_info=True)
        return GENERIC_LINE
    if region is None or not region.phone:
        return GENERIC_LINE
    hours = f" ({region.phone_hours})" if region.phone_hours else ""
    return (
        f"Vous pouvez aussi parler à un conseiller ou une conseillère du "
        f"{region.service_name or DEFAULT_SERVICE} ({region.name}) "
        f"au {region.phone}{hours}, gratuitement."
    )


def service_problem_text(
    region_code: str | None = None, insee: str | None = None, kept: bool = True
) -> str:
    """The answer to a failure: what happened, whether the words are kept, a person."""
    return (
        f"{SERVICE_PROBLEM if kept else NOT_KEPT} {regional_line(region_code, insee)}"
    )
