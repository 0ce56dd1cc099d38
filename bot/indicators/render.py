"""HTML of the indicators (dashboard and annual report), CSV export, PDF by Chromium."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import tempfile
from datetime import date, datetime
from html import escape
from pathlib import Path
from typing import Sequence
from zoneinfo import ZoneInfo

from bot import config
from bot.indicators.aggregate import DIMENSIONS, Cell, Filters, Indicators, table_rows
from bot.indicators.charts import bar_chart, column_chart
from bot.indicators.labels import TITLES, label, territories
from bot.text import MONTHS

PARIS = ZoneInfo("Europe/Paris")
# Names of the CSV's rows that are not a breakdown of TITLES.
CSV_INDICATORS = {
    "conversations": "Conversations",
    "mois": "Conversations par mois",
    "semaine": "Conversations par semaine (du lundi)",
    "lacune": "Lacunes : orientations sans structure locale",
}
CSV_HEADER = ("Indicateur", "Valeur", "Nombre", "Part (%)", "Remarque")

CHROMIUM = os.environ.get("SPRO_CHROMIUM", "/usr/bin/chromium")


def number(value: int | None, min_cell: int) -> str:
    """A count in French typography, or « moins de N » when hidden."""
    return (
        f"moins de {min_cell}" if value is None else f"{value:,}".replace(",", "\u202f")
    )


def percent(share: float | None) -> str:
    """A share as a French percentage."""
    return "" if share is None else f"{share * 100:.1f}\u00a0%".replace(".", ",")


def _paris(moment: datetime) -> str:
    """« 06/12/2026 à 4 h 08 », Paris time."""
    local = moment.astimezone(PARIS)
    return f"{local:%d/%m/%Y} à {local.hour}\u00a0h\u00a0{local:%M}"


def freshness_note(indicators: Indicators) -> str:
    """When the figures were computed, and what they do not count yet (French)."""
    idle = f"{config.indicators_idle_minutes():g}"
    if indicators.computed_at is None or indicators.counted_until is None:
        when = (
            "Aucun calcul des conversations n'a encore été fait sur ce serveur\u00a0: "
            "elles ne sont pas encore comptées."
        )
    else:
        when = (
            f"Chiffres calculés le {_paris(indicators.computed_at)} (heure de Paris). "
            "Ils comptent les conversations terminées avant le "
            f"{_paris(indicators.counted_until)}."
        )
    return (
        f"{when} Une conversation est comptée après {idle}\u00a0minutes sans "
        "message\u00a0; les plus récentes n'apparaissent pas encore. Passages à une "
        "personne, demandes de rappel et appels de la console\u00a0: comptés dès leur "
        "clôture."
    )


def territory_label(filters: Filters) -> str:
    """« Eure-et-Loir (28) », « Centre-Val de Loire » or « Tous territoires »."""
    if filters.departement:
        return label("departement", filters.departement)
    if filters.region:
        return label("region", filters.region)
    return "Tous territoires"


def period_label(filters: Filters) -> str:
    """« du 01/01/2026 au 31/12/2026 »."""
    return f"du {filters.start:%d/%m/%Y} au {filters.end:%d/%m/%Y}"


def _table(
    caption: str, headers: tuple[str, ...], rows: Sequence[tuple[str, ...]]
) -> str:
    head = f'<th scope="col">{escape(headers[0])}</th>' + "".join(
        f'<th scope="col" class="num">{escape(h)}</th>' for h in headers[1:]
    )
    body = "".join(
        "<tr>"
        + f'<th scope="row">{escape(r[0])}</th>'
        + "".join(f'<td class="num">{escape(v)}</td>' for v in r[1:])
        + "</tr>"
        for r in rows
    )
    return (
        f"<table><caption>{escape(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


def _breakdown(dimension: str, cells: list[Cell], min_cell: int, details: str) -> str:
    title = TITLES[dimension]
    labelled = [(label(dimension, c.value), c.count, c.share) for c in cells]
    chart = bar_chart(f"chart-{dimension}", title, labelled, min_cell)
    table = _table(
        f"{title} : tableau des données",
        ("Valeur", "Nombre", "Part"),
        [(t, number(n, min_cell), percent(s)) for t, n, s in labelled],
    )
    return (
        f'<section class="card" aria-labelledby="h-{dimension}">'
        f'<h2 id="h-{dimension}">{escape(title)}</h2>{chart}'
        f"{details}<summary>Tableau des données : {escape(title.lower())}</summary>"
        f"{table}</details></section>"
    )


def body_html(
    indicators: Indicators,
    note: str = "",
    tables_open: bool = False,
    by_month: bool = False,
) -> str:
    """Key figures, then one card per chart with its data table (unfolded in print)."""
    m = indicators.min_cell
    details = "<details open>" if tables_open else "<details>"
    parts = [
        f'<p class="note">{escape(note)}</p>' if note else "",
        f'<p class="note freshness">{escape(freshness_note(indicators))}</p>',
    ]
    oriented = next(
        (
            c.count
            for c in indicators.breakdowns.get("outcome", [])
            if c.value == "oriented"
        ),
        None,
    )
    local = next(
        (
            c.share
            for c in indicators.breakdowns.get("local_structure", [])
            if c.value == "oui"
        ),
        None,
    )
    helped = next(
        (
            c.share
            for c in indicators.breakdowns.get("satisfaction", [])
            if c.value == "oui"
        ),
        None,
    )
    figures = [
        ("Conversations", number(indicators.total, m)),
        (
            "Orientées vers une structure",
            number(oriented, m) if indicators.total else "—",
        ),
        ("Avec une structure locale", percent(local) or "—"),
        ("Réponse jugée utile («\u00a0Oui\u00a0»)", percent(helped) or "—"),
        ("Passages à une personne (tchat)", number(indicators.handovers, m)),
        ("Demandes de rappel", number(indicators.call_backs, m)),
        ("Appels clos à la console", number(indicators.phone_calls, m)),
    ]
    parts.append(
        '<ul class="figures" aria-label="Chiffres clés">'
        + "".join(
            f'<li><span class="figure">{escape(v)}</span> <span>{escape(k)}</span></li>'
            for k, v in figures
        )
        + "</ul>"
    )
    parts.append(series_html(indicators, by_month, details))
    if indicators.total is None:
        parts.append(
            f'<p class="note">Moins de {m} conversations sur cette sélection : '
            "les répartitions ne sont pas affichées, pour que personne ne soit "
            "reconnaissable. Élargissez la période ou le territoire.</p>"
        )
    for dimension in DIMENSIONS:
        cells = indicators.breakdowns.get(dimension) or []
        if cells:
            parts.append(_breakdown(dimension, cells, m, details))
    parts.append(gaps_html(indicators))
    return "\n".join(parts)


def series_html(indicators: Indicators, by_month: bool, details: str) -> str:
    """Conversations per week (dashboard) or month (annual report), with the table."""
    m = indicators.min_cell
    cells = indicators.months if by_month else indicators.weeks
    rows = [(c.value, c.count) for c in cells]
    title = "Conversations par mois" if by_month else "Conversations par semaine"
    if by_month:
        labelled = [
            (f"{MONTHS[date.fromisoformat(v).month - 1]} {v[:4]}", number(n, m))
            for v, n in rows
        ]
        head = ("Mois", "Conversations")
    else:
        labelled = [
            (f"{date.fromisoformat(v):%d/%m/%Y}", number(n, m)) for v, n in rows
        ]
        head = ("Semaine du", "Conversations")
    return (
        '<section class="card wide" aria-labelledby="h-series">'
        f'<h2 id="h-series">{title}</h2>'
        + column_chart(
            "chart-series", title, rows, m, "mois" if by_month else "semaine"
        )
        + f"{details}<summary>Tableau des données : {title.lower()}</summary>"
        + _table(f"{title} : tableau des données", head, labelled)
        + "</details></section>"
    )


def gaps_html(indicators: Indicators) -> str:
    """Knowledge gaps: orientations without a local structure, per network."""
    m = indicators.min_cell
    title = "Lacunes de la base : orientations sans structure locale"
    if not indicators.gaps:
        return (
            '<section class="card wide" aria-labelledby="h-gaps">'
            f'<h2 id="h-gaps">{title}</h2>'
            "<p>Aucune orientation sans structure locale sur cette sélection.</p>"
            "</section>"
        )
    rows = [
        (
            label("departement", g["departement"])
            if g["departement"]
            else "Commune non donnée",
            label("gap", g["network"]),
            number(g["count"], m),
        )
        for g in indicators.gaps
    ]
    table = (
        "<table><caption>Réseaux à compléter en priorité, par département : "
        "nombre d'orientations sans structure locale</caption>"
        '<thead><tr><th scope="col">Département</th><th scope="col">Réseau</th>'
        '<th scope="col" class="num">Nombre</th></tr></thead><tbody>'
        + "".join(
            f'<tr><th scope="row">{escape(d)}</th><td>{escape(n)}</td>'
            f'<td class="num">{escape(c)}</td></tr>'
            for d, n, c in rows
        )
        + "</tbody></table>"
    )
    return (
        '<section class="card wide" aria-labelledby="h-gaps">'
        f'<h2 id="h-gaps">{title}</h2>'
        "<p>Les structures à ajouter d'abord dans <code>knowledge/structures/</code> "
        "(à vérifier : la commune de la personne peut être loin de toute "
        "structure).</p>"
        f"{table}</section>"
    )


def report_html(indicators: Indicators, css: str, generated: date | None = None) -> str:
    """A self-contained annual report (styles inlined), ready to print or send."""
    filters = indicators.filters
    place = territory_label(filters)
    generated = generated or date.today()
    title = f"Rapport d'activité du premier accueil — {place} — {filters.start.year}"
    note = (
        f"Période {period_label(filters)}. Source : assistant du service public "
        "régional de "
        f"l'orientation (tchat, API, console téléphonique), enregistrements anonymes. "
        f"Effectifs inférieurs à {indicators.min_cell} masqués ou regroupés. "
        f"Édité le {generated:%d/%m/%Y}."
    )
    return (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{css}</style></head>"
        f'<body class="report"><main><h1>{escape(title)}</h1>'
        f"{body_html(indicators, note, tables_open=True, by_month=True)}"
        "</main></body></html>"
    )


def csv_text(indicators: Indicators) -> str:
    """The aggregated table as CSV for French spreadsheets; never records.

    UTF-8 with a byte order mark (so Excel reads the accents), semicolons, French
    column and indicator names, counts as plain integers, shares as percentages with a
    decimal comma (« 12,21 »); a hidden count leaves « Nombre » empty and says
    « moins de 5 » in « Remarque », so the column holds numbers only. The codes are in
    the JSON API.
    """
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(CSV_HEADER)
    for row in table_rows(indicators):
        dimension = str(row["indicateur"])
        code = str(row["valeur"])
        if dimension == "lacune":
            dep, network = code.split(":", 1)
            place = label("departement", dep) if dep else "Commune non donnée"
            text = f"{place} — {label('gap', network)}"
        elif dimension == "conversations":
            text = "Total"
        elif dimension == "mois":
            month = date.fromisoformat(code)
            text = f"{MONTHS[month.month - 1]} {month.year}"
        elif dimension == "semaine":
            text = f"{date.fromisoformat(code):%d/%m/%Y}"
        else:
            text = label(dimension, code)
        count, share = row["nombre"], row["part"]
        writer.writerow(
            [
                CSV_INDICATORS.get(dimension) or TITLES.get(dimension, dimension),
                text,
                "" if count is None else count,
                "" if share is None else f"{share * 100:.2f}".replace(".", ","),
                f"moins de {indicators.min_cell} (effectif masqué)"
                if count is None
                else "",
            ]
        )
    return buffer.getvalue()


def pdf_bytes(html: str, timeout: float = 60.0) -> bytes:
    """The report printed to PDF by Debian's headless Chromium (no network)."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(
            f"{CHROMIUM} est absent : installez-le avec scripts/setup-browser.sh."
        )
    with tempfile.TemporaryDirectory(prefix="spro-report-") as folder:
        source, target = Path(folder) / "rapport.html", Path(folder) / "rapport.pdf"
        source.write_text(html, encoding="utf-8")
        subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                f"--user-data-dir={folder}/profile",
                "--no-pdf-header-footer",
                f"--print-to-pdf={target}",
                source.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=timeout,
        )
        if not target.exists():
            raise RuntimeError("Chromium n'a pas produit de PDF.")
        return target.read_bytes()


def report_filename(filters: Filters, extension: str) -> str:
    """« rapport-spro-28-2026.pdf »."""
    place = filters.departement or filters.region or "tous"
    name = f"rapport-spro-{place}-{filters.start.year}.{extension}"
    # A header value: ASCII letters, digits, dot and dash only.
    return re.sub(r"[^A-Za-z0-9.-]", "-", name)


def departement_region(departement: str) -> str:
    """The region of a département (for the territory filters)."""
    return territories()["departement_region"].get(departement, "")
