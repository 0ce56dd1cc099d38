"""The orientation: the second door(s) for a routing decision and a commune.

``build_orientation(decision, commune, repository)`` returns the messages
(``domain.yml`` responses with their variables) and the payload the channels receive
in the REST ``custom`` field, typed and documented once in
``bot.conversation.orientation_payload`` (``OrientationPayload``). Facts come only
from the knowledge base: where the recommended network has no local record, how to
reach it comes first (its official entry points, then the regional service), and the
other network's structure (the second choice) after it, labelled as such; a structure
of another network is never presented as the recommended one. Without a commune, the
regional service is the one of the region whose site the person is on
(``home_region``); when that is unknown too, no region's service is listed (another
region's line would be a wrong door): the network's entry points, or where to find the
regional line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, Sequence

from bot.conversation.orientation_payload import (
    ORIENTATION,
    CommuneRef,
    OrientationPayload,
    RemoteItem,
    StructureItem,
)
from bot.conversation.routing import Decision
from bot.knowledge.freshness import age_notice, distance_text
from bot.knowledge.model import Network, Region, StructureMatch
from bot.places import Commune
from bot.text import near_place

MAX_MAIN_STRUCTURES = 2
MAX_OTHER_STRUCTURES = 1


class KnowledgeQueries(Protocol):
    """The part of the knowledge repository the orientation uses."""

    def network(self, code: str) -> Network | None:
        """The network of this code, or None."""
        ...

    def nearest_structures(
        self, network_code: str, insee: str, limit: int = 3
    ) -> list[StructureMatch]:
        """Structures of a network nearest to a commune, closest first."""
        ...

    def region_for(self, insee: str) -> Region | None:
        """The region of a commune, or None."""
        ...

    def region(self, code: str) -> Region | None:
        """The region of this code, or None."""
        ...


@dataclass(frozen=True)
class Part:
    """One message of the orientation: a ``domain.yml`` response and its variables.

    ``name`` says what the message shows, so that a channel can leave out what it draws
    otherwise (the web chat's structure cards show ``nearest`` and ``remote``).
    """

    name: str
    response: str
    variables: dict[str, Any] = field(default_factory=dict)


# What the web chat's structure cards already show: the payload's structures and
# remote, and how to reach a recommended network without a local record (its card
# comes first, before the other network's).
CARD_PARTS = frozenset({"nearest", "remote", "reach"})


@dataclass
class Orientation:
    """Messages and the payload for the channels.

    ``parts`` read alone give the whole orientation (text-only channels, the phone
    console). The first ``payload_after`` parts come before the payload, the others
    after it.
    """

    parts: list[Part]
    payload: OrientationPayload
    payload_after: int = 1

    def around_payload(
        self, hidden: frozenset[str] = frozenset()
    ) -> tuple[list[Part], list[Part]]:
        """The parts to send before and after the payload, minus the ``hidden`` ones."""
        shown = [
            (index, part)
            for index, part in enumerate(self.parts)
            if part.name not in hidden
        ]
        return (
            [part for index, part in shown if index < self.payload_after],
            [part for index, part in shown if index >= self.payload_after],
        )

    @property
    def texts(self) -> list[str]:
        """The parts as plain French texts (default variants of ``domain.yml``)."""
        from bot.conversation.wording import render

        return [render(part.response, part.variables)["text"] for part in self.parts]


def network_name(repository: KnowledgeQueries, code: str) -> str:
    """The network's French name (its code if the knowledge base does not know it)."""
    network = repository.network(code)
    return network.name if network else code


COMPETENT = "Selon sa source, cette structure est compétente pour votre commune."


def structure_item(
    match: StructureMatch, why: str, at: datetime | None, recommended: bool = False
) -> StructureItem:
    """One structure of the payload.

    ``why`` says so when its source makes it competent for the commune;
    ``recommended`` is True for the recommended network's structures only (the second
    door's follow them, and are never shown as the recommended one).
    """
    s = match.structure
    if match.serves_commune:
        why = f"{why} {COMPETENT}".strip()
    return {
        "id": s.id,
        "network": s.network,
        "name": s.name,
        "address": s.address,
        "postcode": s.postcode,
        "commune": s.commune,
        "insee": s.insee,
        "phone": s.phone,
        "email": s.email,
        "website": s.website,
        "hours": s.hours_text,
        "open_now": s.open_now(at),
        "next_opening": s.next_opening(at),
        "distance_km": match.distance_km,
        "distance_approximate": s.location == "commune",
        "verified": s.verified.isoformat() if s.verified else None,
        "age_notice": age_notice(s.verified, bool(s.phone)),
        "why": why,
        "recommended": recommended,
    }


def structure_text(item: StructureItem) -> str:
    """A structure in a few short lines."""
    lines = [
        item["name"],
        f"{item['address']}, {item['postcode']} {item['commune']}".strip(", "),
    ]
    if item["phone"]:
        lines.append(f"Tél. {item['phone']}")
    notice = item["age_notice"]
    if notice:
        lines.append(notice)
    elif not notice and not item["phone"]:
        lines.extend(
            f"{label} : {value}"
            for label, value in (("Site", item["website"]), ("Courriel", item["email"]))
            if value
        )
    if item["hours"]:
        state = {
            True: " (ouvert en ce moment)",
            False: " (fermé en ce moment)",
            None: "",
        }[item["open_now"]]
        if item.get("next_opening"):
            state = f" (fermé en ce moment, {item['next_opening']})"
        lines.append(f"Horaires : {item['hours']}{state}")
    elif notice or not item["phone"]:  # already says to check, or no phone to call
        lines.append("Horaires : non renseignés.")
    else:
        lines.append("Horaires : non renseignés, appelez avant de vous déplacer.")
    if item["distance_km"] is not None:
        lines.append(distance_text(item["distance_km"], item["distance_approximate"]))
    return "\n".join(lines)


def remote_items(
    repository: KnowledgeQueries,
    network_code: str,
    regions: Sequence[Region],
    network_first: bool = False,
) -> list[RemoteItem]:
    """Remote ways in.

    The regional service(s) first, then the network's official entry points; the
    entry points first when ``network_first`` (no local record: they find it).
    """
    items: list[RemoteItem] = []
    for region in regions:
        if not (region.phone or region.website):
            continue
        label = region.service_name or "Service régional de l'orientation"
        if region.phone_hours:
            label = f"{label} ({region.phone_hours})"
        items.append(
            {
                "label": f"{label}, {region.name}",
                "phone": region.phone,
                "url": region.website,
            }
        )
    network = repository.network(network_code)
    entries: list[RemoteItem] = [
        {"label": entry.label, "phone": entry.phone, "url": entry.url}
        for entry in (network.entry_points if network else ())
    ]
    return entries + items if network_first else items + entries


def regional_services(
    repository: KnowledgeQueries, commune: Commune | None, home_region: str | None
) -> list[Region]:
    """The region(s) whose service to offer.

    The commune's, else the site's, else none.
    """
    if commune is not None:
        region = repository.region_for(commune.insee)
    elif home_region:
        region = repository.region(home_region)
    else:
        return []
    return [region] if region is not None else []


def remote_text(item: RemoteItem) -> str:
    """One remote option on one line."""
    parts = [item["label"]]
    if item["phone"]:
        parts.append(f"tél. {item['phone']}")
    if item["url"]:
        parts.append(item["url"])
    return " : ".join([parts[0], ", ".join(parts[1:])]) if len(parts) > 1 else parts[0]


def first_sentence(text: str) -> str:
    """The first sentence of a summary (up to the first full stop)."""
    head, dot, _rest = " ".join(text.split()).partition(". ")
    return head + "." if dot or not head.endswith(".") else head


def reason_for(decision: Decision) -> str:
    """The reason: "votre situation (…) et à votre demande (…)" (routing labels)."""
    from bot.conversation.routing import get_table

    table = get_table()
    need = table.needs.get(decision.need, "").lower()
    if decision.public == "tout_public":
        return f"votre demande ({need})"
    return (
        f"votre situation ({table.publics.get(decision.public, '').lower()}) "
        f"et à votre demande ({need})"
    )


def nearest_text(item: StructureItem) -> str:
    """A structure on one line: name, address, distance."""
    place = f"{item['address']}, {item['postcode']} {item['commune']}".strip(", ")
    text = f"{item['name']}, {place}" if place else item["name"]
    if item["distance_km"] is not None:
        text += f", à environ {item['distance_km']:.0f} km".replace(
            "environ 0 km", "moins d'1 km"
        )
    return f"{text}."


def second_door(
    decision: Decision, repository: KnowledgeQueries
) -> tuple[str, str] | None:
    """The other network's name and first sentence of its summary, if it has one."""
    if not decision.also:
        return None
    network = repository.network(decision.also)
    summary = first_sentence(network.summary) if network else ""
    return network_name(repository, decision.also), summary


def orientation_payload(
    decision: Decision,
    commune: CommuneRef | None,
    structures: list[StructureItem],
    remote: list[RemoteItem],
) -> OrientationPayload:
    """The ``orientation`` message the page draws: decision, commune and places."""
    return {
        "type": ORIENTATION,
        "public": decision.public,
        "need": decision.need,
        "network": decision.network,
        "also": decision.also,
        "commune": commune,
        "structures": structures,
        "remote": remote,
    }


def build_orientation(
    decision: Decision,
    commune: Commune | None,
    repository: KnowledgeQueries,
    at: datetime | None = None,
    home_region: str | None = None,
) -> Orientation:
    """Messages and payload for one routing decision (see module docstring)."""
    main_name = network_name(repository, decision.network)
    structures: list[StructureItem] = []
    if commune is not None:
        for match in repository.nearest_structures(
            decision.network, commune.insee, MAX_MAIN_STRUCTURES
        ):
            structures.append(structure_item(match, decision.why, at, recommended=True))
    local_main = len(structures)
    also = second_door(decision, repository)
    if also and commune is not None:
        for match in repository.nearest_structures(
            str(decision.also), commune.insee, MAX_OTHER_STRUCTURES
        ):
            structures.append(structure_item(match, also[1], at))
    remote = remote_items(
        repository,
        decision.network,
        regional_services(repository, commune, home_region),
        network_first=not local_main,
    )
    remote_list = "\n".join(f"- {remote_text(item)}" for item in remote[:4])
    proposal = {"network_name": main_name, "why": decision.why}
    parts: list[Part] = []
    if local_main:
        parts.append(Part("proposal", "utter_orientation_proposal", proposal))
        parts.append(
            Part(
                "nearest",
                "utter_orientation_nearest",
                {"structure": structure_text(structures[0])},
            )
        )
    else:  # the recommended network first, with how to reach it
        parts.append(Part("proposal", "utter_orientation_proposal_remote", proposal))
        if commune is None:
            parts.append(Part("no_commune", "utter_orientation_no_commune"))
        elif remote:
            parts.append(
                Part(
                    "reach",
                    "utter_orientation_reach",
                    {
                        "commune": commune.name,
                        "near_commune": near_place(commune.name),
                        "reach_list": remote_list,
                    },
                )
            )
    payload_after = len(parts)
    if remote and not (commune is not None and not local_main):
        parts.append(
            Part("remote", "utter_orientation_remote", {"remote_list": remote_list})
        )
    elif not remote:
        parts.append(Part("regional_line", "utter_orientation_regional_line"))
    if also:
        others = structures[local_main:]
        parts.append(
            Part(
                "also",
                "utter_orientation_also",
                {
                    "also_name": also[0],
                    "also_summary": also[1],
                    "also_nearest": (
                        f"\nLe plus proche : {nearest_text(others[0])}"
                        if others
                        else ""
                    ),
                    "reason": reason_for(decision),
                },
            )
        )
    parts.append(Part("closing", "utter_orientation_closing"))
    payload = orientation_payload(
        decision,
        {"insee": commune.insee, "name": commune.name, "postcode": commune.postcode}
        if commune
        else None,
        structures,
        remote,
    )
    return Orientation(parts=parts, payload=payload, payload_after=payload_after)
