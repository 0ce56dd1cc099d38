"""Staff command line: French messages and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

from bot import config
from bot.runtime.cli import main


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_check_ok_and_errors(capsys, small_knowledge):
    code, out = run(capsys, "check", "--dir", str(small_knowledge))
    assert code == 0 and "Fichiers valides" in out and "4 structures" in out
    path = small_knowledge / "structures" / "test.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("phone: 02 47 00 00 01", "phone: 02 47"), encoding="utf-8")
    code, out = run(capsys, "check", "--dir", str(small_knowledge))
    assert code == 1
    assert "small/structures/test.yaml:10: erreur : le numéro « 02 47 » n'est pas un numéro de téléphone français valide" in out
    assert "1 erreur(s)" in out


def test_check_covers_the_routing_table(capsys, small_knowledge):
    routing = small_knowledge / "routing.yml"
    text = routing.read_text(encoding="utf-8")
    routing.write_text(text.replace("{network: suio,", "{network: suoi,", 1), encoding="utf-8")
    code, out = run(capsys, "check", "--dir", str(small_knowledge))
    assert code == 1 and "réseau(x) inconnu(s) suoi" in out and "networks.yaml" in out
    routing.write_text(text.replace("  information: \"S'informer", "  informer: \"S'informer", 1), encoding="utf-8")
    code, out = run(capsys, "check", "--dir", str(small_knowledge))
    assert code == 1 and "le besoin « informer » n'a pas de route par défaut" in out
    routing.unlink()
    code, out = run(capsys, "check", "--dir", str(small_knowledge))
    assert code == 1 and "routing.yml : fichier absent" in out


def test_load_status_refused_load(capsys, small_knowledge, sqlite_url):
    code, out = run(capsys, "status", "--database", sqlite_url)
    assert code == 1 and "python -m bot load" in out
    code, out = run(capsys, "load", "--dir", str(small_knowledge), "--database", sqlite_url)
    assert code == 0 and "Chargé (version 1" in out and "sans redémarrage" in out
    (small_knowledge / "sheets.yaml").write_text("sheets: [\n", encoding="utf-8")
    code, out = run(capsys, "load", "--dir", str(small_knowledge), "--database", sqlite_url)
    assert code == 1 and "sheets.yaml:2: erreur" in out and "La base n'a pas été modifiée" in out
    code, out = run(capsys, "status", "--database", sqlite_url)
    assert code == 0 and "Version 1" in out and "4 structures" in out


def test_search(capsys, small_knowledge, sqlite_url):
    run(capsys, "load", "--dir", str(small_knowledge), "--database", sqlite_url)
    code, out = run(capsys, "search", "quelle", "Mission", "locale", "pour", "Vierzon", "?", "--database", sqlite_url)
    assert code == 0
    assert "Commune : Vierzon (Cher), INSEE 18279" in out and "Réseau : Mission locale" in out
    assert "1. Mission locale test D (territoire desservi)" in out
    code, out = run(capsys, "search", "un CIO à Tours", "--database", sqlite_url)
    assert "Aucune structure enregistrée" in out and "https://www.onisep.fr" in out and "0 800 222 100" in out
    code, out = run(capsys, "search", "Mission locale à Beaulieu", "--files", "--dir", str(small_knowledge))
    assert "Plusieurs communes possibles" in out and "(Indre, 36)" in out


def test_coverage(capsys, small_knowledge):
    code, out = run(capsys, "coverage", "--dir", str(small_knowledge), "--region", "24")
    assert code == 0
    assert "Centre d'information et d'orientation (CIO) [cio] : Cher (18), Eure-et-Loir (28)" in out
    assert "Mission locale [mission_locale] : Eure-et-Loir (28), Indre (36), Loiret (45)" in out
    assert "ml-c (Mission locale test C) : 15/01/2024" in out
    code, out = run(capsys, "coverage", "--dir", str(small_knowledge), "--region", "24", "--json")
    report = json.loads(out)
    assert report["departements"] == ["18", "28", "36", "37", "41", "45"]
    assert [s["id"] for s in report["stale_structures"]] == ["ml-c"]
    assert {r["code"] for r in report["stale_regions"]} == {"24"}


def test_python_dash_m_bot(tmp_path):
    process = subprocess.run([sys.executable, "-m", "bot", "check"], cwd=config.PROJECT_ROOT,
                             capture_output=True, text=True, timeout=120)
    assert process.returncode == 0, process.stdout + process.stderr
    assert "Fichiers valides" in process.stdout


def test_coverage_as_a_number(capsys, small_knowledge):
    code, out = run(capsys, "coverage", "--dir", str(small_knowledge), "--region", "24", "--json")
    coverage = json.loads(out)["coverage"]
    assert len(coverage["networks"]) == 10
    # the test Missions locales cover 37 (A, C), 41 (B) and 18 (D): one network of ten there
    assert {code: d["share"] for code, d in coverage["departements"].items()} == {
        "18": 0.1, "28": 0.0, "36": 0.0, "37": 0.1, "41": 0.1, "45": 0.0}
    assert coverage["regions"]["24"]["share"] == 0.05
    code, out = run(capsys, "coverage", "--dir", str(small_knowledge), "--region", "24")
    assert "Centre-Val de Loire : 5%" in out and "Indre-et-Loire (37) : 10% (1/10)" in out
