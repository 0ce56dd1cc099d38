"""French labels of the codes counted (from the knowledge files and the gazetteer)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import yaml

from bot import config
from bot.indicators.aggregate import OTHERS
from bot.indicators.feedback import FEEDBACK_THEMES, FEEDBACK_VALUES
from bot.indicators.store import CHANNELS, OUTCOMES

QUESTIONS = {
    "avant_question": "Avant toute question",
    "need": "Question du besoin",
    "situation": "Question de la situation",
    "age": "Question de l'âge",
    "sector": "Question du domaine d'activité",
    "commune_insee": "Question de la commune",
    "commune_choices": "Choix entre communes homonymes",
    "disability": "Question du handicap",
    "cadre": "Question du statut de cadre",
    "parent": "Question parent ou élève",
}
TITLES = {
    "outcome": "Issue des conversations",
    "public": "Publics",
    "need": "Besoins exprimés",
    "network": "Réseaux proposés",
    "local_structure": "Orientations avec une structure locale",
    "satisfaction": "Cette réponse vous aide-t-elle ?",
    "feedback_theme": "Thèmes des remarques",
    "abandoned_at": "Où les personnes abandonnent (question posée en dernier)",
    # An EPCI is an intercommunalité (communauté de communes, d'agglomération, urbaine,
    # métropole); INSEE's « bassins de vie » are another zoning, not available here.
    "epci": "Intercommunalités (EPCI) de la commune donnée",
    "handover_outcome": "Issue des passages à une personne (tchat)",
    "call_back_outcome": "Issue des demandes de rappel",
    "phone_call_outcome": "Issue des appels clos à la console (selon le conseiller)",
}
PHONE_CALL_OUTCOMES = {
    "oriented": "Personne orientée vers une deuxième porte",
    "information": "Information donnée",
    "call_back": "À rappeler",
    "out_of_scope": "Hors du champ de l'orientation",
}


def _yaml(name: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(
            (config.knowledge_dir() / name).read_text(encoding="utf-8")
        )
    except (OSError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


@lru_cache(maxsize=1)
def _knowledge_labels() -> dict[str, dict[str, str]]:
    routing = _yaml("routing.yml")
    networks = {
        str(n.get("code")): str(n.get("name"))
        for n in _yaml("networks.yaml").get("networks", [])
        if isinstance(n, dict)
    }
    return {
        "public": dict(routing.get("publics") or {}),
        "need": dict(routing.get("needs") or {}),
        "network": networks,
    }


@lru_cache(maxsize=1)
def territories() -> dict[str, dict[str, str]]:
    """Names of regions, départements and EPCIs, from the communes gazetteer."""
    from bot import places

    regions: dict[str, str] = {}
    departements: dict[str, str] = {}
    departement_region: dict[str, str] = {}
    epcis: dict[str, str] = {}
    for commune in places.get_gazetteer().communes:
        regions[commune.region_code] = commune.region_name
        departements[commune.departement_code] = commune.departement_name
        departement_region[commune.departement_code] = commune.region_code
        if commune.epci_siren:
            epcis[commune.epci_siren] = commune.epci_name
    return {
        "region": regions,
        "departement": departements,
        "epci": epcis,
        "departement_region": departement_region,
    }


def checked_territory(region: str, departement: str) -> dict[str, str]:
    """Region and département codes, known and consistent; ``ValueError`` in French.

    A département alone gives its region; a département outside the region chosen is
    refused (``TerritoryMismatch``) rather than silently shown.
    """
    names = territories()
    if departement and departement not in names["departement"]:
        raise ValueError(f"Département inconnu : « {departement[:5]} ».")
    if region and region not in names["region"]:
        raise ValueError(f"Région inconnue : « {region[:5]} ».")
    if not departement:
        return {"region": region, "departement": ""}
    own_region = names["departement_region"][departement]
    if region and region != own_region:
        raise TerritoryMismatch(region, departement)
    return {"region": own_region, "departement": departement}


class TerritoryMismatch(ValueError):
    """A département chosen with a region it does not belong to."""

    def __init__(self, region: str, departement: str) -> None:
        """The region and the département chosen, and the French message."""
        super().__init__(
            f"Le département {label('departement', departement)} n'est pas dans la "
            f"région {label('region', region)}\u00a0: choisissez un département de "
            "cette région, ou «\u00a0Tous les départements\u00a0»."
        )
        self.region = region
        self.departement = departement


def label(dimension: str, code: str) -> str:
    """The French label of a code, or the code itself when unknown."""
    if code == OTHERS:
        return "Autres (petits effectifs regroupés)"
    if code in ("non_precise", "inconnu", ""):
        return "Non précisé"
    fixed = {
        "outcome": OUTCOMES,
        "satisfaction": FEEDBACK_VALUES,
        "feedback_theme": FEEDBACK_THEMES,
        "abandoned_at": QUESTIONS,
        "channel": CHANNELS,
        "phone_call_outcome": PHONE_CALL_OUTCOMES,
        "local_structure": {
            "oui": "Avec une structure locale",
            "non": "Sans structure locale",
        },
    }
    if dimension in fixed:
        return fixed[dimension].get(code, code)
    if dimension in ("public", "need", "network", "gap"):
        return _knowledge_labels()["network" if dimension == "gap" else dimension].get(
            code, code
        )
    if dimension in ("region", "departement", "epci"):
        name = territories()[dimension].get(code)
        return (
            f"{name} ({code})"
            if name and dimension == "departement"
            else (name or code)
        )
    return code
