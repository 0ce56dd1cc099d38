"""Plain helpers behind the dialogue actions: orientation, information, a person.

They return ``Utterance``s (``domain.yml`` responses and their variables), never French
text: the wording lives in ``domain.yml``. What a channel shows differently is declared
in ``bot.conversation.channel_differences``: the phone ``console`` gets no quick-reply
buttons (the adviser reads aloud) and no closing hint; the ``webchat`` draws the
orientation payload as structure cards, so the parts the cards show are not sent as
text.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from bot.conversation.channel_differences import channel_profile
from bot.conversation.orientation import (
    Part,
    build_orientation,
    orientation_payload,
)
from bot.conversation.orientation_payload import CommuneRef, OrientationPayload
from bot.conversation.routing import Profile, get_table, route
from bot.conversation.wording import Utterance
from bot.knowledge.model import Region

log = logging.getLogger(__name__)


def with_buttons(channel: str | None) -> bool:
    """Quick replies unless the channel says otherwise (``channel_differences``)."""
    return channel_profile(channel).quick_replies


def home_region(latest_message: dict[str, Any] | None) -> str | None:
    """The region of the site the person writes from.

    From the web chat's ``region`` metadata.
    """
    metadata = (latest_message or {}).get("metadata") or {}
    code = metadata.get("region") if isinstance(metadata, dict) else None
    return code if isinstance(code, str) and len(code) == 2 and code.isdigit() else None


def _utterance(part: Part) -> Utterance:
    return Utterance(part.response, dict(part.variables))


def orientation_messages(
    slots: dict[str, Any], channel: str | None, region_code: str | None = None
) -> tuple[list[Utterance], OrientationPayload, list[Utterance]]:
    """Messages before the payload, the payload, messages after it; never a dead end."""
    from bot import places
    from bot.knowledge import get_repository

    decision = route(Profile.from_slots(slots))
    insee = slots.get("commune_insee")
    try:
        commune = places.commune(insee) if insee else None
        orientation = build_orientation(
            decision, commune, get_repository(), home_region=region_code
        )
    except Exception:
        log.exception("orientation without the knowledge base")
        label = get_table().needs.get(decision.need, "")
        said = [
            Utterance(
                "utter_orientation_without_knowledge",
                {
                    "need_label": label,
                    "network_name": decision.network.replace("_", " "),
                    "why": decision.why,
                },
            ),
            Utterance("utter_no_knowledge"),
        ]
        commune_ref: CommuneRef | None = (
            {
                "insee": insee,
                "name": slots.get("commune_name"),
                "postcode": slots.get("postcode"),
            }
            if insee
            else None
        )
        payload = orientation_payload(
            decision,
            commune_ref,
            [],
            [],
        )
        return said, payload, []
    before, after = orientation.around_payload(channel_profile(channel).hidden_parts)
    return (
        [_utterance(p) for p in before],
        orientation.payload,
        [_utterance(p) for p in after],
    )


def info_answer(text: str) -> tuple[list[Utterance], str | None]:
    """First-level information from the knowledge base's sheets or a network's summary.

    Also returns the code of the sheet answered (its context guides a later
    orientation).
    """
    from bot.knowledge import get_repository

    repository = get_repository()
    sheets = repository.find_sheets(text, limit=1)
    if sheets:
        sheet = sheets[0]
        return [
            Utterance(
                "utter_info_sheet",
                {"title": sheet.title, "answer": sheet.answer.strip()},
            ),
            Utterance(
                "utter_info_source",
                {"source_label": sheet.source_label, "source_url": sheet.source_url},
            ),
        ], sheet.code
    network = repository.find_network(text)
    if network is not None:
        return [
            Utterance(
                "utter_info_network", {"name": network.name, "summary": network.summary}
            )
        ], None
    return [], None


@dataclass(frozen=True)
class HumanContact:
    """How to reach a person: the messages, and the links a page can draw in them.

    ``links`` (the line's ``tel:`` link, the service's site, as data: the page words
    them) go in the web chat's hand-over payload, which draws them inside the message;
    channels without it get the site as a message of its own (``site``).
    """

    said: list[Utterance]
    links: list[dict[str, str]] = field(default_factory=list)
    site: Utterance | None = None


def service_short_name(region: Region) -> str:
    """« SPRO Centre-Val de Loire »: the acronym of the service's name and the region.

    The service's full name when it has no acronym in brackets.
    """
    acronym = re.search(r"\(([^()]+)\)", region.service_name)
    if acronym:
        return f"{acronym[1]} {region.name}"
    return region.service_name or region.name


def site_label(url: str) -> str:
    """« etoile.regioncentre.fr »: the address without scheme, « www. », final slash."""
    host = re.sub(r"^[a-z]+://", "", url.strip(), flags=re.IGNORECASE)
    return re.sub(r"^www\.", "", host).rstrip("/")


def tel_href(phone: str) -> str | None:
    """``tel:0800222100`` for a dialable number, else None."""
    digits = re.sub(r"[\s.\-()]", "", phone)
    return f"tel:{digits}" if re.fullmatch(r"\+?\d{3,15}", digits) else None


def human_contact(
    slots: dict[str, Any], region_code: str | None = None
) -> HumanContact:
    """How to reach a person.

    The line of the person's region (commune, else site), else where to find it.
    """
    from bot.knowledge import find_region

    region = None
    try:
        region = find_region(slots.get("commune_insee"), region_code)
    except Exception:
        log.exception("region lookup failed")
    if region is None or not region.phone:
        return HumanContact([Utterance("utter_human_contact_generic")])
    phone = (
        f"{region.phone} ({region.phone_hours})" if region.phone_hours else region.phone
    )
    service = service_short_name(region)
    said = [
        Utterance("utter_human_contact_region", {"service": service, "phone": phone})
    ]
    links = []
    href = tel_href(region.phone)
    if href:
        links.append({"kind": "phone", "href": href, "phone": region.phone})
    site = None
    if region.website:
        host = site_label(region.website)
        links.append(
            {"kind": "site", "href": region.website, "service": service, "host": host}
        )
        site = Utterance(
            "utter_human_contact_site", {"service": service, "website": region.website}
        )
    return HumanContact(said, links, site)
