"""``python -m bot check`` (issue 20 item 10): every error of every file in one run,
in French only, at the line to fix; a postcode typed as the INSEE code is an error.

Each YAML syntax mistake staff make is written into a copy of the knowledge and the
check must name the file, the line where the mistake is (not where the parser gave
up) and say what it is in French, without a word of the parser's English.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.knowledge.files import check_directory
from bot.runtime.cli import main
from conftest import TEST_STRUCTURES

# Words of PyYAML's messages ("did not find expected key", "while scanning a simple
# key", "mapping values are not allowed in this context"...).
ENGLISH = re.compile(
    r"\b(?:found|expected|while|scanning|parsing|mapping|scalar|allowed|context|"
    r"could|token|character|indicator|stream|constructor|tag 'tag)\b"
)


def run_check(capsys, folder: Path) -> tuple[int, str]:
    code = main(["check", "--dir", str(folder)])
    return code, capsys.readouterr().out


def line_number(text: str, starts: str, after: int = 0) -> int:
    """1-based number of the first line after line ``after`` starting with ``starts``."""
    lines = text.splitlines()
    return next(i + 1 for i in range(after, len(lines)) if lines[i].startswith(starts))


def replace_line(text: str, number: int, new: str) -> str:
    lines = text.splitlines()
    lines[number - 1] = new
    return "\n".join(lines) + "\n"


NAME_B = "    name: Mission locale test B"  # a record in the middle of the file


@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        ('    name: "Mission locale test B', "guillemet « \" » ouvert sans être refermé"),
        ("    name: 'Mission locale test B", "guillemet « ' » ouvert sans être refermé"),
        ("      name: Mission locale test B", "indentation incorrecte"),
        ("   name: Mission locale test B", "indentation incorrecte"),
        ("\tname: Mission locale test B", "tabulation dans l'indentation"),
        ("    name Mission locale test B", "il manque « : » après le nom du champ"),
        ("    name: [Mission locale test B", "crochet « [ » ouvert sans être refermé"),
        ("    name: {Mission locale test B", "accolade « { » ouverte sans être refermée"),
        ("    name: Mission: locale test B", "la valeur contient « : » suivi d'un espace"),
        ('    name: "Mission locale" test B', "du texte suit le guillemet fermant"),
        ("    name: @Mission locale test B", "une valeur ne peut pas commencer par « @ »"),
        ("    name: `Mission locale test B", "une valeur ne peut pas commencer par « ` »"),
        ('    name: "Mission \\q locale"', "barre oblique inverse « \\ » inconnue"),
        ("    name: >Mission locale test B", "« > » ou « | » doit être seul en fin de ligne"),
        ("    name: & Mission locale", "« & » ou « * » en début de valeur"),
        ("    name: !!python/object Mission", "étiquette « !!python/object » non prise en charge"),
        ("    name: !texte Mission locale", "étiquette « !texte » non prise en charge"),
        ("---", "une ligne « --- » commence un second document"),
        ("    network: mission_locale", "le champ « network » est écrit deux fois"),
        ("    name: *nom", "alias YAML « *nom »"),
        ("    latitude: .nan", "« .nan » n'est pas un nombre utilisable"),
        ("    name: Mission\x00locale", "caractère de contrôle invisible (NUL)"),
    ],
    ids=[
        "unclosed-double-quote", "unclosed-single-quote", "indent-deeper", "indent-shallower",
        "tab", "missing-colon", "unclosed-bracket", "unclosed-brace", "colon-in-value",
        "text-after-quote", "bad-start-at", "bad-start-backtick", "bad-escape", "block-scalar",
        "anchor", "python-tag", "unknown-tag", "second-document", "duplicate-key", "alias",
        "nan", "nul",
    ],
)
def test_each_yaml_mistake_is_told_in_french_at_its_line(capsys, small_knowledge, broken, expected):
    path = small_knowledge / "structures" / "test.yaml"
    number = line_number(TEST_STRUCTURES, NAME_B)
    path.write_text(replace_line(TEST_STRUCTURES, number, broken), encoding="utf-8")
    code, out = run_check(capsys, small_knowledge)
    assert code == 1
    assert f"small/structures/test.yaml:{number}: erreur : " in out, out
    line = next(l for l in out.splitlines() if f"test.yaml:{number}: erreur" in l)
    assert expected in line, out
    assert not ENGLISH.search(out), out


def test_a_missing_colon_on_the_list_key_points_at_it(capsys, small_knowledge):
    path = small_knowledge / "structures" / "test.yaml"
    path.write_text(TEST_STRUCTURES.replace("structures:\n", "structures\n", 1), encoding="utf-8")
    code, out = run_check(capsys, small_knowledge)
    assert code == 1 and "small/structures/test.yaml:1: erreur : " in out, out
    assert "il manque « : »" in out and not ENGLISH.search(out), out


def test_an_unclosed_quote_closed_lines_later_is_reported_where_it_opens(capsys, small_knowledge):
    """The parser stops where the next quote happens to be, lines later (issue 20 item 10)."""
    path = small_knowledge / "structures" / "test.yaml"
    number = line_number(TEST_STRUCTURES, NAME_B)
    text = replace_line(TEST_STRUCTURES, number, '    name: "Mission locale test B')
    path.write_text(text, encoding="utf-8")
    code, out = run_check(capsys, small_knowledge)
    errors = [l for l in out.splitlines() if ": erreur : " in l]
    assert errors == [l for l in errors if f"test.yaml:{number}: " in l] and errors, out


def broken_knowledge(folder: Path) -> dict[str, set[int]]:
    """Break several files in several ways; the (file -> lines) the check must report."""
    expected: dict[str, set[int]] = {}

    def spoil(relative: str, replacements: list[tuple[str, str, int]]) -> None:
        path = folder / relative
        text = path.read_text(encoding="utf-8")
        for starts, new, after in replacements:
            number = line_number(text, starts, after)
            text = replace_line(text, number, new)
            expected.setdefault(f"small/{relative}", set()).add(number)
        path.write_text(text, encoding="utf-8")

    ml_b = line_number(TEST_STRUCTURES, "  - id: ml-b")
    ml_c = line_number(TEST_STRUCTURES, "  - id: ml-c")
    ml_d = line_number(TEST_STRUCTURES, "  - id: ml-d")
    spoil(
        "structures/test.yaml",
        [
            ("    phone: 02 47 00 00 01", "    phone: 02 47 00", 0),  # not a phone
            ("    name:", '    name: "Mission locale test B', ml_b),  # syntax
            ("    insee:", '    insee: "37100"', ml_c),  # a postcode typed as INSEE
            ("    postcode:", '    postcode: "37100"', ml_c),
            ("    verified:", "    verified: 2019-02-30", ml_d),  # no such date
        ],
    )
    expected["small/structures/test.yaml"].discard(  # the INSEE line is the one to fix
        line_number(TEST_STRUCTURES, "    postcode:", ml_c)
    )
    other = TEST_STRUCTURES.replace("ml-", "autre-").replace("Mission locale test", "Autre")
    (folder / "structures" / "autre.yaml").write_text(other, encoding="utf-8")
    autre_d = line_number(other, "  - id: autre-d")
    # A record refused for its content (duplicate key, NaN) is checked further once
    # fixed: the other mistakes go in other records.
    spoil(
        "structures/autre.yaml",
        [
            ("    network:", "    network: mission_locale\n    network: cio", 0),
            ("    latitude:", "    latitude: .nan", 0),  # NaN, same record
            ("    phone:", "    phone: 02 54", line_number(other, "  - id: autre-b")),
            ("    address:", "    address: [4 rue", autre_d),  # syntax, another record
        ],
    )
    # the duplicate "network" is on the line after the one replaced
    lines = (folder / "structures" / "autre.yaml").read_text(encoding="utf-8").splitlines()
    expected["small/structures/autre.yaml"] = {
        i + 1
        for i, l in enumerate(lines)
        if l in ("    network: cio", "    latitude: .nan", "    phone: 02 54")
        or l.startswith("    address: [")
    }
    spoil("sheets.yaml", [("    reviewed:", "    reviewed: 2019-02-30", 0)])
    spoil("regions.yaml", [("    phone:", "    phone: 12", 0)])
    return expected


def test_every_error_of_every_file_is_reported_in_one_run(capsys, small_knowledge):
    """Several files, several kinds: one run reports them all, nothing else; once they
    are fixed the knowledge is valid (no second round)."""
    originals = {p: p.read_text(encoding="utf-8") for p in small_knowledge.rglob("*.y*ml")}
    expected = broken_knowledge(small_knowledge)
    code, out = run_check(capsys, small_knowledge)
    assert code == 1
    reported: dict[str, set[int]] = {}
    for found in re.finditer(r"^(small/[^:]+):(\d+): erreur : ", out, re.M):
        reported.setdefault(found.group(1), set()).add(int(found.group(2)))
    assert reported == expected, out
    assert not ENGLISH.search(out), out
    for path, text in originals.items():
        path.write_text(text, encoding="utf-8")
    (small_knowledge / "structures" / "autre.yaml").write_text(
        TEST_STRUCTURES.replace("ml-", "autre-"), encoding="utf-8"
    )
    assert check_directory(small_knowledge).ok


def test_a_postcode_typed_as_insee_code_is_an_error(small_knowledge):
    """37100 is a postcode of Tours and the INSEE code of Épeigné-les-Bois: the public
    would read the wrong town."""
    path = small_knowledge / "structures" / "test.yaml"
    text = TEST_STRUCTURES.replace('postcode: "37000"\n    insee: "37261"',
                                   'postcode: "37100"\n    insee: "37100"')
    path.write_text(text, encoding="utf-8")
    errors = [str(p) for p in check_directory(small_knowledge).errors]
    insee_line = line_number(text, '    insee: "37100"')
    assert any(f"test.yaml:{insee_line}:" in e and "Épeigné-les-Bois" in e and "Tours" in e
               and "37261" in e for e in errors), errors


def test_an_insee_code_of_another_commune_than_the_one_written_is_an_error(small_knowledge):
    path = small_knowledge / "structures" / "test.yaml"
    text = TEST_STRUCTURES.replace('postcode: "37000"\n    insee: "37261"',
                                   'postcode: "37100"\n    commune: Tours\n    insee: "37200"')
    path.write_text(text, encoding="utf-8")
    errors = [str(p) for p in check_directory(small_knowledge).errors]
    assert any("« 37200 » est celui de Rivarennes" in e and "la commune « Tours »" in e
               for e in errors), errors


def test_another_communes_postcode_with_the_right_commune_stays_a_warning(small_knowledge):
    """A CEDEX-like code: the INSEE code and the commune written agree (Tours)."""
    path = small_knowledge / "structures" / "test.yaml"
    text = TEST_STRUCTURES.replace('postcode: "37000"\n    insee: "37261"',
                                   'postcode: "37300"\n    commune: Tours\n    insee: "37261"')
    path.write_text(text, encoding="utf-8")
    result = check_directory(small_knowledge)
    assert result.ok, [str(p) for p in result.errors]
    assert any("37300" in str(p) for p in result.warnings)
