"""Knowledge files: an impossible date and an unclosed quote are reported in French, at their line."""

from __future__ import annotations

from bot.knowledge.files import check_directory
from conftest import write

HEAD = """\
structures:
  - id: cio-tours
    network: cio
    name: CIO de test
    address: 1 rue de l'Essai
    postcode: "37000"
    insee: "37261"
    phone: 02 47 00 00 00
    source: Test
"""


def test_an_impossible_date_is_a_french_problem_at_its_line(knowledge_copy):
    write(knowledge_copy / "structures" / "cio.yaml", HEAD + "    verified: 2019-02-30\n")
    errors = [str(p) for p in check_directory(knowledge_copy).errors]
    assert any("structures/cio.yaml:10:" in e and "2019-02-30" in e and "n'existe pas" in e
               for e in errors), errors


def test_an_unclosed_quote_is_reported_where_it_opens(knowledge_copy):
    lines = HEAD.splitlines()
    lines[7] = '    phone: "02 47 00 00 00'  # line 8: the quote is never closed
    text = "\n".join(lines + ["    verified: 2026-01-10"] + ["  # suite"] * 60) + "\n"
    write(knowledge_copy / "structures" / "cio.yaml", text)
    errors = [str(p) for p in check_directory(knowledge_copy).errors]
    assert any("structures/cio.yaml:8:" in e and "YAML" in e for e in errors), errors
