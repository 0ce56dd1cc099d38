"""Checking the knowledge files: every problem in French, with file, line and what to fix."""

from __future__ import annotations

from bot.knowledge.files import check_directory
from conftest import write

STRUCTURE = """\
structures:
  - id: cio-tours
    network: cio
    name: CIO de test
    address: 1 rue de l'Essai
    postcode: "37000"
    insee: "37261"
    phone: 02 47 00 00 00
    source: Test
    verified: 2026-01-10
"""


def problems_of(folder, **kwargs):
    result = check_directory(folder, **kwargs)
    return result, [str(p) for p in result.errors]


def test_project_knowledge_files_are_valid(gazetteer):
    result = check_directory()
    assert result.errors == [], "\n".join(map(str, result.errors))
    counts = result.knowledge.counts()
    assert counts["networks"] >= 16 and counts["structures"] >= 58 and counts["regions"] == 4
    assert counts["sheets"] >= 10


def test_valid_structure_is_accepted(knowledge_copy):
    write(knowledge_copy / "structures" / "cio.yaml", STRUCTURE)
    result, errors = problems_of(knowledge_copy)
    assert errors == []
    cio = next(s for s in result.knowledge.structures if s.id == "cio-tours")
    assert cio.commune == "Tours" and cio.departement == "37" and cio.latitude  # commune point by default
    assert cio.phone == "02 47 00 00 00"


def test_corrupt_yaml_gives_file_and_line(knowledge_copy):
    write(knowledge_copy / "structures" / "cio.yaml", STRUCTURE.replace("    name: CIO de test", "    name: [CIO de test"))
    result, errors = problems_of(knowledge_copy)
    assert result.knowledge is None
    assert len(errors) == 1
    assert errors[0].startswith("knowledge/structures/cio.yaml:")
    assert errors[0].startswith("knowledge/structures/cio.yaml:4: ")
    assert "YAML valide" in errors[0] and "crochet « [ » ouvert" in errors[0]


def test_missing_field(knowledge_copy):
    write(knowledge_copy / "structures" / "cio.yaml", STRUCTURE.replace("    source: Test\n", ""))
    _, errors = problems_of(knowledge_copy)
    assert errors == ["knowledge/structures/cio.yaml:2: erreur : il manque le champ obligatoire « source ». "
                      "À corriger : ajoutez « source: … » (inconnu ? voir knowledge/README.md)."]


def test_wrong_insee_code(knowledge_copy):
    write(knowledge_copy / "structures" / "cio.yaml", STRUCTURE.replace('insee: "37261"', 'insee: "37999"'))
    _, errors = problems_of(knowledge_copy)
    assert len(errors) == 1 and errors[0].startswith("knowledge/structures/cio.yaml:7:")
    assert "« 37999 » ne correspond à aucune commune" in errors[0] and "code postal" in errors[0]


def test_unquoted_code_loses_its_zero(knowledge_copy):
    write(knowledge_copy / "structures" / "cio.yaml", STRUCTURE.replace('insee: "37261"', "insee: 01001"))
    _, errors = problems_of(knowledge_copy)
    assert len(errors) == 1 and ":7:" in errors[0] and "sans guillemets" in errors[0] and '"' in errors[0]


def test_postcode_of_another_departement(knowledge_copy):
    write(knowledge_copy / "structures" / "cio.yaml", STRUCTURE.replace('postcode: "37000"', 'postcode: "41000"'))
    _, errors = problems_of(knowledge_copy)
    assert len(errors) == 1 and ":6:" in errors[0] and "département" in errors[0]


def test_duplicate_ids_across_files(knowledge_copy):
    write(knowledge_copy / "structures" / "cio.yaml", STRUCTURE)
    write(knowledge_copy / "structures" / "zz_cio_bis.yaml", STRUCTURE)
    _, errors = problems_of(knowledge_copy)
    assert len(errors) == 1
    assert errors[0].startswith("knowledge/structures/zz_cio_bis.yaml:2:")
    assert "« cio-tours » est déjà utilisé (knowledge/structures/cio.yaml, ligne 2)" in errors[0]


def test_bad_phone(knowledge_copy):
    write(knowledge_copy / "structures" / "cio.yaml", STRUCTURE.replace("02 47 00 00 00", "02 47 00 00"))
    _, errors = problems_of(knowledge_copy)
    assert len(errors) == 1 and ":8:" in errors[0]
    assert "n'est pas un numéro de téléphone français valide" in errors[0] and "10 chiffres" in errors[0]


def test_bad_hours(knowledge_copy):
    bad = STRUCTURE.replace("    source: Test\n", '    hours:\n      lundi: "9h-12h, 14h"\n    source: Test\n')
    write(knowledge_copy / "structures" / "cio.yaml", bad)
    _, errors = problems_of(knowledge_copy)
    assert len(errors) == 1 and ":9:" in errors[0] and "horaires illisibles" in errors[0] and "09:00-12:30" in errors[0]
    reversed_hours = bad.replace('"9h-12h, 14h"', '"17:00-09:00"')
    write(knowledge_copy / "structures" / "cio.yaml", reversed_hours)
    _, errors = problems_of(knowledge_copy)
    assert len(errors) == 1 and "précéder" in errors[0]
    unknown_day = bad.replace('lundi: "9h-12h, 14h"', 'lundy: "09:00-12:00"')
    write(knowledge_copy / "structures" / "cio.yaml", unknown_day)
    _, errors = problems_of(knowledge_copy)
    assert len(errors) == 1 and "champ inconnu « lundy »" in errors[0] and "lundi" in errors[0]


