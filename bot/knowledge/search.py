"""Staff search: what the assistant would propose.

E.g. for "quelle Mission locale pour Vierzon ?".
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.knowledge.model import InfoSheet, Network, Region, StructureMatch
from bot.knowledge.repository import KnowledgeRepository
from bot.places import PlaceResolution, find_in_text


@dataclass(frozen=True)
class SearchAnswer:
    """Network and commune understood, and what the knowledge base offers for them."""

    question: str
    network: Network | None
    place: PlaceResolution
    region: Region | None
    matches: tuple[StructureMatch, ...]
    sheets: tuple[InfoSheet, ...]


def search(question: str, repository: KnowledgeRepository) -> SearchAnswer:
    """Understand a network and a commune in the question and look them up."""
    network = repository.find_network(question)
    place = find_in_text(question)
    commune = place.commune
    matches: tuple[StructureMatch, ...] = ()
    region = None
    if commune:
        region = repository.region_for(commune.insee)
        if network:
            matches = tuple(
                repository.nearest_structures(network.code, commune.insee, limit=3)
            )
    return SearchAnswer(
        question,
        network,
        place,
        region,
        matches,
        tuple(repository.find_sheets(question)),
    )


def format_answer(answer: SearchAnswer) -> str:
    """Plain French text for the terminal."""
    lines = []
    c = answer.place.commune
    if c is not None:
        lines.append(
            f"Commune : {c.name} ({c.departement_name}), INSEE {c.insee}, code "
            f"postal {c.postcode}."
        )
    elif answer.place.status == "ambiguous":
        lines.append(
            "Plusieurs communes possibles : "
            + " ; ".join(f"{c.label} INSEE {c.insee}" for c in answer.place.communes)
            + "."
        )
    else:
        lines.append("Aucune commune reconnue dans la question.")
    if answer.network:
        lines.append(f"Réseau : {answer.network.name} [{answer.network.code}].")
    else:
        lines.append(
            "Aucun réseau reconnu (nommez-le : Mission locale, CIO, France Travail…)."
        )
    for rank, match in enumerate(answer.matches, 1):
        s = match.structure
        why = (
            "territoire desservi"
            if match.serves_commune
            else f"à {match.distance_km:.1f} km"
        )
        lines.append(
            f"{rank}. {s.name} ({why}) : {s.address}, {s.postcode} {s.commune}"
            + (f" ; tél. {s.phone}" if s.phone else "")
            + (f" ; {s.email}" if s.email else "")
        )
        lines.append(
            f"   Horaires : {s.hours_text or 'inconnus'} ; source : {s.source} ; "
            "vérifié le "
            f"{s.verified:%d/%m/%Y}"
            if s.verified
            else "   source inconnue"
        )
    if answer.network and answer.place.status == "found" and not answer.matches:
        lines.append(
            "Aucune structure enregistrée à proximité : l'assistant propose les "
            "accès nationaux :"
        )
        lines += [
            f"  - {e.label} : {e.url or e.phone}" for e in answer.network.entry_points
        ]
    if answer.region:
        r = answer.region
        lines.append(
            f"Service régional : {r.service_name or r.name}"
            + (f" ; tél. {r.phone}" if r.phone else "")
            + (f" ; {r.website}" if r.website else "")
            + (f" (source : {r.source})" if r.phone or r.website else "")
        )
    elif answer.place.status == "found":
        lines.append("Région non décrite dans regions.yaml.")
    for sheet in answer.sheets:
        lines.append(
            f"Fiche « {sheet.title} » : {sheet.answer} (source : {sheet.source_url})"
        )
    return "\n".join(lines)
