"""Hostile staff files and imports (issue 21 H): a French error with its file and line,
the live knowledge untouched, an import linear in its records.

The cases that crash or hang the old code (YAML nested 100,000 deep segfaulted the C
parser, an alias bomb ran for minutes) run in a child process with a time limit.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot import config
from bot.runtime.cli import main
from bot.knowledge.importers import ImportInputError, import_source

RECORD = """\
  - id: ml-hostile
    network: mission_locale
    name: {name}
    address: 5 rue de l'Essai
    postcode: "37000"
    insee: "37261"
{extra}    source: Test
    verified: 2026-01-15
"""


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


@pytest.mark.parametrize(
    ("name", "extra", "offset", "expected"),
    [
        ("Nom", "    latitude: .nan\n    longitude: 0.68\n", 6,
         "« .nan » n'est pas un nombre utilisable"),
        ("Nom", "    latitude: -.inf\n    longitude: 0.68\n", 6,
         "« -.inf » n'est pas un nombre utilisable"),
        ("Nom", "    name: Autre nom\n", 6,
         "le champ « name » est écrit deux fois dans le même bloc"),
        ('"Mission\\0locale"', "", 2, "caractère de contrôle invisible (NUL)"),
        ("Mission\x1blocale", "", 2, "caractère de contrôle invisible (U+001B)"),
        ("*nom", "", 2, "alias YAML « *nom »"),
    ],
    ids=["nan", "inf", "duplicate-key", "escaped-nul", "escape-char", "alias"],
)
def test_hostile_values_are_refused_at_check_and_load_keeps_the_live_base(
    capsys, small_knowledge: Path, sqlite_url: str, name, extra, offset, expected
) -> None:
    assert run(capsys, "load", "--dir", str(small_knowledge), "--database", sqlite_url)[0] == 0
    path = small_knowledge / "structures" / "test.yaml"
    text = path.read_text(encoding="utf-8")  # the four test Missions locales
    if name.startswith("*"):
        text = "x: &nom Nom\n" + text
    path.write_text(text + RECORD.format(name=name, extra=extra), encoding="utf-8")
    line = text.count("\n") + 1 + offset
    code, out = run(capsys, "check", "--dir", str(small_knowledge))
    assert code == 1
    assert f"small/structures/test.yaml:{line}: erreur : {expected}" in out, out
    code, out = run(capsys, "load", "--dir", str(small_knowledge), "--database", sqlite_url)
    assert code == 1 and "La base n'a pas été modifiée" in out and "Error" not in out, out
    code, out = run(capsys, "status", "--database", sqlite_url)
    assert code == 0 and "Version 1" in out and "4 structures" in out


def _check_in_child(folder: Path, timeout: float = 30) -> subprocess.CompletedProcess:
    """``python -m bot check --dir folder`` in a child process (crash or hang: no pass)."""
    return subprocess.run(
        [sys.executable, "-m", "bot", "check", "--dir", str(folder)],
        cwd=config.PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


ALIAS_BOMB = "\n".join(
    [
        "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]",
        *(
            f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]"
            for i in range(8)
        ),
        "structures: []",
    ]
)


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        (ALIAS_BOMB, 2, "alias YAML « *a »"),
        ("structures: " + "[" * 100_000 + "]" * 100_000, 1, "imbriquées sur plus de"),
        ("structures:\n" + "  - " * 20_000 + "x\n", 2, "imbriquées sur plus de"),
    ],
    ids=["alias-bomb", "deep-flow", "deep-block"],
)
def test_bombs_are_refused_at_once(small_knowledge: Path, text, line, expected) -> None:
    (small_knowledge / "structures" / "test.yaml").write_text(text, encoding="utf-8")
    try:
        done = _check_in_child(small_knowledge)
    except subprocess.TimeoutExpired:
        pytest.fail("python -m bot check ran past 30 s")
    assert done.returncode == 1, (done.returncode, done.stderr[-500:])
    assert f"small/structures/test.yaml:{line}: erreur : " in done.stdout
    assert expected in done.stdout and "Traceback" not in done.stderr


def _structures(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (folder / "structures").iterdir()}


def _dila(tmp_path: Path, services: list[dict] | str) -> Path:
    path = tmp_path / "export.json"
    text = services if isinstance(services, str) else json.dumps({"service": services})
    path.write_text(text, encoding="utf-8")
    return path


def _service(number: int, **changes) -> dict:
    """A DILA CIO record in Tours (fictitious office)."""
    service = {
        "id": f"hostile-{number:05d}",
        "nom": "CIO de Banc d'essai",
        "pivot": [{"type_service_local": "cio"}],
        "code_insee_commune": "37261",
        "adresse": [
            {
                "type_adresse": "Adresse",
                "numero_voie": "1 rue du Banc d'essai",
                "code_postal": "37000",
                "nom_commune": "Tours",
                "latitude": "47.39",
                "longitude": "0.689",
            }
        ],
        "date_modification": "06/03/2024 13:49:59",
    }
    service.update(changes)
    return service


def test_json_nested_100000_deep_is_a_french_error(knowledge_copy, gazetteer, tmp_path):
    before = _structures(knowledge_copy)
    bad = _dila(tmp_path, '{"service": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(ImportInputError, match="ligne 1 : données JSON imbriquées"):
        import_source("dila", bad, knowledge_copy, gazetteer)
    assert _structures(knowledge_copy) == before


def test_json_nested_field_of_the_api_shape_is_bounded(knowledge_copy, gazetteer, tmp_path):
    deep = "[" * 5_000 + "]" * 5_000
    report = import_source(
        "dila", _dila(tmp_path, [_service(1, telephone=deep)]), knowledge_copy, gazetteer
    )
    assert report.ok and [c.id for c in report.added] == ["dila-hostile-00001"]


def test_a_nul_or_nan_from_a_directory_never_reaches_the_files(
    knowledge_copy, gazetteer, tmp_path
):
    nul = _service(1, nom="CIO\u0000 de Banc d'essai")
    nan = _service(2, adresse=[{**_service(2)["adresse"][0], "latitude": "NaN",
                                "numero_voie": "2 rue du Banc d'essai"}])
    report = import_source("dila", _dila(tmp_path, [nul, nan]), knowledge_copy, gazetteer)
    assert [str(r) for r in report.rejected] == [
        "enregistrement n° 1 (ligne 1, id « hostile-00001 ») : caractère de contrôle "
        "invisible "
        "(NUL) dans « name »"
    ]
    text = (knowledge_copy / "structures" / "cio.yaml").read_text(encoding="utf-8")
    assert "\\0" not in text and "\x00" not in text
    assert re.search(r":\s*[-+]?\.nan\b", text, re.IGNORECASE) is None
    record = next(
        r for r in yaml.safe_load(text)["structures"] if r["id"] == "dila-hostile-00002"
    )
    assert "latitude" not in record  # unknown rather than NaN


EDUCATION_HEAD = (
    "Identifiant_de_l_etablissement;Nom_etablissement;Type_etablissement;Adresse_1;"
    "Code_postal;Code_commune;Nom_commune;Telephone;Mail;latitude;longitude;date_maj_ligne\n"
)


def _education(tmp_path: Path, name: str) -> Path:
    path = tmp_path / "cio.csv"
    path.write_text(
        EDUCATION_HEAD
        + "0379999A;CIO de Test;Information et orientation;1 rue de l'Essai;37000;37261;"
        "Tours;;;47.39;0.689;2025-09-30\n"
        + f"0379998B;{name};Information et orientation;2 rue de l'Essai;37000;37261;"
        "Tours;;;47.39;0.689;2025-09-30\n",
        encoding="utf-8",
    )
    return path


def test_a_200_kb_csv_field_is_a_french_error_with_its_line(
    knowledge_copy, gazetteer, tmp_path
):
    before = _structures(knowledge_copy)
    with pytest.raises(ImportInputError, match="^ligne 3 : une valeur dépasse"):
        import_source("education", _education(tmp_path, '"' + "x" * 200_000 + '"'),
                      knowledge_copy, gazetteer)
    assert _structures(knowledge_copy) == before


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("x" * 20_000, "valeur de 20 000 caractères dans « nom_etablissement » (au plus 10 000)"),
        ("CIO\x00 de Test", "caractère de contrôle invisible (NUL) dans « nom_etablissement »"),
    ],
    ids=["20-kB-field", "nul"],
)
def test_a_bad_csv_row_is_refused_with_its_line(
    knowledge_copy, gazetteer, tmp_path, name, reason
):
    report = import_source("education", _education(tmp_path, name), knowledge_copy, gazetteer)
    assert [str(r) for r in report.rejected] == [f"ligne 3 : {reason}"]


def test_identical_records_merge_into_one_bounded_record(knowledge_copy, gazetteer, tmp_path):
    """Same place listed 60 times: one record whose source does not grow with the count.

    (The source used to name every copy, each merge searching the growing text: the
    import was quadratic; benchmarks/bench_import_linearity.py measures it.)
    """
    copies = [_service(n) for n in range(60)]
    report = import_source("dila", _dila(tmp_path, copies), knowledge_copy, gazetteer)
    assert report.ok and [c.id for c in report.added] == ["dila-hostile-00000"]
    cio = {r["id"]: r for r in yaml.safe_load(
        (knowledge_copy / "structures" / "cio.yaml").read_text(encoding="utf-8")
    )["structures"]}["dila-hostile-00000"]
    assert cio["source"].count("fiche hostile-") == 11
    assert cio["source"].endswith("et 49 autre(s) fiche(s) de la même source pour ce lieu")
    assert any("60 fiches de cet import décrivent le même lieu" in w for w in report.warnings)



def test_import_shared_refuses_a_hostile_structure_file(knowledge_copy, gazetteer):
    from bot.knowledge.importer import import_structures
    from bot.knowledge.safe_input import UnsafeInput

    hostile = knowledge_copy / "structures" / "cci.yaml"
    hostile.write_text("x: &a b\nstructures:\n  - *a\n", encoding="utf-8")
    with pytest.raises(UnsafeInput, match="cci.yaml : alias YAML « \\*a »"):
        import_structures(config.shared_data_dir(), knowledge_copy / "structures", gazetteer)


def test_an_import_over_a_hostile_staff_file_is_refused_in_french(
    knowledge_copy, gazetteer, tmp_path
):
    hostile = knowledge_copy / "structures" / "cma.yaml"
    hostile.write_text(
        hostile.read_text(encoding="utf-8").replace(
            "structures:\n", "structures:\n  - {id: x, latitude: .nan}\n", 1
        ),
        encoding="utf-8",
    )
    before = _structures(knowledge_copy)
    with pytest.raises(ImportInputError, match="cma.yaml, ligne .* : « .nan » n'est pas"):
        import_source("dila", _dila(tmp_path, [_service(1)]), knowledge_copy, gazetteer)
    assert _structures(knowledge_copy) == before
