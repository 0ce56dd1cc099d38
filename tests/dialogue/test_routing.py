"""The routing table (knowledge/routing.yml): every public x need has its expected network."""

from __future__ import annotations

import pytest

from bot.conversation.routing import (
    NOT_GIVEN, Profile, RoutingTable, get_table, next_question, public_for, route, routing_file,
)

# One profile per public code.
PUBLICS = {
    "eleve": Profile(situation="eleve", age=15),
    "parent_eleve": Profile(situation="parent_eleve"),
    "etudiant": Profile(situation="etudiant", age=20),
    "jeune_decrocheur": Profile(situation="decrocheur", age=17),
    "jeune_16_25": Profile(situation="sans_emploi", age=20),
    "demandeur_emploi": Profile(situation="sans_emploi", age=40),
    "travailleur_handicape": Profile(situation="sans_emploi", age=40, disability=True),
    "cadre": Profile(situation="salarie", age=45, cadre=True),
    "actif_occupe": Profile(situation="salarie", age=30),
    "tout_public": Profile(),
}
NEEDS = ("orientation_scolaire", "emploi", "formation", "reconversion", "financement_formation",
         "vae", "creation_entreprise", "apprentissage", "vie_quotidienne", "droits_femmes",
         "information")
IJ, ML, FT, CEP = "information_jeunesse", "mission_locale", "france_travail", "cep_actifs_occupes"
# Expected network, one column per need above (business needs with sector "artisanat").
EXPECTED = {
    "eleve": ("cio", IJ, "cio", "cio", "cio", "vae", "cma", "cma", IJ, "cidff", "cio"),
    "parent_eleve": ("cio", IJ, "cio", "cio", "cio", "vae", "cma", "cma", IJ, "cidff", "cio"),
    "etudiant": ("suio", "suio", "suio", "suio", "suio", "vae", "cma", "cma", IJ, "cidff", "suio"),
    "jeune_decrocheur": ("cio", ML, "cio", "cio", ML, "vae", "cma", "cma", IJ, "cidff", "cio"),
    "jeune_16_25": ("cio", ML, ML, ML, ML, "vae", "cma", "cma", IJ, "cidff", ML),
    "demandeur_emploi": ("cio", FT, FT, FT, FT, "vae", "cma", "cma", FT, "cidff", FT),
    "travailleur_handicape": ("cap_emploi",) * 5 + ("vae", "cma", "cma", "cap_emploi", "cidff", "cap_emploi"),
    "cadre": ("apec", "apec", "apec", "apec", "transitions_pro", "vae", "cma", "cma", "region", "cidff", "apec"),
    "actif_occupe": (CEP, CEP, CEP, CEP, "transitions_pro", "vae", "cma", "cma", "region", "cidff", CEP),
    "tout_public": ("cio", FT, "region", "region", "region", "vae", "cma", "cma", IJ, "cidff", "region"),
}


def test_the_table_covers_every_public_and_need() -> None:
    table = get_table()
    assert set(table.publics) == set(EXPECTED)
    assert set(table.needs) == set(NEEDS)


@pytest.mark.parametrize("public", list(EXPECTED))
def test_profiles_give_their_public(public: str) -> None:
    assert public_for(PUBLICS[public]) == public


@pytest.mark.parametrize(("public", "need"), [(p, n) for p in EXPECTED for n in NEEDS])
def test_every_public_and_need_has_its_network(public: str, need: str) -> None:
    profile = PUBLICS[public]
    decision = route(Profile(**{**profile.__dict__, "need": need, "sector": "artisanat"}))
    assert decision.public == public
    assert decision.network == EXPECTED[public][NEEDS.index(need)]
    assert decision.why, "the person is told why"
    assert decision.also != decision.network


