"""The console as a script: French labels, what to propose, what to ask next.

Plain module (no Rasa): from a profile (the dialogue's slot values) and an orientation
payload it builds what the adviser reads out, on calls and chats alike — the recommended
door first (« Proposez : … », « Pourquoi : … »; when its network has no local structure,
how to reach it), the other network as the second choice, and the next question while
the profile is incomplete. A structure of the other network is never « Proposez ».
Need and public labels come from the routing table (``knowledge/routing.yml``); unknown
codes are shown as they are.
"""

from __future__ import annotations

from typing import Any, Callable

from bot.conversation.orientation_payload import (
    other_structures,
    recommended_structures,
)
from bot.text import french_km

UNKNOWN = "non renseigné"
SITUATION_LABELS = {
    "eleve": "Collégien ou lycéen",
    "parent_eleve": "Parent d'élève",
    "etudiant": "Étudiant ou étudiante",
    "decrocheur": "A quitté l'école sans diplôme",
    "sans_emploi": "Sans emploi",
    "salarie": "Salarié ou salariée",
    "independant": "Indépendant ou indépendante",
    "non_precise": "Non précisée",
}
AGE_BAND_LABELS = {
    "moins_16": "Moins de 16 ans",
    "16_25": "16 à 25 ans",
    "26_plus": "26 ans et plus",
}
SECTOR_LABELS = {
    "artisanat": "Artisanat",
    "commerce": "Commerce, industrie ou services",
    "agriculture": "Agriculture",
    "non_precise": "Non précisé",
}
# What to ask while a field that routing needs is missing, in the order to ask it.
NEXT_QUESTIONS = (
    (
        "need",
        "Demandez ce que la personne souhaite : choisir des études, trouver un "
        "emploi, une formation, changer de métier…",
    ),
    (
        "situation",
        "Demandez sa situation aujourd'hui : élève, étudiant ou étudiante, sans "
        "emploi, salarié ou salariée…",
    ),
    (
        "age",
        "Demandez son âge (il change la structure proposée : moins de 26 ans, "
        "Mission locale).",
    ),
    (
        "commune_name",
        "Demandez sa commune ou son code postal, pour l'adresse la plus proche.",
    ),
)


def routing_labels() -> tuple[dict[str, str], dict[str, str]]:
    """Need and public labels of the routing table (empty when it cannot be read)."""
    try:
        from bot.conversation.routing import get_table

        table = get_table()
    except (OSError, ValueError, KeyError):
        return {}, {}
    return dict(table.needs), dict(table.publics)


def humanize(value: Any) -> str:
    """A slot value in plain French for display.

    E.g. "cdd_end" -> "cdd end", True -> "oui".
    """
    if value is None or value == "":
        return UNKNOWN
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace("_", " ")


def label(field: str, value: Any) -> str:
    """A profile value in French words."""
    if value is None or value == "" or isinstance(value, (bool, float)):
        return humanize(value)
    if field in ("need", "public"):
        needs, publics = routing_labels()
        table = needs if field == "need" else publics
    else:
        table = {
            "situation": SITUATION_LABELS,
            "age_band": AGE_BAND_LABELS,
            "sector": SECTOR_LABELS,
        }.get(field, {})
    return table.get(str(value)) or humanize(value)


def profile_with_orientation(
    profile: dict[str, Any], orientation: dict[str, Any] | None
) -> dict[str, Any]:
    """The profile, with need and public taken from the orientation when it has them."""
    merged = dict(profile)
    for field in ("need", "public"):
        if not merged.get(field) and orientation and orientation.get(field):
            merged[field] = orientation[field]
    return merged


def place_text(structure: dict[str, Any]) -> str:
    """Address, postcode and commune of a structure, as one string."""
    return " ".join(
        str(p)
        for p in (
            structure.get("address"),
            structure.get("postcode"),
            structure.get("commune"),
        )
        if p
    )


def reach_text(remote: dict[str, Any]) -> str:
    """A remote way in: its label, phone and site."""
    ways = ", ".join(
        str(v)
        for v in (remote.get("phone") and f"tél. {remote['phone']}", remote.get("url"))
        if v
    )
    return f"{remote.get('label', '')} : {ways}" if ways else str(remote.get("label"))


def proposal(
    orientation: dict[str, Any] | None, network_name: Callable[[str], str]
) -> dict[str, Any] | None:
    """The recommended door (« Proposez », « Pourquoi »), then the second choice."""
    if not orientation:
        return None
    mains = recommended_structures(orientation)
    main = mains[0] if mains else None
    network = str(orientation.get("network") or "")
    if main:
        network_label = network_name(main.get("network") or network)
        propose = f"Proposez : {main.get('name')} ({network_label})"
        details = [
            d
            for d in (
                place_text(main),
                main.get("phone") and f"Tél. {main['phone']}",
                main.get("age_notice"),
                main.get("hours"),
            )
            if d
        ]
        why = main.get("why") or ""
    else:
        propose = (
            f"Proposez : {network_name(network)} "
            "(pas de fiche locale près de la personne)"
        )
        details = [
            f"Pour le joindre : {reach_text(remote)}"
            for remote in orientation.get("remote") or []
            if isinstance(remote, dict)
        ] or ["Où chercher : le site national du réseau et la ligne régionale."]
        details.append("Signalez le manque à l'équipe (python -m bot coverage).")
        why = ""
    secondary = None
    also = orientation.get("also")
    if also:
        secondary = f"En second choix, si besoin : {network_name(str(also))}"
        others = other_structures(orientation)
        if others:
            other = others[0]
            where = place_text(other)
            distance = other.get("distance_km")
            secondary += f" — {other.get('name')}" + (f", {where}" if where else "")
            if isinstance(distance, (int, float)):
                secondary += f", à environ {french_km(distance)}"
    return {
        "propose": propose,
        "details": details,
        "why": f"Pourquoi : {why}" if why else "",
        "secondary": secondary,
    }


def next_question(profile: dict[str, Any], orientation: dict[str, Any] | None) -> str:
    """The next question to ask, or what to do once the person is oriented."""
    if orientation:
        return (
            "La personne est orientée : vérifiez qu'elle a noté l'adresse, proposez "
            "la fiche de liaison."
        )
    for field, question in NEXT_QUESTIONS:
        if profile.get(field) in (None, ""):
            return question
    return "Le profil est complet : proposez la structure ci-dessous."


def profile_lines(profile: dict[str, Any]) -> list[dict[str, str]]:
    """Rows for display: label and value in words, need first."""
    commune = profile.get("commune_name")
    if commune and profile.get("postcode"):
        commune = f"{commune} ({profile['postcode']})"
    rows = [
        ("Besoin", label("need", profile.get("need"))),
        ("Public", label("public", profile.get("public"))),
        ("Situation", label("situation", profile.get("situation"))),
        ("Âge", label("age", profile.get("age"))),
        ("Commune", str(commune or UNKNOWN)),
        ("Handicap (RQTH)", label("disability", profile.get("disability"))),
        ("Cadre", label("cadre", profile.get("cadre"))),
        ("Secteur d'activité", label("sector", profile.get("sector"))),
    ]
    return [{"label": name, "text": value} for name, value in rows]
