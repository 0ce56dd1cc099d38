"""What staff read in the dashboard, the report and the CSV.

The CSV in a French spreadsheet, whole chart labels, table headers, when the figures
were computed, the territory pair, and the names of INSEE notions.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from babel.numbers import parse_decimal

from bot.indicators.__main__ import main as indicators_main
from bot.indicators.aggregate import DIMENSIONS, Filters, compute
from bot.indicators.charts import LABEL_CHARACTERS, bar_chart
from bot.indicators.labels import TITLES, label
from bot.indicators.render import body_html, csv_text
from bot.indicators.store import IndicatorStore, windows_table
from channels.dashboard.filters import FilterError, filters_from
from tests.indicators.conftest import record


def fill(store: IndicatorStore) -> None:
    """41 conversations in Eure-et-Loir: shares that are not round numbers."""
    store.add([record(public="parent_eleve") for _ in range(23)])
    store.add([record(outcome="abandoned", network="", abandoned_at="age")] * 11)
    store.add([record(public="cadre", local_structure=False) for _ in range(7)])


def test_the_csv_opens_in_a_french_spreadsheet_with_numbers_as_numbers(
    store: IndicatorStore,
) -> None:
    """French names, UTF-8 with a BOM, semicolons, counts and decimal-comma shares."""
    fill(store)
    indicators = compute(store, Filters.for_year(2026, region="24"), min_cell=5)
    raw = csv_text(indicators).encode("utf-8")
    assert raw.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read accents"
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert list(rows[0]) == ["Indicateur", "Valeur", "Nombre", "Part (%)", "Remarque"]
    names = {row["Indicateur"] for row in rows}
    assert not names & {*DIMENSIONS, "conversations", "mois", "semaine", "lacune"}
    assert "Issue des conversations" in names and "Besoins exprimés" in names
    assert all(re.search("[A-Z]", name[0]) for name in names)
    parts: dict[str, Decimal] = {}
    for row in rows:
        if row["Nombre"]:  # a French-locale parser reads every number
            count = parse_decimal(row["Nombre"], locale="fr_FR", strict=True)
            assert count >= 5 or count == 0, row
        else:
            assert row["Remarque"] == "moins de 5 (effectif masqué)", row
        if row["Part (%)"]:
            share = parse_decimal(row["Part (%)"], locale="fr_FR", strict=True)
            parts[row["Indicateur"]] = parts.get(row["Indicateur"], 0) + share
    by_label = {(r["Indicateur"], r["Valeur"]): r for r in rows}
    oriented = by_label[("Issue des conversations", "Orientée vers une structure")]
    assert oriented["Nombre"] == "30" and oriented["Part (%)"] == "73,17"
    assert by_label[("Conversations", "Total")]["Nombre"] == "41"
    assert by_label[("Conversations par mois", "mars 2026")]["Nombre"] == "41"
    assert parts and all(abs(total - 100) <= 0.05 for total in parts.values()), parts


def test_chart_labels_are_never_cut() -> None:
    """Every word of a long label is drawn, on lines short enough for the chart."""
    long = label("public", "parent_eleve")
    longest = label("network", "cep_actifs_occupes")
    assert long.startswith("Parent d'élève (question p") and len(longest) > 80
    svg = bar_chart("c", "Publics", [(long, 30, 0.6), (longest, 20, 0.4)], 5)
    assert "…" not in svg
    lines = re.findall(r"<text x=\"0\"[^>]*>([^<]*)</text>", svg)
    drawn = " ".join(lines).replace("&#x27;", "'")
    assert long in drawn and longest in drawn
    assert all(len(line) <= LABEL_CHARACTERS for line in lines)


def test_numeric_columns_are_marked_so_their_headers_are_not_broken(
    store: IndicatorStore,
) -> None:
    """« Nombre » and « Part » headers are numeric columns, kept on one line."""
    fill(store)
    html = body_html(compute(store, Filters.for_year(2026), min_cell=5))
    assert '<th scope="col" class="num">Nombre</th>' in html
    assert '<th scope="col" class="num">Part</th>' in html
    css = open("channels/dashboard/static/dashboard.css", encoding="utf-8").read()
    assert "overflow-wrap: anywhere" not in css
    assert re.search(r"th\.num, td\.num \{ white-space: nowrap;", css)


def test_the_page_says_when_figures_were_computed_and_what_is_not_counted(
    store: IndicatorStore,
) -> None:
    """Before any derivation, and after one: the time, and the 90 minutes of silence."""
    empty = body_html(compute(store, Filters.for_year(2026), min_cell=5))
    assert "Aucun calcul des conversations n&#x27;a encore été fait" in empty
    assert "comptée après 90\u00a0minutes sans message" in empty
    until = datetime(2026, 3, 10, 13, 20, tzinfo=timezone.utc)
    with store.engine.begin() as connection:
        connection.execute(
            windows_table.insert().values(
                start=0.0,
                end=until.timestamp(),
                records=0,
                derived_at=datetime(2026, 3, 10, 14, 50),
            )
        )
    indicators = compute(store, Filters.for_year(2026), min_cell=5)
    assert indicators.as_json()["counted_until"] == "2026-03-10T13:20:00+00:00"
    page = body_html(indicators)
    assert "calculés le 10/03/2026 à 15\u00a0h\u00a050 (heure de Paris)" in page
    assert "conversations terminées avant le 10/03/2026 à 14\u00a0h\u00a020" in page


def test_a_departement_outside_the_region_chosen_is_refused() -> None:
    """Bretagne with the 41: refused in French; the page falls back on Bretagne."""
    with pytest.raises(FilterError) as refused:
        filters_from({"region": "53", "departement": "41"}, "24")
    message = str(refused.value)
    assert "Loir-et-Cher (41) n'est pas dans la région Bretagne\u00a0:" in message
    fallback = refused.value.fallback
    assert fallback is not None
    assert (fallback.region, fallback.departement) == ("53", "")
    alone = filters_from({"departement": "35"}, "24")  # no region asked: its own
    assert (alone.region, alone.departement) == ("53", "35")
    same = filters_from({"region": "24", "departement": "41"}, "53")
    assert (same.region, same.departement) == ("24", "41")


def test_the_report_command_refuses_the_pair_too(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``report --region 53 --departement 41`` stops with the French message."""
    code = indicators_main(
        ["report", "--year", "2026", "--region", "53", "--departement", "41"]
    )
    assert code == 1
    assert "n'est pas dans la région Bretagne" in capsys.readouterr().err


def test_epcis_are_called_intercommunalites_not_bassins_de_vie(
    store: IndicatorStore,
) -> None:
    """An EPCI is an intercommunalité; INSEE's « bassins de vie » are another thing."""
    fill(store)
    html = body_html(compute(store, Filters.for_year(2026), min_cell=5))
    assert "Bassin" not in html and "bassin" not in TITLES["epci"]
    assert "Intercommunalités (EPCI) de la commune donnée" in html