@pytest.mark.parametrize(("sector", "network"), [
    ("artisanat", "cma"), ("commerce", "cci"), ("agriculture", "chambre_agriculture"), (None, "cci"),
])
def test_business_creation_goes_to_the_chamber_of_the_sector(sector: str | None, network: str) -> None:
    decision = route(Profile(need="creation_entreprise", situation="salarie", sector=sector))
    assert decision.network == network
    if sector is None:
        assert decision.also == "cma", "both chambers are offered when the sector is unknown"


def test_networks_are_knowledge_base_codes() -> None:
    from bot.knowledge.model import REQUIRED_NETWORKS

    table = get_table()
    used = {r["network"] for e in table.routes.values()
            for r in [e["default"], *e.get("by_public", {}).values()]}
    used |= {r.get("also") for e in table.routes.values()
             for r in [e["default"], *e.get("by_public", {}).values()]} - {None}
    used |= set(table.sectors.values())
    assert used - {"by_sector"} <= set(REQUIRED_NETWORKS)


# --- the four concrete situations of the Centre report (2014), with 2026 names --------
def test_dismissed_mother_goes_to_france_travail_cep() -> None:
    assert route(Profile(situation="sans_emploi", need="information", parent=True)).network == FT


def test_future_cook_apprentice_goes_to_the_chamber_of_trades() -> None:
    assert route(Profile(need="apprentissage", sector="artisanat", age=17)).network == "cma"


def test_young_employee_at_end_of_fixed_term_contract_goes_to_cep_for_employed_people() -> None:
    assert route(Profile(situation="salarie", age=24, need="reconversion")).network == CEP


def test_early_school_leaver_goes_to_cio() -> None:
    assert route(Profile(situation="decrocheur", age=17)).network == "cio"


# --- questions ------------------------------------------------------------------------
def test_asks_only_what_changes_the_network() -> None:
    assert next_question(Profile()) == "need"
    assert next_question(Profile(need="vae")) == "commune_insee", "VAE: same door for everyone"
    assert next_question(Profile(need="emploi")) == "situation"
    assert next_question(Profile(need="emploi", situation="sans_emploi")) == "age"
    assert next_question(Profile(need="emploi", situation="salarie")) == "commune_insee"
    assert next_question(Profile(need="creation_entreprise", situation="salarie")) == "sector"
    assert next_question(Profile(situation="decrocheur")) == "commune_insee", "need implied"
    assert next_question(Profile(need="vae", commune_insee="37261")) is None


def test_skipped_and_refused_questions_are_not_asked_again() -> None:
    profile = Profile(need="emploi", skipped=("situation",), commune_refused=True)
    assert next_question(profile) == "age"
    profile = Profile(need="emploi", skipped=("situation", "age"), commune_refused=True)
    assert next_question(profile) is None
    assert route(profile).network == FT
    assert next_question(Profile(need="emploi", situation="sans_emploi", parent=True)) == "commune_insee"


def test_an_unknown_need_code_is_routed_as_information() -> None:
    assert route(Profile(need=NOT_GIVEN, situation="salarie")).need == "information"


def test_a_wrong_table_is_refused_in_french(tmp_path) -> None:
    path = tmp_path / "routing.yml"
    path.write_text(routing_file().read_text().replace("  vae:\n    default:", "  vae:\n    autre:"))
    with pytest.raises(ValueError, match="route par défaut"):
        RoutingTable.from_file(path)


def test_after_the_cpf_sheet_an_employee_goes_to_the_cep_then_transitions_pro() -> None:
    asked_after_sheet = Profile(situation="salarie", sheet="cpf", need="financement_formation")
    decision = route(asked_after_sheet)
    assert (decision.need, decision.network, decision.also) == ("formation", "cep_actifs_occupes", "transitions_pro")
    assert next_question(Profile(sheet="cpf")) == "situation", "the sheet gives the need: not asked again"
    assert route(Profile(situation="salarie", need="financement_formation")).network == "transitions_pro"


def test_a_parent_for_a_child_with_an_rqth_is_routed_as_disability() -> None:
    assert public_for(Profile(situation="parent_eleve", disability=True)) == "travailleur_handicape"
