"""The fiche de liaison: the handover summary of a call for the second door.

Built from a stored call only (no Rasa, no network): the adviser copies, prints or
downloads it; the assistant sends it nowhere. It is anonymous unless the adviser
recorded the caller's consent together with a name or a contact.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable
from zoneinfo import ZoneInfo

from bot.advisers.profile_view import UNKNOWN, commune_text
from bot.advisers.script_aid import label, profile_with_orientation
from bot.advisers.store import OUTCOMES, CallRecord
from bot.conversation.orientation_payload import is_recommended

PARIS = ZoneInfo("Europe/Paris")
TITLE = "Fiche de liaison — Service public régional de l'orientation"
ANONYMOUS = (
    "Anonyme (la personne n'a pas donné son accord pour transmettre son identité)."
)


@dataclass(frozen=True)
class Section:
    """A titled part of the fiche: lines of plain text."""

    title: str
    lines: tuple[str, ...]


def local_time(moment: datetime) -> datetime:
    """A stored UTC time in Europe/Paris."""
    return moment.replace(tzinfo=timezone.utc).astimezone(PARIS)


def french_datetime(moment: datetime) -> str:
    """Date and time in French, e.g. "12/03/2026 à 10 h 05" (Europe/Paris)."""
    local = local_time(moment)
    return f"{local:%d/%m/%Y} à {local.hour} h {local.minute:02d}"


def structure_lines(
    structure: dict[str, Any], network_name: Callable[[str], str]
) -> list[str]:
    """A structure as lines.

    Name and network, address, phone, hours, why (only known facts).
    """
    lines = [
        f"{structure.get('name') or UNKNOWN} "
        f"({network_name(structure.get('network') or '')})"
    ]
    address = " ".join(
        str(part)
        for part in (
            structure.get("address"),
            structure.get("postcode"),
            structure.get("commune"),
        )
        if part
    )
    for field_label, value in (
        ("Adresse", address),
        ("Téléphone", structure.get("phone")),
        ("Attention", structure.get("age_notice")),
        ("Courriel", structure.get("email")),
        ("Site", structure.get("website")),
        ("Horaires", structure.get("hours")),
        ("Pourquoi", structure.get("why")),
    ):
        if value:
            lines.append(f"{field_label} : {value}")
    return lines


def build_sections(
    call: CallRecord,
    adviser_name: str,
    network_name: Callable[[str], str] = lambda code: code or UNKNOWN,
) -> list[Section]:
    """The fiche's content, section by section."""
    profile = profile_with_orientation(call.profile, call.orientation)
    identity = [ANONYMOUS]
    if call.consent and (call.caller_name or call.caller_contact):
        identity = ["La personne a donné son accord pour transmettre :"]
        if call.caller_name:
            identity.append(f"Nom : {call.caller_name}")
        if call.caller_contact:
            identity.append(f"Contact : {call.caller_contact}")
    minutes = max(1, round(call.duration_seconds() / 60))
    sections = [
        Section(
            "Appel",
            (
                f"Date : {french_datetime(call.started_at)} (durée : {minutes} min)",
                f"Conseiller ou conseillère : {adviser_name}",
                f"Issue : {OUTCOMES.get(call.outcome or '', 'appel en cours')}",
            ),
        ),
        Section("Personne", tuple(identity)),
        Section(
            "Besoin et situation",
            (
                f"Besoin : {label('need', profile.get('need'))}",
                f"Situation : {label('situation', profile.get('situation'))}",
                f"Âge : {label('age', profile.get('age'))} ; tranche d'âge : "
                f"{label('age_band', profile.get('age_band'))}",
                f"Commune : {commune_text(profile)}",
                f"Handicap (RQTH) : {label('disability', profile.get('disability'))}",
                f"Cadre : {label('cadre', profile.get('cadre'))}",
                f"Secteur d'activité : {label('sector', profile.get('sector'))}",
            ),
        ),
    ]
    said = tuple(
        f"« {turn['text']} »" for turn in call.transcript if turn.get("who") == "caller"
    )
    sections.append(Section("Ce que la personne a dit", said or ("Rien de noté.",)))
    done = [
        f"Correction du profil : {c['label']} → {c['text']}" for c in call.corrections
    ]
    if call.note:
        done.insert(0, call.note)
    sections.append(
        Section("Ce qui a déjà été dit et fait", tuple(done) or ("Rien de noté.",))
    )
    door = call.second_door()
    orientation: list[str] = []
    if door:
        chosen = (
            " (choisie par le conseiller ou la conseillère)"
            if call.chosen_structure
            else ""
        )
        orientation.append(f"Deuxième porte proposée{chosen} :")
        orientation.extend("  " + line for line in structure_lines(door, network_name))
    elif call.second_door_network():
        orientation.append(
            f"Réseau proposé : {network_name(call.second_door_network())} "
            "(pas de structure locale connue : le joindre à distance, ci-dessous)."
        )
    others = [s for s in (call.orientation or {}).get("structures", []) if s != door]
    for other in others:
        if not is_recommended(other, call.orientation or {}):
            heading = "En second choix (autre réseau) :"
        elif call.chosen_structure:
            heading = "Proposée par l'assistant :"
        else:
            heading = "Autre possibilité du même réseau :"
        orientation.append(heading)
        orientation.extend("  " + line for line in structure_lines(other, network_name))
    reach = remote_lines(call.orientation)
    # without a local structure, how to reach the proposed network comes right after it
    where = 1 if not door and orientation else len(orientation)
    orientation[where:where] = reach
    sections.append(
        Section("Orientation", tuple(orientation) or ("Pas encore d'orientation.",))
    )
    return sections


def remote_lines(orientation: dict[str, Any] | None) -> list[str]:
    """The remote options of an orientation, one line each."""
    lines = []
    for remote in (orientation or {}).get("remote", []):
        details = " — ".join(
            str(v) for v in (remote.get("phone"), remote.get("url")) if v
        )
        lines.append(
            f"À distance : {remote.get('label', '')}"
            + (f" ({details})" if details else "")
        )
    return lines


def as_text(sections: list[Section]) -> str:
    """The fiche as plain text (copy, download)."""
    parts = [TITLE, "=" * len(TITLE)]
    for section in sections:
        parts.append("")
        parts.append(section.title.upper())
        parts.extend(section.lines)
    parts.append("")
    parts.append(
        "Fiche préparée avec l'assistant du premier accueil ; transmise par le "
        "conseiller ou la conseillère, jamais envoyée automatiquement."
    )
    return "\n".join(parts) + "\n"


def as_html(sections: list[Section], stylesheet: str = "") -> str:
    """The fiche as a standalone, printable HTML page (every value escaped)."""
    esc = html.escape
    body = []
    for section in sections:
        items = "".join(f"<li>{esc(line.strip())}</li>" for line in section.lines)
        body.append(f"<section><h2>{esc(section.title)}</h2><ul>{items}</ul></section>")
    link = f'<link rel="stylesheet" href="{esc(stylesheet)}">' if stylesheet else ""
    return (
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(TITLE)}</title>{link}</head><body><main>"
        f"<h1>{esc(TITLE)}</h1>{''.join(body)}</main></body></html>"
    )