def test_unknown_network_and_bad_email_and_future_date(knowledge_copy):
    text = (STRUCTURE.replace("network: cio", "network: cio_inconnu")
            + STRUCTURE.replace("structures:\n", "").replace("cio-tours", "cio-2")
            .replace("    source: Test\n", "    email: pas-une-adresse\n    source: Test\n")
            + STRUCTURE.replace("structures:\n", "").replace("cio-tours", "cio-3")
            .replace("verified: 2026-01-10", "verified: 2099-03-01"))
    write(knowledge_copy / "structures" / "cio.yaml", text)
    _, errors = problems_of(knowledge_copy)
    assert len(errors) == 3
    assert any(":3:" in e and "réseau « cio_inconnu » n'existe pas" in e for e in errors)
    assert any(":18:" in e and "e-mail invalide" in e for e in errors)
    assert any(":29:" in e and "dans le futur" in e for e in errors)


def test_date_in_wrong_format(knowledge_copy):
    write(knowledge_copy / "structures" / "cio.yaml", STRUCTURE.replace("verified: 2026-01-10", "verified: 10/01/2026"))
    _, errors = problems_of(knowledge_copy)
    assert len(errors) == 1 and ":10:" in errors[0] and "AAAA-MM-JJ" in errors[0]


def test_far_coordinates_are_a_warning(knowledge_copy):
    text = STRUCTURE.replace("    phone:", "    latitude: 43.6\n    longitude: 1.44\n    phone:")
    write(knowledge_copy / "structures" / "cio.yaml", text)
    result = check_directory(knowledge_copy)
    assert result.errors == [] and result.knowledge is not None
    assert any("km de Tours" in str(w) for w in result.warnings)


def test_region_value_needs_a_source(knowledge_copy):
    path = knowledge_copy / "regions.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "    first_level_service: Accueil personnalisé et individualisé (API)\n",
        "    first_level_service: Accueil personnalisé et individualisé (API)\n    phone: 02 99 00 00 00\n"),
        encoding="utf-8")
    _, errors = problems_of(knowledge_copy)
    assert len(errors) == 1 and "knowledge/regions.yaml:" in errors[0]
    assert "« phone » n'a pas de source" in errors[0]


def test_required_network_cannot_be_removed(knowledge_copy):
    path = knowledge_copy / "networks.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  - code: psad")
    end = text.index("  - code: region")
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    result, errors = problems_of(knowledge_copy)
    assert any("« psad » manque" in e for e in errors)
    assert result.knowledge is None


def test_every_problem_is_reported_at_once(knowledge_copy):
    text = STRUCTURE + STRUCTURE.replace("cio-tours", "cio-2").replace("02 47 00 00 00", "12").replace(
        'insee: "37261"', 'insee: "99999"').replace("structures:\n", "")
    write(knowledge_copy / "structures" / "cio.yaml", text)
    (knowledge_copy / "sheets.yaml").write_text("sheets:\n  - code: x\n", encoding="utf-8")
    _, errors = problems_of(knowledge_copy)
    assert len(errors) >= 3
    assert {e.split(":")[0] for e in errors} == {"knowledge/structures/cio.yaml", "knowledge/sheets.yaml"}


def test_routing_table_is_checked_by_its_schema(knowledge_copy, capsys):
    from bot.runtime.cli import main

    path = knowledge_copy / "routing.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  vae:\n    default: {network: vae, why:", "  vae:\n    default: {network: VAE, why:"),
                    encoding="utf-8")
    assert main(["check", "--dir", str(knowledge_copy)]) == 1
    out = capsys.readouterr().out
    assert "routing.yml, routes/vae/default/network" in out and "minuscules" in out
    path.write_text(text.replace("sector_why:", "sector_reasons:"), encoding="utf-8")
    assert main(["check", "--dir", str(knowledge_copy)]) == 1
    assert "il manque le champ obligatoire « sector_why »" in capsys.readouterr().out


def test_place_words_are_checked_with_the_other_files(knowledge_copy):
    from bot import config

    (knowledge_copy / "places").mkdir(exist_ok=True)
    words = (config.PROJECT_ROOT / "knowledge" / "places" / "words.yaml").read_text(encoding="utf-8")
    (knowledge_copy / "places" / "words.yaml").write_text(words, encoding="utf-8")
    assert check_directory(knowledge_copy).ok
    (knowledge_copy / "places" / "words.yaml").write_text(words.replace("cues: [a,", "cues: [À,"), encoding="utf-8")
    result = check_directory(knowledge_copy)
    assert [(p.file, p.line) for p in result.errors] == [("knowledge/places/words.yaml", 11)]
    assert "minuscules" in result.errors[0].fix
