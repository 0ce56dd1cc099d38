"""The evaluation's local-door figure (bot/evaluation/personas.py), on scripted results."""

from __future__ import annotations

from bot.evaluation.personas import PersonaResult, local_doors, networks_with_records


def result(network: str, insee: str, first: dict | None) -> PersonaResult:
    payload = {"network": network, "commune": {"insee": insee}, "structures": [first] if first else []}
    return PersonaResult(id=f"{network}-{insee}", expected={"network": network}, payload=payload)


def test_a_door_counts_only_in_the_persons_departement_and_network() -> None:
    results = [
        result("cio", "14118", {"network": "cio", "insee": "14047"}),  # Caen -> Bayeux (14): local
        result("cio", "27229", {"network": "cio", "insee": "14118"}),  # Évreux -> Caen: not local
        result("cio", "35238", {"network": "mission_locale", "insee": "35238"}),  # other network
        result("cap_emploi", "35238", None),  # no open data there: outside the share
    ]
    doors = local_doors(results, {("cio", "14"), ("cio", "27"), ("cio", "35")})
    assert (doors["local_door"], doors["oriented_with_commune"]) == (1, 4)
    assert (doors["local_door_where_open_data"], doors["where_open_data"]) == (1, 3)
    assert doors["per_region_where_open_data"]["28"] == {"local": 1, "personas": 2, "share": 0.5}


def test_the_shipped_base_has_cio_in_every_seed_departement() -> None:
    pairs = networks_with_records()
    for dep in ("14", "18", "22", "27", "28", "29", "35", "36", "37", "41", "44", "45", "49", "50",
                "53", "56", "61", "72", "76", "85"):
        assert ("cio", dep) in pairs and ("mission_locale", dep) in pairs, dep


def test_the_recommended_door_is_read_never_the_second_one() -> None:
    """Whatever the payload's order, the other network's structure is not the person's door."""
    second = {"network": "transitions_pro", "insee": "45232", "commune": "Olivet", "recommended": False}
    main = {"network": "cep_actifs_occupes", "insee": "45234", "commune": "Orléans", "recommended": True}
    payload = {"network": "cep_actifs_occupes", "commune": {"insee": "45234"}, "structures": [second, main]}
    expected = {"network": "cep_actifs_occupes", "structure_commune": "Orléans"}
    persona = PersonaResult(id="cep-orleans", expected=expected, payload=payload)
    assert persona.recommended_structure == main and persona.problems() == []
    only_second = PersonaResult(id="cep-tours", expected=expected,
                                payload={**payload, "structures": [second]})
    assert only_second.recommended_structure is None
    assert only_second.problems() == ["recommended structure None, expected cep_actifs_occupes in Orléans"]
    doors = local_doors([persona, only_second], {("cep_actifs_occupes", "45")})
    assert (doors["local_door"], doors["where_open_data"]) == (1, 2)
