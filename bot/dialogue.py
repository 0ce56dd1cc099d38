"""Plain helpers behind the dialogue actions: questions, orientation, first-level answers.

Channel-specific wording comes from the input channel's name: on the tele-advisers'
``console`` no quick-reply buttons are sent (the adviser reads the question aloud).
"""

from __future__ import annotations

import logging
from typing import Any

from bot.orientation import build_orientation
from bot.routing import Profile, get_table, route

log = logging.getLogger(__name__)

CONSOLE_CHANNEL = "console"
# Channels that draw the orientation payload as structure cards.
CARD_CHANNELS = frozenset({"webchat"})

NO_KNOWLEDGE_TEXT = (
    "Je ne peux pas consulter les adresses pour le moment. Le service régional de "
    "l'orientation de votre région vous répond gratuitement : son numéro est sur le site "
    "de votre Région. Vous pouvez aussi demander à parler à une personne."
)


def with_buttons(channel: str | None) -> bool:
    """Quick replies everywhere except on the tele-advisers' console."""
    return channel != CONSOLE_CHANNEL


def commune_question(choices: list[dict[str, str]] | None, channel: str | None) -> tuple[str, list[dict[str, str]]]:
    """The commune question, or the choice between homonyms by département."""
    buttons: list[dict[str, str]] = []
    if choices:
        text = "Plusieurs communes correspondent. Laquelle ? (son nom, ou son département)"
        if with_buttons(channel):
            buttons = [{"title": c["label"], "payload": f'/inform{{"commune_insee": "{c["insee"]}"}}'}
                       for c in choices]
        else:
            text += " (" + " ; ".join(c["label"] for c in choices) + ")"
        return text, buttons
    text = ("Dans quelle commune habitez-vous (ou son code postal) ? Cela me permet de vous "
            "indiquer l'adresse la plus proche. Vous pouvez aussi ne pas répondre.")
    if with_buttons(channel):
        buttons = [{"title": "Je préfère ne pas le dire", "payload": "/skip"}]
    return text, buttons


def home_region(latest_message: dict[str, Any] | None) -> str | None:
    """The region of the site the person writes from (the web chat's ``region`` metadata)."""
    metadata = (latest_message or {}).get("metadata") or {}
    code = metadata.get("region") if isinstance(metadata, dict) else None
    return code if isinstance(code, str) and len(code) == 2 and code.isdigit() else None


def orientation_messages(
    slots: dict[str, Any], channel: str | None, region_code: str | None = None
) -> tuple[list[str], dict[str, Any], list[str]]:
    """Texts before the payload, the payload, texts after it; never a dead end.

    Channels that draw the payload as structure cards (the web chat) do not get the texts
    the cards already show; the phone console gets no "you can write…" hint.
    """
    from bot import places
    from bot.knowledge import get_repository

    decision = route(Profile.from_slots(slots))
    insee = slots.get("commune_insee")
    try:
        commune = places.commune(insee) if insee else None
        orientation = build_orientation(decision, commune, get_repository(), home_region=region_code)
    except Exception:  # noqa: BLE001 - never a dead end: give the network and the regional service
        log.exception("orientation without the knowledge base")
        table = get_table()
        label = table.needs.get(decision.need, "")
        texts = [f"Pour « {label} », la bonne structure est : {decision.network.replace('_', ' ')}. "
                 f"{decision.why}", NO_KNOWLEDGE_TEXT]
        payload = {"type": "orientation", "public": decision.public, "need": decision.need,
                   "network": decision.network, "also": decision.also,
                   "commune": ({"insee": insee, "name": slots.get("commune_name"),
                                "postcode": slots.get("postcode")} if insee else None),
                   "structures": [], "remote": []}
        return texts, payload, []
    before, after = orientation.around_payload(with_cards=channel in CARD_CHANNELS)
    if not with_buttons(channel):  # phone: the adviser tells the caller they can call back
        after = [t for t in after if not t.startswith("C'est gratuit.")]
    return before, orientation.payload, after


def info_answer(text: str) -> list[str]:
    """First-level information from the knowledge base's sheets (or a network's summary)."""
    from bot.knowledge import get_repository

    repository = get_repository()
    sheets = repository.find_sheets(text, limit=1)
    if sheets:
        sheet = sheets[0]
        return [f"{sheet.title} : {sheet.answer}".strip(),
                f"Source : {sheet.source_label} ({sheet.source_url})"]
    network = repository.find_network(text)
    if network is not None:
        return [f"{network.name} : {network.summary}"]
    return []


def human_contact(slots: dict[str, Any], region_code: str | None = None) -> str:
    """How to reach a person: the line of the person's region (commune, else site), else where to find it."""
    from bot.knowledge import get_repository

    insee = slots.get("commune_insee")
    region = None
    if insee or region_code:
        try:
            repository = get_repository()
            region = repository.region_for(insee) if insee else repository.region(region_code)
        except Exception:  # noqa: BLE001 - knowledge unavailable: the generic answer
            log.exception("region lookup failed")
    if region is not None and region.phone:
        hours = f" ({region.phone_hours})" if region.phone_hours else ""
        site = f" Site : {region.website}." if region.website else ""
        return (f"Vous pouvez parler à un conseiller ou une conseillère du {region.service_name} "
                f"({region.name}) au {region.phone}{hours}, gratuitement.{site} "
                "Je reste disponible ici si vous préférez continuer par écrit.")
    return ("Vous pouvez parler à un conseiller ou une conseillère du service public régional de "
            "l'orientation, gratuitement : le site de votre Région indique le numéro et les horaires. "
            "Si vous me dites votre commune, je vous donne le bon numéro. "
            "Je reste disponible ici si vous préférez continuer par écrit.")
