"""SPRO routing: from what we know of a person to the network of the second door.

Plain Python over the staff-readable table ``knowledge/routing.yml`` (read lazily,
once; ``set_table()`` lets tests use another one). Main entry points:

- ``public_for(profile)``: the public code (``eleve``, ``jeune_16_25``, ``cadre``…);
- ``route(profile)``: the ``Decision`` (network, second option, reason);
- ``next_question(profile)``: the one profile slot still needed to route, or None.
  A question is asked only if its answer could change the network proposed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from bot import config

# The person chose not to answer (skip): never asked again, routing uses defaults.
NOT_GIVEN = "non_precise"
SITUATIONS = (
    "eleve",
    "parent_eleve",
    "etudiant",
    "decrocheur",
    "sans_emploi",
    "salarie",
    "independant",
    # an apprentice is an employee and a young person (profile_rules.yml statuses)
    "apprenti",
)
SECTORS = ("artisanat", "commerce", "agriculture")
BY_SECTOR = "by_sector"
DEFAULT_NEED = "information"
# Ages tried when checking whether the age changes the routing (one per age band).
_SAMPLE_AGES = (14.0, 20.0, 35.0)


@dataclass(frozen=True)
class Profile:
    """What the person told us (None: not said yet; ``NOT_GIVEN``: chose not to say)."""

    need: str | None = None
    situation: str | None = None
    age: float | None = None
    disability: bool | None = None
    cadre: bool | None = None
    sector: str | None = None
    commune_insee: str | None = None
    commune_refused: bool = False
    skipped: tuple[str, ...] = ()  # questions the person chose not to answer
    parent: bool = False  # speaks of their own child: an adult, the age is not asked
    # the information sheet read last (its context guides the routing)
    sheet: str | None = None

    @classmethod
    def from_slots(cls, slots: dict[str, Any]) -> "Profile":
        """Build from Rasa slot values (the slot names are the field names)."""
        age = slots.get("age")
        return cls(
            need=slots.get("need"),
            situation=slots.get("situation"),
            age=float(age) if isinstance(age, (int, float)) else None,
            disability=slots.get("disability"),
            cadre=slots.get("cadre"),
            sector=slots.get("sector"),
            commune_insee=slots.get("commune_insee"),
            commune_refused=bool(slots.get("commune_refused")),
            skipped=tuple(slots.get("skipped") or ()),
            parent=bool(slots.get("parent")),
            sheet=slots.get("sheet"),
        )


@dataclass(frozen=True)
class Decision:
    """Routing outcome: the recommended network, then another door worth offering."""

    public: str
    need: str
    network: str
    why: str
    also: str | None = None


@dataclass(frozen=True)
class RoutingTable:
    """The parsed ``knowledge/routing.yml``."""

    publics: dict[str, str]
    needs: dict[str, str]
    sectors: dict[str, str]
    implied_needs: dict[str, str]
    sector_why: dict[str, str]
    routes: dict[str, dict[str, Any]]
    after_sheet: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_file(cls, path: Path) -> "RoutingTable":
        """Read and check the table.

        Raises:
            ValueError: in French, when the table is wrong.
        """
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        check_routing_schema(data)
        table = cls(
            publics=dict(data["publics"]),
            needs=dict(data["needs"]),
            sectors=dict(data["sectors"]),
            implied_needs=dict(data.get("implied_needs") or {}),
            sector_why=dict(data["sector_why"]),
            routes=dict(data["routes"]),
            after_sheet=dict(data.get("after_sheet") or {}),
        )
        table.check()
        return table

    def check(self) -> None:
        """Every need has a default route; exceptions name known publics."""
        for need in self.needs:
            entry = self.routes.get(need)
            if not entry or "default" not in entry:
                raise ValueError(
                    f"routing.yml : le besoin « {need} » n'a pas de route par défaut."
                )
            for public in entry.get("by_public", {}):
                if public not in self.publics:
                    raise ValueError(
                        f"routing.yml : public inconnu « {public} » pour « {need} »."
                    )
        for need in self.routes:
            if need not in self.needs:
                raise ValueError(
                    f"routing.yml : besoin inconnu « {need} » dans routes."
                )
        for sheet, context in self.after_sheet.items():
            for need in [context.get("need"), *context.get("replaces", [])]:
                if need is not None and need not in self.needs:
                    raise ValueError(
                        f"routing.yml : besoin inconnu « {need} » "
                        f"dans after_sheet.{sheet}."
                    )

    def networks_used(self) -> set[str]:
        """Every network code the table can propose (routes, second doors, chambers)."""
        used = set(self.sectors.values())
        for entry in self.routes.values():
            for rule in [entry["default"], *entry.get("by_public", {}).values()]:
                used.update(
                    code
                    for code in (rule.get("network"), rule.get("also"))
                    if code and code != "by_sector"
                )
        return used

    def rule(self, public: str, need: str) -> dict[str, Any]:
        """The route entry for a public and a need (exception first, then default)."""
        entry = self.routes[need]
        return entry.get("by_public", {}).get(public) or entry["default"]


def check_routing_schema(data: Any) -> None:
    """Check the table against ``knowledge/schema/routing.schema.json``.

    Raises:
        ValueError: in French, when the table does not match the schema.
    """
    from bot.knowledge.checks import explain, load_schema

    errors = sorted(
        load_schema("routing").iter_errors(data), key=lambda e: list(e.absolute_path)
    )
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or "le document"
        message, fix = explain(errors[0])
        raise ValueError(f"routing.yml, {where} : {message} ; {fix}.")


_TABLE: RoutingTable | None = None
_LOCK = threading.Lock()


def routing_file() -> Path:
    """Where the routing table lives."""
    return config.knowledge_dir() / "routing.yml"


def get_table() -> RoutingTable:
    """The cached routing table, read on first use."""
    global _TABLE
    if _TABLE is None:
        with _LOCK:
            if _TABLE is None:
                _TABLE = RoutingTable.from_file(routing_file())
    return _TABLE


def set_table(table: RoutingTable | None) -> None:
    """Replace (or with None, forget) the cached table."""
    global _TABLE
    _TABLE = table


def age_band(age: float | None) -> str | None:
    """``moins_16``, ``16_25`` or ``26_plus``."""
    if age is None:
        return None
    if age < 16:
        return "moins_16"
    return "16_25" if age <= 25 else "26_plus"


def public_for(profile: Profile) -> str:
    """The public code of a person, from situation, age, RQTH and cadre status."""
    situation, age = profile.situation, profile.age
    young = age is not None and age <= 25
    if situation == "parent_eleve" and profile.disability:
        # a child with an RQTH leaving school
        return "travailleur_handicape"
    if situation in ("eleve", "parent_eleve", "etudiant"):
        return situation
    if situation == "decrocheur":
        # left school without a diploma: a young person's situation
        return "jeune_decrocheur"
    if situation in ("sans_emploi", "salarie", "independant", "apprenti"):
        if profile.disability:
            return "travailleur_handicape"
        if profile.cadre:
            return "cadre"
        if situation == "apprenti":
            # an employee, and a young person: the young people's door under 26
            return "jeune_16_25" if young else "actif_occupe"
        if situation in ("salarie", "independant"):
            return "actif_occupe"
        return "jeune_16_25" if young else "demandeur_emploi"
    # Situation not said (or refused): use what else we know.
    if profile.disability:
        return "travailleur_handicape"
    if profile.cadre:
        return "cadre"
    if age is not None and age < 16:
        return "eleve"
    if young:
        return "jeune_16_25"
    return "tout_public"


def route(profile: Profile, table: RoutingTable | None = None) -> Decision:
    """The network of the second door, with its reason and the other option."""
    table = table or get_table()
    public = public_for(profile)
    need = stated_need(profile, table) or table.implied_needs.get(
        profile.situation or "", DEFAULT_NEED
    )
    rule = table.rule(public, need)
    network, why, also = rule["network"], rule.get("why", ""), rule.get("also")
    if network == BY_SECTOR:
        sector = profile.sector if profile.sector in table.sectors else NOT_GIVEN
        network = table.sectors[sector]
        why = table.sector_why.get(network, why)
        if sector == NOT_GIVEN:  # both chambers are offered
            also = table.sectors["artisanat"]
    if also == network:
        also = None
    return Decision(public=public, need=need, network=network, why=why, also=also)


def stated_need(profile: Profile, table: RoutingTable) -> str | None:
    """The need said, read in the context of the sheet just read (``after_sheet``)."""
    need = profile.need if profile.need in table.needs else None
    context = table.after_sheet.get(profile.sheet or "") or {}
    if context.get("need") and (need is None or need in context.get("replaces", ())):
        return str(context["need"])
    return need


def _networks_for(profiles: list[Profile], table: RoutingTable) -> set[str]:
    return {route(p, table).network for p in profiles}


def next_question(profile: Profile, table: RoutingTable | None = None) -> str | None:
    """The slot to ask next: need, situation, age, sector or commune.

    One of ``need``, ``situation``, ``age``, ``sector``, ``commune_insee``; None when
    routing is decided and the commune is known or refused.
    """
    table = table or get_table()
    asked = set(profile.skipped)
    implied = table.implied_needs.get(profile.situation or "")
    if stated_need(profile, table) is None and "need" not in asked and not implied:
        return "need"
    if profile.situation is None and "situation" not in asked:
        options = [replace(profile, situation=s) for s in SITUATIONS]
        if len(_networks_for(options, table)) > 1:
            return "situation"
    if profile.age is None and "age" not in asked and not profile.parent:
        options = [replace(profile, age=a) for a in _SAMPLE_AGES]
        if len(_networks_for(options, table)) > 1:
            return "age"
    if profile.sector is None and "sector" not in asked:
        options = [replace(profile, sector=s) for s in SECTORS]
        if len(_networks_for(options, table)) > 1:
            return "sector"
    if profile.commune_insee is None and not profile.commune_refused:
        return "commune_insee"
    return None
